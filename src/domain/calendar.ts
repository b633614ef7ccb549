import chineseDays from 'chinese-days';
import type { CalendarYear } from './calendar-file.js';
import { termsOf, type CampaignDefinition } from './campaign.js';
import type { Dayjs } from 'dayjs';
import { dayjs, inZone } from './time.js';

/**
 * The school calendar: public holidays and make-up working days (调休) from the
 * maintained `chinese-days` dataset, plus the campaign's own dates. The State
 * Council publishes each year's arrangement in November; years the dataset does
 * not know yet are reported, so nobody silently trusts a plain weekday rule.
 */

// The package ships CommonJS without named ESM exports; its default export carries the functions.
const { getDayDetail, getHolidaysInRange } = chineseDays;

export interface SchoolDay {
  date: string;
  working: boolean;
  /** The holiday or make-up day's name, when it is one. */
  name?: string;
  source: 'dataset' | 'campaign' | 'weekday';
}

/** Whether the dataset has the year's arrangement (every published year has at least New Year's Day). */
const knownYears = new Map<number, boolean>();
function yearKnown(year: number): boolean {
  let known = knownYears.get(year);
  if (known === undefined) knownYears.set(year, (known = getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false).length > 0));
  return known;
}

export function schoolDay(def: CampaignDefinition, date: string): SchoolDay {
  const own = def.calendar.extraHolidays.find((d) => d.date === date);
  if (own) return { date, working: false, name: own.name, source: 'campaign' };
  const makeUp = def.calendar.extraWorkdays.find((d) => d.date === date);
  if (makeUp) return { date, working: true, name: makeUp.name, source: 'campaign' };
  const detail = getDayDetail(date);
  // The dataset names a day "Monday" … "Sunday" unless it is a holiday or a make-up day.
  const zh = detail.name.split(',')[1];
  const known = yearKnown(Number(date.slice(0, 4)));
  if (known && zh !== undefined) return { date, working: detail.work, name: zh, source: 'dataset' };
  const weekday = dayjs(date).day();
  return { date, working: weekday !== 0 && weekday !== 6, source: known ? 'dataset' : 'weekday' };
}

/**
 * Years the window touches that neither the dataset nor a loaded holiday file
 * (`zoufang calendar load`) covers: holidays there come only from the campaign's own dates.
 */
export function uncoveredYears(def: CampaignDefinition, loaded: readonly number[] = []): number[] {
  const years: number[] = [];
  for (let y = Number(def.window.start.slice(0, 4)); y <= Number(def.window.end.slice(0, 4)); y++) if (!yearKnown(y) && !loaded.includes(y)) years.push(y);
  return years;
}

/** The months ('YYYY-MM') of the campaign's window that have no holiday data. */
export function uncoveredMonths(def: CampaignDefinition, loaded: readonly number[] = []): string[] {
  const years = uncoveredYears(def, loaded);
  const months: string[] = [];
  for (let m = dayjs(def.window.start).startOf('month'); m.format('YYYY-MM-DD') <= def.window.end; m = m.add(1, 'month')) {
    if (years.includes(m.year())) months.push(m.format('YYYY-MM'));
  }
  return months;
}

/**
 * The definition with loaded years' holidays and 调休 under the campaign's own
 * dates (which win on the same day), so that every calendar built from it sees them.
 */
export function withLoadedYears(def: CampaignDefinition, loaded: readonly CalendarYear[]): CampaignDefinition {
  const start = Number(def.window.start.slice(0, 4));
  const end = Number(def.window.end.slice(0, 4));
  const years = loaded.filter((y) => y.year >= start && y.year <= end);
  if (!years.length) return def;
  const own = new Set([...def.calendar.extraHolidays, ...def.calendar.extraWorkdays].map((d) => d.date));
  const fresh = (list: { date: string; name: string }[]) => list.filter((d) => !own.has(d.date));
  return {
    ...def,
    calendar: {
      ...def.calendar,
      extraHolidays: [...def.calendar.extraHolidays, ...years.flatMap((y) => fresh(y.holidays))],
      extraWorkdays: [...def.calendar.extraWorkdays, ...years.flatMap((y) => fresh(y.workdays))],
    },
  };
}

/**
 * Whether school is open on this local date: inside one of the campaign's terms
 * (a campaign without terms is one term over its window). In the vacation
 * between terms nobody is behind pace, so nobody is chased or listed as such.
 */
export const inSession = (def: CampaignDefinition, date: string): boolean => termsOf(def).some((t) => t.start <= date && date <= t.end);

/** Whether school is open on some day of the period (a week's pace digest speaks of nothing otherwise). */
export const inSessionDuring = (def: CampaignDefinition, p: { start: string; end: string }): boolean =>
  termsOf(def).some((t) => t.start <= p.end && p.start <= t.end);

/** Whether a nudge may be sent on this local date: working days only, when the campaign says so. */
export const nudgeDay = (def: CampaignDefinition, date: string): boolean => !def.calendar.skipHolidays || schoolDay(def, date).working;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** Whether a local moment falls in the campaign's quiet hours (which may span midnight). */
export function inQuietHours(def: CampaignDefinition, at: Date): boolean {
  const local = inZone(at, def.timezone);
  const m = local.hour() * 60 + local.minute();
  const start = minutesOf(def.quietHours.start);
  const end = minutesOf(def.quietHours.end);
  return start <= end ? m >= start && m < end : m >= start || m < end;
}

/** The first moment at or after `at` outside quiet hours: a direct message held back overnight goes out then. */
export function afterQuietHours(def: CampaignDefinition, at: Date): Date {
  if (!inQuietHours(def, at)) return at;
  // Quiet hours end today, or (when they began this evening) tomorrow, at the local end time.
  const endOn = (day: Dayjs) => dayjs.tz(`${day.format('YYYY-MM-DD')} ${def.quietHours.end}`, 'YYYY-MM-DD HH:mm', def.timezone);
  const local = inZone(at, def.timezone);
  const today = endOn(local);
  return (today.valueOf() > at.getTime() ? today : endOn(local.add(1, 'day'))).toDate();
}
