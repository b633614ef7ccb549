import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { ledgerEvents, ledgerItems, people, recordRevisions, records, recordVisitors } from '../../src/db/schema.js';
import { buttonValue, cardText, cst, startHarness, type Harness } from '../helpers/harness.js';
import { parseCampaignDefinition } from '../../src/domain/campaign.js';
import { presetDefinition } from '../../src/domain/presets.js';
import { DEMO_BRANCH_CHAT_ID, demoLookup } from '../../src/demo/seed.js';
import { importRoster } from '../../src/roster/import.js';
import { sheetFromValues } from '../../src/roster/sheets.js';
import { PRIVATE, RECORDS_CAMPAIGN, current, formLabels, latestCard, startRecordsHarness, targetId } from './fixtures.js';

/** 走访情况记录表 (附件五) with the questionnaire (附件四), end to end through the stand-in. */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const person = (name: string) => h.db.$client.prepare('SELECT id FROM people WHERE name = ?').get(name) as { id: number };

function visitForm(extra: Record<string, unknown> = {}) {
  return {
    visitedOn: '2026-11-17 +0800',
    mode: 'in-person',
    place: 'home',
    coVisitors: [String(person('黄志强').id)],
    summary: '孙小红学习认真，性格内向',
    situation: '父母在外地，跟随祖父母生活',
    purpose: '了解留守学生生活情况',
    content: '与祖父母交流孩子在校表现，约定每月电话沟通',
    reflection: '留守孩子更需要老师的关心',
    q_satisfaction: '4',
    q_concern: ['学习', '安全'],
    opinions: '希望学校多组织周末活动\n- 希望宿舍能晚点熄灯',
    followUp: 'leader',
    leader: String(person('陈立华').id),
    followUpNote: '祖父母年迈，建议学校关注孩子心理',
    noGifts: 'yes',
    ...extra,
  };
}

/** The values a card's select (or multi-select) named `name` offers, in order. */
function options(card: unknown, name: string): string[] {
  let found: unknown;
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (o.name === name && Array.isArray(o.options)) found = o.options;
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return ((found as Array<{ value: string }>) ?? []).map((x) => x.value);
}

async function openVisitForm(name: string, target: string) {
  await h.say(name, '/走访');
  const list = latestCard(h, name);
  expect(cardText(list.content)).toContain(target);
  const r = await h.standIn.clickCard({
    messageId: list.messageId,
    operatorOpenId: h.openId(name),
    value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, target) },
  });
  expect(r.error).toBeUndefined();
  return list.messageId;
}

describe('visit record', () => {
  // Also over the long connection with clicks in "card" frames, which SDK 1.74's WSClient alone drops.
  it.each([
    { transport: 'webhook', cardFrames: 'event' },
    { transport: 'ws', cardFrames: 'card' },
  ] as const)(
    'opens from /走访, shows the family only to its visitor, validates per field and stores everything ($transport)',
    async ({ transport, cardFrames }) => {
      h = await startRecordsHarness(undefined, transport, { cardFrames });
      const messageId = await openVisitForm('刘芳', '孙小红');
      const form = cardText(current(h, messageId).content);
      expect(form).toContain('走访情况记录表 · 孙小红');
      expect(form).toContain(PRIVATE.parent);
      expect(form).toContain('您对学校工作的总体满意度');

      // Missing fields come back each under its field, with what was typed still there.
      const bad = await h.click('刘芳', messageId, '提交', { ...visitForm(), content: '', leader: '', noGifts: '' });
      expect(bad.toast?.type).toBe('error');
      expect(bad.toast?.content).toContain('「家（企）访内容」必填');
      expect(bad.toast?.content).toContain('请确认「未收受家长（企业）礼品礼金」');
      const back = cardText(current(h, messageId).content);
      expect(back).toContain('孙小红学习认真，性格内向');
      expect(back).toContain('父母在外地，跟随祖父母生活');
      expect(h.db.select().from(records).all()).toHaveLength(0);

      const crossBad = await h.click('刘芳', messageId, '提交', { ...visitForm(), leader: '' });
      expect(crossBad.toast?.content).toContain('请选择报告给哪位领导');

      const ok = await h.click('刘芳', messageId, '提交', visitForm());
      expect(ok.toast?.type).toBe('success');
      // Opinions go to the ledger; a follow-up reported to a leader goes to the leader.
      expect(ok.toast?.content).toContain('已列入台账 2 项');
      expect(ok.toast?.content).toContain('已报告 陈立华');
      const summary = cardText(current(h, messageId).content);
      expect(summary).toContain('已提交');
      expect(summary).toContain('同行教师：黄志强');
      expect(summary).toContain('还没有照片');
      expect(JSON.stringify(current(h, messageId).content)).not.toContain('"form"');

      const [row] = h.db.select().from(records).all();
      expect(row).toMatchObject({ form: 'visit', subjectType: 'target', subjectId: targetId(h, '孙小红'), occurredOn: '2026-11-17', late: false });
      expect(row!.data).toMatchObject({ mode: 'in-person', q_satisfaction: '4', q_concern: ['学习', '安全'], noGifts: true });
      const visitors = h.db.select().from(recordVisitors).all();
      expect(visitors.map((v) => v.role).sort()).toEqual(['author', 'co-visitor']);
      const ledger = h.db.select().from(ledgerItems).all();
      expect(ledger.map((l) => [l.raisedBy, l.text])).toEqual([
        ['parent', '希望学校多组织周末活动'],
        ['parent', '希望宿舍能晚点熄灯'],
      ]);

      // Each opinion reaches its owner (the visitor, who can hand it on) as a ledger card.
      await h.settle();
      const ledgerCards = h
        .cardsTo('刘芳')
        .map((c) => cardText(c.content))
        .filter((t) => t.includes('新的台账事项'));
      expect(ledgerCards).toHaveLength(2);
      expect(ledgerCards.join('\n')).toContain('希望宿舍能晚点熄灯');

      // The leader gets the record, without the family's phone and address.
      const toLeader = cardText(latestCard(h, '陈立华').content);
      expect(toLeader).toContain('刘芳 老师报告的走访记录');
      expect(toLeader).toContain('与祖父母交流孩子在校表现');
      expect(toLeader).not.toContain(PRIVATE.phone);
      expect(toLeader).not.toContain(PRIVATE.address);
      expect(toLeader).not.toContain('还没有照片'); // the visitor's prompt, not the leader's business

      // Nothing private or typed went to a log line.
      const logged = h.logs.lines.join('\n');
      expect(logged).toContain('record saved');
      for (const secret of [...Object.values(PRIVATE), '与祖父母交流']) expect(logged).not.toContain(secret);
    },
  );

  it('holds a leader’s copy of a visit filed at 22:24 until quiet hours end, then sends it once', async () => {
    h = await startRecordsHarness(cst('2026-11-18T22:24:00'));
    const messageId = await openVisitForm('刘芳', '孙小红');
    const reported = () => h.cardsTo('陈立华').filter((c) => cardText(c.content).includes('刘芳 老师报告的走访记录'));
    const ok = await h.click('刘芳', messageId, '提交', visitForm());
    expect(ok.toast?.content).toContain('将于 11月19日（周四）07:30 报告 陈立华');
    await h.settle();
    expect(reported()).toHaveLength(0);

    h.clock.set(cst('2026-11-19T06:00:00'));
    await h.runJob('visit-leader-reports');
    expect(reported()).toHaveLength(0);
    h.clock.set(cst('2026-11-19T07:30:00'));
    await h.runJob('visit-leader-reports');
    expect(reported()).toHaveLength(1);
    expect(cardText(reported()[0]!.content)).not.toContain(PRIVATE.phone);
    await h.runJob('visit-leader-reports');
    expect(reported()).toHaveLength(1);
  });

  it('edits keep history, and a co-visitor may then file for the target', async () => {
    h = await startRecordsHarness();
    const messageId = await openVisitForm('刘芳', '孙小红');
    // A double click: the same opened form submitted twice files one visit.
    const submit = buttonValue(current(h, messageId).content, '提交');
    const filled = visitForm({ followUp: 'none', leader: '', followUpNote: '' });
    await h.standIn.clickCard({ messageId, operatorOpenId: h.openId('刘芳'), value: submit, formValue: filled });
    const again = await h.standIn.clickCard({ messageId, operatorOpenId: h.openId('刘芳'), value: submit, formValue: filled });
    expect(again.toast?.content).toContain('内容没有变化');
    expect(h.db.select().from(records).all()).toHaveLength(1);

    const edit = await h.click('刘芳', messageId, '修改');
    expect(cardText(edit.card?.data)).toContain('与祖父母交流孩子在校表现');
    h.clock.set(cst('2026-11-19T09:00:00'));
    const saved = await h.click(
      '刘芳',
      messageId,
      '保存修改',
      visitForm({ followUp: 'none', leader: '', followUpNote: '', content: '补充：约定每两周电话沟通' }),
    );
    expect(saved.toast?.content).toContain('修改已保存');
    expect(cardText(saved.card?.data)).toContain('第 2 版');
    const revs = h.db.select().from(recordRevisions).where(eq(recordRevisions.recordType, 'visit')).all();
    expect(revs.map((r) => (r.data as Record<string, unknown>).content)).toEqual(['与祖父母交流孩子在校表现，约定每月电话沟通', '补充：约定每两周电话沟通']);
    // Editing does not open the same opinions twice.
    expect(h.db.select().from(ledgerItems).all()).toHaveLength(2);

    // Rewording an opinion nobody has taken up yet rewords its item, with the earlier words in its history.
    const edit2 = await h.click('刘芳', messageId, '修改');
    expect(edit2.error).toBeUndefined();
    const reworded = await h.click(
      '刘芳',
      messageId,
      '保存修改',
      visitForm({
        followUp: 'none',
        leader: '',
        followUpNote: '',
        content: '补充：约定每两周电话沟通',
        opinions: '希望学校多组织周末活动，另外希望食堂改善\n- 希望宿舍能晚点熄灯',
      }),
    );
    expect(reworded.toast?.content).toContain('修改已保存');
    const items = h.db.select().from(ledgerItems).orderBy(ledgerItems.id).all();
    expect(items.map((i) => i.text)).toEqual(['希望学校多组织周末活动，另外希望食堂改善', '希望宿舍能晚点熄灯']);
    expect(h.db.select().from(ledgerEvents).where(eq(ledgerEvents.itemId, items[0]!.id)).all()).toMatchObject([
      { kind: 'reworded', note: '原为：希望学校多组织周末活动' },
    ]);

    // The first edit form, saved late from a copy kept open: it would overwrite version 3, so it asks first and keeps what was typed.
    const staleSave = buttonValue(edit.card!.data, '保存修改');
    const late = visitForm({ followUp: 'none', leader: '', followUpNote: '', content: '在旧卡片上写的内容' });
    const conflict = await h.standIn.clickCard({ messageId, operatorOpenId: h.openId('刘芳'), value: staleSave, formValue: late });
    expect(conflict.toast?.type).toBe('warning');
    expect(conflict.toast?.content).toContain('这份记录在你打开后已被修改过（现为第 3 版）');
    expect(cardText(conflict.card?.data)).toContain('在旧卡片上写的内容');
    expect(h.db.select().from(records).get()!.revision).toBe(3);
    const confirmed = await h.standIn.clickCard({
      messageId,
      operatorOpenId: h.openId('刘芳'),
      value: buttonValue(conflict.card!.data, '保存修改'),
      formValue: late,
    });
    expect(confirmed.toast?.content).toContain('修改已保存');
    expect(h.db.select().from(records).get()!.revision).toBe(4);

    // 黄志强 went along, so he may now record a visit to 孙小红 too.
    const r = await h.standIn.clickCard({
      messageId: (await sayAndGetCard('黄志强', '/进度')).messageId,
      operatorOpenId: h.openId('黄志强'),
      value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, '孙小红') },
    });
    expect(r.toast?.type).not.toBe('error');
    expect(cardText(r.card?.data)).toContain('走访情况记录表 · 孙小红');
  });

  it('offers the leaders to report to, never the visitor themself', async () => {
    h = await startRecordsHarness();
    const liuFang = await openVisitForm('刘芳', '孙小红');
    expect(options(current(h, liuFang).content, 'leader')).toContain(String(person('陈立华').id));
    // The admin went along, so may file for 孙小红 too — but not report the visit to themself.
    const submit = buttonValue(current(h, liuFang).content, '提交');
    await h.standIn.clickCard({
      messageId: liuFang,
      operatorOpenId: h.openId('刘芳'),
      value: submit,
      formValue: visitForm({ coVisitors: [String(person('陈立华').id)], followUp: 'none', leader: '', followUpNote: '' }),
    });
    const r = await h.standIn.clickCard({
      messageId: (await sayAndGetCard('陈立华', '/进度')).messageId,
      operatorOpenId: h.openId('陈立华'),
      value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, '孙小红') },
    });
    expect(cardText(r.card?.data)).toContain('走访情况记录表 · 孙小红');
    expect(options(r.card?.data, 'leader')).not.toContain(String(person('陈立华').id));
  });

  it('refuses another teacher’s target without showing its details', async () => {
    h = await startRecordsHarness();
    const card = await sayAndGetCard('王建国', '/进度');
    const r = await h.standIn.clickCard({
      messageId: card.messageId,
      operatorOpenId: h.openId('王建国'),
      value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, '孙小红') },
    });
    expect(r.toast?.type).toBe('error');
    expect(r.toast?.content).toContain('这位对象不在你的名单中');
    expect(JSON.stringify(r)).not.toContain(PRIVATE.parent);
    expect(JSON.stringify(r)).not.toContain('孙小红');
    expect(r.card).toBeUndefined();
  });

  it('answers a forged id the same whether the target is someone else’s, unclaimed or not there at all', async () => {
    h = await startRecordsHarness();
    const unclaimed = await importRoster(
      [sheetFromValues('targets', [{ kind: '学生家庭', name: '郑小丽', className: '2024级机电1班', category: '送爱上门', subKind: '留守学生' }])],
      {
        db: h.db,
        campaign: RECORDS_CAMPAIGN,
        now: h.clock.now(),
        lookup: demoLookup,
      },
    );
    expect(unclaimed.applied).toBe(true);
    const card = await sayAndGetCard('王建国', '/进度');
    const forged = (id: number) =>
      h.standIn.clickCard({
        messageId: card.messageId,
        operatorOpenId: h.openId('王建国'),
        value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: id },
      });
    const answers = [await forged(targetId(h, '孙小红')), await forged(targetId(h, '郑小丽')), await forged(999_999)];
    for (const r of answers) {
      expect(r.card).toBeUndefined();
      expect(r.toast).toEqual(answers[0]!.toast);
    }
    expect(answers[0]!.toast?.content).toBe('这位对象不在你的名单中，只有负责走访的老师（和同行教师）可以填写。/ This target is not on your list.');
  });

  it('lists the targets, not yet visited first, and visits to an enterprise raise enterprise opinions', async () => {
    h = await startRecordsHarness();
    await h.say('刘芳', '/走访');
    const list = latestCard(h, '刘芳');
    expect(cardText(list.content)).toContain('我的走访对象 · 已走访 0/2');
    expect(cardText(list.content)).toContain('吴小强');
    const r = await h.standIn.clickCard({
      messageId: list.messageId,
      operatorOpenId: h.openId('刘芳'),
      value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, '吴小强') },
    });
    expect(cardText(r.card?.data)).toContain('家庭（企业）情况');
    const ok = await h.click(
      '刘芳',
      list.messageId,
      '提交',
      visitForm({ place: 'enterprise', coVisitors: [], opinions: '希望学校加强安全教育', followUp: 'none', leader: '', followUpNote: '' }),
    );
    expect(ok.toast?.type).toBe('success');
    expect(
      h.db
        .select()
        .from(ledgerItems)
        .all()
        .map((l) => l.raisedBy),
    ).toEqual(['enterprise']);
    await h.say('刘芳', '/走访');
    expect(cardText(latestCard(h, '刘芳').content)).toContain('已走访 1/2');
  });
});

describe('the paper’s words and its questionnaire (附件四, 附件五)', () => {
  it('asks in 附件五’s words, and an intern’s visit at the enterprise is filed without the parents’ questionnaire', async () => {
    h = await startRecordsHarness();
    const messageId = await openVisitForm('刘芳', '吴小强');
    const card = current(h, messageId).content;
    const labels = formLabels(card);
    for (const label of ['学生情况简介', '家庭（企业）情况', '家（企）访目的', '家（企）访内容', '家（企）访体会']) expect(labels).toContain(label);
    let situation: Record<string, any> | undefined;
    JSON.stringify(card, (_k, v) => (v?.name === 'situation' ? (situation = v) : v));
    expect(situation!.placeholder.content).toBe('家庭成员、经济状况、文化程度、家教观念、企业性质、企业经营状况、规模等');
    // The questionnaire is offered, not required: the parents are not at the enterprise.
    expect(cardText(card)).toContain('您对学校工作的总体满意度');
    const visit = visitForm({ place: 'enterprise', coVisitors: [], followUp: 'none', leader: '', followUpNote: '', q_satisfaction: '', q_concern: [] });
    const ok = await h.click('刘芳', messageId, '提交', visit);
    expect(ok.toast?.type, ok.toast?.content).toBe('success');
    expect(h.db.select().from(records).all()).toHaveLength(1);
    expect(h.db.select().from(records).get()!.data).toMatchObject({ place: 'enterprise', q_satisfaction: '' });

    // The same intern visited at home: the parents fill 附件四 there.
    const again = await openVisitForm('刘芳', '吴小强');
    const home = await h.click('刘芳', again, '提交', { ...visit, place: 'home' });
    expect(home.toast?.type).toBe('error');
    expect(home.toast?.content).toContain('「您对学校工作的总体满意度」必填：家访时请家长填写问卷（到实习企业走访可不填）');
    expect(cardText(current(h, again).content)).toContain(visit.content);
    expect(h.db.select().from(records).all()).toHaveLength(1);
    const answered = await h.click('刘芳', again, '提交', { ...visit, place: 'home', q_satisfaction: '5' });
    expect(answered.toast?.type, answered.toast?.content).toBe('success');
    expect(h.db.select().from(records).all()).toHaveLength(2);
  });
});

describe('leadership visits (seed 002)', () => {
  it('use the same card with the kinds of its table and no family fields', async () => {
    const base = presetDefinition('三大一实干', { year: 2026, id: 'sdys-2026', branchChatId: DEMO_BRANCH_CHAT_ID });
    // The demo cast belongs to departments of its own; the seed's list would refuse them.
    const campaign = parseCampaignDefinition({ ...base, departments: [] });
    h = await startHarness({ transport: 'ws', at: cst('2026-11-18T10:00:00'), campaign });
    const report = await importRoster([sheetFromValues('targets', [{ kind: '家委会成员', name: '郑家委', note: '家委会主任', visitor: '陈立华' }])], {
      db: h.db,
      campaign,
      now: h.clock.now(),
      lookup: demoLookup,
    });
    expect(report.applied).toBe(true);
    await h.say('陈立华', '/走访');
    const list = latestCard(h, '陈立华');
    expect(cardText(list.content)).toContain('郑家委 · 家委会成员');
    const form = await h.click('陈立华', list.messageId, '记录走访');
    const text = cardText(form.card?.data);
    // The school's own 大走访情况记录表, its purpose the table's 走访目的 for 家委会成员.
    expect(text).toContain('大走访情况记录表');
    expect(text).toContain('倾听社会对学校发展的心声');
    expect(text).toContain('对象情况');
    expect(text).not.toContain('家庭情况');
    expect(text).not.toContain('孩子在家学习生活环境'); // the campaign's questionnaire is for home visits
    const ok = await h.click('陈立华', list.messageId, '提交', {
      ...visitForm({ coVisitors: [], followUp: 'none', leader: '', followUpNote: '', opinions: '家委会希望参与食堂监督' }),
      place: 'school',
      mode: 'invited',
    });
    expect(ok.toast?.type).toBe('success');
    const [row] = h.db.select().from(records).all();
    expect(row).toMatchObject({ form: 'visit', authorId: person('陈立华').id });
    expect(row!.data).not.toHaveProperty('q_satisfaction');
    expect(
      h.db
        .select()
        .from(ledgerItems)
        .all()
        .map((l) => l.text),
    ).toEqual(['家委会希望参与食堂监督']);
  });
});

describe('card size', () => {
  it('a visit typed to every field’s limit still fits Feishu’s 30 KB card, as a summary and as an edit form', async () => {
    h = await startRecordsHarness();
    const messageId = await openVisitForm('刘芳', '孙小红');
    const full = (n: number) => '家'.repeat(n);
    const r = await h.click(
      '刘芳',
      messageId,
      '提交',
      visitForm({
        summary: full(300),
        situation: full(500),
        purpose: full(300),
        content: full(1000),
        reflection: full(500),
        opinions: full(800),
        followUpNote: full(300),
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.toast?.type).toBe('success');
    const edit = await h.click('刘芳', messageId, '修改');
    expect(edit.error).toBeUndefined();
    expect(Buffer.byteLength(JSON.stringify(edit.card?.data))).toBeLessThan(30 * 1024);
  });
});

describe('choosing co-visitors among 200 colleagues', () => {
  it('offers 40: the visitor’s department and class first, then the rest by name; and 30 leaders, the department’s among them', async () => {
    h = await startRecordsHarness();
    const departments = ['财经部', '机电部', '信息部', '基础部'];
    h.db
      .insert(people)
      .values(
        Array.from({ length: 200 }, (_, i) => ({
          name: `教师${String(i + 1).padStart(3, '0')}`,
          roles: i % 5 === 0 ? ['teacher', 'leader'] : ['teacher'],
          department: departments[i % 4]!,
          // 教师002 (机电部) teaches a class 刘芳 (财经部) teaches too: near her, though not of her department.
          classesTaught: i === 1 ? ['2024级机电1班'] : [],
        })),
      )
      .run();
    h.db
      .update(people)
      .set({ classesTaught: ['2024级机电1班'] })
      .where(eq(people.name, '刘芳'))
      .run();

    const card = current(h, await openVisitForm('刘芳', '孙小红')).content;
    const roster = h.db.select().from(people).orderBy(people.name, people.id).all();
    const me = roster.find((p) => p.name === '刘芳')!;
    const near = (p: (typeof roster)[number]) => p.department === me.department || [p.classLed, p.classDeputy, ...p.classesTaught].includes('2024级机电1班');
    const others = roster.filter((p) => p.id !== me.id);
    const expected = [...others.filter(near), ...others.filter((p) => !near(p))].slice(0, 40).map((p) => String(p.id));
    expect(options(card, 'coVisitors')).toEqual(expected);
    expect(options(card, 'coVisitors')).toContain(String(person('教师002').id));
    expect(options(card, 'coVisitors')).not.toContain(String(person('教师003').id));

    const leaders = options(card, 'leader');
    expect(leaders).toHaveLength(30);
    const departmentLeaders = others.filter((p) => p.department === me.department && p.roles.some((r) => r === 'leader' || r === 'admin'));
    expect(leaders).toEqual(expect.arrayContaining(departmentLeaders.map((p) => String(p.id))));
  });
});

describe('a target handed over', () => {
  it('is filed for by its new visitor; the former one may only correct their own records', async () => {
    h = await startRecordsHarness();
    const messageId = await openVisitForm('刘芳', '孙小红');
    expect((await h.click('刘芳', messageId, '提交', visitForm({ followUp: 'none', leader: '', followUpNote: '', coVisitors: [] }))).toast?.type).toBe(
      'success',
    );

    await h.say('陈立华', '/改派 对象 孙小红 给 黄志强');
    expect(h.textsTo('陈立华').at(-1)).toContain('黄志强');

    const opened = await h.standIn.clickCard({
      messageId,
      operatorOpenId: h.openId('刘芳'),
      value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, '孙小红') },
    });
    expect(opened.toast?.content).toContain('这位对象不在你的名单中');
    expect(opened.toast?.content).not.toContain('孙小红');
    expect(JSON.stringify(opened)).not.toContain(PRIVATE.phone);
    // Her own visit she may still correct.
    const edit = await h.click('刘芳', messageId, '修改');
    expect(edit.toast?.type).not.toBe('error');
    expect(cardText(edit.card?.data)).toContain('走访情况记录表 · 孙小红');
  });
});

async function sayAndGetCard(name: string, text: string) {
  await h.say(name, text);
  return latestCard(h, name);
}
