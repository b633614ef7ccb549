import type { CampaignDefinition } from './campaign.js';
import { addDays, mondayOf, nearestWorkingDay } from './periods.js';
import { stageMoment } from './reminders.js';
import { dayjs, localDate, localMidnight } from './time.js';

/**
 * When a planned visit's preparation card goes out: the day before, at the
 * campaign's reminder time — or, when that day is a weekend or holiday the
 * campaign keeps quiet on, the last working day before it (a Monday visit is
 * prepared on Friday). A visit planned later than that is prepared at once.
 */
export function preparationMoment(def: CampaignDefinition, startsAt: Date): Date {
  const day = localDate(startsAt, def.timezone);
  const before = addDays(day, -1);
  return stageMoment(def, { on: nearestWorkingDay(def, before, -1, addDays(day, -7)) ?? before });
}

/** A planned visit's local day and time, as 'YYYY-MM-DD' and 'HH:mm', to an instant. */
export const plannedInstant = (def: CampaignDefinition, day: string, time: string): Date =>
  dayjs.tz(`${day} ${time}`, 'YYYY-MM-DD HH:mm', def.timezone).toDate();

/** The local week (Monday to Monday) containing `at`: the "本周" of a digest sent then. */
export function weekAround(def: CampaignDefinition, at: Date): { from: Date; to: Date } {
  const monday = mondayOf(localDate(at, def.timezone));
  return { from: localMidnight(monday, def.timezone).toDate(), to: localMidnight(addDays(monday, 7), def.timezone).toDate() };
}
