import { z } from 'zod';
import { inZone, localDate, localMidnight } from '../../domain/time.js';
import type { Dorm, Person, RecordRow } from '../../db/schema.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { choice, count, date, text, YES_NO, type FormData, type Option } from '../../records/fields.js';
import type { RaisedIssue } from '../../db/ledger-raising.js';
import type { RecordRepo } from '../../records/repo.js';

import { endOfDay, type RecordContext } from './context.js';
import { dayOutside, formFlow, reminderCard, today, type FormDeps } from './flow.js';
import { eq } from 'drizzle-orm';
import { isRunning } from '../../domain/campaign.js';
import { headcountMismatch } from '../../domain/dorm-members.js';
import { addDays, minDate, mondayOf, termOn, termPeriods } from '../../domain/periods.js';
import { mayNudge, onceTaskDue } from '../../domain/reminders.js';
import { weeklyNudgeAt } from '../../domain/weeks.js';
import { LeaveRepo } from '../../db/leaves.js';
import { dorms } from '../../db/schema.js';
import type { WeeklyGaps } from '../deps.js';
import type { Job } from '../../scheduler/job.js';
import { dailyTriggers } from '../triggers.js';

/**
 * 关爱一间宿舍: the recurring dorm checklist and the once-per-term dorm record
 * (附件一). Only the dorm's caring teachers may file either; the record starts
 * from the roster (head, members) and from the term's checklists (past state).
 */

const HYGIENE: Option[] = [
  { value: 'good', label: '好 Good' },
  { value: 'fair', label: '一般 Fair' },
  { value: 'poor', label: '差 Poor' },
];

/** The checklist's findings; a finding other than "fine" is a problem that can go on the ledger. */
const CHECK_ITEMS = [
  { name: 'hygiene', label: '卫生情况', en: 'Hygiene', options: HYGIENE, problem: (v: string) => v === 'poor', finding: '卫生差' },
  { name: 'smoking', label: '吸烟情况', en: 'Smoking found', options: YES_NO, problem: (v: string) => v === 'yes', finding: '发现吸烟' },
  { name: 'electricity', label: '违规用电', en: 'Illegal use of electricity', options: YES_NO, problem: (v: string) => v === 'yes', finding: '发现违规用电' },
  { name: 'property', label: '财产损坏', en: 'Property damage', options: YES_NO, problem: (v: string) => v === 'yes', finding: '发现财产损坏' },
  { name: 'safety', label: '安全隐患', en: 'Safety hazards', options: YES_NO, problem: (v: string) => v === 'yes', finding: '发现安全隐患' },
] as const;

const LEDGER_CHOICE: Option[] = [
  { value: 'yes', label: '列入台账跟进 Add to the ledger' },
  { value: 'no', label: '已当场解决，不需要 Solved on the spot' },
];

const checkFields = [
  date('checkedOn', '检查日期', 'Date'),
  ...CHECK_ITEMS.map((i) => choice(i.name, i.label, i.en, i.options)),
  choice('storyShared', '分享励志故事', 'Motivational story shared', [
    { value: 'yes', label: '是 Yes' },
    { value: 'no', label: '否 No' },
  ]),
  text('notes', '情况说明', 'Notes', { multiline: true, max: 500, hint: '发现的问题、谈心情况等' }),
  choice('toLedger', '发现的问题', 'Problems found', LEDGER_CHOICE, { required: false }),
];

const room = (d: Dorm) => `${d.building}${d.room}`;

const sundayOf = (monday: string) => addDays(monday, 6);

/** What the term's checklists found, as the starting text of 附件一's "past state". */
export function pastStateFromChecks(checks: RecordRow[]): Record<'pastEnvironment' | 'pastProperty' | 'pastHygiene' | 'pastSafety', string> {
  if (!checks.length) return { pastEnvironment: '', pastProperty: '', pastHygiene: '', pastSafety: '' };
  const n = checks.length;
  const times = (item: string, value: string) => checks.filter((c) => c.data[item] === value).length;
  const found = (item: string, what: string) => (times(item, 'yes') ? `${what} ${times(item, 'yes')} 次` : `未发现${what}`);
  const hygiene = HYGIENE.map((h) => [h.label.split(' ')[0], times('hygiene', h.value)] as const).filter(([, k]) => k > 0);
  return {
    pastEnvironment: `本学期检查 ${n} 次：${found('smoking', '吸烟')}，${found('electricity', '违规用电')}。`,
    pastProperty: `${found('property', '财产损坏')}（共检查 ${n} 次）。`,
    pastHygiene: `卫生情况：${hygiene.map(([l, k]) => `${l} ${k} 次`).join('、')}。`,
    pastSafety: `${found('safety', '安全隐患')}（共检查 ${n} 次）。`,
  };
}

/** 附件一 in the paper's words; the four aspects of the past state are asked one by one, under the paper's one cell. */
export const PAST_STATE = '过去状况（环境、财产、卫生、安全）';
export const DORM_RECORD_FIELDS = [
  text('headName', '宿舍长', 'Dorm head', { required: true, max: 20 }),
  text('headClass', '宿舍长班级', 'Dorm head’s class', { required: true, max: 40 }),
  count('headcount', '宿舍人数', 'Headcount', { required: true, min: 1, max: 20 }),
  text('members', '宿舍人员姓名及班级', 'Members and classes', { required: true, multiline: true, max: 600, hint: '姓名（班级），用 、 分隔' }),
  text('pastEnvironment', '环境', 'Past state: environment', { required: true, multiline: true, max: 400, cell: PAST_STATE }),
  text('pastProperty', '财产', 'Past state: property', { required: true, multiline: true, max: 400, cell: PAST_STATE }),
  text('pastHygiene', '卫生', 'Past state: hygiene', { required: true, multiline: true, max: 400, cell: PAST_STATE }),
  text('pastSafety', '安全', 'Past state: safety', { required: true, multiline: true, max: 400, cell: PAST_STATE }),
  text('suggestions', '改进意见', 'Suggestions for improvement', { required: true, multiline: true, max: 600 }),
  text('presentState', '现在状况', 'Present state', { required: true, multiline: true, max: 600 }),
];

export function dormForms(deps: FormDeps, records: RecordRepo, ctx: RecordContext) {
  const leaves = new LeaveRepo(deps.db);
  const dormRef = z.object({ campaignId: z.string(), dormId: z.number().int().positive() });
  type DormRef = z.infer<typeof dormRef>;

  const check = formFlow(deps, records, {
    at: import.meta.url,
    form: 'dorm-check',
    ref: dormRef.extend({ week: z.string().optional() }),
    async view(ref, person, record) {
      const campaign = await ctx.campaign(ref.campaignId);
      const tz = campaign.def.timezone;
      const monday = record?.periodKey?.slice(3) ?? ref.week ?? mondayOf(today(deps, tz));
      const dorm = await ctx.heldDorm(ref.dormId, person, { first: monday, last: sundayOf(monday) });
      return {
        campaign,
        subject: { type: 'dorm', id: dorm.id },
        periodKey: `wk-${monday}`,
        title: `宿舍关爱检查 · ${room(dorm)}`,
        subtitle: `${inZone(localMidnight(monday, tz).toDate(), tz).format('M/D')} 这一周 / Weekly dorm checklist`,
        fields: checkFields,
        // A late check of a past week is dated within that week.
        prefill: { checkedOn: minDate(today(deps, tz), sundayOf(monday)), toLedger: 'yes' },
        dueAt: endOfDay(sundayOf(monday), tz),
        intro: '每周一次：到宿舍看一看、谈一谈。发现的问题可以列入台账跟进。',
        context: [],
        issueHeading: room(dorm),
        ref: { campaignId: campaign.row.id, dormId: dorm.id, week: monday },
      };
    },
    refOf: (r) => ({ campaignId: r.campaignId, dormId: r.subjectId, week: r.periodKey!.slice(3) }),
    occurredOn: (data) => String(data.checkedOn),
    check(data, view) {
      // Within the week the card is for, and not in the future.
      const monday = String(view.ref.week);
      const now = today(deps, view.campaign.def.timezone);
      const latest = now < sundayOf(monday) ? { on: now, what: '今天' } : { on: sundayOf(monday), what: '这一周的周日' };
      return dayOutside('checkedOn', '检查日期', String(data.checkedOn), { on: monday, what: '这一周的周一' }, latest);
    },
    issues(data, view) {
      if (data.toLedger === 'no') return [];
      const notes = String(data.notes ?? '');
      return CHECK_ITEMS.filter((i) => i.problem(String(data[i.name]))).map(
        (i): RaisedIssue => ({ raisedBy: 'teacher', category: 'dorm', text: `${view.issueHeading}：${i.finding}${notes ? `。${notes}` : ''}` }),
      );
    },
  });

  const record = formFlow(deps, records, {
    at: import.meta.url,
    form: 'dorm-record',
    ref: dormRef,
    reopenWith: '/宿舍',
    async view(ref: DormRef, person, stored) {
      const campaign = await ctx.campaign(ref.campaignId);
      const { def } = campaign;
      const term = termPeriods(def).find((t) => t.key === stored?.periodKey) ?? termOn(def, today(deps, def.timezone));
      const dorm = await ctx.heldDorm(ref.dormId, person, { first: term.start, last: term.end });
      const checks = (await records.forSubject(def.id, 'dorm-check', { type: 'dorm', id: dorm.id })).filter((c) => termOn(def, c.occurredOn).key === term.key);
      const prefill: FormData = {
        headName: dorm.headName ?? '',
        headClass: dorm.headClass ?? '',
        headcount: dorm.headcount ?? dorm.members.length ?? null,
        members: dorm.members.map((m) => `${m.name}（${m.className}）`).join('、'),
        ...pastStateFromChecks(checks),
      };
      return {
        campaign,
        subject: { type: 'dorm', id: dorm.id },
        periodKey: term.key,
        title: `关爱一间宿舍情况记录表 · ${room(dorm)}`,
        subtitle: '附件一 / Dorm record (once per term)',
        fields: DORM_RECORD_FIELDS,
        prefill,
        dueAt: endOfDay(onceTaskDue(def, 'dormRecord', term), def.timezone),
        intro: [
          `宿舍人员来自名单，“过去状况”根据本学期 ${checks.length} 次检查生成，可以修改。`,
          dorm.headcount !== null && dorm.members.length > 0 && dorm.headcount !== dorm.members.length
            ? `名单中宿舍人数是 ${dorm.headcount} 人，宿舍人员列了 ${dorm.members.length} 人：请补全或改正，两者一致才能提交。`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
        context: [],
        ref: { campaignId: campaign.row.id, dormId: dorm.id },
      };
    },
    refOf: (r) => ({ campaignId: r.campaignId, dormId: r.subjectId }),
    // Headcount and members are two answers about the same people: a disagreement is sent back, never stored.
    check(data) {
      const problem = headcountMismatch(Number(data.headcount), String(data.members));
      return problem ? [{ field: 'headcount', message: problem }] : [];
    },
  });

  /**
   * This week's dorms not yet checked, once the week's push has gone out: for
   * each, whoever should check it now (a caring teacher, or their substitute)
   * and the card that asks them to — one dorm at a time, so a job that sends
   * them holds one card, never the whole school's.
   */
  async function* unchecked(c: ActiveCampaign, now: Date): AsyncGenerator<{ dorm: Dorm; holder: Person; teacher: Person; monday: string; card: object }> {
    const { def } = c;
    if (!def.tasks.dormCheck.enabled || !isRunning(def, now)) return;
    const day = localDate(now, def.timezone);
    const monday = mondayOf(day);
    const pushAt = weeklyNudgeAt(def, monday, def.tasks.dormCheck.pushAt);
    if (!pushAt || now < pushAt.toDate()) return;
    for (const d of deps.db.select().from(dorms).where(eq(dorms.campaignId, def.id)).all()) {
      if (await records.forPeriod(def.id, 'dorm-check', { type: 'dorm', id: d.id }, `wk-${monday}`)) continue;
      for (const holder of await ctx.holders('dorm', d.id)) {
        const teacher = await leaves.recipientOf(holder, day);
        if (!teacher) continue;
        const card = reminderCard({
          title: `宿舍关爱检查 · ${room(d)}`,
          subtitle: 'Weekly dorm checklist',
          message: `${teacher.name}老师，本周请到 **${room(d)}** 看一看、谈一谈，填好检查表（同一宿舍的老师填一份即可）。${teacher.id === holder.id ? '' : `（代 ${holder.name} 老师）`}`,
          openValue: check.openValue({ campaignId: def.id, dormId: d.id, week: monday }),
        });
        yield { dorm: d, holder, teacher, monday, card };
      }
    }
  }

  const gaps: WeeklyGaps = async (c, now) => {
    const out = [];
    for await (const u of unchecked(c, now)) {
      out.push({
        person: u.teacher,
        key: `dorm-check:d${u.dorm.id}:${u.monday}`,
        line: `宿舍关爱检查（${room(u.dorm)}）本周未做${u.teacher.id === u.holder.id ? '' : `（代 ${u.holder.name}）`}`,
        card: u.card,
      });
    }
    return out;
  };

  /**
   * Each week at the campaign's moment (moved back off a holiday), every caring
   * teacher of a dorm not yet checked gets a card — or, while away, their substitute.
   */
  const pushJob: Job = {
    name: 'dorm-check-push',
    description: '每周推送宿舍关爱检查提醒 / push the weekly dorm checklist to caring teachers',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.tasks.dormCheck.pushAt.time),
    async run(now) {
      let queued = 0;
      for (const campaign of await deps.campaigns.all()) {
        if (!mayNudge(campaign.def, now)) continue;
        for await (const u of unchecked(campaign, now)) {
          if (!u.teacher.openId) continue;
          queued += await deps.send({
            dedupeKey: `dorm-check.push:${campaign.def.id}:${u.monday}:d${u.dorm.id}:p${u.teacher.id}`,
            to: { openId: u.teacher.openId },
            purpose: 'dorm-check.push',
            card: u.card,
          });
        }
      }
      return { queued };
    },
  };

  return { check, record, jobs: [pushJob], gaps };
}
