import { and, eq, gt, inArray, isNotNull, lte } from 'drizzle-orm';
import { z } from 'zod';
import type { CommandContext, Routes } from '../../bot/router.js';
import { breathe } from '../../breathe.js';
import { toast, withCard } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { people, reminderSnoozes, type Person } from '../../db/schema.js';
import { ONCE_TASK_NAMES, endedPeriodObligations, needsChasing, obligationSpans, obligationsOf, type Obligation } from '../../domain/obligations.js';
import { inSession } from '../../domain/calendar.js';
import { addDays, isAvailable, termOn } from '../../domain/periods.js';
import { byChinese, classesShort } from '../../domain/quotas.js';
import { currentStage, mayNudge, nextNudgeMoment, type Stage } from '../../domain/reminders.js';
import { formatDeadline, formatDue, inZone, localDate } from '../../domain/time.js';
import { pageNav, pageOf } from '../../feishu/card-budget.js';
import { callbackButton, listRow, renderCard } from '../../feishu/card-templates.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import type { Openers, WeeklyGap } from '../deps.js';
import type { Job } from '../../scheduler/job.js';
import { reminderCard } from '../forms/flow.js';
import { dailyTriggers } from '../triggers.js';
import { ScheduleFacts, type FactsScope } from './facts.js';
import { obligationLine, reminderText } from './wording.js';
import { defineFeature } from '../feature.js';

/**
 * The campaign keeps itself moving: every working morning the bot works out
 * what each person owes (once-per-term forms, the month's visit quota, the
 * term's claimed targets) and sends the reminder whose moment has come —
 * privately, kindly, once. Overdue work goes to the admins privately after a
 * grace period; the group only ever gets aggregates (the digest).
 */

/** Lines of /谁没交 per card page, and departments per page of its counts. */
const BEHIND_PAGE = 15;
const GROUPS_PAGE = 15;
/** The most lines /谁没交 shows whole: about what a phone shows without scrolling; past it, counts per group come first. */
const BEHIND_WHOLE = 8;
/** Weekly forms' gaps, by the key's prefix, as the task they are counted under. */
const WEEKLY_TASKS: Record<string, string> = { zone: '环境责任区报表', 'dorm-check': '宿舍关爱检查' };

/** The task a line is about, where the lines of someone with no department are counted: a school without departments still gets short groups. */
const taskOf = (o: Obligation) => (o.kind === 'once' ? ONCE_TASK_NAMES[o.task] : o.kind === 'quota' ? o.standing.quota.name : '认领对象走访');
/** Where the classes short of in-person home visits are counted: a class, not a department, owes them. */
const IN_PERSON_GROUP = '上门家访不足的班级';

interface BehindLine {
  group: string;
  personIds: number[];
  text: string;
}

/** Admin notices about a stage older than this are not sent late: by then the digest has told the story. */
const ADMIN_CATCH_UP_DAYS = 7;
/** A snoozed reminder not re-sent within this long (the bot was down) is dropped. */
const SNOOZE_STALE_MS = 3 * 86_400_000;

type ReminderSnooze = typeof reminderSnoozes.$inferSelect;

export function openValueOf(openers: Openers, campaignId: string, o: Obligation): object {
  if (o.kind !== 'once') return openers.visits(campaignId);
  if (o.task === 'dormRecord') return openers.dormRecord(campaignId, o.subject.id);
  if (o.task === 'studentDay') return openers.studentDay(campaignId, Number(o.periodKey.replace('day-', '')));
  return o.task === 'reflection' ? openers.reflection(campaignId) : openers.story(campaignId);
}

/** `weekly`: the weekly forms' gaps (zone reports, dorm checks), which /谁没交 lists and /催办 chases beside the obligations. */
export const remindersFeature = defineFeature({ name: 'reminders', at: import.meta.url, needs: ['openers', 'weeklyGaps', 'termStandings'] }, (deps) => {
  const { openers, weeklyGaps: weekly } = deps;
  const facts = new ScheduleFacts(deps.db);

  const reminderKey = (o: Obligation, stage: Stage) => `${o.key}@${stage.key}`;

  function personalMessage(
    c: ActiveCampaign,
    o: Obligation,
    stage: Stage,
    person: Person,
    o2: { dedupeKey: string; snoozable: boolean; note?: string },
  ): OutboundMessage {
    const t = reminderText(o, stage, person.name);
    return {
      dedupeKey: o2.dedupeKey,
      to: { openId: person.openId! },
      purpose: `remind.${o.kind}`,
      card: reminderCard({
        title: t.title,
        subtitle: `${c.def.name} / Reminder`,
        message: t.message,
        openValue: openValueOf(openers, c.row.id, o),
        openLabel: t.openLabel,
        overdue: t.overdue,
        snoozeValue: o2.snoozable ? { action: 'reminder.snooze', campaignId: c.row.id, key: reminderKey(o, stage) } : undefined,
        note: o2.note,
        // The last reminder of an obligation may be read weeks later; /进度 has the same buttons.
        reopenWith: '/进度',
      }),
    };
  }

  /** The overdue notice to admins: as many lines as fit one card, and a button to /谁没交's per-department view for the rest. */
  function adminListCard(c: ActiveCampaign, title: string, lines: string[]) {
    return pageOf(lines, 0, {
      perPage: BEHIND_PAGE,
      render: (rows, at) =>
        renderCard('list', {
          title,
          subtitle: `${c.def.name} / Needs attention`,
          headerColor: 'orange',
          sections: [
            { tag: 'markdown', content: rows.map((l) => `- ${l}`).join('\n') },
            ...(at.next !== undefined
              ? [
                  { tag: 'markdown', content: `另有 ${at.total - at.to} 项未列出。/ ${at.total - at.to} more.` },
                  callbackButton('按部门查看全部 See all', { action: 'behind.groups', offset: 0 }),
                ]
              : []),
            {
              tag: 'markdown',
              content: '本人已收到私信提醒。仅管理员可见；群里只发统计数字。/ The people themselves were reminded first.',
              text_size: 'notation',
            },
          ],
        }),
    });
  }

  /** Campaigns whose reminders may still go out: running, or ended less than a month ago (overdue notices). */
  const chasing = (c: ActiveCampaign, today: string) => today >= c.def.window.start && today <= addDays(c.def.window.end, 30);

  /** What the obligations on `today` are judged over: the quotas' periods and the term of claims. */
  const scopeOn = (def: ActiveCampaign['def'], today: string): FactsScope => ({ spans: obligationSpans(def, today), claimsTerm: termOn(def, today) });

  /**
   * The reminders whose moment has come, judged a page of people at a time so
   * memory holds a page's facts, not a district's. The admins' overdue lists,
   * gathered from every page, go after the personal reminders.
   */
  async function remind(now: Date): Promise<number> {
    // Queued together at the end, as one fan-out: only the facts are read a page at a time.
    const messages: OutboundMessage[] = [];
    const admins = (await deps.people.admins()).filter((a) => a.openId);
    for (const c of await deps.campaigns.all()) {
      const { def } = c;
      const today = localDate(now, def.timezone);
      if (!chasing(c, today) || !mayNudge(def, now)) continue;
      // By stage day: this period's obligations first, then the ended periods', as one list reads them.
      const escalations = { current: new Map<string, string[]>(), ended: new Map<string, string[]>() };
      const snoozes = dueSnoozes(c, now);
      const snoozed: Array<OutboundMessage | undefined> = [];
      for await (const f of facts.pages(c, scopeOn(def, today))) {
        const current = obligationsOf(def, f, today);
        const ended = endedPeriodObligations(def, f, today);
        for (const [list, into] of [
          [current, escalations.current],
          [ended, escalations.ended],
        ] as const) {
          for (const o of list) {
            const stage = currentStage(def, o.stages, now);
            if (!stage || !needsChasing(def, o, stage, today)) continue;
            if (stage.audience === 'admin') {
              if (stage.on < addDays(today, -ADMIN_CATCH_UP_DAYS)) continue;
              const names = o.personIds
                .map((id) => f.persons.get(id)?.name)
                .filter(Boolean)
                .join('、');
              into.set(stage.on, [...(into.get(stage.on) ?? []), `${names}：${obligationLine(o)}`]);
              continue;
            }
            for (const id of o.personIds) {
              const person = f.persons.get(id);
              const availability = f.availability.get(id);
              // Someone on leave hears nothing; their quota is already reduced for those days.
              if (!person?.openId || !availability || !isAvailable(availability, today)) continue;
              messages.push(personalMessage(c, o, stage, person, { dedupeKey: `remind:${c.row.id}:${reminderKey(o, stage)}:p${id}`, snoozable: true }));
            }
          }
        }
        snoozes.forEach((sn, i) => {
          const m = snoozedMessage(c, sn, [...current, ...ended], f.persons, now);
          if (m) snoozed[i] = m;
        });
        await breathe();
      }
      const lists = new Map<string, string[]>();
      for (const m of [escalations.current, escalations.ended]) for (const [on, lines] of m) lists.set(on, [...(lists.get(on) ?? []), ...lines]);
      for (const [on, lines] of lists) {
        for (const a of admins) {
          messages.push({
            dedupeKey: `remind.escalate:${c.row.id}:${on}:a${a.id}`,
            to: { openId: a.openId! },
            purpose: 'remind.escalate',
            card: adminListCard(c, `逾期未完成 · ${lines.length} 项`, lines),
          });
        }
      }
      messages.push(...snoozed.filter((m): m is OutboundMessage => !!m));
    }
    return deps.send(messages);
  }

  /** Snoozed reminders whose time has come (not stale). */
  function dueSnoozes(c: ActiveCampaign, now: Date): ReminderSnooze[] {
    return deps.db
      .select()
      .from(reminderSnoozes)
      .where(
        and(eq(reminderSnoozes.campaignId, c.row.id), lte(reminderSnoozes.until, now), gt(reminderSnoozes.until, new Date(now.getTime() - SNOOZE_STALE_MS))),
      )
      .all();
  }

  /** A reminder someone asked to hear again, if it is among `obligations` and the work is still not done. */
  function snoozedMessage(
    c: ActiveCampaign,
    s: ReminderSnooze,
    obligations: Obligation[],
    persons: Map<number, Person>,
    now: Date,
  ): OutboundMessage | undefined {
    const [key, stageKey] = s.reminderKey.split('@');
    const o = obligations.find((x) => x.key === key);
    const stage = o?.stages.find((x) => x.key === stageKey);
    const person = persons.get(s.personId);
    // A snooze only ever brings back a reminder of the person's own.
    if (!o || !stage || !person?.openId || !o.personIds.includes(person.id) || !needsChasing(c.def, o, stage, localDate(now, c.def.timezone))) return undefined;
    return personalMessage(c, o, stage, person, { dedupeKey: `remind:${c.row.id}:${s.reminderKey}:p${person.id}:snoozed`, snoozable: false });
  }

  const job: Job = {
    name: 'reminders',
    description: '每个工作日按时提醒未完成的任务（T-14/T-7/T-1、逾期、进度），并私下告知管理员 / daily reminders, pace nudges and escalation',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.reminders.at),
    run: async (now) => ({ queued: await remind(now) }),
  };

  /** What someone is behind on right now, for /催办 and /谁没交: past due, behind pace, or due within a week. */
  function outstanding(obligations: Obligation[], today: string, soon: boolean): Obligation[] {
    return obligations.filter((o) => {
      if (o.kind === 'once') return !o.done && (o.dueOn < today || (soon && o.dueOn <= addDays(today, 7)));
      return o.standing.state === 'behind' || o.standing.state === 'missed';
    });
  }

  const weeklyGaps = async (c: ActiveCampaign, now: Date): Promise<WeeklyGap[]> => (await Promise.all(weekly.map((g) => g(c, now)))).flat();

  /** /催办: every overdue or behind-pace person hears now, at most once a day per item. */
  async function chaseNow(ctx: CommandContext<'campaign', true>) {
    const c = ctx.campaign;
    const { def } = c;
    const now = deps.clock.now();
    if (!mayNudge(def, now)) {
      return ctx.reply({
        text: `现在是休息时间（夜间或节假日），为不打扰老师，提醒没有发出。请在工作日 ${def.quietHours.end}–${def.quietHours.start} 之间再试。\nQuiet hours or a day off: nothing was sent.`,
      });
    }
    const today = localDate(now, def.timezone);
    const messages: OutboundMessage[] = [];
    const people = new Set<number>();
    for await (const f of facts.pages(c, scopeOn(def, today))) {
      for (const o of outstanding(obligationsOf(def, f, today), today, false)) {
        const stage = [...o.stages].reverse().find((s) => s.audience === 'person' && s.on <= today) ?? o.stages.find((s) => s.audience === 'person')!;
        for (const id of o.personIds) {
          const p = f.persons.get(id);
          const availability = f.availability.get(id);
          if (!p?.openId || !availability || !isAvailable(availability, today)) continue;
          people.add(id);
          messages.push(personalMessage(c, o, stage, p, { dedupeKey: `remind.chase:${c.row.id}:${o.key}:${today}:p${id}`, snoozable: false }));
        }
      }
      await breathe();
    }
    for (const g of await weeklyGaps(c, now)) {
      if (!g.person.openId) continue;
      people.add(g.person.id);
      messages.push({
        dedupeKey: `remind.chase:${c.row.id}:${g.key}:${today}:p${g.person.id}`,
        to: { openId: g.person.openId },
        purpose: 'remind.weekly',
        card: g.card,
      });
    }
    const queued = await deps.send(messages);
    const again = messages.length - queued;
    await ctx.reply({
      text: !messages.length
        ? '目前没有逾期或落后进度的任务，无需催办。👍\nNothing is overdue or behind.'
        : queued
          ? `已向 ${people.size} 位老师发送提醒，共 ${queued} 条${again ? `（另有 ${again} 条今天已催过，未重复发送）` : ''}。\nReminders sent: ${queued}.`
          : `今天已经催过这 ${people.size} 位老师（共 ${messages.length} 条），没有重复发送；明天可以再催。\nAlready chased today; nothing sent again.`,
    });
  }

  /** Whose in-person visits lack the photo the campaign requires, and how many: in the order of their first such visit. */
  const photoGapLines = (c: ActiveCampaign): Array<[number, number]> =>
    c.def.tasks.visits.enabled && c.def.tasks.visits.photosRequired ? [...facts.aggregates.photoGapsByAuthor(c.def.id, {})] : [];

  /** Every line of /谁没交 now, filed under the department of the first person it names, or else under its task. */
  async function behindLines(c: ActiveCampaign): Promise<BehindLine[]> {
    const { def } = c;
    const now = deps.clock.now();
    const today = localDate(now, def.timezone);
    const groupOf = (p: Pick<Person, 'department'> | undefined, task: string) => p?.department || task;
    const owed: BehindLine[] = [];
    for await (const f of facts.pages(c, scopeOn(def, today))) {
      for (const o of outstanding(obligationsOf(def, f, today), today, true))
        owed.push({
          group: groupOf(f.persons.get(o.personIds[0]!), taskOf(o)),
          personIds: o.personIds,
          text: `${o.personIds.map((id) => f.persons.get(id)?.name).join('、')}：${obligationLine(o)}${o.kind === 'once' && o.dueOn >= today ? '（未到期）' : ''}`,
        });
      await breathe();
    }
    // Seed 002's 上门家访每班至少2位学生, per class, while the term runs: the head teacher is named, as the one who arranges it.
    // The digest's standings of the term, kept per class: not the term's every first visit read again for each ask.
    const term = termOn(def, today);
    const classes =
      inSession(def, today) && def.coverage.some((r) => r.rule === 'in-person-per-class')
        ? await deps.termStandings(c, today).then((standings) => classesShort(def, (_, k) => standings[k]!))
        : [];
    // Each step below reads the whole district (the head teachers, the photo gaps, the week's forms): a turn
    // between them, or the report held the event loop 130–190 ms at its end.
    await breathe();
    const heads = classes.length ? deps.db.select().from(people).where(isNotNull(people.classLed)).all() : [];
    const gaps = photoGapLines(c);
    await breathe();
    const weeklyLines = await weeklyGaps(c, now);
    // Those named beyond the pages: their departments file their lines.
    const named = [...new Set([...weeklyLines.map((g) => g.person.id), ...gaps.map(([id]) => id)])];
    const byId = new Map((named.length ? deps.db.select().from(people).where(inArray(people.id, named)).all() : []).map((p) => [p.id, p]));
    return [
      ...owed,
      ...weeklyLines.map((g) => ({
        group: groupOf(byId.get(g.person.id), WEEKLY_TASKS[g.key.split(':')[0]!] ?? '每周表单'),
        personIds: [g.person.id],
        text: `${g.person.name}：${g.line}`,
      })),
      ...gaps.map(([id, n]) => ({
        group: groupOf(byId.get(id), '上门走访照片'),
        personIds: [id],
        text: `${byId.get(id)?.name ?? `#${id}`}：上门走访缺照片 ${n} 次`,
      })),
      ...classes.map((cl) => {
        const head = heads.filter((p) => p.classLed === cl.className);
        return {
          group: IN_PERSON_GROUP,
          personIds: head.map((p) => p.id),
          text: `${cl.className}${head.length ? `（班主任 ${head.map((p) => p.name).join('、')}）` : ''}：本学期上门家访 ${cl.inPerson}/${cl.min} 位 · 学期 ${formatDue(term.end)} 结束`,
        };
      }),
    ];
  }

  /**
   * /谁没交 as a card: the lines themselves when they fit one page; past that, a
   * count per department with a button opening that department's lines, a page
   * at a time (a school's list is 67 lines — 4,200 px on a phone).
   */
  function behindCard(c: ActiveCampaign, lines: BehindLine[], view: { group?: string; offset: number }) {
    const { def } = c;
    const frame = (sections: object[]) =>
      renderCard('list', {
        title: lines.length ? `尚未完成 · ${lines.length} 项` : '全部按时完成',
        subtitle: `${def.name} / Who has not submitted · ${formatDeadline(deps.clock.now(), def.timezone)}`,
        headerColor: lines.length ? 'orange' : 'green',
        sections: [...sections, ...(lines.length ? [{ tag: 'markdown', content: '输入 /催办 可立即私信提醒以上老师。', text_size: 'notation' }] : [])],
      });
    if (!lines.length) return frame([{ tag: 'markdown', content: '没有逾期、落后或一周内到期未交的任务。' }]);
    const listed = (rows: BehindLine[]) => ({ tag: 'markdown', content: rows.map((l) => `- ${l.text}`).join('\n') });
    if (view.group === undefined && lines.length <= BEHIND_WHOLE) return frame([listed(lines)]);
    if (view.group !== undefined) {
      const group = view.group;
      const mine = lines.filter((l) => l.group === group);
      return pageOf(mine, view.offset, {
        perPage: BEHIND_PAGE,
        render: (rows, at) =>
          frame([
            { tag: 'markdown', content: `**${group}** · ${mine.length} 项` },
            mine.length ? listed(rows) : { tag: 'markdown', content: '这个部门的任务已经都完成了。' },
            ...pageNav(at, (o) => ({ action: 'behind.group', group, offset: o })),
            callbackButton('返回各部门统计 Back', { action: 'behind.groups', offset: 0 }),
          ]),
      });
    }
    const groups = [...new Set(lines.map((l) => l.group))].sort(byChinese).map((group) => {
      const mine = lines.filter((l) => l.group === group);
      return { group, items: mine.length, people: new Set(mine.flatMap((l) => l.personIds)).size };
    });
    return pageOf(groups, view.offset, {
      perPage: GROUPS_PAGE,
      render: (rows, at) =>
        frame([
          {
            tag: 'markdown',
            content: `共 ${new Set(lines.flatMap((l) => l.personIds)).size} 位老师、${lines.length} 项，按部门统计（未填部门的按任务）；点“查看”看名单。`,
          },
          ...rows.map((g) =>
            listRow(`**${g.group}** · ${g.people} 人 · ${g.items} 项`, callbackButton('查看', { action: 'behind.group', group: g.group, offset: 0 })),
          ),
          ...pageNav(at, (o) => ({ action: 'behind.groups', offset: o }), '个部门'),
        ]),
    });
  }

  /** /谁没交: who owes what now, by name, to the admin privately. */
  async function whoIsBehind(ctx: CommandContext<'campaign', true>) {
    const c = ctx.campaign;
    await ctx.reply({ card: behindCard(c, await behindLines(c), { offset: 0 }) });
  }

  function register(router: Routes) {
    const behindView = async (c: ActiveCampaign, view: { group?: string; offset: number }) => withCard({}, behindCard(c, await behindLines(c), view));
    router.action('behind.groups', z.object({ offset: z.number().int().min(0) }), { adminOnly: true, needs: 'campaign' }, ({ value, campaign }) =>
      behindView(campaign, value),
    );
    router.action(
      'behind.group',
      z.object({ group: z.string().max(100), offset: z.number().int().min(0) }),
      { adminOnly: true, needs: 'campaign' },
      ({ value, campaign }) => behindView(campaign, value),
    );
    router.action('reminder.snooze', z.object({ campaignId: z.string(), key: z.string().max(200) }), async ({ value, person, event }) => {
      const c = await deps.campaigns.get(value.campaignId);
      if (!c) return toast('error', '这条提醒已失效。/ This reminder is no longer valid.');
      const now = deps.clock.now();
      const until = nextNudgeMoment(c.def, now);
      const inserted = deps.db
        .insert(reminderSnoozes)
        .values({ personId: person.id, campaignId: c.row.id, reminderKey: value.key, snoozedAt: now, until })
        .onConflictDoNothing()
        .run().changes;
      const when = formatDeadline(until, c.def.timezone);
      if (!inserted) return toast('info', '这条提醒已经推迟过一次了，到时会再提醒你。', 'Already snoozed once.');
      deps.log.info({ personId: person.id, messageId: event.messageId }, 'reminder snoozed');
      return toast('success', `好的，${when} 再提醒你。`, `OK — I will remind you again at ${inZone(until, c.def.timezone).format('YYYY-MM-DD HH:mm')}.`);
    });

    router
      .command({
        names: ['/催办', '/remind', '/chase'],
        summary: '立即私信提醒逾期或进度落后的老师 / remind everyone overdue now',
        adminOnly: true,
        needs: 'campaign',
        handler: chaseNow,
      })
      .command({
        names: ['/谁没交', '/missing', '/behind'],
        summary: '查看谁还没有完成本期任务（私信）/ who has not submitted',
        adminOnly: true,
        needs: 'campaign',
        handler: whoIsBehind,
      });
  }

  return { register, jobs: [job] };
});
