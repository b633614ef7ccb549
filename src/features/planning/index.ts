import { and, eq, inArray, ne } from 'drizzle-orm';
import { z } from 'zod';
import type { Routes } from '../../bot/router.js';
import { toast, withCard, type CardReply } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { ledgerItems, people, records as recordRows, targets, type Person, type Target, type VisitPlan } from '../../db/schema.js';
import { inQuietHours } from '../../domain/calendar.js';
import type { CampaignDefinition } from '../../domain/campaign.js';
import { plannedInstant, preparationMoment } from '../../domain/planning.js';
import { formatLocal, localDate } from '../../domain/time.js';
import { buttonRow, callbackButton, listRow, oneLine, plainText, renderCard, reopenNote, shortened, textBlock } from '../../feishu/card-templates.js';
import { UserFacingError } from '../../feishu/errors.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import { choice, date, formComponents, multi, text, validate, type Field, type FormData } from '../../records/fields.js';
import { RecordRepo } from '../../records/repo.js';
import type { Job, JobTrigger } from '../../scheduler/job.js';
import type { VisitPlans } from '../deps.js';
import { defineFeature } from '../feature.js';
import { recordContext } from '../forms/context.js';
import { dayOutside, reminderCard, today } from '../forms/flow.js';
import { coVisitorOption, privateDetails, targetHeading, VISIT_MODES } from '../forms/visit.js';
import { calendarSync, VISIT_HOURS } from './calendar.js';
import { planPeople, PlanRepo } from './repo.js';
import { newSubmissionKey } from '../../records/submission-key.js';

/**
 * Planning a visit together (seed 002: 上门家访要与家长早联系，建议任课教师两三个协同上门;
 * seed 000: 走访前要对走访学生的家庭基本情况…有一个基本的了解). /约访 plans a visit to one
 * of the person's targets with colleagues; the plan is stored first, then put in
 * Feishu Calendar for everyone going. The day before, each of them gets the
 * preparation card; after the hour, the visitor gets the visit record pre-filled.
 * A plan counts toward nothing: the record filed for it does, and closes it.
 */

/** Rows of /约访's lists: the person's plans, and targets to plan a visit to. */
const PLANS_LISTED = 8;
const TARGETS_LISTED = 10;
/** How many co-visitors a plan takes: seed 002 recommends two or three teachers together. */
const CO_VISITORS_MAX = 5;
/** Earlier visits and open ledger items named on the preparation card. */
const EARLIER_LISTED = 5;
const LEDGER_LISTED = 8;
/** The record card is not sent for a plan past this long: its buttons would no longer work (14 days). */
const RECORD_CARD_WITHIN_MS = 13 * 86_400_000;

const modeName = (mode: string) => VISIT_MODES.find((m) => m.value === mode)?.label.split(' ')[0] ?? mode;
const when = (def: CampaignDefinition, at: Date) => formatLocal(at, def.timezone, 'M月D日 HH:mm');

/** Feishu's time picker answers "15:30 +0800"; a plan keeps 'HH:mm'. */
function time(name: string, lbl: string, en: string): Field<string> {
  const inner = z
    .string({ message: `「${lbl}」请选择` })
    .transform((s) => s.trim().slice(0, 5))
    .pipe(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, `「${lbl}」应为时间，如 15:30`));
  return {
    name,
    label: lbl,
    en,
    required: true,
    schema: z.preprocess((v) => (v === '' || v === null ? undefined : v), inner) as z.ZodType<string>,
    component: (value) => ({
      tag: 'picker_time',
      name,
      required: true,
      placeholder: plainText(`${lbl} ${en}`),
      ...(typeof value === 'string' && /^\d{2}:\d{2}/.test(value) ? { initial_time: value.slice(0, 5) } : {}),
    }),
    display: (v) => v ?? '',
  };
}

/** Every hour in the campaign's time zone: a plan saved in the evening is prepared, or recorded, within the hour. */
const hourlyTriggers = async (campaigns: { all(): Promise<ActiveCampaign[]> }): Promise<JobTrigger[]> =>
  [...new Set((await campaigns.all()).map((c) => c.def.timezone))].map((timezone) => ({ cron: '5 * * * *', timezone }));

export const planningFeature = defineFeature({ name: 'planning', at: import.meta.url, needs: ['openers'], provides: ['visitPlans'] }, (deps) => {
  const records = new RecordRepo(deps.db);
  const ctx = recordContext(deps, records);
  const plans = new PlanRepo(deps.db);
  const classOf = (plan: VisitPlan) => deps.db.select({ c: targets.className }).from(targets).where(eq(targets.id, plan.targetId)).get()?.c ?? null;
  const sync = calendarSync(deps, plans, classOf);
  const targetOf = (id: number): Target => {
    const t = deps.db.select().from(targets).where(eq(targets.id, id)).get();
    if (!t) throw new UserFacingError('这位走访对象已不在名单中。');
    return t;
  };

  /** The targets of some plans, by id. */
  const targetsOf = (list: VisitPlan[]): Map<number, Target> => {
    const ids = [...new Set(list.map((p) => p.targetId))];
    return new Map((ids.length ? deps.db.select().from(targets).where(inArray(targets.id, ids)).all() : []).map((t) => [t.id, t]));
  };

  /** The class's teachers first (seed 002: 任课教师协同上门), then the visitor's colleagues, bounded like the visit record's select. */
  async function coVisitorOptions(person: Person, t: Target, keep: number[]) {
    const list = (await ctx.choicesOf(person, { coVisitors: keep, classFirst: t.className ?? undefined })).colleagues;
    return list.map(coVisitorOption);
  }

  async function planFields(person: Person, t: Target, keep: number[]) {
    return [
      date('day', '走访日期', 'Date'),
      time('time', '时间', 'Time'),
      choice('mode', '走访方式', 'Mode', VISIT_MODES),
      multi('coVisitors', '同行教师', 'Co-visitors', await coVisitorOptions(person, t, keep), { max: CO_VISITORS_MAX }),
      text('note', '备注', 'Note', { max: 200, hint: '如：已与家长电话约好。请勿填写家庭情况' }),
    ];
  }

  /** The card to plan a visit to a target, blank or as typed with its problems. */
  async function planForm(
    c: ActiveCampaign,
    person: Person,
    t: Target,
    o: { values?: FormData; problems?: Array<{ field: string; message: string }>; submissionKey?: string } = {},
  ) {
    const { def } = c;
    const values = o.values ?? { day: today(deps, def.timezone), time: '16:00', mode: 'in-person', coVisitors: [] };
    const fields = await planFields(person, t, ((values.coVisitors as string[] | undefined) ?? []).map(Number));
    return renderCard('record-form', {
      title: `约访 · ${targetHeading(def, t)}`,
      subtitle: 'Plan a visit',
      headerColor: o.problems?.length ? 'red' : 'blue',
      tags: [],
      intro: '选好时间和同行教师，保存后会在飞书日历中为你和同行教师创建日程（日程中不含学生和家庭信息），走访前一天发来准备卡片。',
      problems: o.problems?.length
        ? [{ tag: 'markdown', content: `<font color='red'>请修改后再保存 / please fix：</font>\n${o.problems.map((p) => `- ${p.message}`).join('\n')}` }]
        : [],
      context: privateDetails(def, t),
      fields: formComponents(fields, values, o.problems),
      submitText: '保存约访 Save',
      submitValue: { action: 'plan.save', campaignId: def.id, targetId: t.id, submissionKey: o.submissionKey ?? newSubmissionKey(deps.clock.now()) },
      reopen: [],
    });
  }

  /** Some people's names, by id. */
  const namesById = (ids: number[]): Map<number, string> =>
    new Map(
      (ids.length ? deps.db.select({ id: people.id, name: people.name }).from(people).where(inArray(people.id, ids)).all() : []).map((p) => [p.id, p.name]),
    );

  /** People's names in the order given (the visitor first). */
  function names(ids: number[]): string[] {
    const byId = namesById(ids);
    return ids.map((id) => byId.get(id)).filter((n): n is string => !!n);
  }

  /** A plan as its people see it: when, how, with whom, the calendar's state, and what they may do. */
  async function planCard(plan: VisitPlan) {
    const c = await ctx.campaign(plan.campaignId);
    const { def } = c;
    const t = targetOf(plan.targetId);
    const goers = names(planPeople(plan));
    const state = plan.status === 'cancelled' ? '已取消' : plan.status === 'done' ? '已完成（记录已提交）' : '已安排';
    const calendar =
      plan.status !== 'planned'
        ? ''
        : plan.calendarError
          ? `<font color='orange'>⚠️ 飞书日历日程未能更新（错误码 ${plan.calendarError}），约访已保存；会自动重试，也可以点“重试日历”。</font>`
          : plan.calendarRevision >= plan.revision
            ? '📅 已在飞书日历中为走访教师创建日程。'
            : '📅 正在加入飞书日历……';
    const lines = [
      `**时间**：${when(def, plan.startsAt)}（约 ${VISIT_HOURS} 小时）`,
      `**方式**：${modeName(plan.mode)}`,
      `**走访教师**：${goers.join('、')}`,
      `**状态**：${state}`,
      calendar,
    ].filter(Boolean);
    const actions =
      plan.status === 'planned'
        ? [
            buttonRow([
              callbackButton('改时间 Reschedule', { action: 'plan.reschedule', planId: plan.id }),
              callbackButton('取消约访 Cancel', { action: 'plan.cancel', planId: plan.id }, 'danger'),
              ...(plan.calendarError ? [callbackButton('重试日历 Retry', { action: 'plan.retry', planId: plan.id }, 'primary')] : []),
            ]),
          ]
        : [];
    return renderCard('list', {
      title: `约访 · ${targetHeading(def, t)}`,
      subtitle: `${def.name} / Planned visit`,
      headerColor: plan.status === 'cancelled' ? 'grey' : plan.calendarError ? 'orange' : 'blue',
      sections: [
        { tag: 'markdown', content: lines.join('\n') },
        ...(plan.note ? [{ tag: 'markdown', content: '**备注**' }, textBlock(plan.note)] : []),
        ...actions,
        reopenNote('/约访'),
      ],
    });
  }

  /** /约访: the person's plans, then their targets (not yet visited first) to plan a visit to. */
  async function listCard(c: ActiveCampaign, person: Person, filter: string) {
    const { def } = c;
    if (!def.tasks.visits.enabled) throw new UserFacingError('本次活动没有“走访”这一项。');
    const mine = plans.openFor(def.id, person.id);
    const planned = targetsOf(mine);
    const sections: object[] = [];
    if (mine.length) {
      sections.push({ tag: 'markdown', content: `**我的约访**（${mine.length}）` });
      for (const p of mine.slice(0, PLANS_LISTED)) {
        const t = planned.get(p.targetId);
        const mark = p.calendarError ? ' ⚠️' : '';
        sections.push(
          listRow(
            `${when(def, p.startsAt)} · ${t ? targetHeading(def, t) : ''} · ${modeName(p.mode)}${p.visitorId === person.id ? '' : '（同行）'}${mark}`,
            callbackButton('查看', { action: 'plan.view', planId: p.id }),
          ),
        );
      }
      if (mine.length > PLANS_LISTED)
        sections.push({ tag: 'markdown', content: `另有 ${mine.length - PLANS_LISTED} 次约访，见 /进度。`, text_size: 'notation' });
      sections.push({ tag: 'hr' });
    }
    const all = (await ctx.visitTargetsOf(def.id, person)).filter((t) => !filter || t.name.includes(filter) || (t.className ?? '').includes(filter));
    const visited = await ctx.visitsTo(def, person, all);
    const ordered = [...all].sort((a, b) => (visited.get(a.id) ?? 0) - (visited.get(b.id) ?? 0));
    sections.push({ tag: 'markdown', content: '**约一次走访** · Plan a visit' });
    if (!ordered.length)
      sections.push({ tag: 'markdown', content: filter ? `你的走访对象中没有“${filter}”。` : '你还没有走访对象（输入 /走访 了解如何获得）。' });
    for (const t of ordered.slice(0, TARGETS_LISTED))
      sections.push(
        listRow(
          `${targetHeading(def, t)}${visited.get(t.id) ? ` · 已走访 ${visited.get(t.id)} 次` : ` · <font color='orange'>未走访</font>`}`,
          callbackButton('约访', { action: 'plan.open', campaignId: def.id, targetId: t.id }, 'primary'),
        ),
      );
    if (ordered.length > TARGETS_LISTED)
      sections.push({ tag: 'markdown', content: `还有 ${ordered.length - TARGETS_LISTED} 位，输入 /约访 姓名 查找。`, text_size: 'notation' });
    sections.push(reopenNote('/约访'));
    return renderCard('list', { title: '约访 · 计划一次走访', subtitle: `${def.name} / Plan a visit`, headerColor: 'blue', sections });
  }

  /** A plan the person may change: its visitor's own, still planned. */
  function ownPlan(id: number, person: Person): VisitPlan {
    const plan = plans.get(id);
    if (!plan || !PlanRepo.goesOn(plan, person.id)) throw new UserFacingError('这次约访不在你的名单中。/ This plan is not yours.');
    if (plan.visitorId !== person.id) throw new UserFacingError('只有发起约访的老师可以改时间或取消。/ Only the teacher who planned it can change it.');
    if (plan.status !== 'planned') throw new UserFacingError(plan.status === 'done' ? '这次走访已经记录，约访已完成。' : '这次约访已取消。');
    return plan;
  }

  /** Checks a date and time typed on a card: in the campaign, not past. */
  function whenProblems(def: CampaignDefinition, day: string, hhmm: string) {
    const problems = dayOutside('day', '走访日期', day, { on: today(deps, def.timezone), what: '今天' }, { on: def.window.end, what: '活动结束' });
    if (!problems.length && plannedInstant(def, day, hhmm) <= deps.clock.now()) problems.push({ field: 'time', message: '「时间」已经过去，请选择以后的时间' });
    return problems;
  }

  /** The plan card after a change, with what the calendar did. */
  async function afterChange(plan: VisitPlan, def: CampaignDefinition, done: [string, string]): Promise<CardReply> {
    const failed = await sync(plan, def);
    const fresh = plans.get(plan.id)!;
    return withCard(
      failed
        ? toast(
            'warning',
            `${done[0]}但飞书日历暂时没能更新（错误码 ${failed}），会自动重试。`,
            `${done[1]} The calendar could not be updated yet; it will be retried.`,
          )
        : toast('success', `${done[0]}`, done[1]),
      await planCard(fresh),
    );
  }

  function register(router: Routes) {
    router.command({
      names: ['/约访', '/plan'],
      summary: '约一次走访，加入飞书日历 / plan a visit with colleagues',
      needs: 'campaign',
      async handler({ person, campaign, args, reply }) {
        await reply({ card: await listCard(campaign, person, args) });
      },
    });

    router.action('plan.list', z.object({ campaignId: z.string() }), async ({ value, person }) =>
      withCard({}, await listCard(await ctx.campaign(value.campaignId), person, '')),
    );

    router.action('plan.open', z.object({ campaignId: z.string(), targetId: z.number().int().positive() }), async ({ value, person }) => {
      const c = await ctx.campaign(value.campaignId);
      const t = await ctx.visitableTarget(value.targetId, person);
      return withCard({}, await planForm(c, person, t));
    });

    router.action(
      'plan.save',
      z.object({ campaignId: z.string(), targetId: z.number().int().positive(), submissionKey: z.string().uuid() }),
      async ({ value, person, form }) => {
        const c = await ctx.campaign(value.campaignId);
        const { def } = c;
        const t = await ctx.visitableTarget(value.targetId, person);
        const fields = await planFields(person, t, (Array.isArray(form.coVisitors) ? form.coVisitors : []).map(Number));
        const checked = validate(fields, form);
        const problems = checked.ok ? whenProblems(def, String(checked.data.day), String(checked.data.time)) : checked.problems;
        if (!checked.ok || problems.length) {
          const typed = checked.ok ? checked.data : checked.typed;
          return withCard(
            toast('error', problems.map((p) => p.message).join('；'), 'Please fix the fields marked in red.'),
            await planForm(c, person, t, { values: typed, problems, submissionKey: value.submissionKey }),
          );
        }
        const data = checked.data;
        const plan = plans.create(
          {
            campaignId: def.id,
            targetId: t.id,
            visitorId: person.id,
            coVisitorIds: (data.coVisitors as string[]).map(Number),
            mode: String(data.mode),
            startsAt: plannedInstant(def, String(data.day), String(data.time)),
            note: String(data.note) || null,
            submissionKey: value.submissionKey,
          },
          deps.clock.now(),
        );
        deps.log.info({ planId: plan.id, coVisitors: plan.coVisitorIds.length }, 'visit plan saved');
        if (plan.calendarRevision >= plan.revision) return withCard(toast('info', '这次约访已经保存过了。', 'Already saved.'), await planCard(plan));
        return afterChange(plan, def, ['约访已保存，已加入飞书日历。', 'Visit planned and added to Feishu Calendar.']);
      },
    );

    router.action('plan.view', z.object({ planId: z.number().int().positive() }), async ({ value, person }) => {
      const plan = plans.get(value.planId);
      if (!plan || !PlanRepo.goesOn(plan, person.id)) return toast('error', '这次约访不在你的名单中。', 'This plan is not yours.');
      return withCard({}, await planCard(plan));
    });

    router.action('plan.reschedule', z.object({ planId: z.number().int().positive() }), async ({ value, person }) => {
      const plan = ownPlan(value.planId, person);
      const { def } = await ctx.campaign(plan.campaignId);
      return withCard({}, rescheduleForm(def, plan, { day: localDate(plan.startsAt, def.timezone), time: formatLocal(plan.startsAt, def.timezone, 'HH:mm') }));
    });

    router.action('plan.reschedule.save', z.object({ planId: z.number().int().positive() }), async ({ value, person, form }) => {
      const plan = ownPlan(value.planId, person);
      const { def } = await ctx.campaign(plan.campaignId);
      const checked = validate(RESCHEDULE_FIELDS, form);
      const problems = checked.ok ? whenProblems(def, String(checked.data.day), String(checked.data.time)) : checked.problems;
      if (!checked.ok || problems.length)
        return withCard(
          toast('error', problems.map((p) => p.message).join('；'), 'Please fix the fields marked in red.'),
          rescheduleForm(def, plan, checked.ok ? checked.data : checked.typed, problems),
        );
      const moved = plans.reschedule(plan.id, plannedInstant(def, String(checked.data.day), String(checked.data.time)), deps.clock.now());
      return afterChange(moved, def, ['时间已修改，飞书日历已同步。', 'Rescheduled; the calendar follows.']);
    });

    router.action('plan.cancel', z.object({ planId: z.number().int().positive() }), async ({ value, person }) => {
      const plan = ownPlan(value.planId, person);
      const { def } = await ctx.campaign(plan.campaignId);
      return afterChange(plans.cancel(plan.id, deps.clock.now()), def, ['约访已取消，飞书日历中的日程已删除。', 'Plan cancelled; the event is deleted.']);
    });

    router.action('plan.retry', z.object({ planId: z.number().int().positive() }), async ({ value, person }) => {
      const plan = plans.get(value.planId);
      if (!plan || !PlanRepo.goesOn(plan, person.id)) return toast('error', '这次约访不在你的名单中。', 'This plan is not yours.');
      const { def } = await ctx.campaign(plan.campaignId);
      return afterChange(plan, def, ['已加入飞书日历。', 'Added to Feishu Calendar.']);
    });
  }

  const RESCHEDULE_FIELDS = [date('day', '走访日期', 'Date'), time('time', '时间', 'Time')];
  function rescheduleForm(def: CampaignDefinition, plan: VisitPlan, values: FormData, problems: Array<{ field: string; message: string }> = []) {
    return renderCard('record-form', {
      title: '改约访时间 / Reschedule',
      subtitle: `原定 ${when(def, plan.startsAt)}`,
      headerColor: problems.length ? 'red' : 'blue',
      tags: [],
      intro: '保存后飞书日历中的日程会一起修改，同行教师会收到通知。',
      problems: problems.length ? [{ tag: 'markdown', content: `<font color='red'>${problems.map((p) => p.message).join('；')}</font>` }] : [],
      context: [],
      fields: formComponents(RESCHEDULE_FIELDS, values, problems),
      submitText: '保存 Save',
      submitValue: { action: 'plan.reschedule.save', planId: plan.id },
      reopen: [],
    });
  }

  /** What the visitors should know before going (seed 000's 走访前的准备), for their eyes only: a direct message each. */
  async function preparationCard(c: ActiveCampaign, plan: VisitPlan) {
    const { def } = c;
    const t = targetOf(plan.targetId);
    const goers = names(planPeople(plan));
    const earlier = (await records.forSubject(def.id, 'visit', { type: 'target', id: t.id })).slice(-EARLIER_LISTED);
    // Only the earlier visits' authors: the card is built for every plan due, every hour, not the whole roster each time.
    const authors = namesById([...new Set(earlier.map((r) => r.authorId))]);
    const open = deps.db
      .select({ text: ledgerItems.text, status: ledgerItems.status })
      .from(ledgerItems)
      .innerJoin(recordRows, eq(ledgerItems.recordId, recordRows.id))
      .where(and(eq(recordRows.subjectType, 'target'), eq(recordRows.subjectId, t.id), ne(ledgerItems.status, 'closed')))
      .limit(LEDGER_LISTED)
      .all();
    const sections: object[] = [
      {
        tag: 'markdown',
        content: [`**时间**：${when(def, plan.startsAt)}`, `**方式**：${modeName(plan.mode)}`, `**走访教师**：${goers.join('、')}`].join('\n'),
      },
      ...(plan.note ? [textBlock(`备注：${plan.note}`)] : []),
      ...privateDetails(def, t),
      { tag: 'markdown', content: `**以往走访**（${earlier.length ? `最近 ${earlier.length} 次` : '还没有'}）` },
      ...earlier.map((r) =>
        textBlock(
          `${r.occurredOn} ${authors.get(r.authorId) ?? ''}（${modeName(String(r.data.mode ?? ''))}）：${shortened(String(r.data.content ?? r.data.purpose ?? ''), 120)}`,
          { size: 'notation' },
        ),
      ),
      { tag: 'markdown', content: `**台账中未销号的事项**（${open.length}）` },
      ...open.map((i) => textBlock(`· ${oneLine(i.text, 100)}`, { size: 'notation' })),
      { tag: 'markdown', content: '走访前可先与家长电话联系，确认时间地点。', text_size: 'notation' },
      buttonRow([callbackButton('查看约访', { action: 'plan.view', planId: plan.id })]),
    ];
    return renderCard('list', { title: `走访准备 · ${targetHeading(def, t)}`, subtitle: `${def.name} / Before the visit`, headerColor: 'blue', sections });
  }

  const preparationJob: Job = {
    name: 'visit-plan-preparation',
    description: '约访前一天（遇节假日提前到工作日）私信走访教师准备卡片 / the day before a planned visit, its visitors get the preparation card',
    triggers: () => hourlyTriggers(deps.campaigns),
    async run(now) {
      const messages: OutboundMessage[] = [];
      for (const c of await deps.campaigns.all()) {
        if (inQuietHours(c.def, now)) continue;
        for (const plan of plans.plannedBefore(c.row.id, new Date(now.getTime() + 8 * 86_400_000))) {
          if (plan.startsAt <= now || preparationMoment(c.def, plan.startsAt) > now) continue;
          const card = await preparationCard(c, plan);
          for (const id of planPeople(plan)) {
            const p = await deps.people.byId(id);
            // Once per plan, time and person: a new time prepares again.
            if (p?.openId)
              messages.push({
                dedupeKey: `visit-plan.prepare:${plan.id}:r${plan.revision}:p${id}`,
                to: { openId: p.openId },
                purpose: 'visit-plan.prepare',
                card,
              });
          }
        }
      }
      return { queued: await deps.send(messages) };
    },
  };

  const recordJob: Job = {
    name: 'visit-plan-record',
    description: '约访时间过后，把预填好的走访记录发给约访教师 / after a planned visit, its visitor gets the record pre-filled',
    triggers: () => hourlyTriggers(deps.campaigns),
    async run(now) {
      const messages: OutboundMessage[] = [];
      for (const c of await deps.campaigns.all()) {
        const { def } = c;
        if (inQuietHours(def, now)) continue;
        for (const plan of plans.plannedBefore(c.row.id, new Date(now.getTime() - VISIT_HOURS * 3600_000))) {
          if (now.getTime() - plan.startsAt.getTime() > RECORD_CARD_WITHIN_MS) continue;
          const visitor = await deps.people.byId(plan.visitorId);
          if (!visitor?.openId) continue;
          const t = targetOf(plan.targetId);
          messages.push({
            dedupeKey: `visit-plan.record:${plan.id}:r${plan.revision}`,
            to: { openId: visitor.openId },
            purpose: 'visit-plan.record',
            card: reminderCard({
              title: `填写走访记录 · ${targetHeading(def, t)}`,
              subtitle: 'Record the planned visit',
              message: `${visitor.name}老师，${when(def, plan.startsAt)} 的约访（${modeName(plan.mode)}）时间已过。走访后请填写记录：日期、方式和同行教师已按约访填好。`,
              openValue: deps.openers.plannedVisit(def.id, t.id, plan.id),
              openLabel: '填写走访记录 Record it',
            }),
          });
        }
      }
      return { queued: await deps.send(messages) };
    },
  };

  const calendarJob: Job = {
    name: 'visit-plan-calendar',
    description: '飞书日历中没能创建、修改或删除的约访日程，再试一次 / retries calendar events that failed',
    triggers: () => hourlyTriggers(deps.campaigns),
    async run() {
      let failed = 0;
      const lagging = plans.lagging();
      for (const plan of lagging) {
        const c = await deps.campaigns.get(plan.campaignId);
        if (c && (await sync(plan, c.def))) failed += 1;
      }
      return { queued: 0, detail: lagging.length ? `${lagging.length - failed}/${lagging.length} synced` : undefined };
    },
  };

  const visitPlans: VisitPlans = {
    planValue: (campaignId, targetId) => ({ action: 'plan.open', campaignId, targetId }),
    async progressBlocks(c, person) {
      const { def } = c;
      if (!def.tasks.visits.enabled) return [];
      const mine = plans.openFor(def.id, person.id);
      // Nothing to plan for someone who visits no one (a cadre with a zone only).
      if (!mine.length && !(await ctx.visitsAnyone(def.id, person))) return [];
      const byId = targetsOf(mine);
      const lines = mine.slice(0, PLANS_LISTED).map((p) => {
        const t = byId.get(p.targetId);
        return `- ${when(def, p.startsAt)} ${t ? targetHeading(def, t) : ''} · ${modeName(p.mode)}${p.calendarError ? ' ⚠️ 日历未同步' : ''}`;
      });
      const head = `**计划走访** · ${mine.length ? `已约 ${mine.length} 次（记录提交后才计入走访任务）` : '还没有约访'}`;
      return [
        { tag: 'markdown', content: [head, ...lines].join('\n') },
        buttonRow([callbackButton('约访 Plan a visit', { action: 'plan.list', campaignId: def.id }, mine.length ? 'default' : 'primary')]),
      ];
    },
  };

  return { register, jobs: [preparationJob, recordJob, calendarJob], provides: { visitPlans } };
});
