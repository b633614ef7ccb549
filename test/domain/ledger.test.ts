import { describe, expect, it } from 'vitest';
import type { LedgerStatus } from '../../src/db/schema.js';
import {
  LEDGER_ACTIONS,
  actionsFor,
  ageInDays,
  daysOverdue,
  daysToClose,
  decide,
  defaultDueOn,
  dueForEscalation,
  dueOf,
  ledgerDigestCounts,
  ledgerNumbers,
  ledgerNumbersByOwner,
  median,
  percentile,
  type LedgerFact,
} from '../../src/domain/ledger.js';

const TZ = 'Asia/Shanghai';
const cst = (s: string) => new Date(`${s}+08:00`);
const OWNER = { owner: true, admin: false };
const ADMIN = { owner: false, admin: true };
const NOBODY = { owner: false, admin: false };

const fact = (f: Partial<LedgerFact> & { createdAt: Date }): LedgerFact => ({ ownerId: 1, status: 'open', dueOn: null, closedAt: null, ...f });

describe('ledger lifecycle rules', () => {
  it('walks open → accepted → in progress → resolved → closed, each step by the right person', () => {
    expect(decide('accept', 'open', OWNER)).toMatchObject({ ok: true, to: 'accepted', event: 'accepted' });
    expect(decide('start', 'accepted', OWNER)).toMatchObject({ ok: true, to: 'in-progress', event: 'started' });
    expect(decide('resolve', 'in-progress', OWNER)).toMatchObject({ ok: true, to: 'resolved', needsNote: true });
    expect(decide('close', 'resolved', ADMIN)).toMatchObject({ ok: true, to: 'closed', needsNote: false });
  });

  it('lets the admin send a resolution back or reopen a closed item, both with a reason', () => {
    expect(decide('send-back', 'resolved', ADMIN)).toMatchObject({ ok: true, to: 'in-progress', needsNote: true, event: 'sent-back' });
    expect(decide('reopen', 'closed', ADMIN)).toMatchObject({ ok: true, to: 'in-progress', needsNote: true, event: 'reopened' });
  });

  it('refuses the wrong person before looking at the state', () => {
    for (const a of ['accept', 'start', 'resolve'] as const) expect(decide(a, 'open', ADMIN)).toEqual({ ok: false, why: 'not-allowed' });
    for (const a of ['close', 'send-back'] as const) expect(decide(a, 'resolved', OWNER)).toEqual({ ok: false, why: 'not-allowed' });
    expect(decide('reopen', 'closed', OWNER)).toEqual({ ok: false, why: 'not-allowed' });
    for (const a of LEDGER_ACTIONS)
      for (const s of ['open', 'resolved', 'closed'] as const) expect(decide(a, s, NOBODY)).toEqual({ ok: false, why: 'not-allowed' });
  });

  it('tells a repeated step from a step in the wrong state', () => {
    expect(decide('accept', 'accepted', OWNER)).toEqual({ ok: false, why: 'done' });
    expect(decide('close', 'closed', ADMIN)).toEqual({ ok: false, why: 'done' });
    expect(decide('start', 'open', OWNER)).toEqual({ ok: false, why: 'wrong-state' });
    expect(decide('close', 'in-progress', ADMIN)).toEqual({ ok: false, why: 'wrong-state' });
    expect(decide('resolve', 'closed', OWNER)).toEqual({ ok: false, why: 'wrong-state' });
    expect(decide('transfer', 'resolved', OWNER)).toEqual({ ok: false, why: 'wrong-state' });
  });

  it('lets the owner or an admin transfer while work is open, and puts it back to open for the new owner', () => {
    for (const s of ['open', 'accepted', 'in-progress'] as const) {
      expect(decide('transfer', s, OWNER)).toMatchObject({ ok: true, to: 'open', event: 'transferred' });
      expect(decide('transfer', s, ADMIN)).toMatchObject({ ok: true, to: 'open' });
    }
  });

  it('offers a new item to its owner as accept / resolve / transfer, and a resolved one to the admin as close / send back', () => {
    expect(actionsFor('open', OWNER)).toEqual(['accept', 'resolve', 'transfer']);
    expect(actionsFor('accepted', OWNER)).toEqual(['start', 'resolve', 'transfer']);
    expect(actionsFor('resolved', OWNER)).toEqual([]);
    expect(actionsFor('resolved', ADMIN)).toEqual(['close', 'send-back']);
    expect(actionsFor('closed', { owner: true, admin: true })).toEqual(['reopen']);
    expect(actionsFor('open', NOBODY)).toEqual([]);
  });
});

describe('ledger dates', () => {
  it('defaults the due date to 14 local days after the day it was raised', () => {
    // 23:30 on 11-09 in Shanghai is still 11-09 there, though 15:30 UTC.
    expect(defaultDueOn(cst('2026-11-09T23:30:00'), TZ)).toBe('2026-11-23');
    expect(dueOf({ dueOn: null, createdAt: cst('2026-11-09T10:00:00') }, TZ)).toBe('2026-11-23');
    expect(dueOf({ dueOn: '2026-11-12', createdAt: cst('2026-11-09T10:00:00') }, TZ)).toBe('2026-11-12');
  });

  it('is overdue from the day after its due date, only while the owner still has work, and escalates after the grace period', () => {
    const f = fact({ createdAt: cst('2026-11-01T10:00:00'), dueOn: '2026-11-10' });
    expect(daysOverdue(f, cst('2026-11-10T23:59:00'), TZ)).toBe(0);
    expect(daysOverdue(f, cst('2026-11-11T00:00:00'), TZ)).toBe(1);
    expect(dueForEscalation(f, cst('2026-11-13T09:00:00'), TZ)).toBe(false);
    expect(dueForEscalation(f, cst('2026-11-14T09:00:00'), TZ)).toBe(true);
    for (const status of ['resolved', 'closed'] as LedgerStatus[]) expect(daysOverdue({ ...f, status }, cst('2026-12-01T09:00:00'), TZ)).toBe(0);
    expect(ageInDays(f, cst('2026-11-11T08:00:00'), TZ)).toBe(10);
  });
});

describe('ledger numbers', () => {
  it('computes the median and the nearest-rank 90th percentile', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([], 90)).toBeNull();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90)).toBe(10);
    expect(percentile([7], 90)).toBe(7);
    expect(daysToClose({ createdAt: cst('2026-11-01T09:00:00'), closedAt: cst('2026-11-03T21:00:00') })).toBe(2.5);
  });

  // Now: Wednesday 2026-11-25 10:00; the week began Monday 11-23, the month 11-01.
  const now = cst('2026-11-25T10:00:00');
  const items: LedgerFact[] = [
    fact({ ownerId: 1, createdAt: cst('2026-10-20T09:00:00'), status: 'closed', closedAt: cst('2026-10-30T09:00:00') }), // 10 days, last month
    fact({ ownerId: 1, createdAt: cst('2026-11-02T09:00:00'), status: 'closed', closedAt: cst('2026-11-04T09:00:00') }), // 2 days, this month
    fact({ ownerId: 2, createdAt: cst('2026-11-20T09:00:00'), status: 'closed', closedAt: cst('2026-11-24T09:00:00') }), // 4 days, this week
    fact({ ownerId: 2, createdAt: cst('2026-11-01T09:00:00'), status: 'in-progress', dueOn: '2026-11-15' }), // overdue 10 days
    fact({ ownerId: 2, createdAt: cst('2026-11-05T09:00:00'), status: 'resolved', dueOn: '2026-11-10' }), // resolved: not overdue
    fact({ ownerId: 1, createdAt: cst('2026-11-24T09:00:00'), status: 'open' }), // due 12-08
  ];

  it('counts open, overdue, awaiting close, closed this week and month, and days to close overall', () => {
    expect(ledgerNumbers(items, now, TZ)).toEqual({
      open: 3,
      overdue: 1,
      awaitingClose: 1,
      closedThisWeek: 1,
      closedThisMonth: 2,
      medianDaysToClose: 4,
      p90DaysToClose: 10,
    });
  });

  it('gives the same numbers per owner', () => {
    const byOwner = ledgerNumbersByOwner(items, now, TZ);
    expect(byOwner.map((o) => o.ownerId)).toEqual([2, 1]);
    expect(byOwner[0]!.numbers).toMatchObject({ open: 2, overdue: 1, closedThisWeek: 1, medianDaysToClose: 4 });
    expect(byOwner[1]!.numbers).toMatchObject({ open: 1, overdue: 0, closedThisWeek: 0, closedThisMonth: 1, medianDaysToClose: 6, p90DaysToClose: 10 });
  });

  it('gives the digest counts for a week', () => {
    const counts = ledgerDigestCounts(items, cst('2026-11-16T00:00:00'), cst('2026-11-23T00:00:00'), TZ);
    // Opened 11-20; none closed that week; overdue on Sunday 11-22: the 11-15 item.
    expect(counts).toEqual({ opened: 1, closed: 0, overdue: 1, medianDaysToClose: null });
    const thisWeek = ledgerDigestCounts(items, cst('2026-11-23T00:00:00'), cst('2026-11-30T00:00:00'), TZ);
    expect(thisWeek).toEqual({ opened: 1, closed: 1, overdue: 1, medianDaysToClose: 4 });
  });

  it('counts as overdue in a digest exactly what daysOverdue says of the period’s last moment', () => {
    // The week of 11-16 ends Sunday 11-22: due 11-21 is overdue by then, due 11-22 not yet; a date of its own or the default.
    const edge = [
      fact({ createdAt: cst('2026-11-10T09:00:00'), dueOn: '2026-11-21' }),
      fact({ createdAt: cst('2026-11-10T09:00:00'), dueOn: '2026-11-22' }),
      fact({ createdAt: cst('2026-11-10T09:00:00'), dueOn: '2026-11-21', status: 'resolved' }),
      // Due 14 days after the local day raised: 11-21 and 11-22.
      fact({ createdAt: cst('2026-11-07T23:30:00') }),
      fact({ createdAt: cst('2026-11-08T00:30:00') }),
    ];
    const [from, to] = [cst('2026-11-16T00:00:00'), cst('2026-11-23T00:00:00')];
    const lastMoment = new Date(to.getTime() - 1);
    expect(ledgerDigestCounts(edge, from, to, TZ).overdue).toBe(edge.filter((f) => daysOverdue(f, lastMoment, TZ) > 0).length);
    expect(ledgerDigestCounts(edge, from, to, TZ).overdue).toBe(2);
  });
});
