import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, BOB, apiError, sdkClient, startStandIn } from './helpers.js';

/** The calendar v4 endpoints the bot uses, through the real SDK: 查询主日历信息, 创建日程, 更新日程, 删除日程, 添加日程参与人. */
describe('calendar v4', () => {
  let s: FeishuStandIn;
  beforeEach(async () => {
    s = await startStandIn();
  });
  afterEach(async () => {
    await s.stop();
  });

  const at = (iso: string) => String(Date.parse(iso) / 1000);
  const hour = {
    start_time: { timestamp: at('2026-11-20T10:00:00+08:00'), timezone: 'Asia/Shanghai' },
    end_time: { timestamp: at('2026-11-20T11:00:00+08:00') },
  };

  async function primary() {
    const res = await sdkClient(s).calendar.v4.calendar.primary({});
    return res.data!.calendars![0]!.calendar!.calendar_id;
  }

  it("creates an event on the app's primary calendar, invites users, updates and deletes it", async () => {
    const client = sdkClient(s);
    const p = await client.calendar.v4.calendar.primary({});
    expect(p.data?.calendars?.[0]?.calendar).toMatchObject({ type: 'primary', role: 'owner' });
    const calendarId = p.data!.calendars![0]!.calendar!.calendar_id;

    const created = await client.calendar.v4.calendarEvent.create({
      path: { calendar_id: calendarId },
      params: { idempotency_key: 'plan-1' },
      data: { summary: '家访（高一3班）', ...hour, visibility: 'private', location: { name: '学生家中' } },
    });
    expect(created.code).toBe(0);
    const eventId = created.data!.event!.event_id!;
    expect(eventId).toMatch(/_0$/);
    expect(created.data?.event).toMatchObject({ summary: '家访（高一3班）', visibility: 'private', organizer_calendar_id: calendarId });

    // A retried create with the same idempotency key is the same event.
    const again = await client.calendar.v4.calendarEvent.create({
      path: { calendar_id: calendarId },
      params: { idempotency_key: 'plan-1' },
      data: { summary: 'x', ...hour },
    });
    expect(again.data?.event?.event_id).toBe(eventId);
    expect(s.calendarEvents()).toHaveLength(1);

    const invited = await client.calendar.v4.calendarEventAttendee.create({
      path: { calendar_id: calendarId, event_id: eventId },
      params: { user_id_type: 'open_id' },
      data: {
        attendees: [
          { type: 'user', user_id: ALICE.openId },
          { type: 'user', user_id: BOB.openId },
        ],
      },
    });
    expect(invited.data?.attendees?.map((a) => a.display_name)).toEqual([ALICE.name, BOB.name]);
    // Inviting someone twice changes nothing.
    await client.calendar.v4.calendarEventAttendee.create({
      path: { calendar_id: calendarId, event_id: eventId },
      data: { attendees: [{ type: 'user', user_id: ALICE.openId }] },
    });
    expect(s.calendarEvents()[0]!.attendees).toHaveLength(2);

    await client.calendar.v4.calendarEvent.patch({
      path: { calendar_id: calendarId, event_id: eventId },
      data: { start_time: { timestamp: at('2026-11-21T15:00:00+08:00') }, end_time: { timestamp: at('2026-11-21T16:00:00+08:00') } },
    });
    expect(s.calendarEvents()[0]!.start_time.timestamp).toBe(at('2026-11-21T15:00:00+08:00'));
    expect(s.calendarEvents()[0]!.summary).toBe('家访（高一3班）');

    await client.calendar.v4.calendarEvent.delete({ path: { calendar_id: calendarId, event_id: eventId }, params: { need_notification: 'true' } });
    expect(s.calendarEvents()[0]!.status).toBe('cancelled');
    // A deleted event is gone for good: 193003.
    const deleted = await apiError(client.calendar.v4.calendarEvent.delete({ path: { calendar_id: calendarId, event_id: eventId } }));
    expect(deleted).toMatchObject({ status: 403, code: 193003 });
  });

  it('refuses bad times, unknown calendars and events, and attendee types with the documented codes', async () => {
    const client = sdkClient(s);
    const calendarId = await primary();
    const create = (data: Record<string, unknown>, cal = calendarId) =>
      apiError(client.calendar.v4.calendarEvent.create({ path: { calendar_id: cal }, data: data as never }));

    expect(await create({ summary: 'no times' })).toMatchObject({ status: 400, code: 190002 });
    expect(await create({ start_time: hour.end_time, end_time: hour.start_time })).toMatchObject({ status: 400, code: 190002 });
    expect(await create({ start_time: { timestamp: '1700000000000' }, end_time: hour.end_time })).toMatchObject({ code: 190002 });
    expect(await create({ ...hour, start_time: { ...hour.start_time, timezone: 'Mars/Olympus' } })).toMatchObject({ code: 190002 });
    expect(await create({ ...hour, start_time: { date: '2026-11-20' } })).toMatchObject({ code: 190002 });
    expect(await create({ ...hour, summary: 'x'.repeat(1001) })).toMatchObject({ code: 190002 });
    expect(await create({ ...hour, visibility: 'secret' })).toMatchObject({ code: 190002 });
    expect(await create(hour, 'feishu.cn_nope@group.calendar.feishu.cn')).toMatchObject({ status: 404, code: 191000 });
    expect(await create(hour, 'not-a-calendar')).toMatchObject({ status: 400, code: 191001 });

    const path = (event_id: string) => ({ calendar_id: calendarId, event_id });
    expect(await apiError(client.calendar.v4.calendarEvent.patch({ path: path('nope'), data: { summary: 'x' } }))).toMatchObject({ status: 400, code: 193000 });
    expect(
      await apiError(client.calendar.v4.calendarEvent.patch({ path: path('00000000-0000-0000-0000-000000000000_0'), data: { summary: 'x' } })),
    ).toMatchObject({ status: 404, code: 193001 });

    const eventId = (await client.calendar.v4.calendarEvent.create({ path: { calendar_id: calendarId }, data: hour })).data!.event!.event_id!;
    // A new end before the kept start is refused like a bad create.
    expect(
      await apiError(client.calendar.v4.calendarEvent.patch({ path: path(eventId), data: { end_time: { timestamp: at('2026-11-19T10:00:00+08:00') } } })),
    ).toMatchObject({
      code: 190002,
    });
    const invite = (attendees: unknown[]) =>
      apiError(client.calendar.v4.calendarEventAttendee.create({ path: path(eventId), data: { attendees: attendees as never } }));
    expect(await invite([{ type: 'robot', user_id: ALICE.openId }])).toMatchObject({ status: 400, code: 194004 });
    expect(await invite([{ type: 'user', user_id: 'ou_nobody' }])).toMatchObject({ status: 404, code: 195100 });
    expect(await invite([{ type: 'user' }])).toMatchObject({ code: 190002 });
  });

  it('answers 99991672 when the app has no calendar scope', async () => {
    const client = sdkClient(s);
    const calendarId = await primary();
    s.revokeScopes('calendar:calendar', 'calendar:calendar.event:create');
    const refused = await apiError(client.calendar.v4.calendarEvent.create({ path: { calendar_id: calendarId }, data: hour }));
    expect(refused.code).toBe(99991672);
    expect(refused.msg).toContain('calendar:calendar.event:create');
    // Either scope is enough ("开启任一权限即可").
    s.grantScopes('calendar:calendar.event:create');
    const ok = await client.calendar.v4.calendarEvent.create({ path: { calendar_id: calendarId }, data: hour });
    expect(ok.code).toBe(0);
  });
});
