import type { LedgerEventKind, LedgerStatus } from '../db/schema.js';
import { addDays, daysBetween } from './periods.js';
import { inZone, localDate } from './time.js';

/**
 * 走访台账 as pure rules: who may move an item from which state to which, and
 * the numbers a branch secretary reads (open, overdue, closed, days to close).
 * Everything takes the facts and `now`; nothing reads the clock or the database.
 */

/** Days an item has when nobody set a due date; neither seed names one ("不积压不拖拉"). */
export const LEDGER_DUE_DAYS = 14;
/** Days past due before the admins are told privately; the owner is told the first day. */
export const LEDGER_ESCALATION_GRACE_DAYS = 3;

export const LEDGER_ACTIONS = ['assign', 'accept', 'start', 'resolve', 'transfer', 'close', 'send-back', 'reopen'] as const;
export type LedgerAction = (typeof LEDGER_ACTIONS)[number];

/** Where the owner still has work to do; overdue counts only these. */
export const ACTIVE_STATUSES: readonly LedgerStatus[] = ['open', 'accepted', 'in-progress'];

interface Rule {
  from: readonly LedgerStatus[];
  to: LedgerStatus;
  by: ReadonlyArray<'owner' | 'admin'>;
  /** A resolution note or a reason the actor must give. */
  needsNote: boolean;
  event: LedgerEventKind;
}

const RULES: Record<LedgerAction, Rule> = {
  // An item the school must act on waits unowned (待分派) until an admin makes someone responsible.
  assign: { from: ['open'], to: 'open', by: ['admin'], needsNote: false, event: 'assigned' },
  accept: { from: ['open'], to: 'accepted', by: ['owner'], needsNote: false, event: 'accepted' },
  start: { from: ['accepted'], to: 'in-progress', by: ['owner'], needsNote: false, event: 'started' },
  resolve: { from: ACTIVE_STATUSES, to: 'resolved', by: ['owner'], needsNote: true, event: 'resolved' },
  // An admin may also hand an item on, for an owner on leave.
  transfer: { from: ACTIVE_STATUSES, to: 'open', by: ['owner', 'admin'], needsNote: false, event: 'transferred' },
  close: { from: ['resolved'], to: 'closed', by: ['admin'], needsNote: false, event: 'closed' },
  'send-back': { from: ['resolved'], to: 'in-progress', by: ['admin'], needsNote: true, event: 'sent-back' },
  reopen: { from: ['closed'], to: 'in-progress', by: ['admin'], needsNote: true, event: 'reopened' },
};

/** How the actor stands to the item: its owner, an admin, both or neither. */
export interface Standing {
  owner: boolean;
  admin: boolean;
  /** The item has nobody responsible yet: it waits in the admins' triage queue, and only assigning it moves it on. */
  unowned?: boolean;
}

export type Verdict =
  | { ok: true; to: LedgerStatus; event: LedgerEventKind; needsNote: boolean }
  /** not-allowed: the wrong person; done: already in the state the action leads to; wrong-state: any other state. */
  | { ok: false; why: 'not-allowed' | 'done' | 'wrong-state' };

/** Whether `who` may take `action` on an item in `status`. The person is checked before the state. */
export function decide(action: LedgerAction, status: LedgerStatus, who: Standing): Verdict {
  const rule = RULES[action];
  if (!rule.by.some((role) => who[role])) return { ok: false, why: 'not-allowed' };
  if ((action === 'assign') !== !!who.unowned) return { ok: false, why: action === 'assign' ? 'done' : 'wrong-state' };
  if (!rule.from.includes(status)) return { ok: false, why: status === rule.to ? 'done' : 'wrong-state' };
  return { ok: true, to: rule.to, event: rule.event, needsNote: rule.needsNote };
}

/** The actions to offer as buttons. */
export const actionsFor = (status: LedgerStatus, who: Standing): LedgerAction[] => LEDGER_ACTIONS.filter((a) => decide(a, status, who).ok);

// ---- dates

const DAY_MS = 86_400_000;

/** A new item's due date: the default number of days after the day it was raised. */
export const defaultDueOn = (createdAt: Date, tz: string): string => addDays(localDate(createdAt, tz), LEDGER_DUE_DAYS);

/** What the numbers need to know about an item. */
export interface LedgerFact {
  /** Null while it waits in the admins' triage queue. */
  ownerId: number | null;
  status: LedgerStatus;
  createdAt: Date;
  /** Null when the record that opened it set none: the default applies. */
  dueOn: string | null;
  closedAt: Date | null;
}

export const dueOf = (f: Pick<LedgerFact, 'dueOn' | 'createdAt'>, tz: string): string => f.dueOn ?? defaultDueOn(f.createdAt, tz);

/** Whether an item is still open past its due date on the local date `day`: overdue from the day after it was due. */
const overdueOn = (f: Pick<LedgerFact, 'status' | 'dueOn' | 'createdAt'>, day: string, tz: string): boolean =>
  ACTIVE_STATUSES.includes(f.status) && dueOf(f, tz) < day;

/** Days past the due date (0 when not overdue). */
export function daysOverdue(f: Pick<LedgerFact, 'status' | 'dueOn' | 'createdAt'>, now: Date, tz: string): number {
  const today = localDate(now, tz);
  return overdueOn(f, today, tz) ? daysBetween(dueOf(f, tz), today) : 0;
}

/** Age in calendar days, as a teacher counts it ("raised 3 days ago"). */
export const ageInDays = (f: Pick<LedgerFact, 'createdAt'>, now: Date, tz: string): number => daysBetween(localDate(f.createdAt, tz), localDate(now, tz));

/** Whether the admins should now be told: a grace period past the owner's reminder. */
export const dueForEscalation = (f: Pick<LedgerFact, 'status' | 'dueOn' | 'createdAt'>, now: Date, tz: string): boolean =>
  daysOverdue(f, now, tz) > LEDGER_ESCALATION_GRACE_DAYS;

// ---- numbers

/** The median (the mean of the middle two for an even count); null without data. */
export function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile: the smallest value with at least p% of the data at or below it. */
export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Elapsed days from raising to closing out, to a tenth of a day. */
export const daysToClose = (f: Pick<LedgerFact, 'createdAt' | 'closedAt'>): number | null =>
  f.closedAt ? Math.round(((f.closedAt.getTime() - f.createdAt.getTime()) / DAY_MS) * 10) / 10 : null;

export interface LedgerNumbers {
  /** Not yet closed out (销号), resolved ones included. */
  open: number;
  overdue: number;
  /** Resolved, waiting for an admin to close out or send back. */
  awaitingClose: number;
  closedThisWeek: number;
  closedThisMonth: number;
  medianDaysToClose: number | null;
  p90DaysToClose: number | null;
}

/** Monday 00:00 of the local week, and the first of the local month, containing `now`. */
function periodStarts(now: Date, tz: string) {
  const local = inZone(now, tz).startOf('day');
  return { week: local.subtract((local.day() + 6) % 7, 'day').valueOf(), month: local.startOf('month').valueOf() };
}

/** The numbers over a set of items; days to close are over every closed item given. */
export function ledgerNumbers(items: LedgerFact[], now: Date, tz: string): LedgerNumbers {
  const starts = periodStarts(now, tz);
  const closedSince = (from: number) => items.filter((f) => f.status === 'closed' && f.closedAt && f.closedAt.getTime() >= from && f.closedAt <= now).length;
  const durations = items
    .filter((f) => f.status === 'closed')
    .map(daysToClose)
    .filter((d): d is number => d !== null);
  return {
    open: items.filter((f) => f.status !== 'closed').length,
    overdue: items.filter((f) => daysOverdue(f, now, tz) > 0).length,
    awaitingClose: items.filter((f) => f.status === 'resolved').length,
    closedThisWeek: closedSince(starts.week),
    closedThisMonth: closedSince(starts.month),
    medianDaysToClose: median(durations),
    p90DaysToClose: percentile(durations, 90),
  };
}

/** The same numbers per owner, in order of most open items. */
export function ledgerNumbersByOwner(items: LedgerFact[], now: Date, tz: string): Array<{ ownerId: number | null; numbers: LedgerNumbers }> {
  const byOwner = new Map<number | null, LedgerFact[]>();
  for (const f of items) byOwner.set(f.ownerId, [...(byOwner.get(f.ownerId) ?? []), f]);
  return [...byOwner]
    .map(([ownerId, own]) => ({ ownerId, numbers: ledgerNumbers(own, now, tz) }))
    .sort((a, b) => b.numbers.open - a.numbers.open || b.numbers.overdue - a.numbers.overdue || (a.ownerId ?? 0) - (b.ownerId ?? 0));
}

/** What the group digest may say about the ledger: counts only, never an item's words. */
export interface LedgerDigestCounts {
  opened: number;
  closed: number;
  overdue: number;
  medianDaysToClose: number | null;
}

/**
 * Counts for a digest period [from, to): items opened and closed in it, those
 * overdue on its last day (by their present status), and the median days to
 * close of the items it closed.
 */
export function ledgerDigestCounts(items: LedgerFact[], from: Date, to: Date, tz: string): LedgerDigestCounts {
  const inPeriod = (at: Date | null) => !!at && at >= from && at < to;
  const closed = items.filter((f) => f.status === 'closed' && inPeriod(f.closedAt));
  // Overdue on the period's last day, that day worked out once: a district's digest counts thousands of items.
  const lastDay = localDate(new Date(to.getTime() - 1), tz);
  return {
    opened: items.filter((f) => inPeriod(f.createdAt)).length,
    closed: closed.length,
    overdue: items.filter((f) => overdueOn(f, lastDay, tz)).length,
    medianDaysToClose: median(closed.map(daysToClose).filter((d): d is number => d !== null)),
  };
}
