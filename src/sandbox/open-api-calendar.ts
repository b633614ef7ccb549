/**
 * The Open API's calendar (日历 v4) as the bot uses it with the app's identity:
 * "查询主日历信息", "创建日程", "更新日程", "删除日程" and "添加日程参与人". The
 * app has one primary calendar of its own; events live there. Shapes, checks
 * and error codes as those pages document them: 190002 for a bad request body,
 * 191000/191001 for a calendar that is unknown or not a calendar id, 193000/193001/193003
 * for an event id that is malformed, unknown or deleted, 194004 for an attendee
 * type that does not exist, 195100 for a user not in the tenant. The scopes are
 * the gateway's to check (any one of `calendar:calendar` and the API's own).
 */
import { randomUUID } from 'node:crypto';
import type express from 'express';
import type { Request, Response } from 'express';
import type { StandInContext } from './context.js';
import { ApiError, ok, route } from './http.js';
import { digest, isObject, queryString } from './util.js';

export interface TimeInfo {
  date?: string;
  timestamp?: string;
  timezone?: string;
}

export interface StandInAttendee {
  type: 'user' | 'chat' | 'resource' | 'third_party';
  attendee_id: string;
  rsvp_status: 'needs_action';
  is_optional: boolean;
  is_organizer: boolean;
  is_external: boolean;
  display_name: string;
  user_id?: string;
  chat_id?: string;
  room_id?: string;
  third_party_email?: string;
}

/** An event as the stand-in keeps it, with its attendees. */
export interface StandInEvent {
  event_id: string;
  organizer_calendar_id: string;
  summary: string;
  description: string;
  start_time: TimeInfo;
  end_time: TimeInfo;
  visibility: 'default' | 'public' | 'private';
  attendee_ability: 'none' | 'can_see_others' | 'can_invite_others' | 'can_modify_event';
  free_busy_status: 'busy' | 'free';
  location?: { name?: string; address?: string; latitude?: number; longitude?: number };
  status: 'confirmed' | 'cancelled';
  attendees: StandInAttendee[];
  /** Bot notifications the attendees got about this event (created, updated, cancelled), as Feishu sends them. */
  notifications: number;
}

const VISIBILITY = ['default', 'public', 'private'];
const ABILITY = ['none', 'can_see_others', 'can_invite_others', 'can_modify_event'];
const FREE_BUSY = ['busy', 'free'];
const ATTENDEE_TYPES = ['user', 'chat', 'resource', 'third_party'];
/** "日程资源介绍": summary at most 1000 characters, description at most 40960. */
const SUMMARY_MAX = 1000;
const DESCRIPTION_MAX = 40960;
const EVENT_ID = /^[0-9a-f-]{36}_\d+$/;

const invalid = (why: string) => new ApiError(400, 190002, 'invalid parameters in request', `calendar: ${why}`);

export class CalendarApi {
  readonly calendarId: string;
  private readonly events = new Map<string, StandInEvent>();
  private readonly byIdempotencyKey = new Map<string, string>();

  constructor(private readonly ctx: StandInContext) {
    this.calendarId = `feishu.cn_${digest(`calendar:${ctx.opts.appId}`, 24)}@group.calendar.feishu.cn`;
  }

  /** Every event of the app's calendar, deleted ones included (status `cancelled`); copies. */
  list(): StandInEvent[] {
    return [...this.events.values()].map((e) => structuredClone(e));
  }

  mount(app: express.Express): void {
    app.post(
      '/open-apis/calendar/v4/calendars/primary',
      route((_req, res) => this.primary(res)),
    );
    app.post(
      '/open-apis/calendar/v4/calendars/:calendar_id/events',
      route((req, res) => this.create(req, res)),
    );
    app.patch(
      '/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id',
      route((req, res) => this.patch(req, res)),
    );
    app.delete(
      '/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id',
      route((req, res) => this.remove(req, res)),
    );
    app.post(
      '/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id/attendees',
      route((req, res) => this.addAttendees(req, res)),
    );
  }

  private calendarOf(req: Request): void {
    const id = String(req.params['calendar_id']);
    if (id === this.calendarId) return;
    // Something shaped like a calendar id that is not here, or not a calendar id at all.
    if (/^[^@\s]+@[^@\s]*calendar[^@\s]*$/.test(id)) throw new ApiError(404, 191000, 'calendar not found', `calendar: ${id}`);
    throw new ApiError(400, 191001, 'invalid calendar_id', `calendar: ${id}`);
  }

  private eventOf(req: Request): StandInEvent {
    this.calendarOf(req);
    const id = String(req.params['event_id']);
    if (!EVENT_ID.test(id)) throw new ApiError(400, 193000, 'invalid event_id', `event: ${id}`);
    const e = this.events.get(id);
    if (!e) throw new ApiError(404, 193001, 'event not found', `event: ${id}`);
    if (e.status === 'cancelled') throw new ApiError(403, 193003, 'event is deleted', `event: ${id}`);
    return e;
  }

  private primary(res: Response): void {
    ok(res, {
      calendars: [
        {
          calendar: {
            calendar_id: this.calendarId,
            summary: this.ctx.opts.appName,
            description: '',
            permissions: 'private',
            color: -1,
            type: 'primary',
            summary_alias: '',
            is_deleted: false,
            is_third_party: false,
            role: 'owner',
          },
          user_id: this.ctx.state.botOpenId,
        },
      ],
    });
  }

  private create(req: Request, res: Response): void {
    this.calendarOf(req);
    const body = isObject(req.body) ? req.body : {};
    const key = queryString(req, 'idempotency_key');
    // The same request retried with its idempotency key creates one event.
    const earlier = key ? this.events.get(this.byIdempotencyKey.get(key) ?? '') : undefined;
    if (earlier) {
      ok(res, { event: view(earlier) });
      return;
    }
    if (body['start_time'] === undefined || body['end_time'] === undefined) throw invalid('start_time and end_time are required');
    const start = timeInfo(body['start_time'], 'start_time');
    const end = timeInfo(body['end_time'], 'end_time');
    checkSpan(start, end);
    const event: StandInEvent = {
      event_id: `${randomUUID()}_0`,
      organizer_calendar_id: this.calendarId,
      summary: text(body['summary'], 'summary', SUMMARY_MAX) ?? '',
      description: text(body['description'], 'description', DESCRIPTION_MAX) ?? '',
      start_time: start,
      end_time: end,
      visibility: oneOf(body['visibility'], VISIBILITY, 'visibility') ?? 'default',
      attendee_ability: oneOf(body['attendee_ability'], ABILITY, 'attendee_ability') ?? 'none',
      free_busy_status: oneOf(body['free_busy_status'], FREE_BUSY, 'free_busy_status') ?? 'busy',
      location: location(body['location']),
      status: 'confirmed',
      attendees: [],
      notifications: 0,
    } as StandInEvent;
    this.events.set(event.event_id, event);
    if (key) this.byIdempotencyKey.set(key, event.event_id);
    ok(res, { event: view(event) });
  }

  private patch(req: Request, res: Response): void {
    const e = this.eventOf(req);
    const body = isObject(req.body) ? req.body : {};
    const start = body['start_time'] === undefined ? e.start_time : timeInfo(body['start_time'], 'start_time');
    const end = body['end_time'] === undefined ? e.end_time : timeInfo(body['end_time'], 'end_time');
    checkSpan(start, end);
    const summary = text(body['summary'], 'summary', SUMMARY_MAX);
    const description = text(body['description'], 'description', DESCRIPTION_MAX);
    const visibility = oneOf(body['visibility'], VISIBILITY, 'visibility');
    const ability = oneOf(body['attendee_ability'], ABILITY, 'attendee_ability');
    const place = body['location'] === undefined ? e.location : location(body['location']);
    Object.assign(e, {
      start_time: start,
      end_time: end,
      summary: summary ?? e.summary,
      description: description ?? e.description,
      visibility: visibility ?? e.visibility,
      attendee_ability: ability ?? e.attendee_ability,
      location: place,
    });
    if (body['need_notification'] !== false) e.notifications += 1;
    ok(res, { event: view(e) });
  }

  private remove(req: Request, res: Response): void {
    const e = this.eventOf(req);
    const notify = queryString(req, 'need_notification');
    if (notify !== undefined && notify !== 'true' && notify !== 'false') throw invalid('need_notification must be true or false');
    e.status = 'cancelled';
    if (notify !== 'false') e.notifications += 1;
    ok(res, {});
  }

  private addAttendees(req: Request, res: Response): void {
    const e = this.eventOf(req);
    const idType = queryString(req, 'user_id_type') ?? 'open_id';
    if (!['open_id', 'user_id', 'union_id'].includes(idType)) throw invalid('user_id_type must be open_id, user_id or union_id');
    const body = isObject(req.body) ? req.body : {};
    const list = body['attendees'] ?? [];
    if (!Array.isArray(list)) throw invalid('attendees must be an array');
    if (list.length > 1000) throw invalid('at most 1000 attendees per request');
    const added: StandInAttendee[] = [];
    for (const a of list) {
      if (!isObject(a)) throw invalid('each attendee must be an object');
      const type = a['type'];
      if (typeof type !== 'string' || !ATTENDEE_TYPES.includes(type))
        throw new ApiError(400, 194004, 'invalid attendee type', `attendee type: ${String(type)}`);
      const base = { rsvp_status: 'needs_action' as const, is_optional: a['is_optional'] === true, is_organizer: false, is_external: false };
      if (type === 'user') {
        const id = a['user_id'];
        if (typeof id !== 'string' || !id) throw invalid('user_id is required for a user attendee');
        const user = this.ctx.state.userRecords().find((u) => this.ctx.state.idOf(u.openId, idType) === id);
        if (!user) throw new ApiError(404, 195100, 'user is dismiss or not exist in the tenant', `user: ${id}`);
        if (e.attendees.some((x) => x.type === 'user' && x.user_id === id)) continue;
        added.push({ ...base, type, attendee_id: `user_${digest(`${e.event_id}:${id}`, 16)}`, display_name: user.name, user_id: id });
      } else if (type === 'chat') {
        const id = a['chat_id'];
        if (typeof id !== 'string' || !this.ctx.state.chat(id)) throw invalid('chat_id must name an existing group');
        added.push({ ...base, type, attendee_id: `chat_${digest(`${e.event_id}:${id}`, 16)}`, display_name: this.ctx.state.chat(id)?.name ?? '', chat_id: id });
      } else if (type === 'resource') {
        const id = a['room_id'];
        if (typeof id !== 'string' || !id) throw invalid('room_id is required for a resource attendee');
        added.push({ ...base, type, attendee_id: `resource_${digest(`${e.event_id}:${id}`, 16)}`, display_name: id, room_id: id });
      } else {
        const email = a['third_party_email'];
        if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) throw invalid('third_party_email is required for a third_party attendee');
        added.push({
          ...base,
          type: 'third_party',
          attendee_id: `third_party_${digest(`${e.event_id}:${email}`, 16)}`,
          display_name: email,
          third_party_email: email,
          is_external: true,
        });
      }
    }
    e.attendees.push(...added);
    if (added.length && body['need_notification'] !== false) e.notifications += 1;
    ok(res, { attendees: e.attendees });
  }
}

/** An event as the API answers it (attendees are their own resource). */
function view(e: StandInEvent) {
  const { attendees: _a, notifications: _n, ...rest } = e;
  return {
    ...rest,
    app_link: `https://applink.feishu.cn/client/calendar/event/detail?calendarId=${encodeURIComponent(e.organizer_calendar_id)}&key=${e.event_id}`,
  };
}

function text(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string`);
  if ([...v].length > max) throw invalid(`${field} is longer than ${max} characters`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly string[], field: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v)) throw invalid(`${field} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function location(v: unknown): StandInEvent['location'] {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw invalid('location must be an object');
  const name = text(v['name'], 'location.name', 512);
  const address = text(v['address'], 'location.address', 255);
  return { ...(name !== undefined ? { name } : {}), ...(address !== undefined ? { address } : {}) };
}

/** A time is a whole day (`date`) or an instant (`timestamp`, seconds), with an IANA time zone. */
function timeInfo(v: unknown, field: string): TimeInfo {
  if (!isObject(v)) throw invalid(`${field} must be an object`);
  const { date, timestamp, timezone } = v as TimeInfo;
  if (date === undefined && timestamp === undefined) throw invalid(`${field} needs date or timestamp`);
  if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(date))) throw invalid(`${field}.date must be YYYY-MM-DD`);
  if (timestamp !== undefined && !/^\d{1,10}$/.test(String(timestamp))) throw invalid(`${field}.timestamp must be a Unix time in seconds`);
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: String(timezone) });
    } catch {
      throw invalid(`${field}.timezone is not a time zone`);
    }
  }
  return { ...(date !== undefined ? { date } : {}), ...(timestamp !== undefined ? { timestamp } : {}), timezone: timezone ?? 'Asia/Shanghai' };
}

/** Both ends of one kind (whole days or instants), the end after the start. */
function checkSpan(start: TimeInfo, end: TimeInfo): void {
  if ((start.date === undefined) !== (end.date === undefined)) throw invalid('start_time and end_time must both be dates or both timestamps');
  const at = (t: TimeInfo) => (t.timestamp !== undefined ? Number(t.timestamp) * 1000 : Date.parse(`${t.date}T00:00:00Z`));
  const ok = start.date !== undefined ? at(end) >= at(start) : at(end) > at(start);
  if (!ok) throw invalid('end_time must be after start_time');
}
