import { inZone } from '../domain/time.js';

/**
 * The simulator's time-travel buttons, as pure functions of "now" and the
 * campaign's time zone: each answers the next such moment strictly after now.
 */
export type ClockJump = 'friday-16' | 'monday-09' | 'month-end';

export const CLOCK_JUMPS: Record<ClockJump, { label: string; en: string }> = {
  'friday-16': { label: '下周五 16:00', en: 'next Friday 16:00' },
  'monday-09': { label: '周一 09:00', en: 'Monday 09:00' },
  'month-end': { label: '月末 18:00', en: 'month end 18:00' },
};

export const isClockJump = (s: unknown): s is ClockJump => typeof s === 'string' && Object.hasOwn(CLOCK_JUMPS, s);

/** The next `weekday` (0 = Sunday) at `hh:mm` local time, strictly after `now`. */
export function nextWeekdayAt(now: Date, tz: string, weekday: number, hour: number, minute = 0): Date {
  const local = inZone(now, tz);
  let at = local
    .hour(hour)
    .minute(minute)
    .second(0)
    .millisecond(0)
    .add((weekday - local.day() + 7) % 7, 'day');
  if (!at.isAfter(local)) at = at.add(7, 'day');
  return at.toDate();
}

/** The last day of the month at `hh:mm` local time, strictly after `now` (next month's if this one has passed). */
export function nextMonthEndAt(now: Date, tz: string, hour = 18, minute = 0): Date {
  const local = inZone(now, tz);
  const monthEnd = (d: typeof local) => d.endOf('month').hour(hour).minute(minute).second(0).millisecond(0);
  let at = monthEnd(local);
  if (!at.isAfter(local)) at = monthEnd(local.startOf('month').add(1, 'month'));
  return at.toDate();
}

export function jumpTarget(jump: ClockJump, now: Date, tz: string): Date {
  switch (jump) {
    case 'friday-16':
      return nextWeekdayAt(now, tz, 5, 16);
    case 'monday-09':
      return nextWeekdayAt(now, tz, 1, 9);
    case 'month-end':
      return nextMonthEndAt(now, tz);
  }
}
