import type { CampaignDefinition, CoverageRule, Quota } from './campaign.js';
import { addDays, elapsed, maxDate, minDate, monthsOf, periodOn, termOn, termPeriods, workingDays, type Availability, type Period } from './periods.js';
import { dayjs } from './time.js';
import { memoPer } from './memo.js';

/**
 * Quotas and coverage as the seeds state them, as plain functions of the
 * facts and today's date. A quota is judged per person and period; coverage
 * is judged over a group of targets. Pace is the share of the period's
 * working days the person has had, so someone behind at mid-month hears so
 * while there is still time.
 */

/** One visit as the rules need it: whom it was to, when, how, and everyone it counts for. */
export interface VisitFact {
  targetId: number;
  targetKind: string;
  className: string | null;
  occurredOn: string;
  mode: string;
  place: string;
  visitorIds: number[];
}

/** A person as the quota rules see them. */
export interface PersonFact {
  id: number;
  roles: string[];
  department: string | null;
  availability: Availability;
}

export interface TargetFact {
  id: number;
  kind: string;
  className: string | null;
}

export const quotaApplies = (q: Quota, p: Pick<PersonFact, 'roles' | 'department'>): boolean =>
  (!q.who.role || p.roles.includes(q.who.role)) && (!q.who.department || p.department === q.who.department);

/** Monday-to-Sunday weeks touching the window, clipped to it. */
function weekPeriods(def: CampaignDefinition): Period[] {
  const out: Period[] = [];
  let monday = dayjs(def.window.start).subtract((dayjs(def.window.start).day() + 6) % 7, 'day');
  while (monday.format('YYYY-MM-DD') <= def.window.end) {
    const start = monday.format('YYYY-MM-DD');
    out.push({
      key: `w-${start}`,
      label: `${monday.format('M/D')} 当周`,
      start: maxDate(start, def.window.start),
      end: minDate(addDays(start, 6), def.window.end),
    });
    monday = monday.add(7, 'day');
  }
  return out;
}

/** The periods a quota counts in, from its `from` date on. */
export function quotaPeriods(def: CampaignDefinition, q: Quota): readonly Period[] {
  // Asked for every person under the quota, and the answer depends on the definition alone.
  let periods = periodsOfQuota.get(q);
  if (!periods) periodsOfQuota.set(q, (periods = Object.freeze(computeQuotaPeriods(def, q))));
  return periods;
}

const periodsOfQuota = new WeakMap<Quota, readonly Period[]>();

function computeQuotaPeriods(def: CampaignDefinition, q: Quota): Period[] {
  const all = q.period === 'month' ? monthsOf(def) : q.period === 'term' ? termPeriods(def) : weekPeriods(def);
  const from = q.from ?? def.window.start;
  return all.filter((p) => p.end >= from).map((p) => (p.start < from ? { ...p, start: from } : p));
}

export const quotaPeriodOn = (def: CampaignDefinition, q: Quota, date: string) => periodOn(quotaPeriods(def, q), date);

export type QuotaState = 'met' | 'on-track' | 'behind' | 'missed' | 'excused';

/**
 * How many people the visits reached: seed 002's 每位每月至少走访5位 counts
 * families, so three families and two more calls to one of them make 3, not 5.
 */
export const distinctPeople = (visits: VisitFact[]): number => new Set(visits.map((v) => v.targetId)).size;

export interface QuotaStanding {
  quota: Quota;
  period: Period;
  /** The quota for this person in this period: the full number, less for days before they joined or on leave. */
  required: number;
  /** Distinct people visited in the period (not visits). */
  done: number;
  /** What someone keeping pace would have done by today. */
  expectedNow: number;
  daysLeft: number;
  state: QuotaState;
}

/**
 * The opening of a period in which nobody counts as behind: its first three
 * school weeks (15 working days), or its first quarter when that is shorter.
 * A visit takes arranging, so a term's ten targets are not "behind" in week 2;
 * after the grace the pace is the plain share of the quota.
 */
export const PACE_GRACE_WORKING_DAYS = 15;

/** What someone keeping the pace the campaign allows would have done after `passed` of `total` working days. */
export function paceDue(required: number, passed: number, total: number): number {
  if (total <= 0 || passed <= Math.min(PACE_GRACE_WORKING_DAYS, Math.ceil(total / 4))) return 0;
  return Math.floor((required * passed) / total + 1e-9);
}

/** Visits that count toward a quota for a person in a period. */
export const countsToward = (q: Quota, personId: number, p: Period) => (v: VisitFact) =>
  q.targetKinds.includes(v.targetKind) && v.visitorIds.includes(personId) && p.start <= v.occurredOn && v.occurredOn <= p.end;

/** The whole month or week a (possibly clipped) quota period belongs to: the quota is stated for all of it. */
function fullSpan(q: Quota, p: Period): { start: string; end: string } {
  if (q.period === 'month') return { start: dayjs(p.start).startOf('month').format('YYYY-MM-DD'), end: dayjs(p.start).endOf('month').format('YYYY-MM-DD') };
  if (q.period === 'week') {
    const monday = dayjs(p.start).subtract((dayjs(p.start).day() + 6) % 7, 'day');
    return { start: monday.format('YYYY-MM-DD'), end: monday.add(6, 'day').format('YYYY-MM-DD') };
  }
  return p;
}

/**
 * The working days of a quota's whole period, per campaign definition (parsed
 * once per version): a digest asks it of every person with the same answer.
 */
const fullDaysPerDefinition = memoPer<CampaignDefinition, string, number>();

function fullWorkingDays(def: CampaignDefinition, q: Quota, p: Period): number {
  return fullDaysPerDefinition(def, `${q.period}:${p.start}:${p.end}`, () => {
    const span = fullSpan(q, p);
    return workingDays(def, span.start, span.end);
  });
}

export function quotaStanding(def: CampaignDefinition, q: Quota, p: Period, person: PersonFact, visits: VisitFact[], today: string): QuotaStanding {
  return quotaStandingOf(def, q, p, person, distinctPeople(visits.filter(countsToward(q, person.id, p))), today);
}

/** The same from `done`, the distinct people of the quota's kinds the person visited in the period, as the database counts them. */
export function quotaStandingOf(def: CampaignDefinition, q: Quota, p: Period, person: PersonFact, done: number, today: string): QuotaStanding {
  const full = fullWorkingDays(def, q, p);
  const e = elapsed(def, p, today, person.availability);
  // A partial period (joined mid-month, on leave) owes its share of the quota, rounded up.
  const required = full === 0 ? 0 : Math.ceil((q.min * e.total) / full - 1e-9);
  const expectedNow = paceDue(required, e.passed, e.total);
  const state: QuotaState = required === 0 ? 'excused' : done >= required ? 'met' : today > p.end ? 'missed' : done < expectedNow ? 'behind' : 'on-track';
  return { quota: q, period: p, required, done, expectedNow, daysLeft: e.daysLeft, state };
}

/** Seed 000: the targets a party teacher claimed, each visited within the term. */
export interface ClaimedStanding {
  term: Period;
  /** How many targets they hold now. */
  claimed: number;
  /** How many they must visit this term: the campaign's quota, or fewer when too few targets are left to claim. */
  required: number;
  visited: number;
  expectedNow: number;
  daysLeft: number;
  state: QuotaState;
}

export function claimedStanding(
  def: CampaignDefinition,
  term: Period,
  claimedIds: number[],
  person: PersonFact,
  visits: VisitFact[],
  today: string,
  /** Open targets nobody holds, which they could still claim. */
  claimable: number,
): ClaimedStanding {
  const ids = new Set(claimedIds);
  const seen = new Set(
    visits
      .filter((v) => ids.has(v.targetId) && v.visitorIds.includes(person.id) && term.start <= v.occurredOn && v.occurredOn <= term.end)
      .map((v) => v.targetId),
  );
  const e = elapsed(def, term, today, person.availability);
  const claimed = ids.size;
  // Seed 000: every party teacher claims and visits ten; someone who has not claimed is behind too.
  const required = Math.max(claimed, Math.min(def.claiming.quota, claimed + claimable));
  const expectedNow = paceDue(required, e.passed, e.total);
  const visited = seen.size;
  const state: QuotaState =
    required === 0 ? 'excused' : visited >= required ? 'met' : today > term.end ? 'missed' : visited < expectedNow ? 'behind' : 'on-track';
  return { term, claimed, required, visited, expectedNow, daysLeft: e.daysLeft, state };
}

// ---- coverage of target groups

export type CoverageState = 'open' | 'met' | 'missed';

export interface CoverageStanding {
  key: string;
  name: string;
  /** What is counted: targets visited, classes meeting the rule. */
  covered: number;
  total: number;
  unit: '位' | '个班';
  /** Per class, where the rule is about classes or students. */
  byClass?: Array<{ className: string; covered: number; total: number }>;
  dueOn: string;
  /** `open` until the deadline; then `met` (on `metOn`) or `missed`. */
  state: CoverageState;
  /** The day the last unit was covered, when every unit is. */
  metOn?: string;
  /** How many units were covered by the deadline, once it has passed. */
  coveredByDue?: number;
}

/**
 * Where a coverage rule stands, from the day each unit (a target, a class) was
 * covered: a deadline still ahead is open; one passed is met on the day the
 * last unit was covered, or missed.
 */
export function coverageState(
  coveredOn: Array<string | null>,
  dueOn: string,
  today: string,
): Pick<CoverageStanding, 'covered' | 'total' | 'state' | 'metOn' | 'coveredByDue'> {
  const days = coveredOn.filter((d): d is string => d !== null && d <= today);
  const lastOn = days.length ? days.reduce((a, b) => (a > b ? a : b)) : null;
  return coverageStateOf({ total: coveredOn.length, covered: days.length, lastOn, coveredByDue: days.filter((d) => d <= dueOn).length }, dueOn, today);
}

/** Units covered by today, of how many, the last day one was, and how many by the deadline: what a coverage state rests on. */
export interface CoverageCounts {
  total: number;
  covered: number;
  lastOn: string | null;
  coveredByDue: number;
}

/** The same from the counts (a database's, over a district's targets), not every unit's day. */
export function coverageStateOf(
  c: CoverageCounts,
  dueOn: string,
  today: string,
): Pick<CoverageStanding, 'covered' | 'total' | 'state' | 'metOn' | 'coveredByDue'> {
  const { covered, total } = c;
  const metOn = total > 0 && covered === total ? (c.lastOn ?? undefined) : undefined;
  if (metOn && metOn <= dueOn) return { covered, total, state: 'met', metOn };
  if (today <= dueOn) return { covered, total, state: 'open' };
  return { covered, total, state: 'missed', metOn, coveredByDue: c.coveredByDue };
}

/** The first day each target was visited among `visits`. */
function firstVisits(visits: VisitFact[]): Map<number, string> {
  const first = new Map<number, string>();
  for (const v of visits) if (!first.has(v.targetId) || v.occurredOn < first.get(v.targetId)!) first.set(v.targetId, v.occurredOn);
  return first;
}

/** The day a class had `min` of its students visited: the min-th first visit. */
const nthDay = (days: string[], min: number): string | null => (days.length >= min ? [...days].sort()[min - 1]! : null);

/** Where a target without a class is counted among classes. */
export const UNCLASSED = '（未分班）';

/** Chinese order, as `localeCompare(b, 'zh')` gives it, with the collator made once: localeCompare with a locale builds one for every comparison, and a district sorts hundreds of classes and thousands of names. */
export const byChinese = new Intl.Collator('zh').compare;

function byClass(targets: TargetFact[], covered: Set<number>) {
  const m = new Map<string, { className: string; covered: number; total: number }>();
  for (const t of targets) {
    const c = t.className ?? UNCLASSED;
    const row = m.get(c) ?? { className: c, covered: 0, total: 0 };
    row.total++;
    if (covered.has(t.id)) row.covered++;
    m.set(c, row);
  }
  return [...m.values()].sort((a, b) => byChinese(a.className, b.className));
}

/** A coverage rule over the term containing `today`. */
export function coverageStanding(def: CampaignDefinition, rule: CoverageRule, targets: TargetFact[], visits: VisitFact[], today: string): CoverageStanding {
  const term = termOn(def, today);
  const group = targets.filter((t) => t.kind === rule.targetKind);
  const inTerm = visits.filter((v) => v.targetKind === rule.targetKind && term.start <= v.occurredOn && v.occurredOn <= term.end && v.occurredOn <= today);
  const base = { key: rule.key, name: rule.name, dueOn: term.end };
  if (rule.rule === 'in-person-per-class') {
    const first = firstVisits(inTerm.filter((v) => v.mode === 'in-person'));
    const classes = byClass(group, new Set(first.keys()));
    // Each class's first in-person days, gathered in one pass: a district has hundreds of classes and thousands of students.
    const days = new Map<string, string[]>();
    for (const t of group) {
      const day = first.get(t.id);
      if (day === undefined) continue;
      const c = t.className ?? UNCLASSED;
      const list = days.get(c);
      if (list) list.push(day);
      else days.set(c, [day]);
    }
    const classOn = classes.map((c) => nthDay(days.get(c.className) ?? [], rule.min));
    return { ...base, ...coverageState(classOn, term.end, today), unit: '个班', byClass: classes };
  }
  const first = firstVisits(inTerm.filter((v) => rule.rule !== 'interns-at-enterprise' || v.place === 'enterprise'));
  return {
    ...base,
    ...coverageState(
      group.map((t) => first.get(t.id) ?? null),
      term.end,
      today,
    ),
    unit: '位',
    byClass: byClass(group, new Set(first.keys())),
  };
}

/** Classes whose students visited in person this term are fewer than the rule asks (上门家访每班至少2位学生), from the rules' standings. */
export function classesShort(def: CampaignDefinition, standingOf: (rule: CoverageRule, index: number) => CoverageStanding) {
  return def.coverage.flatMap((rule, k) =>
    rule.rule === 'in-person-per-class'
      ? (standingOf(rule, k).byClass ?? []).filter((c) => c.covered < rule.min).map((c) => ({ className: c.className, inPerson: c.covered, min: rule.min }))
      : [],
  );
}

/** A class's term as its head teacher follows it: who has been visited and by whom, who not yet, and how many in person. */
export interface ClassTermStanding {
  className: string;
  term: Period;
  /** Students of the class (the every-target-once rule's kind), each with everyone who visited them this term. */
  students: Array<{ id: number; visitorIds: number[]; inPerson: boolean }>;
  /** In-person visits the class needs this term, when the campaign has that rule. */
  inPersonMin?: number;
}

export function classTermStanding(
  def: CampaignDefinition,
  className: string,
  targets: TargetFact[],
  visits: VisitFact[],
  today: string,
): ClassTermStanding | undefined {
  const every = def.coverage.find((r) => r.rule === 'every-target-once');
  if (!every) return undefined;
  const inPersonRule = def.coverage.find((r) => r.rule === 'in-person-per-class' && r.targetKind === every.targetKind);
  const term = termOn(def, today);
  const students = targets
    .filter((t) => t.kind === every.targetKind && t.className === className)
    .map((t) => {
      const mine = visits.filter((v) => v.targetId === t.id && term.start <= v.occurredOn && v.occurredOn <= term.end);
      return { id: t.id, visitorIds: [...new Set(mine.flatMap((v) => v.visitorIds))], inPerson: mine.some((v) => v.mode === 'in-person') };
    });
  return { className, term, students, inPersonMin: inPersonRule?.rule === 'in-person-per-class' ? inPersonRule.min : undefined };
}

/**
 * Seed 002's 直至两月内走访一遍: every target of a quota's group visited by
 * someone of the department within N months of the quota's start.
 */
export function quotaCoverage(
  def: CampaignDefinition,
  q: Quota,
  targets: TargetFact[],
  visits: VisitFact[],
  memberIds: number[],
  today: string,
): CoverageStanding | undefined {
  if (!q.coverWithinMonths) return undefined;
  const from = q.from ?? def.window.start;
  const dueOn = minDate(dayjs(from).add(q.coverWithinMonths, 'month').subtract(1, 'day').format('YYYY-MM-DD'), def.window.end);
  const members = new Set(memberIds);
  const group = targets.filter((t) => q.targetKinds.includes(t.kind));
  const ids = new Set(group.map((t) => t.id));
  const first = firstVisits(visits.filter((v) => ids.has(v.targetId) && v.occurredOn >= from && v.visitorIds.some((id) => members.has(id))));
  return {
    key: `quota-${q.key}`,
    name: `${q.name}（${q.coverWithinMonths}个月内全覆盖）`,
    unit: '位',
    dueOn,
    ...coverageState(
      group.map((t) => first.get(t.id) ?? null),
      dueOn,
      today,
    ),
  };
}
