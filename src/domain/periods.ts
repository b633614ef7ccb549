import type { CampaignDefinition } from './campaign.js';
import { termsOf } from './campaign.js';
import { nudgeDay } from './calendar.js';
import { dayjs, utcMidnight } from './time.js';
import { memoPer } from './memo.js';

/**
 * The campaign's periods as local calendar dates: months, terms and phases,
 * each clipped to the window. Quotas count per period; pace is judged by the
 * working days of a period that have passed, so a holiday week does not make
 * anyone look behind.
 */

export interface Period {
  /** Stable id used in keys: `m-2026-11`, `term-1`, `phase-run`. */
  key: string;
  /** How people read it: 11月, 春季学期, 过程管控. */
  label: string;
  /** Local dates, inclusive. */
  start: string;
  end: string;
}

/** A person's leave, inclusive local dates. */
export interface DateSpan {
  start: string;
  end: string;
}

/** When someone can be expected to work on the campaign: from when they joined, minus their leave. */
export interface Availability {
  joinedOn?: string | null;
  leaves: DateSpan[];
}

const ALWAYS_AVAILABLE: Availability = { leaves: [] };

// Calendar dates as plain UTC arithmetic on the date alone: every schedule rule walks days, so these are hot.
const DAY_MS = 86_400_000;

/** A calendar date moved by `n` days. */
export const addDays = (date: string, n: number): string => new Date(utcMidnight(date) + n * DAY_MS).toISOString().slice(0, 10);

/** Whole calendar days from one date to another. */
export const daysBetween = (from: string, to: string): number => (utcMidnight(to) - utcMidnight(from)) / DAY_MS;
export const maxDate = (a: string, b: string): string => (a > b ? a : b);
/** The Monday of the week a date falls in (weeks run Monday to Sunday). */
export const mondayOf = (date: string): string => addDays(date, -((new Date(utcMidnight(date)).getUTCDay() + 6) % 7));
export const minDate = (a: string, b: string): string => (a < b ? a : b);

/** A span cut into runs of `days` days (the last may be shorter): a district's term is too many visits for one turn of the event loop. */
export function byDays<S extends { start: string; end: string }>(span: S, days: number): S[] {
  const out: S[] = [];
  for (let start = span.start; start <= span.end; start = addDays(start, days)) out.push({ ...span, start, end: minDate(addDays(start, days - 1), span.end) });
  return out;
}

/** Calendar months touching the window, each clipped to it. */
export function monthsOf(def: CampaignDefinition): Period[] {
  const out: Period[] = [];
  let m = dayjs(def.window.start).startOf('month');
  while (m.format('YYYY-MM-DD') <= def.window.end) {
    out.push({
      key: `m-${m.format('YYYY-MM')}`,
      label: `${m.month() + 1}月`,
      start: maxDate(m.format('YYYY-MM-DD'), def.window.start),
      end: minDate(m.endOf('month').format('YYYY-MM-DD'), def.window.end),
    });
    m = m.add(1, 'month');
  }
  return out;
}

/**
 * The terms, each clipped to the campaign window: pace over a term is the
 * share of the window's part of it that has passed, so a campaign starting in
 * the term's third week does not find everyone behind on its first day.
 */
export function termPeriods(def: CampaignDefinition): Period[] {
  const clipped = termsOf(def)
    .map((t, i) => ({ key: `term-${i + 1}`, label: t.name, start: maxDate(t.start, def.window.start), end: minDate(t.end, def.window.end) }))
    .filter((t) => t.start <= t.end);
  return clipped.length ? clipped : [{ key: 'term-1', label: def.name, start: def.window.start, end: def.window.end }];
}

export const phasePeriods = (def: CampaignDefinition): Period[] =>
  def.phases.map((p) => ({ key: `phase-${p.key}`, label: p.name, start: p.start, end: p.end }));

export const periodOn = (periods: readonly Period[], date: string): Period | undefined => periods.find((p) => p.start <= date && date <= p.end);

export const monthOn = (def: CampaignDefinition, date: string) => periodOn(monthsOf(def), date);

/** The term a date falls in, else the last one begun (a date in the summer break belongs to the spring term). */
export function termOn(def: CampaignDefinition, date: string): Period {
  const terms = termPeriods(def);
  return [...terms].reverse().find((t) => t.start <= date) ?? terms[0]!;
}

/** The days inside a span that the person is available (joined, not on leave). */
export function isAvailable(a: Availability, date: string): boolean {
  if (a.joinedOn && date < a.joinedOn) return false;
  return !a.leaves.some((l) => l.start <= date && date <= l.end);
}

/**
 * Working days of a span, counted the school's way. Memoised per definition,
 * since district-scale digests ask the same months for every teacher.
 */
const workingPerDefinition = memoPer<CampaignDefinition, string, boolean>();
export const isWorkingDay = (def: CampaignDefinition, date: string): boolean => workingPerDefinition(def, date, () => nudgeDay(def, date));

/** Working days per span for people with no leave and no late start: a district digest asks for the same month a thousand times. */
const spanPerDefinition = memoPer<CampaignDefinition, string, number>();

export function workingDays(def: CampaignDefinition, start: string, end: string, a: Availability = ALWAYS_AVAILABLE): number {
  if (!a.joinedOn && !a.leaves.length) return spanPerDefinition(def, `${start}~${end}`, () => countWorkingDays(def, start, end, a));
  return countWorkingDays(def, start, end, a);
}

function countWorkingDays(def: CampaignDefinition, start: string, end: string, a: Availability): number {
  let n = 0;
  for (let d = start; d <= end; d = addDays(d, 1)) if (isWorkingDay(def, d) && isAvailable(a, d)) n++;
  return n;
}

/** The nearest working day at or before `date` (or after, with step 1); undefined when none lies within `limit`. */
export function nearestWorkingDay(def: CampaignDefinition, date: string, step: -1 | 1, limit: string): string | undefined {
  for (let d = date; step < 0 ? d >= limit : d <= limit; d = addDays(d, step)) if (isWorkingDay(def, d)) return d;
  return undefined;
}

/** How far into a period a person is: working days they have had so far, and all they will have. */
export interface Elapsed {
  passed: number;
  total: number;
  /** Calendar days left after today, for the reminder's wording (剩 9 天). */
  daysLeft: number;
}

export function elapsed(def: CampaignDefinition, p: Period, today: string, a: Availability = ALWAYS_AVAILABLE): Elapsed {
  const passedEnd = minDate(today, p.end);
  return {
    passed: today < p.start ? 0 : workingDays(def, p.start, passedEnd, a),
    total: workingDays(def, p.start, p.end, a),
    daysLeft: today > p.end ? 0 : daysBetween(maxDate(today, p.start), p.end),
  };
}

// ---- what counts where: one rule for every digest

/**
 * The day that places a Monday-to-Sunday week in one period: its Thursday,
 * where most of its days fall (the ISO 8601 rule for numbering weeks), kept
 * inside the campaign window. A week that spans two months counts in one of
 * them, so a weekly form is never counted twice.
 */
export function weekAnchor(def: Pick<CampaignDefinition, 'window'>, monday: string): string {
  return minDate(maxDate(addDays(monday, 3), def.window.start), def.window.end);
}

/** The Mondays of the weeks that count in a period and have begun by `asOf`. */
export function weeksCountingIn(def: Pick<CampaignDefinition, 'window'>, p: Period, asOf: string): string[] {
  const out: string[] = [];
  for (let monday = mondayOf(addDays(p.start, -6)); monday <= minDate(p.end, asOf); monday = addDays(monday, 7)) {
    const anchor = weekAnchor(def, monday);
    if (p.start <= anchor && anchor <= p.end && addDays(monday, 6) >= def.window.start) out.push(monday);
  }
  return out;
}

/**
 * Whether something that happened on `day` counts in a period seen on `asOf`:
 * inside the period, and not after the day the numbers are taken. A digest
 * taken again later for the same period therefore says the same thing.
 */
export const happenedIn =
  (p: Period, asOf: string) =>
  (day: string): boolean =>
    p.start <= day && day <= minDate(p.end, asOf);
