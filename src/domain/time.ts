import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';

dayjs.extend(utc);
dayjs.extend(timezone);

/** A moment seen in the campaign's time zone. Instants are stored in UTC; zones apply only here. */
export const inZone = (at: Date | number, tz: string): Dayjs => dayjs(at).tz(tz);

/**
 * A function of a local date and a zone, remembered for the last REMEMBERED_DATES pairs asked: dayjs's zone
 * parsing costs tens of microseconds and a submit, a list or a digest asks for the same few dates again and
 * again. A zone's rules do not change while the bot runs, so neither does the answer.
 */
export function byLocalDate<T>(compute: (date: string, tz: string) => T): (date: string, tz: string) => T {
  const known = new Map<string, T>();
  return (date, tz) => {
    const key = `${tz}|${date}`;
    let value = known.get(key);
    if (value === undefined) {
      value = compute(date, tz);
      if (known.size >= REMEMBERED_DATES) known.delete(known.keys().next().value!);
      known.set(key, value);
    }
    return value;
  };
}
/** Two terms of days in every zone a district uses. */
const REMEMBERED_DATES = 1000;

/** Midnight of a local calendar date (YYYY-MM-DD) in the zone (a Dayjs never changes: callers share it). */
export const localMidnight = byLocalDate((date, tz): Dayjs => dayjs.tz(date, tz));

/** One formatter per zone (and precision): Intl is far cheaper than a dayjs zone conversion, and lists and forms ask once per row. */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** The last answer per zone and precision: a card asks for "today" several times within the same minute. */
const lastParts = new Map<string, { minute: number; parts: Record<string, string> }>();
/** Since 1973 every zone's offset is whole minutes, so one minute's instants share their local date and time. */
const WHOLE_MINUTE_OFFSETS = Date.UTC(1973, 0, 1);

/** The local date of an instant in the zone, and with `minutes` its hour and minute, as Intl's parts. */
function localParts(at: Date | number, tz: string, minutes: boolean): Record<string, string> {
  const key = `${tz}|${minutes}`;
  const t = typeof at === 'number' ? at : at.getTime();
  const minute = Math.floor(t / 60_000);
  const last = lastParts.get(key);
  if (last?.minute === minute && t >= WHOLE_MINUTE_OFFSETS) return last.parts;
  let f = zoneFormatters.get(key);
  if (!f) {
    const day = { year: 'numeric', month: '2-digit', day: '2-digit' } as const;
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, ...day, ...(minutes ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}) });
    zoneFormatters.set(key, f);
  }
  // Assembled from parts, not from a locale's pattern, which ICU versions may change.
  const parts = Object.fromEntries(f.formatToParts(t).map((p) => [p.type, p.value]));
  lastParts.set(key, { minute, parts });
  return parts;
}

/** The local calendar date (YYYY-MM-DD) of an instant in the zone. */
export const localDate = (at: Date, tz: string): string => {
  const part = localParts(at, tz, false);
  return `${part.year}-${part.month}-${part.day}`;
};

const MINUTE = 'YYYY-MM-DD HH:mm';

/** A moment in the zone as `fmt` (dayjs tokens) says; the usual minute precision, on every card footer, through Intl. */
export const formatLocal = (at: Date | number, tz: string, fmt = MINUTE): string => {
  if (fmt !== MINUTE) return inZone(at, tz).format(fmt);
  const part = localParts(at, tz, true);
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
};

export { dayjs };

const ZH_WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
/** "11月24日（周一）": a day as every card says it. */
const dayLabel = (d: Dayjs) => `${d.format('M月D日')}（${ZH_WEEKDAYS[d.day()]}）`;
/** A calendar date ('YYYY-MM-DD') as the epoch ms of its UTC midnight: plain arithmetic on the date alone, no zone. */
export const utcMidnight = (date: string): number => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));

/**
 * dayLabel of a local date ('YYYY-MM-DD'), read off the string: a /进度 says a handful of due dates, each through
 * dayjs a parse and a format. Undefined for anything else (a day that does not exist, another shape).
 */
const dateLabel = (date: string): string | undefined => {
  const at = new Date(utcMidnight(date));
  if (Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== date) return undefined;
  return `${at.getUTCMonth() + 1}月${at.getUTCDate()}日（${ZH_WEEKDAYS[at.getUTCDay()]}）`;
};

/** A local date ('YYYY-MM-DD') as "11/5", read off the string: spans on cards say two on every line. */
export const monthDay = (date: string): string => `${Number(date.slice(5, 7))}/${Number(date.slice(8, 10))}`;

/**
 * A deadline as every card and reminder says it: a due date (local
 * 'YYYY-MM-DD', due by the end of that day) or a moment that falls at local
 * midnight reads as that last day, "5月4日（周二）"; any other moment with its
 * time, "11月24日（周一）09:00". /进度, the forms and the reminders all use it,
 * so one deadline never reads as two.
 */
export function formatDue(due: string): string;
export function formatDue(due: Date, tz: string): string;
export function formatDue(due: string | Date, tz?: string): string {
  if (typeof due === 'string') return dateLabel(due) ?? dayLabel(dayjs(due));
  const at = inZone(due, tz!);
  const endOfDay = at.hour() === 0 && at.minute() === 0;
  return endOfDay ? dayLabel(at.subtract(1, 'day')) : `${dayLabel(at)}${at.format('HH:mm')}`;
}

/** "11月24日（周一）09:00" — a moment as Chinese users read it (for deadlines, `formatDue`). */
export const formatDeadline = (at: Date | number, tz: string): string => {
  const d = inZone(at, tz);
  return `${dayLabel(d)}${d.format('HH:mm')}`;
};

/**
 * A date as people type it: 2026-11-20, 2026/11/20, 2026.11.20, 2026年11月20日 and, when `year` is
 * given, 11-20, 11/20, 11月20日. The local date; 'no-such-day' for one shaped right that does not
 * exist (11-31); null for text that is not a date at all (a name, say).
 */
export function parseTypedDay(text: string, year?: number): string | 'no-such-day' | null {
  const t = text.trim();
  const full = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  const short = year === undefined ? null : /^(\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
  const parts: [string, string, string] | null = full ? [full[1]!, full[2]!, full[3]!] : short ? [String(year), short[1]!, short[2]!] : null;
  if (!parts) return null;
  const [y, m, d] = parts;
  const day = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const real = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(real.getTime()) && real.toISOString().slice(0, 10) === day ? day : 'no-such-day';
}
