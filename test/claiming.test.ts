import { and, eq, isNull } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { assignments, targets, zones } from '../src/db/schema.js';
import { parseCampaignDefinition } from '../src/domain/campaign.js';
import { presetDefinition } from '../src/domain/presets.js';
import { importRoster } from '../src/roster/import.js';
import { sheetFromValues } from '../src/roster/sheets.js';
import { DEMO_BRANCH_CHAT_ID, demoOpenId } from '../src/demo/seed.js';
import { buttonValue, cardText, cst, startHarness, type Harness } from './helpers/harness.js';

/**
 * Claiming and nominating visit targets (seed 000: 党员教师每人认领10位对象；学生处
 * 向上汇报给党支委登记认领) and reassigning with history, through chat.
 */

const preset = presetDefinition('wei-xingdong', { year: 2027, branchChatId: DEMO_BRANCH_CHAT_ID });
/** The preset with a small quota so the limit is reachable in a test. */
const campaign = parseCampaignDefinition({ ...preset, claiming: { ...preset.claiming, quota: 2 } });

const NOMINATOR = { name: '周敏', mobile: '19900009901', openId: demoOpenId('周敏') };

let h: Harness;
afterEach(async () => h?.close());

/** Adds classes, a nominator and targets to the harness campaign through the roster import. */
async function addRoster(h: Harness) {
  h.standIn.addUser({ openId: NOMINATOR.openId, name: NOMINATOR.name, mobile: NOMINATOR.mobile });
  const students = [
    { name: '林小雨', className: '2026级会计1班', category: '送爱上门', subKind: '留守学生', phone: '19900011111', address: '示范市滨江路8号' },
    { name: '陈子豪', className: '2026级会计1班', category: '送爱上门', subKind: '单亲家庭学生', phone: '19900011112', address: '示范市滨江路9号' },
    { name: '吴佳怡', className: '2026级机电1班', category: '送奖上门', subKind: '学习之星', phone: '19900011113', address: '示范市东园路1号' },
    { name: '郑浩然', className: '2026级机电1班', category: '送教上门', subKind: '反复违纪学生', phone: '19900011114', address: '示范市东园路2号' },
  ];
  const report = await importRoster(
    [
      sheetFromValues('classes', [{ name: '2026级会计1班' }, { name: '2026级机电1班' }]),
      sheetFromValues('members', [{ name: NOMINATOR.name, mobile: NOMINATOR.mobile, roles: '推荐人', department: '学生处' }]),
      sheetFromValues(
        'targets',
        students.map((s) => ({ kind: '学生家庭', parentName: `${s.name.slice(0, 1)}家长`, reason: '保密的情况说明', ...s })),
      ),
    ],
    {
      db: h.db,
      campaign,
      now: h.clock.now(),
      lookup: async ({ mobiles = [] }) => mobiles.map((m) => ({ mobile: m, openId: m === NOMINATOR.mobile ? NOMINATOR.openId : undefined })),
    },
  );
  expect(report.problems).toEqual([]);
  return students;
}

/** Every 认领 button's value on a card, in order. */
function claimValues(card: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, any>;
      if (o.tag === 'button' && o.text?.content === '认领') found.push(o.behaviors[0].value);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return found;
}

const latest = (h: Harness, name: string) => h.cardsTo(name).at(-1)!;
const current = (h: Harness, messageId: string) => h.standIn.messages().find((m) => m.messageId === messageId)!;
const heldBy = (h: Harness, name: string) =>
  h.db
    .select({ name: targets.name })
    .from(assignments)
    .innerJoin(targets, eq(targets.id, assignments.subjectId))
    .where(
      and(
        eq(assignments.subjectType, 'target'),
        isNull(assignments.endedAt),
        eq(assignments.personId, h.db.$client.prepare('SELECT id FROM people WHERE name = ?').pluck().get(name) as number),
      ),
    )
    .all()
    .map((r) => r.name);

describe('claiming visit targets', () => {
  it('lists only class and category, shows a claimed target to its claimer, and enforces the quota', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2027-04-12T10:00:00'), campaign });
    const students = await addRoster(h);

    await h.say('刘芳', '/认领');
    const list = latest(h, '刘芳');
    const text = cardText(list.content);
    expect(text).toContain('认领走访对象 · 已认领 0/2');
    expect(text).toMatch(/(^|\n)1\. 2026级会计1班 · 学生家庭 · 送爱上门/); // rows are numbered
    expect(text).toContain('2 位');
    // Claiming runs for weeks, longer than the card's buttons work.
    expect(text).toContain('14 天后请输入 /认领 重新打开');
    // Nothing a claimer does not need: no names, phones, addresses, sub-kinds or reasons.
    for (const s of students) for (const secret of [s.name, s.phone, s.address, s.subKind]) expect(text).not.toContain(secret);
    expect(text).not.toContain('保密的情况说明');

    const first = await h.click('刘芳', list.messageId, '认领');
    expect(first.toast?.type).toBe('success');
    expect(first.toast?.content).toMatch(/^已认领：/);
    const after = cardText(first.card);
    expect(after).toContain('已认领 1/2');
    expect(after).toMatch(/1\. (林小雨|陈子豪) · 2026级会计1班 · 送爱上门·(留守学生|单亲家庭学生)/);

    // A second click on the old card's button finds the target already yours.
    const again = await h.standIn.clickCard({ messageId: list.messageId, operatorOpenId: h.openId('刘芳'), value: buttonValue(list.content, '认领') });
    expect(again.toast?.content).toBe('这位对象已在你的名单中。');
    const spare = claimValues(first.card)[1]!; // another group's button, kept from an older card
    await h.click('刘芳', list.messageId, '认领');
    const third = await h.standIn.clickCard({ messageId: list.messageId, operatorOpenId: h.openId('刘芳'), value: spare });
    expect(third.toast?.type).toBe('warning');
    expect(third.toast?.content).toContain('达到每人 2 位的上限');
    expect(cardText(third.card)).toContain('你已认领满 2 位');
    expect(heldBy(h, '刘芳')).toHaveLength(2);

    // Giving one back frees it for others.
    const released = await h.click('刘芳', list.messageId, '退回');
    expect(released.toast?.content).toContain('已退回');
    expect(heldBy(h, '刘芳')).toHaveLength(1);

    // /进度 shows what is claimed and how many are still to claim.
    await h.say('刘芳', '/进度');
    const progress = cardText(latest(h, '刘芳').content);
    expect(progress).toContain('**走访对象** · 已认领 **1/2**');
    expect(progress).toContain('还需认领 1 位');
    expect(progress).toContain(heldBy(h, '刘芳')[0]);
    // The term's visits are counted against the two to claim, not the one claimed so far.
    expect(progress).toContain('认领对象：已走访 **0/2** 位（已认领 1 位，还需认领 1 位）');
    // A party teacher who has claimed nothing owes the same two.
    await h.say('黄志强', '/进度');
    expect(cardText(latest(h, '黄志强').content)).toContain('认领对象：已走访 **0/2** 位（已认领 0 位，还需认领 2 位）');
  });

  it('lets exactly one of two teachers claiming the same target at once win; the other is told clearly', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2027-04-12T10:00:00'), campaign });
    await addRoster(h);
    await h.say('刘芳', '/认领 送奖上门');
    await h.say('黄志强', '/认领 送奖上门');
    const a = latest(h, '刘芳');
    const b = latest(h, '黄志强');
    expect(cardText(a.content)).toContain('送奖上门，共 1 位');
    const value = buttonValue(a.content, '认领');
    expect(buttonValue(b.content, '认领')).toEqual(value);

    const [ra, rb] = await Promise.all([
      h.standIn.clickCard({ messageId: a.messageId, operatorOpenId: h.openId('刘芳'), value }),
      h.standIn.clickCard({ messageId: b.messageId, operatorOpenId: h.openId('黄志强'), value }),
    ]);
    const results = [ra, rb].map((r) => r.toast?.type).sort();
    expect(results).toEqual(['success', 'warning']);
    const loser = ra.toast?.type === 'warning' ? ra : rb;
    const winner = ra.toast?.type === 'warning' ? '黄志强' : '刘芳';
    expect(loser.toast?.content).toContain(`刚刚被 ${winner} 老师认领了`);
    expect(cardText(loser.card)).toContain('“送奖上门”下暂无可认领的对象');
    expect(h.db.select().from(assignments).where(eq(assignments.subjectType, 'target')).all()).toHaveLength(1);
  });

  it('takes a nomination from the student office, has the admin confirm it, then makes it claimable', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2027-04-12T10:00:00'), campaign });
    await addRoster(h);
    await h.standIn.sendText(NOMINATOR.openId, '/推荐');
    await h.settle();
    const form = h.standIn
      .messagesTo(NOMINATOR.openId)
      .filter((m) => m.msgType === 'interactive')
      .at(-1)!;
    expect(cardText(form.content)).toContain('推荐走访对象');

    const typed = {
      kind: 'student-family',
      category: 'care',
      class_name: '2026级汽修9班',
      name: '赵一鸣',
      sub_kind: '留守学生',
      parent_name: '赵先生',
      phone: '19900012345',
      address: '示范市北路3号',
      reason: '父母在外务工',
    };
    const clickSubmit = (formValue: Record<string, unknown>) =>
      h.standIn.clickCard({
        messageId: form.messageId,
        operatorOpenId: NOMINATOR.openId,
        value: buttonValue(current(h, form.messageId).content, '提交推荐 Submit'),
        formValue,
      });
    const bad = await clickSubmit(typed);
    expect(bad.toast?.type).toBe('error');
    expect(bad.toast?.content).toContain('未登记的班级“2026级汽修9班”');
    expect(cardText(bad.card)).toContain('赵一鸣'); // what was typed stays on the card
    expect(h.db.select().from(targets).where(eq(targets.name, '赵一鸣')).all()).toHaveLength(0);

    const ok = await clickSubmit({ ...typed, class_name: '2026级机电1班' });
    expect(ok.toast?.type).toBe('success');
    await h.settle();
    const review = latest(h, '陈立华');
    expect(cardText(review.content)).toContain('走访对象推荐 · 待确认');
    expect(cardText(review.content)).toContain('赵一鸣 · 2026级机电1班');
    // Not claimable until confirmed.
    await h.say('刘芳', '/认领 2026级机电1班');
    expect(cardText(latest(h, '刘芳').content)).toContain('共 2 位');

    const confirmValue = buttonValue(review.content, '确认登记');
    const confirmed = await h.click('陈立华', review.messageId, '确认登记');
    expect(confirmed.toast?.content).toContain('已确认登记');
    expect(cardText(confirmed.card)).toContain('已确认登记（陈立华）');
    await h.settle();
    expect(
      h.standIn
        .messagesTo(NOMINATOR.openId)
        .filter((m) => m.msgType === 'text' && m.sender.kind === 'app')
        .at(-1)!.content.text,
    ).toContain('已由党支部确认登记');

    await h.say('刘芳', '/认领 2026级机电1班');
    expect(cardText(latest(h, '刘芳').content)).toContain('共 3 位');
    // A second click (a stale card, another admin) changes nothing.
    const again = await h.standIn.clickCard({ messageId: review.messageId, operatorOpenId: h.openId('陈立华'), value: confirmValue });
    expect(again.toast?.content).toContain('已经处理过了');
  });

  it('refuses claiming to people without the party-teacher role and nominating to people without the nominator role', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2027-04-12T10:00:00'), campaign });
    await addRoster(h);
    await h.standIn.sendText(NOMINATOR.openId, '/认领');
    await h.say('刘芳', '/推荐');
    await h.settle();
    const nominatorTexts = h.standIn.messagesTo(NOMINATOR.openId).filter((m) => m.msgType === 'text' && m.sender.kind === 'app');
    expect(nominatorTexts.at(-1)!.content.text).toContain('认领走访对象由党员教师进行');
    expect(h.textsTo('刘芳').at(-1)).toContain('推荐走访对象由推荐人（学生处）提交');
  });
});

describe('a digest and the claims made after it', () => {
  it('re-run, says what it said at its cut-off: a claim made since does not change it', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2027-04-19T10:00:00'), campaign });
    await addRoster(h);
    const weekly = () =>
      h.standIn
        .messagesIn(DEMO_BRANCH_CHAT_ID)
        .filter((m) => m.msgType === 'interactive')
        .map((m) => cardText(m.content))
        .filter((t) => t.includes('党支部周报') && t.includes('统计截至 2027-04-19 09:00'));
    // (The bot's start already sent one, before the roster was imported; this is the one with the roster.)
    await h.bot.scheduler.run('digest', h.clock.now(), { onDemand: true, post: true });
    await h.settle();
    const first = weekly().at(-1)!;
    expect(first).toContain('认领对象：已走访 **0/12** 位');

    // After the cut-off, 刘芳 and 陈立华 claim the whole pool: nobody else could claim any more now.
    h.clock.set(cst('2027-04-19T11:00:00'));
    for (const name of ['刘芳', '陈立华']) {
      await h.say(name, '/认领');
      for (let i = 0; i < 2; i++) expect((await h.click(name, latest(h, name).messageId, '认领')).toast?.type).toBe('success');
      expect(heldBy(h, name)).toHaveLength(2);
    }

    await h.bot.scheduler.run('digest', h.clock.now(), { onDemand: true, post: true });
    await h.settle();
    expect(weekly().at(-1)).toBe(first);
  });
});

describe('/改派 reassigning with history', () => {
  it('moves a zone to another cadre, keeps the history, tells both, and only admins may do it', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2027-04-12T10:00:00'), campaign });
    await h.say('王建国', '/改派 责任区 田径场及看台 张伟');
    expect(h.textsTo('王建国').at(-1)).toContain('仅限党支部管理员使用');

    await h.say('陈立华', '/改派 责任区 田径场及看台 张伟 产假代班');
    const answer = h.textsTo('陈立华').at(-1)!;
    expect(answer).toContain('已改派：责任区「田径场及看台」 从 李秀英 改派给 张伟（产假代班），双方已收到通知。');
    expect(answer).toMatch(/李秀英：04-12 起，04-12 止（产假代班）/);
    expect(answer).toMatch(/张伟：04-12 起（当前）/);
    expect(h.textsTo('张伟').at(-1)).toContain('已安排你负责责任区「田径场及看台」（产假代班）');
    expect(h.textsTo('李秀英').at(-1)).toContain('已改由 张伟 负责');
    const zone = h.db.select().from(zones).where(eq(zones.name, '田径场及看台')).get()!;
    const rows = h.db
      .select()
      .from(assignments)
      .where(and(eq(assignments.subjectType, 'zone'), eq(assignments.subjectId, zone.id)))
      .all();
    expect(rows.map((r) => [r.endedAt === null, r.endReason])).toEqual([
      [false, '产假代班'],
      [true, null],
    ]);

    await h.say('陈立华', '/名单');
    const status = cardText(h.cardsTo('陈立华').at(-1)!.content);
    expect(status).toContain('责任区：4 个，均有负责人');
    expect(status).toContain('认领：党员教师 6 人，已认满 2 位 0 人');

    await h.say('陈立华', '/改派 责任区 不存在的区 张伟');
    expect(h.textsTo('陈立华').at(-1)).toContain('没有名为“不存在的区”的责任区');
    await h.say('陈立华', '/改派 宿舍');
    expect(h.textsTo('陈立华').at(-1)).toContain('用法');
  });
});
