import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { leaves, ledgerItems, people, targets } from '../src/db/schema.js';
import { parseCampaignDefinition } from '../src/domain/campaign.js';
import { presetDefinition } from '../src/domain/presets.js';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { setHolders } from '../src/db/assignments.js';
import { validateCardContent } from '../src/sandbox/cards.js';
import { cardButtons, cardText, cst, startHarness, type Harness } from './helpers/harness.js';
import { autumnTerm } from './helpers/term.js';

/**
 * Lists that grow with the school, at a school's and a district's size: every
 * card the admin sees must pass Feishu's limits as the stand-in counts them
 * (200 elements, text elements included; 30 KB), the first card gives counts,
 * 下一页 and the department buttons show the rest, and across the pages every
 * row appears exactly once.
 */

/** A term whose reflection and story were due on 25 December: on the 28th every party member still owes both. */
const TERM = autumnTerm();

const DEPARTMENTS = ['语文组', '数学组', '英语组', '物理组', '化学组', '生物组', '政治组', '历史组', '地理组', '体育组', '艺术组', '信息组'];
const ADMIN = '陈立华';

let h: Harness;
afterEach(async () => h?.close());

/** `n` more party teachers, spread over twelve departments; none has a Feishu account yet. */
function addTeachers(n: number): string[] {
  const names = Array.from({ length: n }, (_, i) => `教师${String(i + 1).padStart(4, '0')}`);
  h.db
    .insert(people)
    .values(
      names.map((name, i) => ({
        name,
        roles: ['party-teacher'],
        department: DEPARTMENTS[i % DEPARTMENTS.length]!,
        mobile: `139${String(i + 1).padStart(8, '0')}`,
      })),
    )
    .run();
  return names;
}
const idOf = (name: string) => h.db.select({ id: people.id }).from(people).where(eq(people.name, name)).get()!.id;

/** The card as the stand-in judges it: it would be refused if this failed. */
function expectAccepted(card: object) {
  const check = validateCardContent(JSON.stringify(card));
  expect(check.ok ? 'accepted' : check.msg).toBe('accepted');
}

/** The "- …" lines of a card's lists. */
const listed = (card: unknown) =>
  cardText(card)
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2));

/** The admin's last card, and a way to press its buttons (each answer replaces the card in place). */
function adminCard() {
  const message = h.cardsTo(ADMIN).at(-1)!;
  return {
    card: message.content as object,
    async press(value: Record<string, unknown>): Promise<object> {
      const r = await h.standIn.clickCard({ messageId: message.messageId, operatorOpenId: h.openId(ADMIN), value });
      expect(r.error).toBeUndefined();
      const card = r.card?.data as object;
      expectAccepted(card);
      return card;
    },
  };
}

/** Follows 下一页 from `first` to the last page. */
async function allPages(press: (v: Record<string, unknown>) => Promise<object>, first: object): Promise<object[]> {
  const pages = [first];
  for (let card = first; ; ) {
    const next = cardButtons(card).find((b) => b.label.startsWith('下一页'));
    if (!next) return pages;
    card = await press(next.value);
    pages.push(card);
    expect(pages.length).toBeLessThan(200);
  }
}

/** `name` sends /认领; the card Feishu accepted, and a way to press its buttons (each answer must be accepted too). */
async function claimList(name: string) {
  await h.say(name, '/认领');
  const message = h.cardsTo(name).at(-1)!;
  expectAccepted(message.content);
  const press = async (value: Record<string, unknown>) => {
    const r = await h.standIn.clickCard({ messageId: message.messageId, operatorOpenId: h.openId(name), value });
    expect(r.error).toBeUndefined();
    expectAccepted(r.card!.data);
    return r.card!.data as object;
  };
  return { message, press };
}

/** Nothing the bot sent was refused for its size. */
const expectNothingRefused = () => expect(h.standIn.calls().filter((c) => c.code === 230099 || c.code === 230025)).toEqual([]);

describe('lists at school scale', { timeout: 90_000 }, () => {
  it('/请假 with 40 leaves: a card Feishu takes (not 241 elements), 下一页 through every leave once, and 撤销 keeps the page', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-02T10:00:00'), campaign: TERM });
    const names = addTeachers(40);
    const admin = idOf(ADMIN);
    h.db
      .insert(leaves)
      .values(
        names.map((name, i) => ({ personId: idOf(name), startOn: `2026-11-${String(3 + (i % 20)).padStart(2, '0')}`, endOn: '2026-11-30', createdBy: admin })),
      )
      .run();

    await h.say(ADMIN, '/请假');
    expectNothingRefused();
    const { card, press } = adminCard();
    expectAccepted(card);
    expect(cardText(card)).toContain('请假与代班 · 40 条');
    expect(cardText(card)).toContain('第 1–10 条，共 40 条');

    const pages = await allPages(press, card);
    expect(pages.length).toBe(4);
    const shown = pages.flatMap((p) => names.filter((n) => cardText(p).includes(`**${n}**`)));
    expect(shown.sort()).toEqual([...names].sort());

    // 撤销 on the third page answers with the third page, one leave shorter.
    const third = await press(cardButtons(pages[1]!).find((b) => b.label.startsWith('下一页'))!.value);
    const revoke = cardButtons(third).find((b) => b.label === '撤销')!;
    const after = await press(revoke.value);
    expect(cardText(after)).toContain('请假与代班 · 39 条');
    expect(cardText(after)).toContain('第 21–30 条，共 39 条');
  });

  it('/谁没交 for 300 teachers: counts per department, each department a page at a time, every line exactly once', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    const names = addTeachers(300);

    await h.say(ADMIN, '/谁没交');
    expectNothingRefused();
    const { card, press } = adminCard();
    expectAccepted(card);
    const total = Number(/尚未完成 · (\d+) 项/.exec(cardText(card))![1]);
    // Each of the 306 party members owes a reflection and a story.
    expect(total).toBe(612);
    expect(cardText(card)).toMatch(/\*\*\S+组\*\* · 25 人 · 50 项/);
    expect(listed(card)).toEqual([]);

    const overview = await allPages(press, card);
    expect(overview.length).toBe(2); // 18 departments, 15 a page
    const groups = overview.flatMap((p) => cardButtons(p).filter((b) => b.label === '查看'));
    expect(groups).toHaveLength(18);
    expect(overview.map(cardText).join('\n')).toContain('**语文组** · 25 人 · 50 项');

    const lines: string[] = [];
    for (const g of groups) {
      const first = await press(g.value);
      expect(cardText(first)).toContain(`**${g.value.group}**`);
      for (const page of await allPages(press, first)) lines.push(...listed(page));
    }
    expect(lines).toHaveLength(total);
    expect(new Set(lines).size).toBe(total);
    for (const n of names) {
      expect(lines.filter((l) => l.startsWith(`${n}：`)).map((l) => l.split(' · ')[0])).toEqual([`${n}：走访心得`, `${n}：感人故事`]);
    }
    // 返回 goes back to the counts.
    const back = cardButtons(await press(groups[0]!.value)).find((b) => b.label.startsWith('返回'))!;
    expect(cardText(await press(back.value))).toContain('按部门统计');
  });

  it('the overdue notice to admins about 300 teachers fits one card and points to the rest', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-30T20:00:00'), campaign: TERM });
    addTeachers(300);
    h.clock.set(cst('2026-12-31T09:30:00'));
    await h.runJob('reminders');
    expectNothingRefused();
    const notice = h.cardsTo(ADMIN).find((m) => cardText(m.content).includes('逾期未完成'))!;
    expectAccepted(notice.content);
    expect(cardText(notice.content)).toMatch(/另有 \d+ 项未列出/);
    expect(cardButtons(notice.content).map((b) => b.value)).toContainEqual({ action: 'behind.groups', offset: 0 });
  });

  it('/名单 with 300 members not yet matched to Feishu: the count, and every name once across the pages', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    const names = addTeachers(300);
    await h.say(ADMIN, '/名单');
    expectNothingRefused();
    const { card, press } = adminCard();
    expectAccepted(card);
    expect(cardText(card)).toContain('未匹配 **300** 人');
    const open = cardButtons(card).find((b) => b.value?.key === 'unmatched')!;
    const pages = await allPages(press, await press(open.value));
    expect(pages.length).toBe(10);
    const shown = pages.flatMap(listed);
    expect(shown.sort()).toEqual([...names].sort());
  });

  it('the ledger admin list and its numbers with 400 items of 200 owners: 下一页 shows every item and every owner once', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    const names = addTeachers(200);
    const ids = names.map(idOf);
    const at = h.clock.now();
    const items = h.db
      .insert(ledgerItems)
      .values(
        ids.flatMap((ownerId) =>
          [1, 2].map((n) => ({
            campaignId: TERM.id,
            source: 'manual' as const,
            raisedBy: 'teacher' as const,
            text: `第${n}件：校车到站时间需要调整，请与家长沟通后处理`,
            ownerId,
            createdBy: ownerId,
            createdAt: at,
            updatedAt: at,
          })),
        ),
      )
      .returning({ id: ledgerItems.id })
      .all();

    await h.say(ADMIN, '/台账 全部');
    expectNothingRefused();
    let { card, press } = adminCard();
    expectAccepted(card);
    expect(cardText(card)).toContain('400 项');
    const pages = await allPages(press, card);
    const shownIds = pages.flatMap((p) => [...cardText(p).matchAll(/\*\*#(\d+)\*\*/g)].map((m) => Number(m[1])));
    expect(shownIds.sort((a, b) => a - b)).toEqual(items.map((i) => i.id).sort((a, b) => a - b));

    await h.say(ADMIN, '/台账 统计');
    ({ card, press } = adminCard());
    expectAccepted(card);
    const owners = (await allPages(press, card)).flatMap((p) => names.filter((n) => cardText(p).includes(`**${n}**`)));
    expect(owners.sort()).toEqual([...names].sort());
  });
});

describe('claiming at school scale', { timeout: 90_000 }, () => {
  it('/认领 with 90 classes of open targets: 下一页 shows every class once, and 认领 answers with the page it was on', async () => {
    const preset = presetDefinition('wei-xingdong', { year: 2027, branchChatId: DEMO_BRANCH_CHAT_ID });
    h = await startHarness({ transport: 'ws', at: cst('2027-04-12T10:00:00'), campaign: preset });
    const classes = Array.from({ length: 90 }, (_, i) => `2026级${['会计', '机电', '电商', '汽修', '护理', '旅游'][i % 6]}${Math.floor(i / 6) + 1}班`);
    const at = h.clock.now();
    h.db
      .insert(targets)
      .values(
        classes.flatMap((className) =>
          ['甲', '乙'].map((n) => ({
            campaignId: preset.id,
            naturalKey: `student:${className}:${n}`,
            kind: 'student-family',
            name: `${className}${n}`,
            className,
            category: preset.targetCategories[0]!.key,
            updatedAt: at,
          })),
        ),
      )
      .run();

    const { message, press } = await claimList('王建国');
    expect(cardText(message.content)).toContain('共 180 位');
    const pages = await allPages(press, message.content as object);
    const shown = pages.flatMap((p) => classes.filter((c) => cardText(p).includes(`${c} · `)));
    expect(shown.sort()).toEqual([...classes].sort());

    const second = await press(cardButtons(pages[0]!).find((b) => b.label.startsWith('下一页'))!.value);
    const take = cardButtons(second).find((b) => b.label === '认领')!;
    const after = await press(take.value);
    expect(cardText(after)).toContain('已认领 1/');
    expect(cardText(after)).toContain(cardText(second).match(/第 \d+–\d+ 组/)![0]);
  });
});

describe('a campaign whose quota is dozens of targets', { timeout: 90_000 }, () => {
  it('/认领 shows the claimed ten at a time: 下一页 through every one once, and 退回 answers with the part it was on', async () => {
    const base = presetDefinition('wei-xingdong', { year: 2027, branchChatId: DEMO_BRANCH_CHAT_ID });
    const preset = parseCampaignDefinition({ ...base, claiming: { ...base.claiming, quota: 40 } });
    h = await startHarness({ transport: 'webhook', at: cst('2027-04-12T10:00:00'), campaign: preset });
    const at = h.clock.now();
    const names = Array.from({ length: 35 }, (_, i) => `学生${String(i + 1).padStart(2, '0')}`);
    const ids = h.db
      .insert(targets)
      .values(
        names.map((name) => ({
          campaignId: preset.id,
          naturalKey: `student:2026级会计1班:${name}`,
          kind: 'student-family',
          name,
          className: '2026级会计1班',
          category: preset.targetCategories[0]!.key,
          updatedAt: at,
        })),
      )
      .returning({ id: targets.id })
      .all();
    const teacher = idOf('王建国');
    h.db.transaction((tx) => ids.forEach((t) => setHolders(tx, preset.id, 'target', t.id, [teacher], { via: 'claim', at, by: teacher })));

    const { message, press } = await claimList('王建国');
    expect(cardText(message.content)).toContain('第 1–10 位，共 35 位');
    const pages = await allPages(press, message.content as object);
    expect(pages).toHaveLength(4);
    const shown = pages.flatMap((p) => names.filter((n) => cardText(p).includes(`. ${n} · `)));
    expect(shown).toEqual(names);

    const released = await press(cardButtons(pages[2]!).find((b) => b.label === '退回')!.value);
    expect(cardText(released)).toContain('已认领 34/40');
    expect(cardText(released)).toContain('第 21–30 位，共 34 位');
  });
});

describe('choosing among the staff at school scale', { timeout: 90_000 }, () => {
  it('a ledger transfer among 200 colleagues asks for a name instead of a list too long for a card', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    for (const name of addTeachers(200)) {
      const openId = h.openId(name);
      h.db.update(people).set({ openId }).where(eq(people.name, name)).run();
      h.standIn.addUser({ openId, name });
    }
    const owner = idOf('王建国');
    const at = h.clock.now();
    const item = h.db
      .insert(ledgerItems)
      .values({
        campaignId: TERM.id,
        source: 'manual',
        raisedBy: 'teacher',
        text: '校车到站时间需要调整',
        ownerId: owner,
        createdBy: owner,
        createdAt: at,
        updatedAt: at,
      })
      .returning()
      .get();

    await h.say('王建国', '/台账');
    const list = h.cardsTo('王建国').at(-1)!;
    expect((await h.click('王建国', list.messageId, '查看')).error).toBeUndefined();
    const form = await h.click('王建国', list.messageId, '转交');
    expect(form.error).toBeUndefined();
    expectAccepted(form.card!.data);
    expect(JSON.stringify(form.card!.data)).toContain('"name":"owner_name"');

    const unknown = await h.click('王建国', list.messageId, '确认转交', { owner_name: '没有这个人', note: '请接手' });
    expect(unknown.toast?.content).toBe('名单中没有“没有这个人”，请核对姓名或手机号。');
    expect(cardText(unknown.card?.data)).toContain('没有这个人'); // what was typed stays
    const moved = await h.click('王建国', list.messageId, '确认转交', { owner_name: '教师0150', note: '请接手' });
    expect(moved.toast?.content).toBe('已转交给 教师0150。');
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, item.id)).get()!.ownerId).toBe(idOf('教师0150'));
  });
});

describe('lists at district scale', { timeout: 90_000 }, () => {
  it('/谁没交 for 1,000 teachers: the first card counts per department and one department pages through its 168 lines', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-12-28T10:00:00'), campaign: TERM });
    addTeachers(1000);
    await h.say(ADMIN, '/谁没交');
    expectNothingRefused();
    const { card, press } = adminCard();
    expectAccepted(card);
    expect(cardText(card)).toContain('尚未完成 · 2012 项');
    expect(cardText(card)).toContain('**数学组** · 84 人 · 168 项');
    const maths = cardButtons(card).find((b) => b.value?.group === '数学组')!;
    const lines = (await allPages(press, await press(maths.value))).flatMap(listed);
    expect(lines).toHaveLength(168);
    expect(new Set(lines).size).toBe(168);
  });
});
