import { eq } from 'drizzle-orm';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { leaves, ledgerItems, people, records, recordVisitors, zones } from '../../src/db/schema.js';
import { cardText, type Harness } from '../helpers/harness.js';
import { RECORDS_CAMPAIGN, dormId, startRecordsHarness, targetId } from '../records/fixtures.js';

/**
 * Every command and every card action, tried as the one it belongs to, another
 * teacher, a cadre and the admin: only the allowed succeed. A card action is
 * sent from a card in the clicker's own chat with the value forged, as a
 * forwarded or tampered card would arrive; the bot must not trust the value.
 *
 * The cast (test/records/fixtures.ts): 陈立华 admin; 王建国 a cadre who owns the
 * zone 教学楼A栋一至三楼; 刘芳 and 黄志强 care for dorm 7号楼203; 刘芳 visits
 * 孙小红, 黄志强 visits 周小刚.
 */

type Actor = '陈立华' | '王建国' | '刘芳' | '黄志强';
const ACTORS: Actor[] = ['陈立华', '王建国', '刘芳', '黄志强'];

let h: Harness;
const id = (name: string) => h.db.select().from(people).where(eq(people.name, name)).get()!.id;

beforeAll(async () => {
  h = await startRecordsHarness();
});
afterAll(async () => {
  await h?.close();
});

/** What a person gets back for a command: the last text or card in their chat after saying it. */
async function answerTo(name: Actor, text: string): Promise<string> {
  const before = h.standIn.messagesTo(h.openId(name)).length;
  await h.say(name, text);
  const mine = h.standIn
    .messagesTo(h.openId(name))
    .slice(before)
    .filter((m) => m.sender.kind === 'app');
  return mine.map((m) => (m.msgType === 'text' ? String(m.content.text) : cardText(m.content))).join('\n');
}

const ADMIN_ONLY = ['/汇总', '/催办', '/谁没交', '/请假', '/导出 张伟', '/改派', '/名单'];
const EVERYONE = ['/进度', '/帮助', '/走访', '/宿舍', '/体验', '/心得', '/台账', '/献计'];

describe('commands', () => {
  for (const command of ADMIN_ONLY) {
    it(`${command}: the admin only`, async () => {
      for (const who of ACTORS) {
        const answer = await answerTo(who, command);
        if (who === '陈立华') expect(answer, `${who} ${command}`).not.toContain('仅限党支部管理员使用');
        else expect(answer, `${who} ${command}`).toContain('仅限党支部管理员使用');
      }
    });
  }
  for (const command of EVERYONE) {
    it(`${command}: everyone on the roster gets their own answer`, async () => {
      for (const who of ACTORS) {
        const answer = await answerTo(who, command);
        expect(answer.length, `${who} ${command}`).toBeGreaterThan(0);
        expect(answer, `${who} ${command}`).not.toContain('仅限党支部管理员使用');
        expect(answer, `${who} ${command}`).not.toContain('出了问题');
      }
    });
  }
});

/** A card in the clicker's own chat, to send a forged value from. */
async function ownCard(name: Actor): Promise<string> {
  await h.say(name, '/帮助');
  return (
    h.cardsTo(name).at(-1)?.messageId ??
    h.standIn
      .messagesTo(h.openId(name))
      .filter((m) => m.sender.kind === 'app')
      .at(-1)!.messageId
  );
}

async function click(name: Actor, value: Record<string, unknown>, formValue?: Record<string, unknown>) {
  const messageId = await ownCard(name);
  const r = await h.standIn.clickCard({ messageId, operatorOpenId: h.openId(name), value, formValue });
  expect(r.error, `${name} ${String(value.action)}: callback failed`).toBeUndefined();
  return r;
}

const refused = (r: { toast?: { type: string } }) => r.toast?.type === 'error';

interface Row {
  action: string;
  value: () => Record<string, unknown>;
  form?: Record<string, unknown>;
  allowed: Actor[];
  /** How to tell it happened, for the allowed (beyond a toast that is not an error). */
  effect?: () => boolean;
}

describe('card actions', () => {
  const campaignId = RECORDS_CAMPAIGN.id;
  /** A record 刘芳 filed, stored the way a submission stores it. */
  const filedIds = new Map<string, number>();
  const filed = (form: 'visit' | 'dorm-check' | 'reflection') => {
    let recordId = filedIds.get(form);
    if (recordId) return recordId;
    const subject =
      form === 'visit'
        ? { type: 'target' as const, id: targetId(h, '孙小红') }
        : form === 'dorm-check'
          ? { type: 'dorm' as const, id: dormId(h) }
          : { type: 'person' as const, id: id('刘芳') };
    const now = h.clock.now();
    recordId = h.db
      .insert(records)
      .values({
        campaignId,
        form,
        subjectType: subject.type,
        subjectId: subject.id,
        periodKey: form === 'visit' ? null : form === 'dorm-check' ? 'wk-2026-11-16' : 'term-1',
        authorId: id('刘芳'),
        occurredOn: '2026-11-17',
        data: {},
        submittedAt: now,
        late: false,
        revision: 1,
        updatedAt: now,
      })
      .returning()
      .get().id;
    h.db
      .insert(recordVisitors)
      .values({ recordId, personId: id('刘芳'), role: 'author' })
      .run();
    filedIds.set(form, recordId);
    return recordId;
  };
  const zoneId = () => h.db.select().from(zones).where(eq(zones.name, '教学楼A栋一至三楼')).get()!.id;
  const rows: Row[] = [
    { action: 'zone-report.open', value: () => ({ action: 'zone-report.open', campaignId, zoneId: zoneId(), weekNo: 1 }), allowed: ['王建国'] },
    {
      action: 'zone-report.submit',
      value: () => ({ action: 'zone-report.submit', campaignId, zoneId: zoneId(), weekNo: 1, baseRevision: 0 }),
      form: { overall_state: '整洁', student_talks: '谈了两位' },
      allowed: ['王建国'],
    },
    { action: 'dorm-check.open', value: () => ({ action: 'dorm-check.open', campaignId, dormId: dormId(h) }), allowed: ['刘芳', '黄志强'] },
    { action: 'dorm-record.open', value: () => ({ action: 'dorm-record.open', campaignId, dormId: dormId(h) }), allowed: ['刘芳', '黄志强'] },
    { action: 'visit.open (孙小红)', value: () => ({ action: 'visit.open', campaignId, targetId: targetId(h, '孙小红') }), allowed: ['刘芳'] },
    { action: 'visit.open (周小刚)', value: () => ({ action: 'visit.open', campaignId, targetId: targetId(h, '周小刚') }), allowed: ['黄志强'] },
    { action: 'reflection.open', value: () => ({ action: 'reflection.open', campaignId }), allowed: ACTORS },
    { action: 'visit.edit (刘芳’s visit to 孙小红)', value: () => ({ action: 'visit.edit', recordId: filed('visit') }), allowed: ['刘芳'] },
    { action: 'dorm-check.edit (7号楼203)', value: () => ({ action: 'dorm-check.edit', recordId: filed('dorm-check') }), allowed: ['刘芳', '黄志强'] },
    { action: 'reflection.edit (刘芳’s)', value: () => ({ action: 'reflection.edit', recordId: filed('reflection') }), allowed: ['刘芳'] },
  ];
  for (const row of rows) {
    it(`${row.action}: ${row.allowed.join('、')}`, async () => {
      for (const who of ACTORS) {
        const r = await click(who, row.value(), row.form);
        expect(refused(r), `${who} ${row.action}: ${r.toast?.content}`).toBe(!row.allowed.includes(who));
        // A refusal never shows the family's details.
        if (!row.allowed.includes(who)) expect(JSON.stringify(r)).not.toContain('13900001111');
      }
    });
  }

  it('ledger: the owner works an item, the admin closes it out; nobody else touches it', async () => {
    const item = h.db
      .insert(ledgerItems)
      .values({
        campaignId,
        source: 'manual',
        raisedBy: 'teacher',
        text: '走廊灯坏了',
        ownerId: id('刘芳'),
        createdBy: id('陈立华'),
        status: 'open',
        createdAt: h.clock.now(),
        updatedAt: h.clock.now(),
      })
      .returning()
      .get();
    const v = (action: string) => ({ action: `ledger.${action}`, itemId: item.id });
    for (const who of ['王建国', '黄志强'] as Actor[]) {
      expect(refused(await click(who, v('view'))), `${who} view`).toBe(true);
      expect(refused(await click(who, v('accept'))), `${who} accept`).toBe(true);
    }
    expect(refused(await click('陈立华', v('accept'))), 'the admin does not accept for the owner').toBe(true);
    expect(refused(await click('刘芳', v('accept')))).toBe(false);
    expect(refused(await click('刘芳', v('resolve'), { note: '已报修' }))).toBe(false);
    expect(refused(await click('刘芳', v('close'))), 'the owner does not close out their own item').toBe(true);
    expect(refused(await click('陈立华', v('close')))).toBe(false);
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, item.id)).get()!.status).toBe('closed');
  });

  it('suggestions are promoted, and leaves removed, by the admin only', async () => {
    await h.say('黄志强', '/献计 食堂增加一个窗口');
    const suggestion = h.db.select().from(records).where(eq(records.form, 'suggestion')).all().at(-1)!;
    await h.say('陈立华', '/请假 黄志强 11-20 11-22');
    const leave = h.db.select().from(leaves).all().at(-1)!;
    for (const who of ['王建国', '刘芳', '黄志强'] as Actor[]) {
      expect(refused(await click(who, { action: 'suggestion.promote', recordId: suggestion.id })), who).toBe(true);
      expect(refused(await click(who, { action: 'leave.remove', leaveId: leave.id })), who).toBe(true);
    }
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.recordId, suggestion.id)).all()).toHaveLength(0);
    expect(h.db.select().from(leaves).where(eq(leaves.id, leave.id)).all()).toHaveLength(1);
    expect(refused(await click('陈立华', { action: 'suggestion.promote', recordId: suggestion.id }))).toBe(false);
    expect(refused(await click('陈立华', { action: 'leave.remove', leaveId: leave.id }))).toBe(false);
    expect(h.db.select().from(leaves).where(eq(leaves.id, leave.id)).all()).toHaveLength(0);
  });
});
