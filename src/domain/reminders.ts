import type { CampaignDefinition } from './campaign.js';
import { inQuietHours } from './calendar.js';
import { addDays, isWorkingDay, maxDate, nearestWorkingDay, type Period } from './periods.js';
import { memoPer } from './memo.js';
import { dayjs, localDate } from './time.js';

/**
 * When the bot chases what someone owes. A deadline is chased T-14, T-7 and
 * T-1 (moved back to the nearest working day, so a reminder is never lost to
 * a holiday), then the day after it falls due, then — privately — the admins.
 * A period quota is chased at mid-period when behind pace and a few days
 * before the period ends; the admins hear after it ends. A stage's moment is
 * its day at the campaign's reminder time; the current stage is the latest
 * whose moment has passed, so a missed run catches up with one message, not
 * a burst of stale ones.
 */

export type StageKind = 'before' | 'overdue' | 'escalate' | 'pace' | 'period-end' | 'missed';

export interface Stage {
  /** Unique within one obligation: `before-7`, `overdue`, `pace`. */
  key: string;
  kind: StageKind;
  /** Local date the stage is sent on. */
  on: string;
  audience: 'person' | 'admin';
  /** For `before`: how many days the deadline is away. */
  daysBefore?: number;
}

/** Working days after the overdue notice before the admins are told. */
export const ESCALATION_WORKING_DAYS = 3;
/** How many days before a period ends the last warning goes out. */
export const PERIOD_END_WARNING_DAYS = 5;
/** Overdue notices stop this long after the campaign window: the campaign is over. */
const AFTER_WINDOW_DAYS = 30;

/** The `n`-th working day after `date`. */
function workingDayAfter(def: CampaignDefinition, date: string, n: number): string {
  let d = date;
  for (let i = 0; i < n; ) {
    d = addDays(d, 1);
    if (isWorkingDay(def, d)) i++;
  }
  return d;
}

export function deadlineStages(def: CampaignDefinition, dueOn: string): Stage[] {
  const stages: Stage[] = [];
  let earliest = def.window.start;
  for (const n of [...def.reminders.daysBefore].sort((a, b) => b - a)) {
    const on = nearestWorkingDay(def, addDays(dueOn, -n), -1, earliest);
    // A reminder moved back onto an earlier one's day is that one; the closer wording wins.
    if (!on || on > dueOn) continue;
    if (stages.at(-1)?.on === on) stages.pop();
    stages.push({ key: `before-${n}`, kind: 'before', on, audience: 'person', daysBefore: n });
    earliest = addDays(on, 1);
  }
  const overdue = nearestWorkingDay(def, addDays(dueOn, 1), 1, addDays(def.window.end, AFTER_WINDOW_DAYS));
  if (overdue) {
    stages.push({ key: 'overdue', kind: 'overdue', on: overdue, audience: 'person' });
    stages.push({ key: 'escalate', kind: 'escalate', on: workingDayAfter(def, overdue, ESCALATION_WORKING_DAYS), audience: 'admin' });
  }
  return stages;
}

const stagesPerDefinition = memoPer<CampaignDefinition, string, Stage[]>();

/**
 * Mid-period pace, the last warning, and the admins after the period ends;
 * worked out once per period of a definition (every /进度 asks for its quotas'),
 * the same list for every caller, who only reads it.
 */
export const periodStages = (def: CampaignDefinition, p: Period): Stage[] => stagesPerDefinition(def, `${p.start}:${p.end}`, () => stagesOfPeriod(def, p));

function stagesOfPeriod(def: CampaignDefinition, p: Period): Stage[] {
  const stages: Stage[] = [];
  const mid = dayjs(p.start)
    .add(Math.floor(dayjs(p.end).diff(dayjs(p.start), 'day') / 2), 'day')
    .format('YYYY-MM-DD');
  const warnOn = addDays(p.end, -(PERIOD_END_WARNING_DAYS - 1));
  const pace = nearestWorkingDay(def, mid, 1, addDays(warnOn, -1));
  if (pace) stages.push({ key: 'pace', kind: 'pace', on: pace, audience: 'person' });
  const warn = nearestWorkingDay(def, warnOn, -1, maxDate(p.start, pace ? addDays(pace, 1) : p.start));
  if (warn) stages.push({ key: 'period-end', kind: 'period-end', on: warn, audience: 'person' });
  const missed = nearestWorkingDay(def, addDays(p.end, 1), 1, addDays(def.window.end, AFTER_WINDOW_DAYS));
  if (missed) stages.push({ key: 'missed', kind: 'missed', on: missed, audience: 'admin' });
  return stages;
}

/** Pace checks at the middle of each month of a term, for obligations that run all term (seed 000's claimed targets). */
export function monthlyPaceStages(def: CampaignDefinition, term: Period, months: Period[]): Stage[] {
  return months
    .filter((m) => m.start >= term.start && m.end <= term.end)
    .flatMap((m) =>
      periodStages(def, m)
        .filter((s) => s.kind === 'pace')
        .map((s) => ({ ...s, key: `pace-${m.key}` })),
    );
}

/** A stage goes out on its day at the campaign's reminder time. */
export const stageMoment = (def: CampaignDefinition, s: Pick<Stage, 'on'>): Date =>
  dayjs.tz(`${s.on} ${def.reminders.at}`, 'YYYY-MM-DD HH:mm', def.timezone).toDate();

/** The latest stage whose moment has passed. */
export function currentStage(def: CampaignDefinition, stages: Stage[], now: Date): Stage | undefined {
  let current: Stage | undefined;
  for (const s of stages) if (stageMoment(def, s) <= now) current = s;
  return current;
}

/** Nudges go out on working days, outside quiet hours; what falls elsewhere waits for the next such moment. */
export const mayNudge = (def: CampaignDefinition, now: Date): boolean => isWorkingDay(def, localDate(now, def.timezone)) && !inQuietHours(def, now);

/** The next moment a nudge may go out after `now`: the next working day at the reminder time. */
export function nextNudgeMoment(def: CampaignDefinition, now: Date): Date {
  const today = localDate(now, def.timezone);
  const todayAt = stageMoment(def, { on: today });
  if (todayAt > now && isWorkingDay(def, today)) return todayAt;
  return stageMoment(def, { on: nearestWorkingDay(def, addDays(today, 1), 1, addDays(today, 60)) ?? addDays(today, 1) });
}

// ---- once-per-term tasks

export const ONCE_TASKS = ['dormRecord', 'studentDay', 'reflection', 'story'] as const;
export type OnceTask = (typeof ONCE_TASKS)[number];

/** What is due "by the end of term": the end-of-term meeting when it falls in the term, else the term's last day. */
export const termDeadline = (def: CampaignDefinition, term: Period): string =>
  def.termMeeting && term.start <= def.termMeeting && def.termMeeting <= term.end ? def.termMeeting : term.end;

/** A once-only task's due date in a term: its own date when it lies in the term, else the term's deadline. */
export function onceTaskDue(def: CampaignDefinition, task: OnceTask, term: Period): string {
  const own = def.tasks[task].due;
  return own && term.start <= own && own <= term.end ? own : termDeadline(def, term);
}
