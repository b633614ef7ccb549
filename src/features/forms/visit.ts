import { z } from 'zod';
import { afterQuietHours, inQuietHours } from '../../domain/calendar.js';
import { formatDeadline, localDate } from '../../domain/time.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import { dailyTriggers } from '../triggers.js';
import type { CampaignDefinition } from '../../domain/campaign.js';
import type { Person, RecordRow, Target } from '../../db/schema.js';
import { CLASS_SHOWN, oneLine, shortened, shortName, textBlock } from '../../feishu/card-templates.js';
import { SHEETS } from '../../roster/sheets.js';
import { choice, confirm, date, lines, multi, text, type Field, type Fields, type FormData, type Option } from '../../records/fields.js';
import type { RecordRepo } from '../../records/repo.js';
import { categoryName, kindName } from '../../domain/targets.js';
import { memoPer } from '../../domain/memo.js';

import { endOfDay, type Choosable, type Colleague, type RecordContext } from './context.js';
import { dayOutside, formFlow, today, type FormDeps, type FormView } from './flow.js';
import type { Job } from '../../scheduler/job.js';
import { planPeople, PlanRepo } from '../planning/repo.js';

/**
 * 走访情况记录表 (附件五) with the parent questionnaire (附件四): one card for
 * home visits, enterprise visits and seed 002's leadership visits. Opinions
 * become ledger items; a follow-up can go to a leader, who gets the record.
 */

export const VISIT_MODES: Option[] = [
  { value: 'in-person', label: '上门走访 In person' },
  { value: 'phone', label: '电话/通讯 Phone' },
  { value: 'invited', label: '邀请来校 Invited to school' },
];

export const VISIT_PLACES: Option[] = [
  { value: 'home', label: '家中 Home' },
  { value: 'enterprise', label: '实习企业 Enterprise' },
  { value: 'school', label: '学校 School' },
  { value: 'office', label: '办公室 Office' },
  { value: 'other', label: '其他 Other' },
];

const FOLLOW_UPS: Option[] = [
  { value: 'none', label: '无需跟进 None' },
  { value: 'leader', label: '报告领导 Report to a leader' },
  { value: 'action', label: '需要学校处理（列入台账）Needs action' },
];

const RATING: Option[] = ['1', '2', '3', '4', '5'].map((v) => ({ value: v, label: `${v} 分` }));

/**
 * 附件四: the campaign's questions as fields named `q_<key>`. `optional`: none
 * is required on the card (a visit that may take place without the parents).
 */
export function questionnaireFields(def: CampaignDefinition, asked: { optional?: boolean } = {}): Field[] {
  return def.questionnaire.map((q) => {
    const name = `q_${q.key}`;
    const o = { required: q.required && !asked.optional };
    const opts = (q.options ?? []).map((x) => ({ value: x, label: x }));
    if (q.type === 'single') return choice(name, q.label, '问卷 Questionnaire', opts, o);
    if (q.type === 'multi') return multi(name, q.label, '问卷 Questionnaire', opts, o);
    if (q.type === 'rating') return choice(name, q.label, '问卷 Questionnaire (1–5)', RATING, o);
    return text(name, q.label, '问卷 Questionnaire', { ...o, multiline: true, max: 300 });
  });
}

const isEnterprise = (t: Target) => !!t.enterprise;

/**
 * The questions a visit on the card must still answer: the campaign's required
 * ones, unless the visit took place at the enterprise (an intern's visit, where
 * no parent fills 附件四).
 */
function questionnaireMissing(def: CampaignDefinition, data: FormData, asked: Fields): Array<{ field: string; message: string }> {
  if (data.place === 'enterprise') return [];
  const blank = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length);
  return def.questionnaire
    .filter((q) => q.required && asked.some((f) => f.name === `q_${q.key}`) && blank(data[`q_${q.key}`]))
    .map((q) => ({ field: `q_${q.key}`, message: `「${q.label}」必填：家访时请家长填写问卷（到实习企业走访可不填）` }));
}

/** 附件五's own words for a visit about a student, on the card and as the export's headers. */
export const VISIT_RECORD_LABELS = {
  summary: '学生情况简介',
  situation: '家庭（企业）情况',
  purpose: '家（企）访目的',
  content: '家（企）访内容',
  reflection: '家（企）访体会',
} as const;
/** The paper's hint under 家庭（企业）情况. */
const SITUATION_HINT = '家庭成员、经济状况、文化程度、家教观念、企业性质、企业经营状况、规模等';

/** How the target reads in a heading: no family details, safe for a leader's eyes. */
export const targetHeading = (def: CampaignDefinition, t: Pick<Target, 'name' | 'className' | 'kind'>) =>
  [shortName(t.name), t.className ? oneLine(t.className, CLASS_SHOWN) : kindName(def, t.kind)].join(' · ');

/** Where a target's details too long for a card can be read whole: the roster the admins keep. */
const DETAILS_WHOLE = '管理员处的走访对象名单';

/** The family (or enterprise) details only the target's visitors and admins may see. */
export function privateDetails(def: CampaignDefinition, t: Target): object[] {
  // Each cut at its roster column's limit: a cell stored before the limits must not make the form too big to open.
  const limit = (key: string) => SHEETS.targets.columns.find((c) => c.key === key)!.maxLength;
  const rows: Array<[string, string | null]> = [
    ['类别', [categoryName(def, t.category), t.subKind && shortened(t.subKind, limit('subKind'))].filter(Boolean).join(' · ') || null],
    ['家长', t.parentName && shortened(t.parentName, limit('parentName'))],
    ['电话', t.phone && shortened(t.phone, limit('phone'))],
    ['住址', t.address && shortened(t.address, limit('address'), DETAILS_WHOLE)],
    ['实习企业', t.enterprise && shortened(t.enterprise, limit('enterprise'), DETAILS_WHOLE)],
    ['情况说明', t.reason && shortened(t.reason, limit('reason'), DETAILS_WHOLE)],
  ];
  const shown = rows.filter(([, v]) => v);
  if (!shown.length) return [];
  return [
    { tag: 'markdown', content: '**对象信息**（仅走访教师和管理员可见 / visible to visitors and admins only）', text_size: 'notation' },
    textBlock(shown.map(([k, v]) => `${k}：${v}`).join('\n'), { size: 'notation' }),
  ];
}

/** A name in a select: a real one is a few characters, and seventy options share the card with a form's answers. */
const OPTION_NAME_SHOWN = 12;
/**
 * A colleague as a select offers them, one option per colleague and select for as long as the roster's version
 * lives: every teacher's list names up to seventy colleagues, so a district's thousand lists would otherwise keep
 * some seventy thousand copies of the same names and ids.
 */
const offered = memoPer<Colleague, 'co-visitor' | 'leader', Option>();
/** A co-visitor: the department is only a hint. */
export const coVisitorOption = (p: Colleague): Option =>
  offered(p, 'co-visitor', () => ({
    value: String(p.id),
    label: `${oneLine(p.name, OPTION_NAME_SHOWN)}${p.department ? `（${oneLine(p.department, 8)}）` : ''}`,
  }));
const leaderOption = (p: Colleague): Option => offered(p, 'leader', () => ({ value: String(p.id), label: oneLine(p.name, OPTION_NAME_SHOWN) }));

/** Seed 002's 针对性地处理走访到的信息：有的要及时汇报相关领导，有的要进行研究实践. */
const HANDLING: Option[] = [
  { value: 'none', label: '无需处理 None' },
  { value: 'leader', label: '及时汇报相关领导 Report to a leader' },
  { value: 'action', label: '进行研究实践（列入台账）Needs action' },
];

/** Where the campaign's targets are visited: no 实习企业 where no kind is visited at an enterprise. */
const placesOf = (def: CampaignDefinition): Option[] =>
  VISIT_PLACES.filter((p) => p.value !== 'enterprise' || def.targetKinds.some((k) => k.place === 'enterprise'));

/** A field whose options are the teacher's own colleagues, or leaders: made once for each list of them. */
interface ChoiceOfPeople {
  from: keyof Choosable;
  make(people: Colleague[]): Field;
}

/** A card's field as made once per campaign version. */
type FieldFor = Field | ChoiceOfPeople;

/**
 * Seed 002's own 大走访情况记录表: 事前的准备（走访目的）, 访问时的记录, 事后的整理, and 针对性地处理走访到的信息.
 * The same stored keys as 附件五, so the ledger, the leader's copy and the export read both alike.
 */
function daZoufangFields(def: CampaignDefinition, t: Target): FieldFor[] {
  const kind = def.targetKinds.find((k) => k.key === t.kind);
  const homeVisit = kind?.place === 'home';
  return [
    date('visitedOn', '走访时间', 'Date of visit'),
    choice('mode', '走访形式', 'Mode', VISIT_MODES),
    choice('place', '走访地点', 'Place', placesOf(def)),
    {
      from: 'colleagues',
      make: (colleagues) => multi('coVisitors', '协同走访', 'Co-visitors', colleagues.map(coVisitorOption), { max: 5 }),
    },
    text('purpose', '走访目的', 'Purpose', { required: true, multiline: true, max: 300 }),
    text('situation', homeVisit ? '学生家庭情况' : '对象情况', homeVisit ? 'The family' : 'About the person', { multiline: true, max: 500 }),
    text('content', '访问记录', 'What was heard', { required: true, multiline: true, rows: 5, max: 1000, hint: '摸实情、听心声：了解到的情况和对方的想法' }),
    // The campaign's own questions, for the family at a home visit.
    ...(homeVisit ? questionnaireFields(def) : []),
    text('opinions', '意见建议', 'Opinions and suggestions', { multiline: true, max: 800, hint: '每行一条，提交后列入台账跟进' }),
    choice('followUp', '信息处理', 'Follow-up', HANDLING),
    {
      from: 'leaders',
      make: (leaders) => choice('leader', '汇报给哪位领导', 'Leader to report to', leaders.map(leaderOption), { required: false }),
    },
    text('followUpNote', '处理事项', 'What needs doing', { multiline: true, max: 300 }),
    text('reflection', '事后整理', 'Afterwards', { multiline: true, max: 500 }),
  ];
}

export function visitForm(deps: FormDeps, records: RecordRepo, ctx: RecordContext) {
  const plans = new PlanRepo(deps.db);

  /** A planned visit the person goes on, still open, for this target: the record opens with its day, mode and colleagues. */
  function planOf(planId: number | undefined, person: Person, target: Target) {
    const plan = planId ? plans.get(planId) : undefined;
    return plan && plan.status === 'planned' && plan.targetId === target.id && PlanRepo.goesOn(plan, person.id) ? plan : undefined;
  }

  /**
   * The card's fields. Their validators are built once per campaign version and
   * kind of target, not per card: building them was a fifth of a submit's cost.
   */
  const made = memoPer<CampaignDefinition, string, FieldFor[]>();
  function fields(def: CampaignDefinition, t: Target, people: Choosable): Field[] {
    const template = made(def, `${t.kind}|${isEnterprise(t)}`, () =>
      def.tasks.visits.recordForm === 'da-zoufang' ? daZoufangFields(def, t) : visitRecordFields(def, t),
    );
    return template.map((f) => ('make' in f ? choiceOf(f, people) : f));
  }

  /** The same teacher's colleagues and leaders come back as the same lists (see RecordContext), so their fields are made once. */
  const madeFor = memoPer<Colleague[], ChoiceOfPeople, Field>();
  function choiceOf(f: ChoiceOfPeople, people: Choosable): Field {
    const list = people[f.from];
    return madeFor(list, f, () => f.make(list));
  }

  /** 附件五 with 附件四's questions. */
  function visitRecordFields(def: CampaignDefinition, t: Target): FieldFor[] {
    const L = VISIT_RECORD_LABELS;
    const kind = def.targetKinds.find((k) => k.key === t.kind);
    const enterprise = isEnterprise(t);
    const student = kind?.student ?? false;
    return [
      date('visitedOn', '走访日期', 'Date of visit'),
      choice('mode', '走访方式', 'Mode', VISIT_MODES),
      choice('place', '走访地点', 'Place', VISIT_PLACES),
      {
        from: 'colleagues',
        make: (colleagues) => multi('coVisitors', '同行教师', 'Co-visitors', colleagues.map(coVisitorOption), { max: 5 }),
      },
      text('summary', student ? L.summary : '对象概况', student ? 'About the student' : 'About the person', { required: true, multiline: true, max: 300 }),
      text('situation', student ? L.situation : '基本情况', student ? 'Family or enterprise' : 'Background', {
        required: true,
        multiline: true,
        max: 500,
        ...(student ? { hint: SITUATION_HINT } : {}),
      }),
      text('purpose', student ? L.purpose : '走访目的', 'Purpose', { required: true, multiline: true, max: 300 }),
      text('content', student ? L.content : '走访内容', 'What was discussed', { required: true, multiline: true, rows: 5, max: 1000 }),
      text('reflection', student ? L.reflection : '走访体会', 'Reflection', { multiline: true, max: 500 }),
      // 附件四 is the parents' questionnaire: it belongs to visits about a student, and an
      // intern visited at the enterprise has no parent there to fill it (checked against the place chosen).
      ...(student ? questionnaireFields(def, { optional: enterprise }) : []),
      text('opinions', enterprise ? '企业意见和建议' : '家长意见和建议', 'Opinions and suggestions', {
        multiline: true,
        max: 800,
        hint: '每行一条，提交后列入台账跟进',
      }),
      choice('followUp', '后续跟进', 'Follow-up', FOLLOW_UPS),
      {
        from: 'leaders',
        make: (leaders) => choice('leader', '报告给哪位领导', 'Leader to report to', leaders.map(leaderOption), { required: false }),
      },
      text('followUpNote', '跟进事项', 'What needs doing', { multiline: true, max: 300 }),
      confirm('noGifts', '未收受家长（企业）礼品礼金', 'No gifts accepted'),
    ];
  }

  const flow = formFlow(deps, records, {
    at: import.meta.url,
    form: 'visit',
    repeatable: true,
    ref: z.object({ campaignId: z.string(), targetId: z.number().int().positive(), planId: z.number().int().positive().optional() }),
    async view(ref, person, stored): Promise<FormView> {
      const campaign = await ctx.campaign(ref.campaignId);
      const { def } = campaign;
      const target = await ctx.visitableTarget(ref.targetId, person, stored);
      const plan = stored ? undefined : planOf(ref.planId, person, target);
      const planned = plan ? planPeople(plan).filter((id) => id !== person.id) : [];
      const named = [...((stored?.data.coVisitors as string[] | undefined) ?? []).map(Number), ...planned];
      const choosable = await ctx.choicesOf(person, { coVisitors: named, leader: stored?.data.leader ? Number(stored.data.leader) : undefined });
      const kind = def.targetKinds.find((k) => k.key === target.kind);
      // Counted in SQL: a target visited every week must not make its card slower to open.
      const done = (await records.countForSubject(def.id, 'visit', { type: 'target', id: target.id })) - (stored ? 1 : 0);
      const daZoufang = def.tasks.visits.recordForm === 'da-zoufang';
      return {
        campaign,
        subject: { type: 'target', id: target.id },
        periodKey: null,
        title: `${daZoufang ? '大走访情况记录表' : '走访情况记录表'} · ${targetHeading(def, target)}`,
        subtitle: `${daZoufang ? '' : '附件五 / '}Visit record${done ? ` · 此前已走访 ${done} 次` : ''}`,
        fields: fields(def, target, choosable),
        prefill: {
          visitedOn: today(deps, def.timezone),
          mode: 'in-person',
          place: isEnterprise(target) ? 'enterprise' : (kind?.place ?? 'home'),
          followUp: 'none',
          // The campaign's 走访目的 for this kind of target (seed 002's table), for the visitor to adapt.
          ...(kind?.purpose ? { purpose: kind.purpose } : {}),
          // A planned visit: its day, mode and colleagues, as planned.
          ...(plan ? { visitedOn: localDate(plan.startsAt, def.timezone), mode: plan.mode, coVisitors: planned.map(String) } : {}),
        },
        intro: def.tasks.visits.photosRequired ? '提交后，把走访照片直接发给我（可以多张），会附到这条记录上。' : undefined,
        context: privateDetails(def, target),
        ref: { campaignId: campaign.row.id, targetId: target.id, ...(plan ? { planId: plan.id } : {}) },
      };
    },
    refOf: (r) => ({ campaignId: r.campaignId, targetId: r.subjectId }),
    check(data, view) {
      const { def } = view.campaign;
      const problems: Array<{ field: string; message: string }> = [];
      problems.push(
        ...dayOutside(
          'visitedOn',
          '走访日期',
          String(data.visitedOn),
          { on: def.window.start, what: '活动开始' },
          { on: today(deps, def.timezone), what: '今天' },
        ),
      );
      if (data.followUp === 'leader' && !data.leader) problems.push({ field: 'leader', message: '选择了“报告领导”，请选择报告给哪位领导' });
      if (data.followUp !== 'none' && !data.followUpNote) problems.push({ field: 'followUpNote', message: '需要跟进时，请写明「跟进事项」' });
      problems.push(...questionnaireMissing(def, data, view.fields));
      return problems;
    },
    occurredOn: (data) => String(data.visitedOn),
    coVisitors: (data) => (data.coVisitors as string[]).map(Number),
    issues(data) {
      const raisedBy = data.place === 'enterprise' ? ('enterprise' as const) : ('parent' as const);
      // "需要学校处理": what was heard goes to the admins to assign; otherwise the visitor follows it up.
      const forSchool = data.followUp === 'action';
      const opinions = lines(data.opinions).map((t) => ({ raisedBy, category: 'visit-opinion', text: t, forSchool }));
      const action = forSchool ? [{ raisedBy: 'teacher' as const, category: 'visit-follow-up', text: String(data.followUpNote), forSchool }] : [];
      return [...opinions, ...action];
    },
    async afterSave(o, view, person, data) {
      // The record closes the plan it was opened from, and its visitors' earlier plans for the target; a plan never counted.
      const visitedOn = String(data.visitedOn);
      const closed = plans.closeWith(
        {
          planId: typeof view.ref.planId === 'number' ? view.ref.planId : undefined,
          targetId: view.subject.id,
          personIds: [person.id, ...(data.coVisitors as string[]).map(Number)],
          before: endOfDay(visitedOn, view.campaign.def.timezone),
          recordId: o.record.id,
        },
        deps.clock.now(),
      );
      const planNote = closed ? ['约访已完成'] : [];
      if (data.followUp !== 'leader') return planNote;
      const leader = await deps.people.byId(Number(data.leader));
      if (!leader?.openId) return [...planNote, '领导尚未关联飞书账号，未能发送'];
      const { def } = view.campaign;
      const now = deps.clock.now();
      // Filed late in the evening: the leader hears of it in the morning, like every other message (the job below sends it).
      if (inQuietHours(def, now)) return [...planNote, `将于 ${formatDeadline(afterQuietHours(def, now), def.timezone)} 报告 ${leader.name}`];
      await deps.send(await leaderCopy(o.record, view, person.name, leader.openId));
      return [...planNote, `已报告 ${leader.name}`];
    },
    async extra(record: RecordRow, view, forOthers) {
      const visitors = await records.visitors(record.id);
      const co = visitors.filter((v) => v.role === 'co-visitor').map((v) => v.person.name);
      const pics = (await records.photosOf(record.id)).filter((p) => p.status !== 'failed');
      const ledger = await records.ledgerOf(record.id);
      const photoLine = pics.length
        ? `照片 ${pics.length} 张 / ${pics.length} photo(s)`
        : view.campaign.def.tasks.visits.photosRequired && !forOthers
          ? "<font color='orange'>还没有照片：请把走访照片直接发给我，会附到这条记录上。</font>"
          : '';
      const content = [co.length ? `同行教师：${co.join('、')}` : '', photoLine, ledger.length ? `已列入台账 ${ledger.length} 项` : '']
        .filter(Boolean)
        .join('\n');
      return content ? [{ tag: 'markdown', content }] : [];
    },
  });

  /** The leader's copy of a visit: the record, not the family's contact details. */
  async function leaderCopy(record: RecordRow, view: FormView, author: string, leaderOpenId: string): Promise<OutboundMessage> {
    const card = await flow.summaryCard({ ...view, context: [] }, record, { editable: false, heading: `${author} 老师报告的走访记录 / Reported by ${author}` });
    return { dedupeKey: `visit.leader:${record.id}:r${record.revision}`, to: { openId: leaderOpenId }, purpose: 'visit.report-leader', card };
  }

  /**
   * The copies held back overnight go out when quiet hours end: every visit
   * reported to a leader in the last day, whose copy (per version) has not gone
   * yet — the outbox sends each key once.
   */
  const leaderReports: Job = {
    name: 'visit-leader-reports',
    description: '夜间提交的“报告领导”走访记录，早上发给领导 / visits reported to a leader overnight, sent in the morning',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.quietHours.end),
    async run(now) {
      const messages: OutboundMessage[] = [];
      for (const { def } of await deps.campaigns.all()) {
        if (inQuietHours(def, now)) continue;
        for (const record of await records.changedSince(def.id, 'visit', new Date(now.getTime() - 24 * 3600_000))) {
          if (record.data.followUp !== 'leader') continue;
          const leader = await deps.people.byId(Number(record.data.leader));
          const author = await deps.people.byId(record.authorId);
          const view = leader?.openId && author ? await flow.authorView(record).catch(() => null) : null;
          if (view) messages.push(await leaderCopy(record, view, author!.name, leader!.openId!));
        }
      }
      return { queued: await deps.send(messages) };
    },
  };

  return { ...flow, jobs: [leaderReports] };
}
