import { describe, expect, it } from 'vitest';
import { behindInGroup, shortLabels } from '../../src/domain/digest.js';
import { digestOf } from '../helpers/digest-visits.js';
import type { CampaignFacts } from '../../src/domain/obligations.js';
import { happenedIn, monthOn, monthsOf, weeksCountingIn } from '../../src/domain/periods.js';
import { paceDue } from '../../src/domain/quotas.js';
import { presetDefinition } from '../../src/domain/presets.js';
import type { VisitFact } from '../../src/domain/quotas.js';

/**
 * The digest's numbers against a fixture worked out by hand: seed 002 in
 * November 2026 (21 working days), the monthly digest sent on Tuesday
 * 1 December.
 */

const def = presetDefinition('三大一实干', { year: 2026 });
const T = (id: number, name: string, roles: string[], department: string | null = null, leaves: Array<{ start: string; end: string }> = []) => ({
  id,
  name,
  roles,
  department,
  availability: { leaves },
});
const v = (targetId: number, occurredOn: string, visitorIds: number[], o: Partial<VisitFact> = {}): VisitFact => ({
  targetId,
  targetKind: 'student-family',
  className: '一(1)班',
  occurredOn,
  mode: 'in-person',
  place: 'home',
  visitorIds,
  ...o,
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
      v(101, '2026-11-02', [1]),
      v(102, '2026-11-03', [1, 2]),
      v(103, '2026-11-10', [1]),
      v(105, '2026-11-11', [1], { mode: 'phone' }),
      v(106, '2026-11-20', [1]),
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
    const d = digestOf({
      def,
      kind: 'monthly',
      period: monthOn(def, '2026-11-15')!,
      asOf: '2026-12-01',
      facts,
      targets,
      ledger: { opened: 3, closed: 2, overdue: 1, medianDaysToClose: 4.5 },
    });
    // 11 visits in November (6 home, 5 committee) by 3 teachers.
    expect(d.visits).toBe(11);
    expect(d.visitors).toBe(3);
    expect(d.quotas.find((q) => q.name === '教师家访')).toEqual({
      name: '教师家访',
      short: '教师家访',
      min: 5,
      period: 'month',
      people: 3,
      visits: 6,
      met: 1,
      behind: 1,
      excused: 1,
    });
    expect(d.quotas.find((q) => q.name === '校长室走访家委会和社会贤达')).toMatchObject({ people: 1, visits: 5, met: 0, behind: 1 });
    expect(d.quotas.find((q) => q.name === '学生中心走访大队委和班队委员')).toMatchObject({ people: 0, visits: 0, met: 0 });
    // Autumn term: all six students visited at least once; in person: 一(1)班 has 4, 一(2)班 only 1 (105 was by phone).
    expect(d.coverage.find((c) => c.key === 'every-student')).toMatchObject({ covered: 6, total: 6 });
    expect(d.coverage.find((c) => c.key === 'in-person')).toMatchObject({ covered: 1, total: 2, unit: '个班' });
    // The two committee members, visited by 校长室 since its quota began on 25 March (the two-month window closed on 24 May).
    // Both were first visited in November, long after that: the deadline was missed, with none covered by it.
    expect(d.coverage.find((c) => c.key === 'quota-principal-office')).toMatchObject({
      covered: 2,
      total: 2,
      dueOn: '2026-05-24',
      state: 'missed',
      coveredByDue: 0,
    });
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
    const d = digestOf({ def, kind: 'weekly', period: week, asOf: '2026-11-23', facts, targets });
    expect(d.visits).toBe(1);
    expect(d.quotas.find((q) => q.name === '教师家访')).toMatchObject({ visits: 1, met: 1, behind: 1, excused: 1 });
    expect(d.behind).toEqual(['王校长', '吴强']);
  });

  it('judges a teacher on leave on their own, though a colleague there all month reached as few', () => {
    // 孙丽, there all November, visited nobody: missed. 郑华, on leave all month, visited nobody too: excused.
    const withColleague = { ...facts, people: [T(5, '孙丽', ['teacher']), ...facts.people] };
    const d = digestOf({ def, kind: 'monthly', period: monthOn(def, '2026-11-15')!, asOf: '2026-12-01', facts: withColleague, targets });
    expect(d.quotas.find((q) => q.name === '教师家访')).toMatchObject({ people: 4, met: 1, behind: 2, excused: 1 });
    expect(d.behind).toEqual(['孙丽', '王校长', '吴强']);
  });

  it('lists nobody as behind when the digest is taken in the vacation between terms', () => {
    // The same November, with the autumn term ending on the 20th: the digest of 1 December falls in the vacation.
    const short = { ...def, terms: [{ name: '秋季学期', start: '2026-09-01', end: '2026-11-20' }] };
    const d = digestOf({ def: short, kind: 'monthly', period: monthOn(short, '2026-11-15')!, asOf: '2026-12-01', facts, targets });
    expect(d.visits).toBe(11);
    expect(d.behind).toEqual([]);
  });

  it('counts nothing that happened after the day it is taken, so a re-run for the same period says the same thing', () => {
    const period = monthOn(def, '2026-11-15')!;
    const later = { ...facts, visits: [...facts.visits, v(103, '2026-12-04', [2]), v(104, '2027-01-04', [2])] };
    const once = digestOf({ def, kind: 'monthly', period, asOf: '2026-12-01', facts, targets });
    const again = digestOf({ def, kind: 'monthly', period, asOf: '2026-12-01', facts: later, targets });
    expect(again).toEqual(once);
  });

  it('says "reminded" only of those who were', () => {
    const d = (reminded: number[]) =>
      digestOf({ def, kind: 'monthly', period: monthOn(def, '2026-11-15')!, asOf: '2026-12-01', facts, targets, reminded: new Set(reminded) });
    // Behind in November: 吴强 (2), and 王校长 (4), whose five calls reached two people.
    expect(behindInGroup(d([]), 'names')).toBe('进度落后或逾期 2 人：王校长、吴强');
    expect(behindInGroup(d([1]), 'names')).toBe('进度落后或逾期 2 人：王校长、吴强');
    expect(behindInGroup(d([2]), 'names')).toBe('进度落后或逾期 2 人：王校长、吴强（其中 1 人已私信提醒）');
    expect(behindInGroup(d([2, 4]), 'names')).toBe('进度落后或逾期 2 人：王校长、吴强（已分别私信提醒）');
    expect(behindInGroup(d([2, 4]), 'counts')).toBe('进度落后或逾期 2 人（已分别私信提醒）');
  });
});

describe('what the group is told about who is behind', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `老师${i + 1}`);
  it('names a short list, counts a long one rather than naming an arbitrary few', () => {
    expect(behindInGroup({ behind: names(8), behindReminded: 3 }, 'names')).toBe(`进度落后或逾期 8 人：${names(8).join('、')}（其中 3 人已私信提醒）`);
    expect(behindInGroup({ behind: names(9), behindReminded: 9 }, 'names')).toBe('进度落后或逾期 9 人（已分别私信提醒）');
    expect(behindInGroup({ behind: [], behindReminded: 0 }, 'names')).toBeUndefined();
  });
});

describe('pace', () => {
  it('allows three school weeks (or a quarter of a short period) before anyone is behind, then the plain share', () => {
    // Ten targets over a term of 80 working days: nothing is due in the first three weeks, then a share.
    expect(paceDue(10, 15, 80)).toBe(0);
    expect(paceDue(10, 16, 80)).toBe(2);
    expect(paceDue(10, 80, 80)).toBe(10);
    // Five a month of 21 working days: none in its first 6, three by the 16th.
    expect(paceDue(5, 6, 21)).toBe(0);
    expect(paceDue(5, 16, 21)).toBe(3);
    expect(paceDue(3, 0, 0)).toBe(0);
  });

  it('names nobody behind on claimed targets in week 2 of a term, 60 party teachers without a visit', () => {
    // The spring term began on 1 March; the campaign on 15 March: pace runs over the campaign's part of the term.
    const wei = { ...presetDefinition('微行动', { year: 2026 }), terms: [{ name: '春季学期', start: '2026-03-01', end: '2026-07-10' }] };
    const people = Array.from({ length: 60 }, (_, i) => T(i + 1, `党员${i + 1}`, ['party-teacher']));
    const claims = new Map(people.map((p) => [p.id, [1000 + p.id]]));
    const at = (asOf: string) =>
      digestOf({
        def: wei,
        kind: 'weekly',
        period: { key: 'w', label: 'w', start: '2026-03-23', end: '2026-03-29' },
        asOf,
        facts: { people, visits: [], dorms: [], claims, claimable: 600, filed: new Set() },
        targets: [],
      });
    expect(at('2026-03-30').behind).toEqual([]);
    expect(at('2026-04-03').behind).toEqual([]);
    // By the end of April the pace asks for two or three of the ten.
    expect(at('2026-04-30').behind).toHaveLength(60);
  });
});

describe('what counts where', () => {
  it('places a week that spans two months in one of them, by its Thursday', () => {
    const months = monthsOf(def);
    const nov = months.find((m) => m.key === 'm-2026-11')!;
    const dec = months.find((m) => m.key === 'm-2026-12')!;
    // Monday 30 November: Thursday 3 December, so the week (and its dorm checks) counts in December only.
    expect(weeksCountingIn(def, nov, '2026-12-31')).toEqual(['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23']);
    expect(weeksCountingIn(def, dec, '2026-12-31')).toEqual(['2026-11-30', '2026-12-07', '2026-12-14', '2026-12-21', '2026-12-28']);
    // Weeks not begun by the day the numbers are taken are not expected yet.
    expect(weeksCountingIn(def, dec, '2026-12-14')).toEqual(['2026-11-30', '2026-12-07', '2026-12-14']);
    // A record of 4 January is not in a digest taken on 14 December.
    expect(happenedIn(dec, '2026-12-14')('2027-01-04')).toBe(false);
    expect(happenedIn(dec, '2026-12-14')('2026-12-15')).toBe(false);
    expect(happenedIn(dec, '2026-12-14')('2026-12-01')).toBe(true);
  });
});

describe('chart labels', () => {
  it('are short and never alike', () => {
    expect(shortLabels(['教师家访', '校长室走访家委会和社会贤达', '校长室走访家委会和学生', '三年级实习学生走访到企业（实习）'])).toEqual([
      '教师家访',
      '校长室走访…1',
      '校长室走访…2',
      '三年级实习…',
    ]);
  });
});
