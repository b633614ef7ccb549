import { inSession } from './calendar.js';
import type { CampaignDefinition, CoverageRule, Quota } from './campaign.js';
import type { LedgerDigestCounts } from './ledger.js';
import { obligationsOf, type CampaignFacts, type Obligation } from './obligations.js';
import { addDays, minDate, nearestWorkingDay, termOn, type Period } from './periods.js';
import {
  byChinese,
  classesShort,
  coverageState,
  coverageStateOf,
  quotaApplies,
  quotaCoverage,
  quotaPeriodOn,
  quotaStandingOf,
  type CoverageCounts,
  type PersonFact,
  type QuotaState,
  type CoverageStanding,
  type TargetFact,
  UNCLASSED,
  type VisitFact,
} from './quotas.js';
import { memoPer } from './memo.js';
import { ONCE_TASKS, type OnceTask } from './reminders.js';
import { dayjs } from './time.js';
import type { ReportWeek } from './weeks.js';

/**
 * Digest numbers as a pure function of the data, so every figure in a group
 * message can be checked against a hand-computed fixture.
 */

export interface ZoneFact {
  zoneId: number;
  ownerName: string | null;
}

export interface ReportFact {
  zoneId: number;
  weekNo: number;
  late: boolean;
}

export interface WeekCompletion {
  weekNo: number;
  onTime: number;
  late: number;
  missing: number;
}

export interface ZoneReportDigest {
  week: WeekCompletion;
  total: number;
  /** Owners who have not filed the digest's week (names of teachers only, never students). */
  missingOwners: string[];
  /** Owners who filed every week so far on time. */
  perfectOwners: string[];
  /** Completion of each week up to the digest's week, for the chart. */
  history: WeekCompletion[];
}

export function zoneReportDigest(weeks: ReportWeek[], upTo: ReportWeek, zones: ZoneFact[], reports: ReportFact[]): ZoneReportDigest {
  const owned = zones.filter((z) => z.ownerName);
  const byKey = new Map(reports.map((r) => [`${r.zoneId}:${r.weekNo}`, r]));
  const completion = (weekNo: number): WeekCompletion => {
    let onTime = 0;
    let late = 0;
    for (const z of owned) {
      const r = byKey.get(`${z.zoneId}:${weekNo}`);
      if (r) r.late ? late++ : onTime++;
    }
    return { weekNo, onTime, late, missing: owned.length - onTime - late };
  };
  const history = weeks.filter((w) => w.weekNo <= upTo.weekNo).map((w) => completion(w.weekNo));
  const perfect = owned.filter((z) => history.every((h) => byKey.get(`${z.zoneId}:${h.weekNo}`)?.late === false));
  return {
    week: completion(upTo.weekNo),
    total: owned.length,
    missingOwners: owned.filter((z) => !byKey.has(`${z.zoneId}:${upTo.weekNo}`)).map((z) => z.ownerName!),
    perfectOwners: [...new Set(perfect.map((z) => z.ownerName!))],
    history,
  };
}

// ---- the campaign digest: weekly, monthly, at each phase end

export type DigestKind = 'weekly' | 'monthly' | 'phase';

export interface QuotaSummary {
  name: string;
  /** For a chart's bar: the department it is about, or its name. */
  short: string;
  /** The quota per person, e.g. 5 a month. */
  min: number;
  period: Quota['period'];
  people: number;
  /** Visits counted toward it in the digest's period, by everyone it applies to. */
  visits: number;
  met: number;
  behind: number;
  excused: number;
}

export interface OnceSummary {
  task: OnceTask;
  done: number;
  total: number;
  overdue: number;
}

export interface CampaignDigest {
  kind: DigestKind;
  period: Period;
  /** Visits that happened in the period, and how many teachers made them. */
  visits: number;
  visitors: number;
  quotas: QuotaSummary[];
  /** Seed 000's claimed targets: visits against what the claimers owe (the quota, or what is left to claim). */
  claimed?: { visited: number; required: number; people: number; behind: number };
  /** Each with `short`, a chart bar's label. */
  coverage: Array<CoverageStanding & { short: string }>;
  /** Classes with fewer students visited in person this term than the campaign asks (上门家访每班至少2位学生). */
  classesBelowInPerson: Array<{ className: string; inPerson: number; min: number }>;
  dormChecks?: { checked: number; expected: number };
  once: OnceSummary[];
  ledger?: LedgerDigestCounts;
  /** Teachers with the most visits in the period (names and counts only). */
  highlights: Array<{ name: string; visits: number }>;
  /** Teachers behind on something as of the digest (names of teachers only, never anything about a student). */
  behind: string[];
  /** How many of them were reminded privately (see `DigestInput.reminded`). */
  behindReminded: number;
}

/**
 * The digest's visits as the database aggregates them: counts of the period,
 * the people each reached for the quotas, and first visits for coverage —
 * never the visits themselves. Everything up to `asOf` and filed by the cut-off.
 */
export interface DigestVisits {
  /** Visits that happened in the period. */
  inPeriod: number;
  /** Each teacher's visits in the period (as author or co-visitor). */
  perTeacher: Map<number, number>;
  /** Per quota key: visits in the period to its kinds with one of its people among the visitors. */
  perQuota: Map<string, number>;
  /** Per quota key: the distinct people of its kinds each person visited in the quota's period of the digest (`digestQuotaPeriod`). */
  reached: Map<string, Map<number, number>>;
  /** Per quota key with 全覆盖: each target's first visit by its people since the quota's start. */
  quotaFirsts: Map<string, VisitFact[]>;
}

/** The quota period a digest speaks of: the one its last day falls in (the month just ended, or this month so far). */
export const digestQuotaPeriod = (def: CampaignDefinition, q: Quota, period: Period, asOf: string) => quotaPeriodOn(def, q, minDate(period.end, asOf));

export interface DigestInput {
  def: CampaignDefinition;
  kind: DigestKind;
  period: Period;
  /** The day the numbers are taken on (quota standings, coverage, who is behind). */
  asOf: string;
  /** People, once-only forms and claims (the claims' visits of the term). */
  facts: CampaignFacts;
  visits: DigestVisits;
  targets: TargetFact[];
  /** Dorms checked in the period and how many checks were expected (dorms × weeks). */
  dormChecks?: { checked: number; expected: number };
  ledger?: LedgerDigestCounts;
  /** People who received a personal reminder before the digest was taken: only they are said to have been reminded. */
  reminded?: ReadonlySet<number>;
  /**
   * Each coverage rule's standing over `targets` and the term's first visits at
   * `asOf`, in the campaign's order (coverageStanding, or coverageOfClasses from
   * each class's counts): taken beforehand, a district's a rule at a time.
   */
  ruleStandings: CoverageStanding[];
}

/**
 * A class's targets of a coverage rule's kind, counted over the term's first
 * visits in the rule's way (at all, in person, at the enterprise), covered by
 * today (classCoverageOf).
 */
export interface ClassCoverage extends CoverageCounts {
  className: string;
  /** The day the class had the rule's `min` students covered (in-person-per-class), null while it has not. */
  reachedOn: string | null;
}

/**
 * A target's first visits of a term as the triggers keep them (visit_firsts):
 * at all, in person, at the enterprise (null: none that way yet).
 */
export type TermFirsts = readonly [targetId: number, firstOn: string, inPersonOn: string | null, enterpriseOn: string | null];

/** Which of a target's first visits a coverage rule counts. */
const WAY_OF_RULE: Record<CoverageRule['rule'], 1 | 2 | 3> = { 'every-target-once': 1, 'in-person-per-class': 2, 'interns-at-enterprise': 3 };

/**
 * Each class's counts of a coverage rule (ClassCoverage) over `targets` (the
 * open targets judged, any kind) and the term's kept first visits, by `today`,
 * the term due on `dueOn`. Both come in the order of their targets' ids
 * (targetsOf, keptFirsts), so one pass walks them side by side: a district's
 * ten thousand targets, with nothing looked up or made per target but its class.
 */
export function classCoverageOf(
  rule: CoverageRule,
  targets: readonly TargetFact[],
  firsts: readonly TermFirsts[],
  days: { today: string; dueOn: string },
): ClassCoverage[] {
  const way = WAY_OF_RULE[rule.rule];
  const min = rule.rule === 'in-person-per-class' ? rule.min : 0;
  const classes = new Map<string, ClassCoverage & { days: string[] }>();
  let k = 0;
  for (const t of targets) {
    while (k < firsts.length && firsts[k]![0] < t.id) k++;
    if (t.kind !== rule.targetKind) continue;
    const className = t.className ?? UNCLASSED;
    let c = classes.get(className);
    if (!c) classes.set(className, (c = { className, total: 0, covered: 0, lastOn: null, coveredByDue: 0, reachedOn: null, days: [] }));
    c.total++;
    const day = k < firsts.length && firsts[k]![0] === t.id ? firsts[k]![way] : null;
    if (day === null || day > days.today) continue;
    c.covered++;
    if (c.lastOn === null || day > c.lastOn) c.lastOn = day;
    if (day <= days.dueOn) c.coveredByDue++;
    if (min) c.days.push(day);
  }
  return [...classes.values()].map(({ days: covered, ...c }) => ({ ...c, reachedOn: min && covered.length >= min ? covered.sort()[min - 1]! : null }));
}

/**
 * coverageStanding from each class's counts rather than from every target
 * and its visits: the same standing, from a row per class.
 */
export function coverageOfClasses(def: CampaignDefinition, rule: CoverageRule, classes: readonly ClassCoverage[], today: string): CoverageStanding {
  const term = termOn(def, today);
  const base = { key: rule.key, name: rule.name, dueOn: term.end };
  const byClass = classes.map(({ className, covered, total }) => ({ className, covered, total })).sort((a, b) => byChinese(a.className, b.className));
  if (rule.rule === 'in-person-per-class') {
    const classOn = classes.map((c) => c.reachedOn);
    return { ...base, ...coverageState(classOn, term.end, today), unit: '个班', byClass };
  }
  const sum = (k: 'total' | 'covered' | 'coveredByDue') => classes.reduce((n, c) => n + c[k], 0);
  const lastOn = classes.reduce<string | null>((a, c) => (c.lastOn !== null && (a === null || c.lastOn > a) ? c.lastOn : a), null);
  const counts = { total: sum('total'), covered: sum('covered'), lastOn, coveredByDue: sum('coveredByDue') };
  return { ...base, ...coverageStateOf(counts, term.end, today), unit: '位', byClass };
}

const HIGHLIGHTS = 3;

const groups = memoPer<readonly TargetFact[], string, TargetFact[]>();
/**
 * The targets of a quota's kinds among those judged: the list is kept while
 * the targets hold still (the digest's cache), so a district's ten thousand
 * are sorted out once per version, not at every digest.
 */
export const targetsOfKinds = (targets: readonly TargetFact[], kinds: readonly string[]) =>
  groups(targets, kinds.join(','), () => targets.filter((t) => kinds.includes(t.kind)));

/** What each coverage rule is called on a chart bar. */
const COVERAGE_SHORT: Record<CoverageRule['rule'], string> = {
  'every-target-once': '全部走访一遍',
  'in-person-per-class': '每班上门',
  'interns-at-enterprise': '实习到企业',
};

export function campaignDigest(i: DigestInput): CampaignDigest {
  const { def, period, asOf, visits } = i;
  // Nothing after the day the numbers are taken counts, whenever the digest is computed.
  const facts = { ...i.facts, visits: i.facts.visits.filter((v) => v.occurredOn <= asOf) };
  const perTeacher = visits.perTeacher;
  const names = new Map(facts.people.map((p) => [p.id, p.name]));
  const obligations = obligationsOf(def, facts, asOf, { quotas: false });

  const standings = def.quotas.map((q) => {
    const qp = digestQuotaPeriod(def, q, period, asOf);
    const members = facts.people.filter((p) => quotaApplies(q, p));
    if (!qp) return { q, members, states: [] };
    const reached = visits.reached.get(q.key);
    // Everyone there the whole period (no joining day, no leave) owes the same, so their state follows from how many
    // they reached alone: worked out once per count, not once for each of a district's thousand teachers.
    const always = new Map<number, QuotaState>();
    const stateOf = (p: PersonFact, done: number): QuotaState => {
      if (p.availability.joinedOn || p.availability.leaves.length) return quotaStandingOf(def, q, qp, p, done, asOf).state;
      let state = always.get(done);
      if (state === undefined) always.set(done, (state = quotaStandingOf(def, q, qp, p, done, asOf).state));
      return state;
    };
    return { q, members, states: members.map((p) => ({ id: p.id, state: stateOf(p, reached?.get(p.id) ?? 0) })) };
  });
  const quotas = standings.map(
    ({ q, members, states }): QuotaSummary => ({
      name: q.name,
      short: q.who.department ?? q.name,
      min: q.min,
      period: q.period,
      people: new Set(members.map((p) => p.id)).size,
      visits: visits.perQuota.get(q.key) ?? 0,
      met: states.filter((s) => s.state === 'met').length,
      behind: states.filter((s) => s.state === 'behind' || s.state === 'missed').length,
      excused: states.filter((s) => s.state === 'excused').length,
    }),
  );
  const memberIds = (q: Quota) => facts.people.filter((p) => quotaApplies(q, p)).map((p) => p.id);
  const claims = obligations.filter((o): o is Extract<Obligation, { kind: 'claimed' }> => o.kind === 'claimed');
  const once = ONCE_TASKS.filter((t) => def.tasks[t].enabled).map((task): OnceSummary => {
    const mine = obligations.filter((o): o is Extract<Obligation, { kind: 'once' }> => o.kind === 'once' && o.task === task);
    return { task, total: mine.length, done: mine.filter((o) => o.done).length, overdue: mine.filter((o) => !o.done && o.dueOn < asOf).length };
  });
  const behindIds = new Set<number>([
    ...obligations
      .filter((o) => (o.kind === 'once' ? !o.done && o.dueOn < asOf : o.kind === 'claimed' && (o.standing.state === 'behind' || o.standing.state === 'missed')))
      .flatMap((o) => o.personIds),
    ...standings.flatMap((s) => s.states.filter((x) => x.state === 'behind' || x.state === 'missed').map((x) => x.id)),
  ]);
  const behind = inSession(def, asOf) ? [...behindIds] : [];
  const { ruleStandings } = i;
  return {
    kind: i.kind,
    period,
    visits: visits.inPeriod,
    visitors: perTeacher.size,
    quotas,
    claimed: claims.length
      ? {
          people: claims.length,
          required: claims.reduce((n, o) => n + o.standing.required, 0),
          visited: claims.reduce((n, o) => n + o.standing.visited, 0),
          behind: claims.filter((o) => o.standing.state === 'behind' || o.standing.state === 'missed').length,
        }
      : undefined,
    coverage: [
      ...ruleStandings.map((c, k) => ({ ...c, short: COVERAGE_SHORT[def.coverage[k]!.rule] })),
      ...def.quotas.flatMap((q) => {
        const c = quotaCoverage(def, q, targetsOfKinds(i.targets, q.targetKinds), visits.quotaFirsts.get(q.key) ?? [], memberIds(q), asOf);
        return c ? [{ ...c, short: q.who.department ?? q.name }] : [];
      }),
    ],
    classesBelowInPerson: classesShort(def, (_, k) => ruleStandings[k]!),
    dormChecks: i.dormChecks,
    once,
    ledger: i.ledger,
    highlights: [...perTeacher]
      .sort((a, b) => b[1] - a[1] || byChinese(names.get(a[0]) ?? '', names.get(b[0]) ?? ''))
      .slice(0, HIGHLIGHTS)
      .map(([id, visits]) => ({ name: names.get(id) ?? '', visits })),
    // In the vacation between terms nobody is listed as behind.
    behind: behind
      .map((id) => names.get(id) ?? '')
      .filter(Boolean)
      .sort(byChinese),
    behindReminded: behind.filter((id) => names.get(id) && i.reminded?.has(id)).length,
  };
}

/** The most names the group is shown; past that it sees a count, and the admin has /谁没交. */
export const BEHIND_NAMES_SHOWN = 8;

/**
 * The line about who is behind, as the branch group reads it: names only when
 * the campaign allows names and the list is short — a long list names nobody,
 * rather than an arbitrary few — and "reminded" only for those who were.
 */
export function behindInGroup(d: Pick<CampaignDigest, 'behind' | 'behindReminded'>, privacy: 'names' | 'counts'): string | undefined {
  const n = d.behind.length;
  if (!n) return undefined;
  const names = privacy === 'names' && n <= BEHIND_NAMES_SHOWN ? `：${d.behind.join('、')}` : '';
  const reminded = d.behindReminded === n ? '（已分别私信提醒）' : d.behindReminded ? `（其中 ${d.behindReminded} 人已私信提醒）` : '';
  return `进度落后或逾期 ${n} 人${names}${reminded}`;
}

/** The longest bar label a phone shows beside its bar without cutting it. */
export const CHART_LABEL_CHARS = 6;

/**
 * Bar labels short enough for a phone and never the same twice: a note in
 * brackets is dropped, a long name is cut with "…", and labels that still
 * coincide get a number, so no two bars read alike.
 */
export function shortLabels(labels: string[], max = CHART_LABEL_CHARS): string[] {
  const cut = labels.map((l) => {
    const chars = Array.from(l.replace(/（[^）]*）|\([^)]*\)/g, '').trim() || l);
    return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
  });
  const seen = new Map<string, number>();
  return cut.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return cut.indexOf(l) === cut.lastIndexOf(l) ? l : `${l}${n}`;
  });
}

/** How a digest's body names its period: "/汇总 上周" says 上周, as its title does. */
export const periodWord = (kind: DigestKind, p: Period): string =>
  kind === 'weekly' ? (p.label === '上周' ? '上周' : '本周') : kind === 'monthly' ? '本月' : '本阶段';

/** A week's planned visits by mode: what is coming, not what was done (plans count toward no quota). */
export interface PlannedVisitCounts {
  inPerson: number;
  phone: number;
  invited: number;
}

export const plannedVisitCounts = (byMode: ReadonlyMap<string, number>): PlannedVisitCounts => ({
  inPerson: byMode.get('in-person') ?? 0,
  phone: byMode.get('phone') ?? 0,
  invited: byMode.get('invited') ?? 0,
});

/**
 * The digest's line on the week's planned visits (seed 002: 每班至少 2 名学生上门家访,
 * seen before the month ends rather than after); counts only, none when nothing is planned.
 */
export function plannedVisitsLine(c: PlannedVisitCounts): string | undefined {
  if (!c.inPerson && !c.phone && !c.invited) return undefined;
  const others = [c.phone ? `电话 ${c.phone} 次` : '', c.invited ? `邀请来校 ${c.invited} 次` : ''].filter(Boolean);
  return `本周计划上门 ${c.inPerson} 次${others.length ? `，另有${others.join('、')}` : ''}`;
}

/** How long after its due moment a month's or phase's message may still go out: a bot that was down catches up, an old period does not arrive. */
const PERIOD_CATCH_UP_DAYS = 28;

/** A month's or phase's digest (and the month's themes) is due on the first working day after it, at the weekly digest's time. */
export function periodDueAt(def: CampaignDefinition, p: Period): Date {
  const day = nearestWorkingDay(def, addDays(p.end, 1), 1, addDays(p.end, 30)) ?? addDays(p.end, 1);
  return dayjs.tz(`${day} ${def.digest.weeklyAt.time}`, 'YYYY-MM-DD HH:mm', def.timezone).toDate();
}

/** The latest of `periods` that fell due by `now` and may still go out. */
export const latestPeriodDue = (def: CampaignDefinition, periods: readonly Period[], now: Date): Period | undefined =>
  [...periods].reverse().find((p) => periodDueAt(def, p) <= now && now < dayjs(periodDueAt(def, p)).add(PERIOD_CATCH_UP_DAYS, 'day').toDate());
