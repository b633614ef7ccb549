import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase, type Db } from '../../src/db/index.js';
import { CampaignRepo } from '../../src/db/repos.js';
import { people, records, recordVisitors } from '../../src/db/schema.js';
import { cardText, type Harness } from '../helpers/harness.js';
import { RECORDS_CAMPAIGN, current, latestCard, startRecordsHarness, targetId } from './fixtures.js';

/**
 * The visit card keeps the campaign's rules and each teacher's choices between
 * clicks; an admin's change, made by another process (`zoufang campaign load`,
 * a roster import from the CLI), must apply from the very next click.
 */

let h: Harness;
let admin: Db | undefined;
afterEach(async () => {
  admin?.$client.close();
  admin = undefined;
  await h?.close();
});

const visit = (extra: Record<string, unknown> = {}) => ({
  visitedOn: '2026-11-18 +0800',
  mode: 'in-person',
  place: 'home',
  coVisitors: [],
  summary: '孙小红学习认真',
  situation: '跟随祖父母生活',
  purpose: '了解留守学生生活情况',
  content: '与祖父母交流孩子在校表现',
  reflection: '',
  q_satisfaction: '4',
  q_concern: ['学习'],
  opinions: '',
  followUp: 'none',
  leader: '',
  followUpNote: '',
  noGifts: 'yes',
  ...extra,
});

async function openVisit(name: string, target: string): Promise<string> {
  await h.say(name, '/走访');
  const list = latestCard(h, name);
  const r = await h.standIn.clickCard({
    messageId: list.messageId,
    operatorOpenId: h.openId(name),
    value: { action: 'visit.open', campaignId: RECORDS_CAMPAIGN.id, targetId: targetId(h, target) },
  });
  expect(r.error).toBeUndefined();
  return list.messageId;
}

describe('a visit card after an admin’s change', () => {
  it('asks a question the campaign made required since the last submit', async () => {
    h = await startRecordsHarness();
    const first = await openVisit('刘芳', '孙小红');
    expect((await h.click('刘芳', first, '提交', visit())).toast?.type).toBe('success');

    // The admin adds a required question to the questionnaire, from the command line.
    admin = openDatabase(h.dbFile);
    const asked = { key: 'homework', label: '孩子在家完成作业的情况', type: 'single' as const, required: true, options: ['好', '一般'] };
    await new CampaignRepo(admin).save({ ...RECORDS_CAMPAIGN, questionnaire: [...RECORDS_CAMPAIGN.questionnaire, asked] });

    const second = await openVisit('刘芳', '孙小红');
    expect(cardText(current(h, second).content)).toContain('孩子在家完成作业的情况');
    const refused = await h.click('刘芳', second, '提交', visit());
    expect(refused.toast?.type).toBe('error');
    expect(refused.toast?.content).toContain('「孩子在家完成作业的情况」必填');
    expect(h.db.select().from(records).all()).toHaveLength(1);
    expect((await h.click('刘芳', second, '提交', visit({ q_homework: '好' }))).toast?.type).toBe('success');
  });

  it('offers a colleague added to the roster since, and files the visit with them', async () => {
    h = await startRecordsHarness();
    const first = await openVisit('刘芳', '孙小红');
    expect((await h.click('刘芳', first, '提交', visit())).toast?.type).toBe('success');

    admin = openDatabase(h.dbFile);
    const [liu] = admin.select().from(people).where(eq(people.name, '刘芳')).all();
    const [added] = admin.insert(people).values({ name: '欧阳新来', department: liu!.department }).returning().all();

    const second = await openVisit('刘芳', '孙小红');
    expect(cardText(current(h, second).content)).toContain('欧阳新来');
    const ok = await h.click('刘芳', second, '提交', visit({ coVisitors: [String(added!.id)] }));
    expect(ok.toast?.type).toBe('success');
    expect(cardText(current(h, second).content)).toContain('同行教师：欧阳新来');
    expect(h.db.select().from(recordVisitors).where(eq(recordVisitors.personId, added!.id)).all()).toMatchObject([{ role: 'co-visitor' }]);
  });
});
