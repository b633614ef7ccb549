import type { CampaignDefinition, CoverageRule, Quota } from './campaign.js';
import {
  addDays,
  elapsed,
  maxDate,
  minDate,
  monthsOf,
  periodOn,
  termOn,
  termPeriods,
  workingDays,
  type Availability,
  type Period,
} from './periods.js';
import { dayjs } from './time.js';

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
    out.push({ key: `w-${start}`, label: `${monday.format('M/D')} 当周`, start: maxDate(start, def.window.start), end: minDate(addDays(start, 6), def.window.end) });
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

export interface QuotaStanding {
  quota: Quota;
  period: Period;
  /** The quota for this person in this period: the full number, less for days before they joined or on leave. */
  required: number;
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

export function quotaStanding(def: CampaignDefinition, q: Quota, p: Period, person: PersonFact, visits: VisitFact[], today: string): QuotaStanding {
  const span = fullSpan(q, p);
  const full = workingDays(def, span.start, span.end);
  const e = elapsed(def, p, today, person.availability);
  // A partial period (joined mid-month, on leave) owes its share of the quota, rounded up.
  const required = full === 0 ? 0 : Math.ceil((q.min * e.total) / full - 1e-9);
  const done = visits.filter(countsToward(q, person.id, p)).length;
  const expectedNow = paceDue(required, e.passed, e.total);
  const state: QuotaState =
    required === 0 ? 'excused' : done >= required ? 'met' : today > p.end ? 'missed' : done < expectedNow ? 'behind' : 'on-track';
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
  const seen = new Set(visits.filter((v) => ids.has(v.targetId) && v.visitorIds.includes(person.id) && term.start <= v.occurredOn && v.occurredOn <= term.end).map((v) => v.targetId));
  const e = elapsed(def, term, today, person.availability);
  const claimed = ids.size;
  // Seed 000: every party teacher claims and visits ten; someone who has not claimed is behind too.
  const required = Math.max(claimed, Math.min(def.claiming.quota, claimed + claimable));
  const expectedNow = paceDue(required, e.passed, e.total);
  const visited = seen.size;
  const state: QuotaState = required === 0 ? 'excused' : visited >= required ? 'met' : today > term.end ? 'missed' : visited < expectedNow ? 'behind' : 'on-track';
  return { term, claimed, required, visited, expectedNow, daysLeft: e.daysLeft, state };
}

// ---- coverage of target groups

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
}

function byClass(targets: TargetFact[], covered: Set<number>) {
  const m = new Map<string, { className: string; covered: number; total: number }>();
  for (const t of targets) {
    const c = t.className ?? '（未分班）';
    const row = m.get(c) ?? { className: c, covered: 0, total: 0 };
    row.total++;
    if (covered.has(t.id)) row.covered++;
    m.set(c, row);
  }
  return [...m.values()].sort((a, b) => a.className.localeCompare(b.className, 'zh'));
}

/** A coverage rule over the term containing `today`. */
export function coverageStanding(def: CampaignDefinition, rule: CoverageRule, targets: TargetFact[], visits: VisitFact[], today: string): CoverageStanding {
  const term = termOn(def, today);
  const group = targets.filter((t) => t.kind === rule.targetKind);
  const inTerm = visits.filter((v) => v.targetKind === rule.targetKind && term.start <= v.occurredOn && v.occurredOn <= term.end);
  const base = { key: rule.key, name: rule.name, dueOn: term.end };
  if (rule.rule === 'in-person-per-class') {
    const inPerson = new Set(inTerm.filter((v) => v.mode === 'in-person').map((v) => v.targetId));
    const classes = byClass(group, inPerson);
    return { ...base, covered: classes.filter((c) => c.covered >= rule.min).length, total: classes.length, unit: '个班', byClass: classes };
  }
  const ok = new Set(inTerm.filter((v) => rule.rule !== 'interns-at-enterprise' || v.place === 'enterprise').map((v) => v.targetId));
  const ids = new Set(group.map((t) => t.id));
  return { ...base, covered: [...ok].filter((id) => ids.has(id)).length, total: group.length, unit: '位', byClass: byClass(group, ok) };
}

/**
 * Seed 002's 直至两月内走访一遍: every target of a quota's group visited by
 * someone of the department within N months of the quota's start.
 */
export function quotaCoverage(def: CampaignDefinition, q: Quota, targets: TargetFact[], visits: VisitFact[], memberIds: number[]): CoverageStanding | undefined {
  if (!q.coverWithinMonths) return undefined;
  const from = q.from ?? def.window.start;
  const dueOn = minDate(dayjs(from).add(q.coverWithinMonths, 'month').subtract(1, 'day').format('YYYY-MM-DD'), def.window.end);
  const members = new Set(memberIds);
  const group = targets.filter((t) => q.targetKinds.includes(t.kind));
  const ids = new Set(group.map((t) => t.id));
  const seen = new Set(visits.filter((v) => ids.has(v.targetId) && v.occurredOn >= from && v.visitorIds.some((id) => members.has(id))).map((v) => v.targetId));
  return { key: `quota-${q.key}`, name: `${q.name}（${q.coverWithinMonths}个月内全覆盖）`, covered: seen.size, total: group.length, unit: '位', dueOn };
}
