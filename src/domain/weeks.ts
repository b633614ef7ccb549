import type { CampaignDefinition, WeeklyMoment } from './campaign.js';
import { addDays, nearestWorkingDay } from './periods.js';
import { localMidnight, inZone } from './time.js';

/**
 * The zone-report calendar. Weeks run Monday to Sunday in the campaign's zone.
 * A week is reportable when its push moment lies inside the campaign window;
 * reportable weeks are numbered 1, 2, … as on the paper form (时间：第 N 周).
 */
export interface ReportWeek {
  weekNo: number;
  /** Monday 00:00 local, as an instant. */
  start: Date;
  /** The next Monday 00:00 local. */
  end: Date;
  /** Local dates for display. */
  firstDay: string;
  lastDay: string;
  pushAt: Date;
  /** In the following week; after it the report is late and reminders go out. */
  dueAt: Date;
}

/** A weekly moment in the week starting on `monday` (local date), `weekOffset` weeks later. */
export function momentInWeek(monday: string, m: WeeklyMoment, tz: string, weekOffset = 0) {
  const [h, min] = m.time.split(':').map(Number) as [number, number];
  return localMidnight(monday, tz)
    .add(weekOffset * 7 + (m.weekday - 1), 'day')
    .hour(h)
    .minute(min);
}

/**
 * A weekly moment that lands on a day off moves back to the last working day
 * of the same week before it (a holiday Friday's card comes on Thursday);
 * undefined when the week has no working day up to it.
 */
export function weeklyNudgeAt(def: CampaignDefinition, monday: string, m: WeeklyMoment) {
  const tz = def.timezone;
  const planned = momentInWeek(monday, m, tz);
  const day = nearestWorkingDay(def, planned.format('YYYY-MM-DD'), -1, monday);
  return day ? localMidnight(day, tz).hour(planned.hour()).minute(planned.minute()) : undefined;
}

/** A deadline that lands on a day off moves forward to the next working day, same time. */
function deadlineAt(def: CampaignDefinition, monday: string, m: WeeklyMoment) {
  const tz = def.timezone;
  const planned = momentInWeek(monday, m, tz, 1);
  const day = nearestWorkingDay(def, planned.format('YYYY-MM-DD'), 1, addDays(monday, 28)) ?? planned.format('YYYY-MM-DD');
  return localMidnight(day, tz).hour(planned.hour()).minute(planned.minute());
}

export function reportWeeks(def: CampaignDefinition): ReportWeek[] {
  const tz = def.timezone;
  const windowStart = localMidnight(def.window.start, tz);
  const windowEnd = localMidnight(def.window.end, tz).add(1, 'day'); // exclusive
  // Monday on or before the window start (day(): 0 = Sunday).
  let monday = windowStart.subtract((windowStart.day() + 6) % 7, 'day');
  const weeks: ReportWeek[] = [];
  while (monday.isBefore(windowEnd)) {
    const mondayDate = monday.format('YYYY-MM-DD');
    // A week of holidays (国庆) has no patrol and no report.
    const push = weeklyNudgeAt(def, mondayDate, def.zoneReport.pushAt);
    if (push && !push.isBefore(windowStart) && push.isBefore(windowEnd)) {
      weeks.push({
        weekNo: weeks.length + 1,
        start: monday.toDate(),
        end: monday.add(7, 'day').toDate(),
        firstDay: mondayDate,
        lastDay: monday.add(6, 'day').format('YYYY-MM-DD'),
        pushAt: push.toDate(),
        dueAt: deadlineAt(def, mondayDate, def.zoneReport.dueAt).toDate(),
      });
    }
    monday = monday.add(7, 'day');
  }
  return weeks;
}

export const weekByNo = (def: CampaignDefinition, weekNo: number): ReportWeek | undefined => reportWeeks(def).find((w) => w.weekNo === weekNo);

/** The week whose card should be out now: pushed already, not yet due. */
export function weekOpenForFiling(def: CampaignDefinition, now: Date): ReportWeek | undefined {
  return reportWeeks(def).find((w) => w.pushAt <= now && now < w.dueAt);
}

/**
 * The most recent week whose moment (given per week) has passed, as long as the
 * next week's moment has not: the week whose notices are current right now.
 */
export function latestWeekPast(weeks: ReportWeek[], now: Date, momentOf: (w: ReportWeek) => Date): ReportWeek | undefined {
  for (let i = weeks.length - 1; i >= 0; i--) {
    const w = weeks[i]!;
    if (momentOf(w) <= now) {
      const next = weeks[i + 1];
      return !next || now < momentOf(next) ? w : undefined;
    }
  }
  return undefined;
}

/** The most recent week that fell due, if its overdue notices are still current (before the next due moment). */
export const weekJustDue = (def: CampaignDefinition, now: Date): ReportWeek | undefined => latestWeekPast(reportWeeks(def), now, (w) => w.dueAt);

/** A weekly moment in the week after `week` (e.g. Monday 09:00 for the digest of the week before). */
export const momentInFollowingWeek = (def: CampaignDefinition, week: ReportWeek, m: WeeklyMoment): Date =>
  momentInWeek(week.firstDay, m, def.timezone, 1).toDate();

/** The week a teacher is in right now (for /进度): the latest week whose Monday has begun. */
export function currentWeek(def: CampaignDefinition, now: Date): ReportWeek | undefined {
  const weeks = reportWeeks(def).filter((w) => w.start <= now);
  return weeks[weeks.length - 1];
}

/** The weeks whose report was due by `now` and is not among `filed` (week numbers), oldest first. */
export const missedWeeks = (def: CampaignDefinition, filed: Set<number>, now: Date): ReportWeek[] =>
  reportWeeks(def).filter((w) => w.dueAt <= now && !filed.has(w.weekNo));

export const localLabel = (w: ReportWeek, tz: string): string =>
  `第${w.weekNo}周（${inZone(w.start, tz).format('M/D')}–${inZone(w.end.getTime() - 1, tz).format('M/D')}）`;
