import { describe, expect, it } from 'vitest';
import { campaignDigest } from '../../src/domain/digest.js';
import type { CampaignFacts } from '../../src/domain/obligations.js';
import { monthOn } from '../../src/domain/periods.js';
import { presetDefinition } from '../../src/domain/presets.js';
import type { VisitFact } from '../../src/domain/quotas.js';

/**
 * The digest's numbers against a fixture worked out by hand: seed 002 in
 * November 2026 (21 working days), the monthly digest sent on Tuesday
 * 1 December.
 */

const def = presetDefinition('三大一实干', { year: 2026 });
const T = (id: number, name: string, roles: string[], department: string | null = null, leaves: Array<{ start: string; end: string }> = []) => ({
  id, name, roles, department, availability: { leaves },
});
const v = (targetId: number, occurredOn: string, visitorIds: number[], o: Partial<VisitFact> = {}): VisitFact => ({
  targetId, targetKind: 'student-family', className: '一(1)班', occurredOn, mode: 'in-person', place: 'home', visitorIds, ...o,
});

describe('campaign digest numbers', () => {
  // Students: 101–104 in 一(1)班, 105–106 in 一(2)班. Parent-committee members 201–202.
  const targets = [
    ...[101, 102, 103, 104].map((id) => ({ id, kind: 'student-family', className: '一(1)班' })),
    ...[105, 106].map((id) => ({ id, kind: 'student-family', className: '一(2)班' })),
    ...[201, 202].map((id) => ({ id, kind: 'parent-committee', className: null })),
  ];
  const facts: CampaignFacts = {
    people: [
      T(1, '周敏', ['teacher']), // 5 home visits in November: met
      T(2, '吴强', ['teacher']), // 2: behind, then missed
      T(3, '郑华', ['teacher'], null, [{ start: '2026-11-01', end: '2026-11-30' }]), // on leave all month: excused
      T(4, '王校长', ['leader'], '校长室'), // 5 calls on 2 committee members: 2 people of the 5 (每位每月至少走访5位)
    ],
    visits: [
      // 周敏: five, one of them with 吴强 along (it counts for both).
      v(101, '2026-11-02', [1]), v(102, '2026-11-03', [1, 2]), v(103, '2026-11-10', [1]), v(105, '2026-11-11', [1], { mode: 'phone' }), v(106, '2026-11-20', [1]),
      // 吴强: one more of his own.
      v(104, '2026-11-24', [2]),
      // October's visit counts for the term's coverage, not for November.
      v(101, '2026-10-15', [1]),
      // 王校长: five visits, but to two committee members.
      ...[201, 202, 201, 202, 201].map((id, i) => v(id, `2026-11-0${i + 2}`, [4], { targetKind: 'parent-committee', className: null, place: 'school' })),
    ],
    dorms: [],
    claims: new Map(),
    claimable: 0,
    filed: new Set(),
  };

  it('counts visits against quota for the month reported, coverage for the term, and names only teachers', () => {
    const d = campaignDigest({
      def, kind: 'monthly', period: monthOn(def, '2026-11-15')!, asOf: '2026-12-01', facts, targets,
      ledger: { opened: 3, closed: 2, overdue: 1, medianDaysToClose: 4.5 },
    });
    // 11 visits in November (6 home, 5 committee) by 3 teachers.
    expect(d.visits).toBe(11);
    expect(d.visitors).toBe(3);
    expect(d.quotas.find((q) => q.name === '教师家访')).toEqual({ name: '教师家访', min: 5, period: 'month', people: 3, visits: 6, met: 1, behind: 1, excused: 1 });
    expect(d.quotas.find((q) => q.name === '校长室走访家委会和社会贤达')).toMatchObject({ people: 1, visits: 5, met: 0, behind: 1 });
    expect(d.quotas.find((q) => q.name === '学生中心走访大队委和班队委员')).toMatchObject({ people: 0, visits: 0, met: 0 });
    // Autumn term: all six students visited at least once; in person: 一(1)班 has 4, 一(2)班 only 1 (105 was by phone).
    expect(d.coverage.find((c) => c.key === 'every-student')).toMatchObject({ covered: 6, total: 6 });
    expect(d.coverage.find((c) => c.key === 'in-person')).toMatchObject({ covered: 1, total: 2, unit: '个班' });
    // The two committee members, visited by 校长室 since its quota began on 25 March (the two-month window closed on 24 May).
    // Both were first visited in November, long after that: the deadline was missed, with none covered by it.
    expect(d.coverage.find((c) => c.key === 'quota-principal-office')).toMatchObject({ covered: 2, total: 2, dueOn: '2026-05-24', state: 'missed', coveredByDue: 0 });
    // Ties in pinyin order: 王 (wáng) before 周 (zhōu).
    expect(d.highlights).toEqual([
      { name: '王校长', visits: 5 },
      { name: '周敏', visits: 5 },
      { name: '吴强', visits: 2 },
    ]);
    expect(d.behind).toEqual(['王校长', '吴强']);
    expect(d.ledger).toEqual({ opened: 3, closed: 2, overdue: 1, medianDaysToClose: 4.5 });
  });

  it('judges this month so far in a weekly digest: 周敏 has met it, 吴强 is behind pace (2 of the 3 due by 16 of 21 working days)', () => {
    const week = { key: 'w', label: '11/16–11/22', start: '2026-11-16', end: '2026-11-22' };
    const d = campaignDigest({ def, kind: 'weekly', period: week, asOf: '2026-11-23', facts, targets });
    expect(d.visits).toBe(1);
    expect(d.quotas.find((q) => q.name === '教师家访')).toMatchObject({ visits: 1, met: 1, behind: 1, excused: 1 });
    expect(d.behind).toEqual(['王校长', '吴强']);
  });

  it('lists nobody as behind when the digest is taken in the vacation between terms', () => {
    // The same November, with the autumn term ending on the 20th: the digest of 1 December falls in the vacation.
    const short = { ...def, terms: [{ name: '秋季学期', start: '2026-09-01', end: '2026-11-20' }] };
    const d = campaignDigest({ def: short, kind: 'monthly', period: monthOn(short, '2026-11-15')!, asOf: '2026-12-01', facts, targets });
    expect(d.visits).toBe(11);
    expect(d.behind).toEqual([]);
  });
});
