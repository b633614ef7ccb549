import { and, count, eq, gte, inArray, like, lte, max } from 'drizzle-orm';
import type { Routes } from '../../bot/router.js';
import { breathe, breatheEvery } from '../../breathe.js';
import type { ActiveCampaign } from '../../db/repos.js';
import type { Db } from '../../db/index.js';
import { outbox, people, records } from '../../db/schema.js';
import {
  BEHIND_NAMES_SHOWN,
  behindInGroup,
  campaignDigest,
  digestQuotaPeriod,
  periodWord,
  shortLabels,
  zoneReportDigest,
  type CampaignDigest,
  type DigestKind,
  type DigestVisits,
} from '../../domain/digest.js';
import { inSessionDuring } from '../../domain/calendar.js';
import { ACTIVE_STATUSES, ledgerDigestCounts, type LedgerFact } from '../../domain/ledger.js';
import { ONCE_TASK_NAMES, type CampaignFacts } from '../../domain/obligations.js';
import { addDays, happenedIn, minDate, mondayOf, monthsOf, phasePeriods, termOn, weekAnchor, weeksCountingIn, type Period } from '../../domain/periods.js';
import { mayNudge, type OnceTask } from '../../domain/reminders.js';
import { dayjs, formatLocal, localDate, localMidnight, monthDay } from '../../domain/time.js';
import { latestWeekPast, localLabel, momentInFollowingWeek, reportWeeks, type ReportWeek } from '../../domain/weeks.js';
import { CLASS_SHOWN, oneLine, renderCard, shortName } from '../../feishu/card-templates.js';
import { coverageStanding, quotaApplies, type CoverageStanding, type TargetFact, type VisitFact } from '../../domain/quotas.js';
import type { Quota } from '../../domain/campaign.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import { branchChatOf } from '../deps.js';
import type { Job } from '../../scheduler/job.js';
import { VersionedCache } from '../../db/versioned-cache.js';
import type { VisitSpan } from '../../db/visit-aggregates.js';
import { LedgerRepo } from '../ledger/repo.js';
import { firstVisitFacts, idPages, reachedOf, ScheduleFacts, TARGETS_PAGE } from '../reminders/facts.js';
import { dailyTriggers } from '../triggers.js';
import { ZoneReports } from '../../records/zone-reports.js';
import { campaignShapeDigest, type ShapeLines } from './shape.js';
import { judgedOf, TermCoverage, type Judged } from './term-coverage.js';
import { latestPeriodDue, periodDueAt, plannedVisitCounts, plannedVisitsLine, targetsOfKinds } from '../../domain/digest.js';
import { weekAround } from '../../domain/planning.js';
import { PlanRepo } from '../planning/repo.js';
import { defineFeature } from '../feature.js';

/**
 * Digests to the branch group: every week (default Monday 09:00, about the
 * week before), every month, and at the end of each phase. Completion of the
 * zone reports and dorm checks, visits against quota, coverage of the target
 * groups, the once-per-term forms, the ledger, highlights and who is behind —
 * teachers' names and counts only, never anything about a student.
 */

const KIND_TITLES: Record<DigestKind, string> = { weekly: '党支部周报', monthly: '党支部月报', phase: '阶段小结' };
/** A campaign's name comes from its file, unbounded; the subtitle shows its start. */
const CAMPAIGN_NAME_SHOWN = 40;
const pct = (n: number, d: number) => (d ? Math.round((n / d) * 100) : 0);
/** How long before a period a reminder still counts as "reminded" in its digest (the mid-month pace nudge). */
const REMINDED_LOOKBACK_DAYS = 14;
/** Reminders sent to the person who owes the work (not the admins' overdue lists). */
const PERSONAL_REMINDERS = ['remind.once', 'remind.quota', 'remind.claimed', 'remind.weekly', 'zone-report.overdue'];

/**
 * How many personal reminders (of any campaign) went out from `since` on, and
 * when the last did: outbox_sent_idx alone answers it, without a row read. A
 * sent message is never sent again, and a newer one is sent later than the
 * last, so while both hold still nobody new was reminded.
 */
export const remindersSentSince = (db: Db, since: Date) =>
  db
    .select({ sent: count(), last: max(outbox.sentAt) })
    .from(outbox)
    .where(and(inArray(outbox.purpose, PERSONAL_REMINDERS), eq(outbox.status, 'sent'), gte(outbox.sentAt, since)));

/** The people a personal reminder of the campaign reached between `since` and `cutoff` (through outbox_sent_idx: a term's every other message is not read). */
export const remindersSent = (db: Db, campaignId: string, since: Date, cutoff: Date) =>
  db
    .selectDistinct({ id: people.id })
    .from(outbox)
    .innerJoin(people, eq(people.openId, outbox.receiveId))
    .where(
      and(
        inArray(outbox.purpose, PERSONAL_REMINDERS),
        eq(outbox.status, 'sent'),
        like(outbox.dedupeKey, `%:${campaignId}:%`),
        gte(outbox.sentAt, since),
        lte(outbox.sentAt, cutoff),
      ),
    );

/** A span cut at the ends of calendar months: counts of disjoint days add up. */
function byMonth<S extends { start: string; end: string }>(span: S): S[] {
  const out: S[] = [];
  for (let start = span.start; start <= span.end; ) {
    const end = minDate(dayjs(start).endOf('month').format('YYYY-MM-DD'), span.end);
    out.push({ ...span, start, end });
    start = addDays(end, 1);
  }
  return out;
}

/**
 * The most a digest's reads hold the event loop before a pause: its steps are
 * a millisecond or a few each, and a pause after every one let the visits,
 * sends and clicks queued meanwhile run inside the admin's wait, step by step.
 */
const DIGEST_SLICE_MS = 10;
const slice = () => breatheEvery(DIGEST_SLICE_MS);

/** Periods whose visit figures are kept at once. */
const FIGURES_KEPT = 5;

/** 全覆盖 quotas (seed 002 has five) whose first visits are kept at once, over every campaign running. */
const QUOTA_CACHES = 20;

/** What the digest counts of visits, with the targets coverage judges and where each coverage rule stands. */
interface VisitFigures {
  targets: TargetFact[];
  visits: DigestVisits;
  ruleStandings: CoverageStanding[];
}

interface DuePeriod {
  kind: DigestKind;
  period: Period;
  label: string;
  key: string;
  /** When it was due: its numbers are taken then (统计截至). */
  cutoff: Date;
}

export const digestFeature = defineFeature({ name: 'digest', at: import.meta.url, needs: ['familyThemes'], provides: ['termStandings'] }, (deps) => {
  const zoneReports = new ZoneReports(deps.db);
  const facts = new ScheduleFacts(deps.db);
  const { aggregates } = facts;
  const ledger = new LedgerRepo(deps.db);
  const plans = new PlanRepo(deps.db);
  const shapeLines = campaignShapeDigest(deps);

  /** Dorm checks of the weeks that count in the period, filed by the cut-off, against dorms with a caring teacher × those weeks. */
  function dormChecks(c: ActiveCampaign, p: Period, asOf: string, cutoff: Date, dormsCared: number) {
    if (!c.def.tasks.dormCheck.enabled) return undefined;
    const mondays = weeksCountingIn(c.def, p, asOf);
    const checked = mondays.length
      ? deps.db
          .select({ id: records.id })
          .from(records)
          .where(
            and(
              eq(records.campaignId, c.row.id),
              eq(records.form, 'dorm-check'),
              inArray(
                records.periodKey,
                mondays.map((m) => `wk-${m}`),
              ),
              lte(records.occurredOn, asOf),
              lte(records.submittedAt, cutoff),
            ),
          )
          .all().length
      : 0;
    return { checked, expected: dormsCared * mondays.length };
  }

  /** Zone-report completion over the report weeks that count in the period and fell due by the cut-off, as filed by then. */
  async function zoneCompletion(c: ActiveCampaign, p: Period, cutoff: Date) {
    if (!c.def.zoneReport.enabled) return undefined;
    const weeks = reportWeeks(c.def);
    const inPeriod = weeks.filter((w) => happenedIn(p, p.end)(weekAnchor(c.def, mondayOf(w.firstDay))) && w.dueAt <= cutoff);
    const last = inPeriod.at(-1);
    if (!last) return undefined;
    const zones = await zoneReports.zonesOf(c.row.id);
    const reports = (await zoneReports.reportsFor(zones.map((z) => z.zone.id))).filter((r) => r.submittedAt <= cutoff);
    const d = zoneReportDigest(
      weeks,
      last,
      zones.map((z) => ({ zoneId: z.zone.id, ownerName: z.owner?.name ?? null })),
      reports,
    );
    const history = d.history.filter((h) => inPeriod.some((w) => w.weekNo === h.weekNo));
    return { ...d, history };
  }

  /**
   * Who remindedBy found, kept while the reminders sent since its lookback hold
   * still (remindersSentSince): they go out with the morning's jobs, while a
   * Monday's /汇总 follow the visits all day, and reading the fortnight's sent
   * reminders again at each ask was a fifth of a district's digest.
   */
  const remindedKept = new Map<string, { tally: string; people: Set<number> }>();
  /**
   * People who received a personal reminder — a chase of their own, delivered —
   * from two weeks before the period to the cut-off: the digest says "reminded"
   * of them and of nobody else.
   */
  function remindedBy(c: ActiveCampaign, p: Period, cutoff: Date): Set<number> {
    const since = localMidnight(addDays(p.start, -REMINDED_LOOKBACK_DAYS), c.def.timezone).toDate();
    const read = () =>
      new Set(
        remindersSent(deps.db, c.row.id, since, cutoff)
          .all()
          .map((r) => r.id),
      );
    const { sent, last } = remindersSentSince(deps.db, since).get()!;
    // A cut-off before the last reminder (a past period's digest) counts fewer of them: read, not kept.
    if (last && last > cutoff) return read();
    const key = `${c.row.id}:${since.getTime()}`;
    const tally = `${sent}:${last?.getTime()}`;
    const kept = remindedKept.get(key);
    if (kept?.tally === tally) return kept.people;
    if (remindedKept.size >= FIGURES_KEPT) remindedKept.clear();
    const people = read();
    remindedKept.set(key, { tally, people });
    return people;
  }

  /** The kept first visits of 全覆盖 quotas, a cache per quota and the kinds it watches: past this many, they start over. */
  const quotaFirstsKept = new Map<string, VersionedCache<string, VisitFact[]>>();
  /**
   * A 全覆盖 quota's first visits (its people's first visit to each of its
   * targets in `span`), kept until a visit to a target of its kinds, the
   * roster, the targets or the campaign changes: a leaders' quota is a few
   * hundred parents' committee members or office teachers, and nearly every
   * visit filed, to a student's family, moves the visits' counter but not theirs.
   */
  function quotaFirstsOf(campaignId: string, q: Quota, span: VisitSpan, targets: TargetFact[], who: number[], byId: ReadonlyMap<number, TargetFact>) {
    // The kinds its targets have, not all it names: a kind no target has yet has no counter, which would keep nothing;
    // a target of it, once added, moves the targets' counter, and the next ask watches its kind too.
    const kinds = [...new Set(targets.map((t) => t.kind))].sort();
    const watched = `${q.key}:${kinds.join(',')}`;
    let kept = quotaFirstsKept.get(watched);
    if (!kept) {
      if (quotaFirstsKept.size >= QUOTA_CACHES) quotaFirstsKept.clear();
      kept = new VersionedCache(deps.db, ['people', 'targets', 'campaigns', ...kinds.map((k) => `visits:${k}` as const)], FIGURES_KEPT);
      quotaFirstsKept.set(watched, kept);
    }
    return kept.get(
      `${campaignId}:${q.key}:${span.start}:${span.end}`,
      () =>
        firstVisitFacts(
          aggregates.targetFirstsAmong(
            campaignId,
            span,
            targets.map((t) => t.id),
            who,
          ),
          byId,
          who,
        ),
      span.filedBy,
    );
  }

  /**
   * The digest's visits, aggregated by the database over the period and the
   * quotas' periods (see DigestVisits; the term's first visits: termCoverage); a pause between queries,
   * once a slice is spent, lets replies go out while a district's digest is taken.
   */
  async function digestVisits(c: ActiveCampaign, period: Period, asOf: string, cutoff: Date, f: CampaignFacts, judged: Judged): Promise<DigestVisits> {
    const { def } = c;
    const id = c.row.id;
    const upTo = (p: { start: string; end: string }) => ({ start: p.start, end: minDate(p.end, asOf), filedBy: cutoff });
    const membersOf = new Map(def.quotas.map((q) => [q.key, f.people.filter((p) => quotaApplies(q, p)).map((p) => p.id)]));
    const members = (q: Quota) => membersOf.get(q.key)!;
    const inPeriod = aggregates.visitsCount(id, upTo(period));
    const perTeacher = aggregates.visitsByPerson(id, upTo(period));
    await slice();
    const perQuota = new Map<string, number>();
    for (const q of def.quotas) {
      // A month's visits per quota at a time, a pause between once a slice is spent: a phase's digest counts several months.
      const who = members(q);
      let n = 0;
      for (const month of byMonth(upTo(period))) {
        n += aggregates.visitsByAnyOf(id, month, q.targetKinds, who);
        await slice();
      }
      perQuota.set(q.key, n);
    }
    const reached = new Map<string, Map<number, number>>();
    const byPeriod = new Map<string, Array<{ personId: number; kind: string; n: number }>>();
    for (const q of def.quotas) {
      const qp = digestQuotaPeriod(def, q, period, asOf);
      if (!qp) continue;
      const key = `${qp.start}:${qp.end}`;
      let rows = byPeriod.get(key);
      if (!rows) {
        byPeriod.set(key, (rows = aggregates.targetsReached(id, upTo(qp))));
        await slice();
      }
      reached.set(q.key, reachedOf(rows, q.targetKinds));
    }
    const quotaFirsts = new Map<string, VisitFact[]>();
    for (const q of def.quotas.filter((x) => x.coverWithinMonths)) {
      const who = members(q);
      const span = upTo({ start: q.from ?? def.window.start, end: asOf });
      quotaFirsts.set(q.key, quotaFirstsOf(id, q, span, targetsOfKinds(judged.targets, q.targetKinds), who, judged.byId));
      await slice();
    }
    return { inPeriod, perTeacher, perQuota, reached, quotaFirsts };
  }

  /**
   * Where each rule stands on the term's first visit to each target coverage judges, read a page of targets at a time.
   * The first visits are not kept with the standings: kept with a past period's figures (start-up catch-up's
   * digests), a district's ten thousand held some 2 MB of heap each until the next digest.
   */
  async function takeTermCoverage(c: ActiveCampaign, asOf: string, span: VisitSpan, { targets, byId }: Judged): Promise<CoverageStanding[]> {
    const termFirsts: VisitFact[] = [];
    for (const ids of idPages(
      targets.map((t) => t.id),
      TARGETS_PAGE,
    )) {
      // A pause between pages once a slice is spent: the term is a district's every target.
      termFirsts.push(...firstVisitFacts(aggregates.targetFirsts(c.row.id, span, ids), byId));
      await slice();
    }
    // Each coverage rule reads the district's every target of its kind: a pause before each once a slice is spent.
    const ruleStandings: CoverageStanding[] = [];
    for (const r of c.def.coverage) {
      await slice();
      ruleStandings.push(coverageStanding(c.def, r, targets, termFirsts, asOf));
    }
    return ruleStandings;
  }

  const keptCoverage = new TermCoverage(deps.db, aggregates, slice);
  /**
   * Coverage of the term as of `asOf`, filed by `cutoff`: from the first visits
   * the triggers keep, counted per class and moved class by class as first
   * visits are filed (TermCoverage), where they say the same; from the visits
   * themselves otherwise (a digest's cut-off in the past).
   */
  function termCoverage(c: ActiveCampaign, asOf: string, cutoff: Date, judged: Judged): Promise<CoverageStanding[]> {
    if (!c.def.coverage.length) return Promise.resolve([]);
    const term = termOn(c.def, asOf);
    const span = { start: term.start, end: minDate(term.end, asOf), filedBy: cutoff };
    if (!aggregates.keepsFirstsOf(c.row.id, term, span)) return takeTermCoverage(c, asOf, span, judged);
    return keptCoverage.standings(c, asOf, term, judged);
  }

  /**
   * The open targets coverage judges, kept until a target changes: a Monday's
   * visits, filed while the admin asks, change the figures but not who is to be visited.
   */
  const judged = new VersionedCache<string, Promise<Judged>>(deps.db, 'targets', FIGURES_KEPT);
  const targetsOf = (campaignId: string, kinds: string[]) =>
    judged.get(`${campaignId}:${kinds.join(',')}`, async () => judgedOf(await facts.targetsOf(campaignId, kinds)));
  /** The targets coverage judges: a rule's kind, a 全覆盖 quota's kinds. */
  const judgedIn = (c: ActiveCampaign) =>
    targetsOf(c.row.id, [
      ...new Set([...c.def.coverage.map((r) => r.targetKind), ...c.def.quotas.filter((q) => q.coverWithinMonths).flatMap((q) => q.targetKinds)]),
    ]);

  // A period's figures are its counts per teacher and per quota (the targets are the judged ones, kept once): a job's
  // three periods and a /汇总 or two are kept, no more.
  const figures = new VersionedCache<string, Promise<VisitFigures>>(deps.db, ['visits', 'people', 'campaigns'], FIGURES_KEPT);
  /**
   * The digest's visit figures of a period as filed by `cutoff`: what they
   * rest on changes with a visit, a visitor, a photo, a target, the roster or
   * the campaign, and they are kept until then — a Monday's second /汇总 with
   * nothing filed since reads none of the district's visits again.
   */
  function visitFigures(c: ActiveCampaign, period: Period, asOf: string, cutoff: Date, f: CampaignFacts): Promise<VisitFigures> {
    return figures.get(
      `${c.row.id}:${period.start}:${period.end}:${asOf}`,
      async () => {
        const judged = await judgedIn(c);
        await slice();
        const visits = await digestVisits(c, period, asOf, cutoff, f, judged);
        return { targets: judged.targets, visits, ruleStandings: await termCoverage(c, asOf, cutoff, judged) };
      },
      cutoff,
    );
  }

  const ledgerKept = new VersionedCache<string, Promise<LedgerFact[]>>(deps.db, 'ledger', FIGURES_KEPT);
  /**
   * The ledger items a digest of [from, until) counts: those from `from` on
   * (LedgerRepo.digestFacts) kept until an item changes — a visit filed since
   * the last /汇总 moves the visits' figures, not the ledger's — narrowed here to the period's end.
   */
  async function ledgerFacts(campaignId: string, from: Date, until: Date): Promise<LedgerFact[]> {
    const since = await ledgerKept.get(`${campaignId}:${from.getTime()}`, () => ledger.digestFacts(campaignId, from));
    const during = (at: Date | null) => !!at && at >= from && at < until;
    return since.filter((f) => ACTIVE_STATUSES.includes(f.status) || during(f.createdAt) || during(f.closedAt));
  }

  /** The digest of a period, its numbers taken at `cutoff` (统计截至): what happened in the period and was filed by then. */
  async function build(c: ActiveCampaign, kind: DigestKind, period: Period, label: string, cutoff: Date) {
    const { def } = c;
    const asOf = minDate(localDate(cutoff, def.timezone), addDays(def.window.end, 1));
    const f = await facts.everyone(c, { spans: [], claimsTerm: termOn(def, asOf), filedBy: cutoff });
    await slice();
    const from = localMidnight(period.start, def.timezone).toDate();
    const to = localMidnight(addDays(minDate(period.end, asOf), 1), def.timezone).toDate();
    const { targets, visits, ruleStandings } = await visitFigures(c, period, asOf, cutoff, f);
    const until = to < cutoff ? to : cutoff;
    const ledgerCounts = def.tasks.ledger.enabled ? ledgerDigestCounts(await ledgerFacts(c.row.id, from, until), from, until, def.timezone) : undefined;
    await slice();
    const reminded = remindedBy(c, period, cutoff);
    await slice();
    const digest = campaignDigest({
      def,
      kind,
      period,
      asOf,
      facts: f,
      visits,
      targets,
      dormChecks: dormChecks(c, period, asOf, cutoff, f.dorms.length),
      ledger: ledgerCounts,
      reminded,
      ruleStandings,
    });
    await slice();
    const shape = await shapeLines(c, kind, period, asOf, cutoff, f);
    await slice();
    const week = weekAround(def, cutoff);
    const planned = plannedVisitsLine(plannedVisitCounts(plans.countsByMode(c.row.id, week.from, week.to)));
    const extra = [...shape.sections, ...(planned ? [{ title: '📅 本周约访', lines: [planned] }] : [])];
    return digestCard(c, digest, label, await zoneCompletion(c, period, cutoff), cutoff, extra, shape);
  }

  /**
   * The periods whose digest is due at `now`: the week, month and phase that
   * most recently ended, each with the moment it was due — its "统计截至", so
   * the same period's digest says the same thing whenever it is taken.
   */
  function duePeriods(c: ActiveCampaign, now: Date): DuePeriod[] {
    const { def } = c;
    const out: DuePeriod[] = [];
    const weeklyAt = (w: ReportWeek) => momentInFollowingWeek(def, w, def.digest.weeklyAt);
    const week = latestWeekPast(reportWeeks(def), now, weeklyAt);
    // A week wholly in the vacation between terms has no pace to report.
    if (week && inSessionDuring(def, { start: week.firstDay, end: week.lastDay })) {
      const label = localLabel(week, def.timezone);
      out.push({
        kind: 'weekly',
        period: { key: `w${week.weekNo}`, label, start: week.firstDay, end: week.lastDay },
        label,
        key: `w${week.weekNo}`,
        cutoff: weeklyAt(week),
      });
    }
    // A month's or phase's digest goes out on the first working day after it, at the weekly digest's time.
    const month = latestPeriodDue(def, monthsOf(def), now);
    if (month)
      out.push({ kind: 'monthly', period: month, label: `${dayjs(month.start).format('YYYY年M月')}`, key: month.key, cutoff: periodDueAt(def, month) });
    const phase = latestPeriodDue(def, phasePeriods(def), now);
    if (phase)
      out.push({
        kind: 'phase',
        period: phase,
        label: `「${phase.label}」阶段（${monthDay(phase.start)}–${monthDay(phase.end)}）`,
        key: phase.key,
        cutoff: periodDueAt(def, phase),
      });
    return out;
  }

  /** The week /汇总 shows on `today`: this week so far, Monday to today, or last week whole; undefined before the campaign began. */
  function weekAsked(c: ActiveCampaign, today: string, lastWeek: boolean): { period: Period; label: string } | undefined {
    const thisMonday = mondayOf(today);
    const monday = lastWeek ? addDays(thisMonday, -7) : thisMonday;
    const end = lastWeek ? addDays(thisMonday, -1) : today;
    if (end < c.def.window.start) return undefined;
    const period = { key: 'now', label: lastWeek ? '上周' : '本周', start: monday < c.def.window.start ? c.def.window.start : monday, end };
    return { period, label: `${lastWeek ? '上周' : '本周至今'}（${monthDay(period.start)}–${monthDay(end)}）` };
  }

  /**
   * This week's figures as /汇总 takes them, taken once the jobs have run (the
   * start-up catch-up, a Monday morning's digests and notices): what is kept
   * until the data moves (the targets coverage judges, the term's first visits
   * per class, the ledger) is then ready for the first admin who asks, not
   * read while they wait. A visit filed since moves the week's counts; who is
   * to be visited and the ledger stay kept.
   */
  async function warm(): Promise<void> {
    for (const c of await deps.campaigns.all()) {
      const now = deps.clock.now();
      const asked = weekAsked(c, localDate(now, c.def.timezone), false);
      if (asked) await build(c, 'weekly', asked.period, asked.label, now);
    }
  }

  const digestJob: Job = {
    name: 'digest',
    description: '向党支部群发送周报、月报和阶段小结（含图表）；手动运行时私信管理员，加 --post 才发群 / weekly, monthly and phase digests to the branch group',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.digest.weeklyAt.time),
    async run(now, opts) {
      const messages: OutboundMessage[] = [];
      // Asked for again, a digest goes to the admins privately unless the group is asked for: a re-run never surprises the group.
      const privately = opts?.onDemand && !opts.post;
      const admins = privately ? (await deps.people.admins()).filter((a) => a.openId) : [];
      for (const c of await deps.campaigns.all()) {
        const chatId = branchChatOf(deps, c);
        if (!chatId || (!opts?.onDemand && !mayNudge(c.def, now))) continue;
        for (const d of duePeriods(c, now)) {
          const card = await build(c, d.kind, d.period, d.label, d.cutoff);
          // One digest per period: submissions after it do not re-send it. On demand it is sent again.
          const key = `digest.${d.kind}:${c.row.id}:${d.key}${opts?.onDemand ? `:again:${Date.now()}` : ''}`;
          const to = privately ? admins.map((a) => ({ key: `${key}:a${a.id}`, to: { openId: a.openId! } })) : [{ key, to: { chatId } }];
          for (const t of to) messages.push({ dedupeKey: t.key, to: t.to, purpose: `digest.${d.kind}`, card });
        }
      }
      return { queued: await deps.send(messages) };
    },
  };

  function register(router: Routes) {
    router.command({
      names: ['/汇总', '/summary'],
      summary: '立即私下查看本周（或上周）汇总 / the digest, privately, now',
      adminOnly: true,
      needs: 'campaign',
      async handler(ctx) {
        const now = deps.clock.now();
        const c = ctx.campaign;
        const today = localDate(now, c.def.timezone);
        if (today < c.def.window.start) return ctx.reply({ text: '目前还没有可以汇总的活动。/ Nothing to summarise yet.' });
        // This week so far, Monday to today; or, asked for 上周, last week whole.
        const lastWeek = /^(上周|last\s*week)$/i.test(ctx.args);
        if (ctx.args && !lastWeek) return ctx.reply({ text: '用法：/汇总 看本周至今，/汇总 上周 看上一周。\nUsage: /summary, or /summary last week.' });
        const asked = weekAsked(c, today, lastWeek);
        if (!asked) return ctx.reply({ text: '上一周活动还没有开始。/ The campaign had not started last week.' });
        await ctx.reply({ card: await build(c, 'weekly', asked.period, asked.label, now) });
        // 家长和师生反映最多的 this month: to the admin who asked, never to the group.
        await breathe();
        const themes = await deps.familyThemes(c, now);
        if (themes) await ctx.reply({ card: themes });
      },
    });
  }

  /** The term's standings as of `asOf` with everything filed until now: /谁没交's classes short of home visits. */
  const termStandings = async (c: ActiveCampaign, asOf: string) => termCoverage(c, asOf, deps.clock.now(), await judgedIn(c));

  return { register, jobs: [digestJob], warm, provides: { termStandings } };
});

/** Classes named in the digest's list of those short of in-person visits; the export has them all. */
const CLASSES_SHOWN = 20;

/**
 * A coverage rule in one line: while its deadline is ahead, where it stands by
 * then; once passed, met on which day, or missed (and how far it got by then).
 */
export function coverageLine(cv: CoverageStanding): string {
  const share = `${cv.covered}/${cv.total} ${cv.unit}（${pct(cv.covered, cv.total)}%）`;
  const due = monthDay(cv.dueOn);
  if (cv.state === 'met') return `${cv.name}：✅ 已于 ${monthDay(cv.metOn!)} 完成（${due} 截止），${share}`;
  if (cv.state === 'missed') {
    const later = cv.metOn ? `，${monthDay(cv.metOn)} 补齐` : `，目前 ${share}`;
    return `${cv.name}：⚠️ 未按期完成（${due} 截止时 ${cv.coveredByDue}/${cv.total} ${cv.unit}）${later}`;
  }
  return `${cv.name}：${share}，${due} 截止`;
}

/** One collapsible section of a digest's detail: a title that says the gist when folded, and its lines. */
export interface DigestSection {
  title: string;
  lines: string[];
}

type ZoneCompletion = ReturnType<typeof zoneReportDigest>;
type ChartRow = { item: string; percent: number };

const ONCE_TASK_SHORT: Record<OnceTask, string> = { dormRecord: '宿舍记录表', studentDay: '做一天学生', reflection: '走访心得', story: '感人故事' };

/** A figure of the headline: the number big, what it counts small beneath. */
const figure = (value: string, caption: string) => ({
  tag: 'column',
  width: 'weighted',
  weight: 1,
  elements: [{ tag: 'markdown', content: `**${value}**\n<font color='grey'>${caption}</font>` }],
});

/** A horizontal bar chart of percentages with one short label per bar, tall enough that a phone labels every bar. */
function barChart(title: string, rows: ChartRow[]) {
  const items = shortLabels(rows.map((r) => r.item));
  return {
    tag: 'chart',
    aspect_ratio: rows.length <= 3 ? '2:1' : rows.length <= 6 ? '4:3' : '1:1',
    color_theme: 'brand',
    chart_spec: {
      type: 'bar',
      direction: 'horizontal',
      title: { visible: true, text: title },
      data: [{ id: 'progress', values: rows.map((r, i) => ({ item: items[i]!, percent: r.percent })) }],
      xField: 'percent',
      yField: 'item',
      axes: [
        { orient: 'bottom', min: 0, max: 100 },
        // Every bar keeps its label: a band axis otherwise drops labels that would crowd a narrow screen.
        { orient: 'left', sampling: false, label: { autoHide: false, autoLimit: false } },
      ],
      label: { visible: true },
    },
  };
}

/**
 * The digest as a phone shows it ("折叠面板"): three or four headline figures
 * and who is behind, then the detail in folded sections, then one chart for
 * quotas and one for coverage. Teachers' names and counts only.
 */
export function digestCard(
  c: ActiveCampaign,
  d: CampaignDigest,
  label: string,
  zone: ZoneCompletion | undefined,
  cutoff: Date,
  extra: DigestSection[] = [],
  shape?: Pick<ShapeLines, 'lead' | 'phaseSummary'>,
) {
  const { def } = c;
  const names = def.privacy.overdueInGroup === 'names';
  const period = periodWord(d.kind, d.period);
  const sections: DigestSection[] = [];
  const quotaBars: ChartRow[] = [];
  const coverageBars: ChartRow[] = [];

  const sum = (k: 'onTime' | 'late' | 'missing') => (zone ? zone.history.reduce((n, h) => n + h[k], 0) : 0);
  const zoneFiled = sum('onTime') + sum('late');
  if (zone) {
    const [onTime, late, missing] = [sum('onTime'), sum('late'), sum('missing')];
    const lines =
      d.kind === 'weekly'
        ? [
            `已提交 **${zone.week.onTime + zone.week.late}/${zone.total}**（按时 ${zone.week.onTime}，补交 ${zone.week.late}）`,
            zone.week.missing
              ? `未提交 ${zone.week.missing} 人${names && zone.week.missing <= BEHIND_NAMES_SHOWN ? `：${zone.missingOwners.map(shortName).join('、')}` : ''}`
              : '全部已提交 👍',
          ]
        : [`${zone.history.length} 周共应交 ${onTime + late + missing} 份，按时 ${onTime}，补交 ${late}，未交 ${missing}`];
    sections.push({
      title: `环境责任区报表 · ${d.kind === 'weekly' ? `${zone.week.onTime + zone.week.late}/${zone.total}` : `${zoneFiled}/${onTime + late + missing}`}`,
      lines,
    });
    quotaBars.push({ item: '责任区报表', percent: pct(zoneFiled, onTime + late + missing) });
  }
  if (d.dormChecks) {
    sections.push({
      title: `宿舍关爱检查 · ${d.dormChecks.checked}/${d.dormChecks.expected}`,
      lines: [`${period}已检查 **${d.dormChecks.checked}/${d.dormChecks.expected}** 间次`],
    });
    quotaBars.push({ item: '宿舍检查', percent: pct(d.dormChecks.checked, d.dormChecks.expected) });
  }
  const visitLines = def.tasks.visits.enabled ? [`${period}共 **${d.visits}** 次，${d.visitors} 位老师参与`] : [];
  if (d.claimed) {
    visitLines.push(
      `- 认领对象：已走访 **${d.claimed.visited}/${d.claimed.required}** 位（${pct(d.claimed.visited, d.claimed.required)}%），${d.claimed.people} 位党员教师中进度落后 ${d.claimed.behind} 人`,
    );
    quotaBars.push({ item: '认领走访', percent: pct(d.claimed.visited, d.claimed.required) });
  }
  for (const q of shape?.phaseSummary ? [] : d.quotas) {
    const per = q.period === 'month' ? '每月' : q.period === 'week' ? '每周' : '每学期';
    const counted = q.people - q.excused;
    visitLines.push(
      `- ${q.name}（每人${per}至少走访 ${q.min} 位）：${period} ${q.visits} 次；当期已达标 ${q.met}/${counted} 人，落后 ${q.behind} 人${q.excused ? `，请假 ${q.excused} 人` : ''}`,
    );
    quotaBars.push({ item: q.short, percent: pct(q.met, counted) });
  }
  if (visitLines.length) sections.push({ title: `走访 · ${period} ${d.visits} 次`, lines: visitLines });
  if (d.coverage.length) {
    const below = d.classesBelowInPerson;
    sections.push({
      title: `覆盖情况${below.length ? ` · ${below.length} 个班上门不足` : ''}`,
      lines: [
        ...d.coverage.map((cv) => `- ${coverageLine(cv)}`),
        ...(below.length
          ? [
              `- 上门家访不足 ${below[0]!.min} 位的班级（${below.length} 个）：${below
                .slice(0, CLASSES_SHOWN)
                .map((c) => `${oneLine(c.className, CLASS_SHOWN)} ${c.inPerson} 位`)
                .join('、')}${below.length > CLASSES_SHOWN ? ' 等' : ''}`,
            ]
          : []),
      ],
    });
    for (const cv of d.coverage) coverageBars.push({ item: cv.short, percent: pct(cv.covered, cv.total) });
  }
  const once = d.once.filter((o) => o.total);
  if (once.length) {
    sections.push({
      title: '期末上交材料',
      lines: once.map((o) => `- ${ONCE_TASK_NAMES[o.task]}：已交 ${o.done}/${o.total}${o.overdue ? `，逾期 ${o.overdue}` : ''}`),
    });
    for (const o of once) quotaBars.push({ item: ONCE_TASK_SHORT[o.task], percent: pct(o.done, o.total) });
  }
  const l = d.ledger;
  if (l) {
    sections.push({
      title: `走访台账 · 逾期 ${l.overdue} 项`,
      lines: [
        `${period}新增 ${l.opened} 项，销号 ${l.closed} 项，目前逾期 ${l.overdue} 项${l.medianDaysToClose === null ? '' : `，销号用时中位数 ${l.medianDaysToClose} 天`}`,
      ],
    });
  }
  sections.push(...extra);

  // The headline: this period's records, completion against quota, the ledger, and who is behind.
  const records = d.visits + zoneFiled + (d.dormChecks?.checked ?? 0);
  const completion = d.claimed
    ? { value: `${pct(d.claimed.visited, d.claimed.required)}%`, caption: '认领对象已走访' }
    : d.quotas.length
      ? { value: `${d.quotas.reduce((n, q) => n + q.met, 0)}/${d.quotas.reduce((n, q) => n + q.people - q.excused, 0)}`, caption: '当期指标已达标（人）' }
      : zone
        ? { value: `${pct(zoneFiled, zoneFiled + sum('missing'))}%`, caption: '报表已提交' }
        : undefined;
  const figures = [
    figure(`${records}`, `${period}记录（份）`),
    ...(completion ? [figure(completion.value, completion.caption)] : []),
    ...(l ? [figure(`${l.opened} / ${l.closed} / ${l.overdue}`, '台账 新增/销号/逾期')] : []),
    figure(`${d.behind.length}`, '进度落后或逾期（人）'),
  ];
  const behind = behindInGroup({ ...d, behind: d.behind.map(shortName) }, def.privacy.overdueInGroup);
  const headline = [
    // Two figures a row: four side by side do not fit a phone's width.
    ...Array.from({ length: Math.ceil(figures.length / 2) }, (_, i) => ({ tag: 'column_set', flex_mode: 'none', columns: figures.slice(i * 2, i * 2 + 2) })),
    ...(behind ? [{ tag: 'markdown', content: behind }] : []),
    // The campaign's phase and its focus (or, in a phase digest, what the phase achieved).
    ...(shape?.lead ?? []).map((content) => ({ tag: 'markdown', content })),
  ];

  const highlights = [
    ...(d.highlights.length ? [`🌟 ${period}走访最多：${d.highlights.map((h) => `${shortName(h.name)} ${h.visits} 次`).join('、')}`] : []),
    // Praise names a short list too; a district's hundreds are a count.
    ...(zone?.perfectOwners.length
      ? [
          `🌟 每周按时提交报表：${zone.perfectOwners.length <= BEHIND_NAMES_SHOWN ? zone.perfectOwners.map(shortName).join('、') : `${zone.perfectOwners.length} 人`}`,
        ]
      : []),
  ];
  const filed = zone ? zone.week.onTime + zone.week.late : 0;
  return renderCard('digest', {
    summary: `${KIND_TITLES[d.kind]} ${label}${zone && d.kind === 'weekly' ? `：报表已提交 ${filed}/${zone.total}` : `：走访 ${d.visits} 次`}`,
    title: `${KIND_TITLES[d.kind]} · ${label}`,
    subtitle: `${oneLine(def.name, CAMPAIGN_NAME_SHOWN)} / ${d.kind === 'weekly' ? 'Weekly' : d.kind === 'monthly' ? 'Monthly' : 'Phase'} digest`,
    headerColor: d.behind.length || zone?.week.missing ? 'orange' : 'green',
    headline,
    sections: sections.map((sec) => ({
      tag: 'collapsible_panel',
      expanded: false,
      header: { title: { tag: 'markdown', content: `**${sec.title}**` } },
      border: { color: 'grey', corner_radius: '5px' },
      elements: [{ tag: 'markdown', content: sec.lines.join('\n') }],
    })),
    charts: [...(quotaBars.length ? [barChart('完成进度（%）', quotaBars)] : []), ...(coverageBars.length ? [barChart('覆盖进度（%）', coverageBars)] : [])],
    highlights: highlights.map((content) => ({ tag: 'markdown', content })),
    footer: `统计截至 ${formatLocal(cutoff, def.timezone)} · 此后提交的不计入本期 · 管理员可发送 /汇总 随时查看`,
  });
}
