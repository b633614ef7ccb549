import { asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { TWIN_CANDIDATES } from '../src/features/ledger/index.js';
import { ledgerEvents, ledgerItems, people, records } from '../src/db/schema.js';
import { buttonValue, cardButtons, cardText, cst, type Harness } from './helpers/harness.js';
import { RECORDS_CAMPAIGN, latestCard, startRecordsHarness, targetId } from './records/fixtures.js';
import { opinionMonth } from './fixtures/opinions.js';

/**
 * 家长和师生反映最多的 (#23): a month of visit opinions, segmented for real,
 * reaches the admins privately — on /汇总 and once after the month — as theme
 * words and counts; the records behind a theme are one click away, for admins
 * only; nothing of it reaches the group. And an opinion that repeats an open
 * ledger item is offered to the admins to merge (并入) rather than worked twice.
 */

let h: Harness;
afterEach(async () => h?.close());

const personId = (name: string) => h.db.select({ id: people.id }).from(people).where(eq(people.name, name)).get()!.id;
const shown = (messageId: string) => cardText(h.standIn.messages().find((m) => m.messageId === messageId)!.content);
const themeCards = (name: string) => h.cardsTo(name).filter((m) => cardText(m.content).includes('家长和师生反映最多的'));
const groupTexts = () =>
  h.standIn
    .messagesIn(DEMO_BRANCH_CHAT_ID)
    .filter((m) => m.sender.kind === 'app')
    .map((m) => (m.msgType === 'interactive' ? cardText(m.content) : JSON.stringify(m.content)));

/**
 * The first `n` records of the generated month as visits 刘芳 and 黄志强 filed
 * between 11/10 and 11/17, with the ledger items their opinions opened.
 */
function seedMonth(n: number) {
  const { voices } = opinionMonth();
  const month = voices.slice(0, n);
  const authors = [personId('刘芳'), personId('黄志强')];
  const target = targetId(h, '孙小红');
  month.forEach((v, i) => {
    const at = cst(`2026-11-${String(10 + (i % 8)).padStart(2, '0')}T16:00:00`);
    const record = h.db
      .insert(records)
      .values({
        campaignId: RECORDS_CAMPAIGN.id,
        form: 'visit',
        subjectType: 'target',
        subjectId: target,
        authorId: authors[i % 2]!,
        occurredOn: `2026-11-${String(10 + (i % 8)).padStart(2, '0')}`,
        data: { opinions: v.texts.join('\n'), content: '与家长交流', followUp: 'none' },
        submittedAt: at,
        late: false,
        updatedAt: at,
        visitMode: 'in-person',
        visitPlace: 'home',
      })
      .returning()
      .get();
    for (const l of v.ledger)
      h.db
        .insert(ledgerItems)
        .values({
          campaignId: RECORDS_CAMPAIGN.id,
          recordId: record.id,
          source: 'visit',
          raisedBy: 'parent',
          text: l.text,
          category: 'visit-opinion',
          ownerId: authors[i % 2]!,
          createdBy: authors[i % 2]!,
          status: l.closed ? 'closed' : 'open',
          closedAt: l.closed ? at : null,
          createdAt: at,
          updatedAt: at,
        })
        .run();
  });
  // A 献一计 and an item opened by hand are heard too, each one record.
  const at = cst('2026-11-16T12:00:00');
  h.db
    .insert(records)
    .values({
      campaignId: RECORDS_CAMPAIGN.id,
      form: 'suggestion',
      subjectType: 'person',
      subjectId: authors[0]!,
      authorId: authors[0]!,
      occurredOn: '2026-11-16',
      data: { topic: '后勤', content: '建议食堂增设平价窗口，公布每周菜价' },
      submittedAt: at,
      late: false,
      updatedAt: at,
    })
    .run();
  h.db
    .insert(ledgerItems)
    .values({
      campaignId: RECORDS_CAMPAIGN.id,
      source: 'manual',
      raisedBy: 'student',
      text: '学生反映食堂晚饭供应时间太短',
      ownerId: authors[1]!,
      createdBy: authors[1]!,
      createdAt: at,
      updatedAt: at,
    })
    .run();
  // What the card must say, counted from the rows themselves: records whose opinions or items name the word.
  const mentioning = (word: string) => month.filter((v) => [...v.texts, ...v.ledger.map((l) => l.text)].some((t) => t.includes(word)));
  return { month, mentioning };
}

/** 刘芳 files a visit to 孙小红 through the card, with these opinions. */
async function fileVisit(opinions: string, extra: Record<string, unknown> = {}) {
  await h.say('刘芳', '/走访');
  const list = latestCard(h, '刘芳');
  await h.standIn.clickCard({
    messageId: list.messageId,
    operatorOpenId: h.openId('刘芳'),
    value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, '孙小红') },
  });
  const r = await h.click('刘芳', list.messageId, '提交', {
    visitedOn: '2026-11-17 +0800',
    mode: 'in-person',
    place: 'home',
    coVisitors: [],
    summary: '学习认真',
    situation: '跟随祖父母生活',
    purpose: '了解生活情况',
    content: '与祖父母交流',
    reflection: '',
    q_satisfaction: '4',
    q_concern: [],
    opinions,
    followUp: 'none',
    leader: '',
    followUpNote: '',
    noGifts: 'yes',
    ...extra,
  });
  expect(r.toast?.type).toBe('success');
  await h.settle();
}

describe('家长和师生反映最多的', () => {
  it('shows a seeded month’s themes to the admin on /汇总 and after the month, never to a teacher or the group', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    const { mentioning } = seedMonth(160);
    const canteen = mentioning('食堂');
    expect(canteen.length).toBeGreaterThan(10);

    // Asked in the group, /汇总 is answered privately: the group sees no theme.
    await h.standIn.sendText(h.openId('陈立华'), '@_user_1 /汇总', { chatId: DEMO_BRANCH_CHAT_ID, mentions: [h.standIn.botMention()] });
    await h.settle();
    const [card] = themeCards('陈立华');
    expect(themeCards('陈立华')).toHaveLength(1);
    const text = cardText(card!.content);
    expect(text).toContain('家长和师生反映最多的 · 11月至今');
    expect(text).toContain('仅管理员可见');
    // Each theme counted in distinct records, with its ledger figures.
    const ledgered = canteen.filter((v) => v.ledger.some((l) => l.text.includes('食堂')));
    const closed = ledgered.filter((v) => v.ledger.filter((l) => l.text.includes('食堂')).every((l) => l.closed));
    // …plus the suggestion (not in the ledger) and the open item made by hand.
    expect(text).toMatch(new RegExp(`\\d\\. 食堂[^\\n]*\\n${canteen.length + 2} 条记录提到 · 已列入台账 ${ledgered.length + 1} · 已销号 ${closed.length}`));
    for (const word of ['热水', '校车', '作业', '实习']) expect(text).toContain(`. ${word}`);
    // Theme words and counts only: no opinion as it was written.
    expect(text).not.toContain('一顿饭要十几块');
    expect(groupTexts().join('\n')).not.toMatch(/反映最多|食堂|热水/);

    // A teacher gets no themes from /汇总.
    await h.say('刘芳', '/汇总');
    expect(themeCards('刘芳')).toHaveLength(0);

    // 查看: the records behind the theme, by who filed them and when — each opening the record for the admin.
    const canteenButton = cardButtons(card!.content).find((b) => b.value.word === '食堂')!.value;
    const view = await h.standIn.clickCard({ messageId: card!.messageId, operatorOpenId: h.openId('陈立华'), value: canteenButton });
    const list = cardText(view.card?.data);
    expect(list).toContain(`「食堂`);
    expect(list).toContain(`${canteen.length + 2} 条记录`);
    expect(list).toMatch(/走访记录 · (刘芳|黄志强) · 11-1\d/);
    expect(list).not.toContain('一顿饭要十几块');
    expect(cardButtons(view.card?.data).filter((b) => b.value.action === 'record.view')).toHaveLength(15);
    // Paged: the last page has the suggestion and the item opened by hand.
    const last = await h.click('陈立华', card!.messageId, '下一页');
    expect(cardText(last.card?.data)).toContain('献一计 · 刘芳 · 11-16');
    expect(cardText(last.card?.data)).toContain('手动登记 · 黄志强 · 11-16');
    // A teacher who forges the click (on a card of her own) is refused: the list is for admins.
    await h.say('刘芳', '/走访');
    const forged = await h.standIn.clickCard({ messageId: latestCard(h, '刘芳').messageId, operatorOpenId: h.openId('刘芳'), value: canteenButton });
    expect(forged.toast?.type).toBe('error');
    expect(cardText(forged.card?.data ?? {})).not.toContain('走访记录 ·');

    // After the month, on its first working day at the digest's time: once to each admin, privately.
    h.clock.set(cst('2026-12-01T09:05:00'));
    await h.runJob('family-themes');
    const monthly = themeCards('陈立华').filter((m) => cardText(m.content).includes('2026年11月'));
    expect(monthly).toHaveLength(1);
    expect(cardText(monthly[0]!.content)).toContain(`${canteen.length + 2} 条记录提到`);
    await h.runJob('family-themes');
    expect(themeCards('陈立华').filter((m) => cardText(m.content).includes('2026年11月'))).toHaveLength(1);
    // Nothing owed, nothing computed (the job also runs at every start).
    expect(h.logs.lines.filter((l) => l.includes('family themes sent to admins'))).toHaveLength(1);
    expect(themeCards('刘芳')).toHaveLength(0);
    expect(groupTexts().join('\n')).not.toMatch(/反映最多|食堂|热水/);
    // Log lines carry ids and counts, never what a family said.
    expect(h.logs.lines.join('\n')).not.toMatch(/食堂|热水|校车/);
  });
});

/** A month of 160 seeded visits, those naming the canteen, and the canteen's line on the admin's themes card after a /汇总. */
function canteenMonth() {
  const canteen = seedMonth(160).mentioning('食堂');
  const ledgered = canteen.filter((v) => v.ledger.some((l) => l.text.includes('食堂')));
  const closed = ledgered.filter((v) => v.ledger.filter((l) => l.text.includes('食堂')).every((l) => l.closed));
  const canteenLine = async () => {
    await h.say('陈立华', '/汇总');
    return /\d\. 食堂[^\n]*\n([^\n]*)/.exec(cardText(themeCards('陈立华').at(-1)!.content))?.[1];
  };
  return { canteen, ledgered, closed, canteenLine };
}

describe('家长和师生反映最多的, asked again', () => {
  it('counts an item raised and one closed out since the last /汇总', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    const { canteen, ledgered, closed, canteenLine } = canteenMonth();
    const line = (mentions: number, inLedger: number, done: number) => `${mentions} 条记录提到 · 已列入台账 ${inLedger} · 已销号 ${done}`;
    expect(await canteenLine()).toBe(line(canteen.length + 2, ledgered.length + 1, closed.length));
    const at = cst('2026-11-18T10:05:00');
    const raised = h.db
      .insert(ledgerItems)
      .values({ ...acceptedItem('食堂排队时间太长'), createdAt: at, updatedAt: at })
      .returning({ id: ledgerItems.id })
      .get();
    expect(await canteenLine()).toBe(line(canteen.length + 3, ledgered.length + 2, closed.length));
    h.db.update(ledgerItems).set({ status: 'closed', closedAt: at }).where(eq(ledgerItems.id, raised.id)).run();
    expect(await canteenLine()).toBe(line(canteen.length + 3, ledgered.length + 2, closed.length + 1));
  });

  it('counts an item merged into one of another month as closed once that one is closed out', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    const { canteen, ledgered, closed, canteenLine } = canteenMonth();
    const line = (done: number) => `${canteen.length + 2} 条记录提到 · 已列入台账 ${ledgered.length + 1} · 已销号 ${done}`;
    // A record of the month whose one canteen item is still open…
    const open = ledgered.find((v) => v.ledger.filter((l) => l.text.includes('食堂')).every((l) => !l.closed))!;
    const item = h.db
      .select({ id: ledgerItems.id })
      .from(ledgerItems)
      .where(eq(ledgerItems.text, open.ledger.find((l) => l.text.includes('食堂'))!.text))
      .get()!;
    // …merged into an item of October that no record of November opened, closed out since.
    const october = cst('2026-10-20T10:00:00');
    const older = h.db
      .insert(ledgerItems)
      .values({ ...acceptedItem('食堂饭菜价格偏高'), status: 'closed', closedAt: october, createdAt: october, updatedAt: october })
      .returning({ id: ledgerItems.id })
      .get();
    expect(await canteenLine()).toBe(line(closed.length));
    h.db.update(ledgerItems).set({ mergedIntoId: older.id }).where(eq(ledgerItems.id, item.id)).run();
    expect(await canteenLine()).toBe(line(closed.length + 1));
  });
});

/** An item 黄志强 accepted on 11-12, as the ledger holds it: the older one a new opinion may repeat. */
const acceptedItem = (text: string) => {
  const at = cst('2026-11-12T10:00:00');
  return {
    campaignId: RECORDS_CAMPAIGN.id,
    source: 'manual' as const,
    raisedBy: 'teacher' as const,
    text,
    ownerId: personId('黄志强'),
    createdBy: personId('黄志强'),
    status: 'accepted' as const,
    createdAt: at,
    updatedAt: at,
  };
};

describe('an opinion that repeats an open ledger item', () => {
  it('is offered to the admin to merge (并入), and merged: closed into the older item, which gains its source; the visitor is told', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    const older = h.db.insert(ledgerItems).values(acceptedItem('家长反映学校食堂饭菜价格偏高')).returning().get();

    // An opinion about something else is no twin.
    await fileVisit('希望多组织亲子活动');
    expect(h.cardsTo('陈立华').filter((m) => cardText(m.content).includes('可能与台账'))).toHaveLength(0);

    await fileVisit('食堂的饭菜价格太贵了，希望降一点');
    const twin = h.db.select().from(ledgerItems).where(eq(ledgerItems.text, '食堂的饭菜价格太贵了，希望降一点')).get()!;
    const offers = h.cardsTo('陈立华').filter((m) => cardText(m.content).includes('可能与台账'));
    expect(offers).toHaveLength(1);
    const offer = offers[0]!;
    expect(cardText(offer.content)).toContain(`走访台账 #${twin.id}`);
    expect(cardText(offer.content)).toContain(`可能与台账 #${older.id}「家长反映学校食堂饭菜价格偏高」重复`);
    // The visitor's own card has no merge button: merging is the admins'.
    expect(h.cardsTo('刘芳').some((m) => cardButtons(m.content).some((b) => b.value.action === 'ledger.merge'))).toBe(false);
    const forged = await h.standIn.clickCard({
      messageId: latestCard(h, '刘芳').messageId,
      operatorOpenId: h.openId('刘芳'),
      value: buttonValue(offer.content, `并入 #${older.id}`),
    });
    expect(forged.toast?.type).toBe('error');
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, twin.id)).get()!.mergedIntoId).toBeNull();

    const merged = await h.click('陈立华', offer.messageId, `并入 #${older.id}`);
    expect(merged.toast).toMatchObject({ type: 'success', content: `已并入台账 #${older.id}。` });
    await h.settle();
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, twin.id)).get()).toMatchObject({ status: 'closed', mergedIntoId: older.id });
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, older.id)).get()).toMatchObject({ status: 'accepted', mergedIntoId: null });
    const kinds = (id: number) =>
      h.db
        .select()
        .from(ledgerEvents)
        .where(eq(ledgerEvents.itemId, id))
        .orderBy(asc(ledgerEvents.id))
        .all()
        .map((e) => [e.kind, e.note]);
    expect(kinds(twin.id)).toEqual([['merged', `并入台账 #${older.id}`]]);
    expect(kinds(older.id)).toEqual([['merged', `台账 #${twin.id} 并入本条`]]);

    // The card now shows the older item, its sources listing the new one.
    const now = shown(offer.messageId);
    expect(now).toContain(`走访台账 #${older.id}`);
    expect(now).toContain(`并入 #${twin.id} · 走访记录 · 刘芳 · 11-17`);
    // The visitor hears where her opinion went; the older item's owner sees it gained a source.
    expect(h.textsTo('刘芳').join('\n')).toContain(`（台账 #${twin.id}）与台账 #${older.id} 是同一件事，陈立华 已把它并入 #${older.id}，由 黄志强 跟进`);
    expect(cardText(h.cardsTo('黄志强').at(-1)!.content)).toContain(`陈立华 把台账 #${twin.id} 并入这条`);
    // A twin is no item of its own: not in the visitor's list; merged once.
    await h.say('刘芳', '/台账 全部');
    expect(cardText(latestCard(h, '刘芳').content)).not.toContain(`#${twin.id}`);
    const again = await h.standIn.clickCard({
      messageId: offer.messageId,
      operatorOpenId: h.openId('陈立华'),
      value: { action: 'ledger.merge', itemId: twin.id, intoId: older.id },
    });
    expect(again.toast).toMatchObject({ type: 'info', content: `已并入台账 #${older.id}。` });
    expect(h.textsTo('刘芳').filter((t) => t.includes('是同一件事'))).toHaveLength(1);
  });

  it('is looked for among the campaign’s newest open items, not a whole district’s ledger', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    h.db.insert(ledgerItems).values(acceptedItem('家长反映学校食堂饭菜价格偏高')).run();
    h.db
      .insert(ledgerItems)
      .values(Array.from({ length: TWIN_CANDIDATES }, () => acceptedItem('教室窗帘损坏需要更换')))
      .run();
    await fileVisit('食堂的饭菜价格太贵了，希望降一点');
    expect(h.cardsTo('陈立华').filter((m) => cardText(m.content).includes('可能与台账'))).toHaveLength(0);
  });

  it('waiting for the school (待分派), leaves the triage card once merged; never into an item closed out meanwhile', async () => {
    h = await startRecordsHarness(cst('2026-11-18T10:00:00'));
    const older = h.db.insert(ledgerItems).values(acceptedItem('校车接送路线太绕，站点离家太远')).returning().get();
    await fileVisit('希望调整校车路线，站点太远', { followUp: 'action', followUpNote: '请学校研究' });
    const triage = h.cardsTo('陈立华').find((m) => cardText(m.content).includes('需要学校处理的台账'))!;
    expect(shown(triage.messageId)).toContain('2 项待分派');
    const offer = h.cardsTo('陈立华').find((m) => cardText(m.content).includes('可能与台账'))!;
    const twin = h.db.select().from(ledgerItems).where(eq(ledgerItems.text, '希望调整校车路线，站点太远')).get()!;

    const mergeClick = { messageId: offer.messageId, operatorOpenId: h.openId('陈立华'), value: buttonValue(offer.content, `并入 #${older.id}`) };
    h.db.update(ledgerItems).set({ status: 'closed', closedAt: h.clock.now() }).where(eq(ledgerItems.id, older.id)).run();
    const refused = await h.standIn.clickCard(mergeClick);
    expect(refused.toast).toMatchObject({ type: 'warning', content: `台账 #${older.id} 已销号，不能并入；如果同一件事还没解决，请先重新打开 #${older.id}。` });
    expect(h.db.select().from(ledgerItems).where(eq(ledgerItems.id, twin.id)).get()).toMatchObject({ status: 'open', mergedIntoId: null });

    h.db.update(ledgerItems).set({ status: 'accepted', closedAt: null }).where(eq(ledgerItems.id, older.id)).run();
    // Reopened meanwhile: the same click on the card as the admin had it now merges.
    const merged = await h.standIn.clickCard(mergeClick);
    expect(merged.toast?.type).toBe('success');
    await h.settle();
    expect(shown(triage.messageId)).toContain('1 项待分派');
    expect(shown(triage.messageId)).not.toContain('校车到站太早了');
  });
});
