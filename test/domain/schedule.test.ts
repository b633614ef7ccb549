import { describe, expect, it } from 'vitest';
import { parseCampaignDefinition, type CampaignDefinitionInput } from '../../src/domain/campaign.js';
import { presetDefinition } from '../../src/domain/presets.js';
import { elapsed, monthOn, monthsOf, termOn, workingDays, type Availability } from '../../src/domain/periods.js';
import {
  claimedStanding,
  classesShort,
  classTermStanding,
  coverageStanding,
  coverageState,
  distinctPeople,
  quotaCoverage,
  quotaPeriodOn,
  quotaPeriods,
  quotaStanding,
  type VisitFact,
} from '../../src/domain/quotas.js';
import {
  currentStage,
  deadlineStages,
  mayNudge,
  monthlyPaceStages,
  nextNudgeMoment,
  onceTaskDue,
  periodStages,
  stageMoment,
} from '../../src/domain/reminders.js';

/**
 * The campaign calendar's rules at their edges, on 2026 dates whose holidays
 * and 调休 come from the chinese-days dataset: 劳动节 is 1–5 May (Friday to
 * Tuesday) with Saturday 9 May worked; 端午 is Friday 19 June; 国庆 is 1–7
 * October with Saturday 10 October worked.
 */

const sanDa = presetDefinition('三大一实干', { year: 2026 });
const wei = presetDefinition('微行动', { year: 2026 });
const homeVisits = sanDa.quotas.find((q) => q.key === 'home-visits')!;
const principal = sanDa.quotas.find((q) => q.key === 'principal-office')!;
const cst = (local: string) => new Date(`${local}+08:00`);
const teacher = (availability: Availability = { leaves: [] }) => ({ id: 7, roles: ['teacher'], department: null, availability });

let nextTarget = 1;
const visit = (occurredOn: string, o: Partial<VisitFact> = {}): VisitFact => ({
  targetId: nextTarget++,
  targetKind: 'student-family',
  className: '三(1)班',
  occurredOn,
  mode: 'in-person',
  place: 'home',
  visitorIds: [7],
  ...o,
});

describe('periods', () => {
  it('clips months to the window and counts working days with holidays and 调休', () => {
    expect(monthsOf(wei).map((m) => [m.key, m.start, m.end])[0]).toEqual(['m-2026-03', '2026-03-15', '2026-03-31']);
    expect(monthsOf(wei).at(-1)).toMatchObject({ key: 'm-2026-08', start: '2026-08-01', end: '2026-08-31' });
    // May 2026: 21 weekdays, less 1, 4, 5 May (劳动节), plus Saturday 9 May (调休) = 19.
    expect(workingDays(sanDa, '2026-05-01', '2026-05-31')).toBe(19);
    // October: 22 weekdays, less 1, 2, 5, 6, 7 October, plus Saturday 10 October = 18.
    expect(workingDays(sanDa, '2026-10-01', '2026-10-31')).toBe(18);
  });

  it('puts a date in the summer break into the term before it', () => {
    expect(termOn(sanDa, '2026-08-01').key).toBe('term-1');
    expect(termOn(sanDa, '2026-09-01').key).toBe('term-2');
  });

  it('counts only the days someone was there: joined mid-month, on leave', () => {
    const nov = monthOn(sanDa, '2026-11-10')!;
    // November 2026 has 21 working days; joining on Monday 16 November leaves 11.
    expect(elapsed(sanDa, nov, '2026-11-20', { joinedOn: '2026-11-16', leaves: [] })).toEqual({ passed: 5, total: 11, daysLeft: 10 });
    expect(elapsed(sanDa, nov, '2026-11-20', { leaves: [{ start: '2026-11-02', end: '2026-11-06' }] })).toEqual({ passed: 10, total: 16, daysLeft: 10 });
  });
});

describe('visit quotas', () => {
  it('owes 5 home visits a month, and judges pace by working days passed', () => {
    const nov = quotaPeriodOn(sanDa, homeVisits, '2026-11-20')!;
    const visits = [visit('2026-11-03'), visit('2026-11-10')];
    // 15 of 21 working days have passed by Friday 20 November: 3 visits keep pace.
    expect(quotaStanding(sanDa, homeVisits, nov, teacher(), visits, '2026-11-20')).toMatchObject({
      required: 5,
      done: 2,
      expectedNow: 3,
      daysLeft: 10,
      state: 'behind',
    });
    expect(quotaStanding(sanDa, homeVisits, nov, teacher(), [...visits, visit('2026-11-19')], '2026-11-20').state).toBe('on-track');
    expect(quotaStanding(sanDa, homeVisits, nov, teacher(), visits, '2026-12-01').state).toBe('missed');
  });

  it('counts a co-visitor’s visits, not other kinds of target or other months', () => {
    const nov = quotaPeriodOn(sanDa, homeVisits, '2026-11-20')!;
    const visits = [
      visit('2026-11-03', { visitorIds: [3, 7] }),
      visit('2026-11-04', { targetKind: 'parent-committee' }),
      visit('2026-10-30'),
      visit('2026-11-05', { visitorIds: [3] }),
    ];
    expect(quotaStanding(sanDa, homeVisits, nov, teacher(), visits, '2026-11-20').done).toBe(1);
  });

  it('counts distinct people, not visits: three families and two repeat calls make 3/5', () => {
    const nov = quotaPeriodOn(sanDa, homeVisits, '2026-11-20')!;
    const visits = [
      visit('2026-11-03', { targetId: 501 }),
      visit('2026-11-04', { targetId: 502 }),
      visit('2026-11-05', { targetId: 503 }),
      visit('2026-11-10', { targetId: 501, mode: 'phone' }),
      visit('2026-11-12', { targetId: 501 }),
    ];
    expect(distinctPeople(visits)).toBe(3);
    expect(quotaStanding(sanDa, homeVisits, nov, teacher(), visits, '2026-12-01')).toMatchObject({ required: 5, done: 3, state: 'missed' });
    // The leaders' 5位 and 3位 alike.
    const dev = sanDa.quotas.find((q) => q.key === 'development-centre')!;
    const leader = { id: 7, roles: ['leader'], department: '发展中心', availability: { leaves: [] } };
    const calls = [501, 501, 502, 502].map((targetId, i) => visit(`2026-11-0${i + 2}`, { targetId, targetKind: 'office-teacher' }));
    expect(quotaStanding(sanDa, dev, quotaPeriodOn(sanDa, dev, '2026-11-20')!, leader, calls, '2026-11-20')).toMatchObject({ required: 3, done: 2 });
  });

  it('prorates the month for a teacher who joined mid-month, and excuses a month spent on leave', () => {
    const nov = quotaPeriodOn(sanDa, homeVisits, '2026-11-20')!;
    // 11 of 21 working days: ceil(5 × 11 / 21) = 3.
    expect(quotaStanding(sanDa, homeVisits, nov, teacher({ joinedOn: '2026-11-16', leaves: [] }), [], '2026-11-20')).toMatchObject({
      required: 3,
      expectedNow: 1,
    });
    expect(quotaStanding(sanDa, homeVisits, nov, teacher({ leaves: [{ start: '2026-11-01', end: '2026-11-30' }] }), [], '2026-11-20').state).toBe('excused');
  });

  it('starts the principal’s office quota at the end of March, with that first week’s share', () => {
    expect(quotaPeriods(sanDa, principal)[0]).toMatchObject({ key: 'm-2026-03', start: '2026-03-25', end: '2026-03-31' });
    const march = quotaPeriods(sanDa, principal)[0]!;
    const leader = { id: 7, roles: ['leader'], department: '校长室', availability: { leaves: [] } };
    // 5 of March's 22 working days: ceil(5 × 5 / 22) = 2.
    expect(quotaStanding(sanDa, principal, march, leader, [], '2026-03-25').required).toBe(2);
  });
});

describe('seed 000: claimed targets visited within the term', () => {
  it('expects the claimed targets visited in step with the term', () => {
    const term = termOn(wei, '2026-06-01');
    const visits = [visit('2026-04-01', { targetId: 101 }), visit('2026-04-20', { targetId: 101 }), visit('2026-05-11', { targetId: 102 })];
    const s = claimedStanding(wei, term, [101, 102, 103, 104, 105, 106, 107, 108, 109, 110], teacher(), visits, '2026-06-01', 0);
    expect(s).toMatchObject({ claimed: 10, required: 10, visited: 2, daysLeft: 91, state: 'behind' });
    expect(s.expectedNow).toBeGreaterThan(2);
  });

  it('holds a teacher who has claimed too few to the ten, as far as targets are left to claim', () => {
    const term = termOn(wei, '2026-06-01');
    const visits = [visit('2026-04-01', { targetId: 101 })];
    // Claimed one and visited it, with plenty left: nine more to claim, and behind.
    expect(claimedStanding(wei, term, [101], teacher(), visits, '2026-06-01', 50)).toMatchObject({ claimed: 1, required: 10, visited: 1, state: 'behind' });
    // Claimed none: the same ten.
    expect(claimedStanding(wei, term, [], teacher(), [], '2026-03-20', 50)).toMatchObject({ claimed: 0, required: 10, visited: 0 });
    // Only three left to claim: four is all that can be asked.
    expect(claimedStanding(wei, term, [101], teacher(), visits, '2026-06-01', 3)).toMatchObject({ claimed: 1, required: 4, visited: 1 });
    // Nothing claimed and nothing left: nothing asked.
    expect(claimedStanding(wei, term, [], teacher(), [], '2026-06-01', 0)).toMatchObject({ required: 0, state: 'excused' });
  });
});

describe('coverage', () => {
  const targets = [
    { id: 1, kind: 'student-family', className: '一(1)班' },
    { id: 2, kind: 'student-family', className: '一(1)班' },
    { id: 3, kind: 'student-family', className: '一(2)班' },
    { id: 4, kind: 'parent-committee', className: null },
  ];
  const v = (targetId: number, occurredOn: string, mode = 'in-person', visitorIds = [7]) => visit(occurredOn, { targetId, mode, visitorIds, className: null });

  it('counts every student once a term, and classes with two in-person visits', () => {
    const visits = [v(1, '2026-09-10'), v(2, '2026-10-12'), v(3, '2026-10-13', 'phone'), v(1, '2026-05-01')];
    const every = coverageStanding(sanDa, sanDa.coverage[0]!, targets, visits, '2026-11-20');
    expect(every).toMatchObject({ covered: 3, total: 3, dueOn: '2026-12-31' });
    const inPerson = coverageStanding(sanDa, sanDa.coverage[1]!, targets, visits, '2026-11-20');
    expect(inPerson).toMatchObject({ covered: 1, total: 2, unit: '个班' });
    expect(inPerson.byClass).toEqual([
      { className: '一(1)班', covered: 2, total: 2 },
      { className: '一(2)班', covered: 0, total: 1 },
    ]);
  });

  it('covers a quota group within two months of its start, by members of the department only', () => {
    const c = quotaCoverage(sanDa, principal, targets, [v(4, '2026-04-01', 'in-person', [9]), v(4, '2026-04-02', 'in-person', [3])], [9], '2026-04-03')!;
    expect(c).toMatchObject({ covered: 1, total: 1, dueOn: '2026-05-24', state: 'met', metOn: '2026-04-01' });
    expect(quotaCoverage(sanDa, principal, targets, [v(4, '2026-04-01', 'in-person', [3])], [9], '2026-04-03')).toMatchObject({ covered: 0, state: 'open' });
  });

  it('starts every row of the department table at the end of March (one merged cell), due two months later', () => {
    for (const q of sanDa.quotas.filter((x) => x.who.department)) {
      expect(q.from, q.key).toBe('2026-03-25');
      expect(quotaCoverage(sanDa, q, [], [], [], '2026-04-01')!.dueOn, q.key).toBe('2026-05-24');
    }
  });

  it('says a passed deadline was missed, or met on which day, instead of an old 截至', () => {
    const group = [...targets, { id: 5, kind: 'community-figure', className: null }];
    const early = [v(4, '2026-04-01', 'in-person', [9]), v(5, '2026-05-20', 'phone', [9])];
    expect(quotaCoverage(sanDa, principal, group, early, [9], '2026-12-01')).toMatchObject({ state: 'met', metOn: '2026-05-20', covered: 2, total: 2 });
    const late = [v(4, '2026-04-01', 'in-person', [9]), v(5, '2026-06-02', 'phone', [9])];
    expect(quotaCoverage(sanDa, principal, group, late, [9], '2026-12-01')).toMatchObject({
      state: 'missed',
      coveredByDue: 1,
      covered: 2,
      metOn: '2026-06-02',
    });
    expect(quotaCoverage(sanDa, principal, group, late.slice(0, 1), [9], '2026-12-01')).toMatchObject({
      state: 'missed',
      coveredByDue: 1,
      covered: 1,
      metOn: undefined,
    });
    expect(coverageState([], '2026-05-24', '2026-12-01')).toMatchObject({ state: 'missed', coveredByDue: 0 });
  });

  it('lists the classes below two students in person this term, and each class’s students with who visited them', () => {
    const visits = [v(1, '2026-09-10', 'in-person', [7, 8]), v(1, '2026-09-20', 'phone', [9]), v(3, '2026-10-12', 'phone', [8])];
    const classesBelowInPerson = (vs: VisitFact[], today: string) => classesShort(sanDa, (rule) => coverageStanding(sanDa, rule, targets, vs, today));
    expect(classesBelowInPerson(visits, '2026-11-20')).toEqual([
      { className: '一(1)班', inPerson: 1, min: 2 },
      { className: '一(2)班', inPerson: 0, min: 2 },
    ]);
    expect(classesBelowInPerson([...visits, v(2, '2026-11-02')], '2026-11-20').map((c) => c.className)).toEqual(['一(2)班']);
    const cls = classTermStanding(sanDa, '一(1)班', targets, visits, '2026-11-20')!;
    expect(cls).toMatchObject({ className: '一(1)班', inPersonMin: 2 });
    expect(cls.students).toEqual([
      { id: 1, visitorIds: [7, 8, 9], inPerson: true },
      { id: 2, visitorIds: [], inPerson: false },
    ]);
    expect(classTermStanding(wei, '一(1)班', targets, visits, '2026-05-20')).toBeUndefined();
  });
});

describe('reminder stages', () => {
  it('chases a deadline T-14, T-7 and T-1 on working days, then overdue, then the admin', () => {
    // Due Monday 29 June 2026: T-14 is Monday 15 June, T-7 Monday 22 June, T-1 a Sunday → Friday 26 June.
    expect(deadlineStages(wei, '2026-06-29').map((s) => [s.key, s.on, s.audience])).toEqual([
      ['before-14', '2026-06-15', 'person'],
      ['before-7', '2026-06-22', 'person'],
      ['before-1', '2026-06-26', 'person'],
      ['overdue', '2026-06-30', 'person'],
      ['escalate', '2026-07-03', 'admin'],
    ]);
  });

  it('moves a reminder off a holiday Friday, and a notice off a holiday onto the next working day', () => {
    // Due Saturday 20 June: T-1 would be 端午 Friday 19 June → Thursday 18 June; overdue Monday 22 June.
    const stages = deadlineStages(wei, '2026-06-20');
    expect(stages.find((s) => s.key === 'before-1')!.on).toBe('2026-06-18');
    expect(stages.find((s) => s.key === 'overdue')!.on).toBe('2026-06-22');
    // Due Thursday 30 April: overdue falls in 劳动节 (1–5 May) → Wednesday 6 May.
    expect(deadlineStages(wei, '2026-04-30').find((s) => s.key === 'overdue')!.on).toBe('2026-05-06');
  });

  it('uses a 调休 Saturday as the working day it is', () => {
    // Due Sunday 10 May 2026: T-1 is Saturday 9 May, a make-up working day.
    expect(deadlineStages(wei, '2026-05-10').find((s) => s.key === 'before-1')!.on).toBe('2026-05-09');
  });

  it('keeps one reminder where two fall on the same day, and none before the window opens', () => {
    // Window opens Sunday 15 March; due Tuesday 24 March: T-14 is before the window, T-7 is Tuesday 17 March.
    expect(
      deadlineStages(wei, '2026-03-24')
        .filter((s) => s.kind === 'before')
        .map((s) => [s.key, s.on]),
    ).toEqual([
      ['before-7', '2026-03-17'],
      ['before-1', '2026-03-23'],
    ]);
  });

  it('still sends the overdue notice for a task due on the last day of the window', () => {
    // Window ends Monday 31 August; the notice goes Tuesday 1 September.
    expect(deadlineStages(wei, '2026-08-31').find((s) => s.key === 'overdue')!.on).toBe('2026-09-01');
    expect(onceTaskDue(wei, 'story', termOn(wei, '2026-06-01'))).toBe('2026-08-31');
  });

  it('nudges a month at mid-month, warns five days before its end, and tells the admin after', () => {
    // November 2026: mid-month is Sunday 15th → Monday 16th; the warning on Thursday 26th; the admin on Tuesday 1 December.
    expect(periodStages(sanDa, monthOn(sanDa, '2026-11-01')!).map((s) => [s.key, s.on, s.audience])).toEqual([
      ['pace', '2026-11-16', 'person'],
      ['period-end', '2026-11-26', 'person'],
      ['missed', '2026-12-01', 'admin'],
    ]);
    // October: 国庆 covers the start, the 16th is a Friday; the warning moves off Tuesday 27th? No — it is a working day.
    expect(periodStages(sanDa, monthOn(sanDa, '2026-10-01')!).map((s) => s.on)).toEqual(['2026-10-16', '2026-10-27', '2026-11-02']);
    expect(monthlyPaceStages(wei, termOn(wei, '2026-04-01'), monthsOf(wei)).map((s) => s.key)).toEqual([
      'pace-m-2026-03',
      'pace-m-2026-04',
      'pace-m-2026-05',
      'pace-m-2026-06',
      'pace-m-2026-07',
      'pace-m-2026-08',
    ]);
  });

  it('is current from its moment until the next stage’s, so a missed run catches up with one message', () => {
    const stages = deadlineStages(wei, '2026-06-29');
    expect(currentStage(wei, stages, cst('2026-06-15T08:59:00'))).toBeUndefined();
    expect(currentStage(wei, stages, cst('2026-06-15T09:00:00'))!.key).toBe('before-14');
    // Down from the 14th to the 24th: only T-7 is current.
    expect(currentStage(wei, stages, cst('2026-06-24T10:00:00'))!.key).toBe('before-7');
    expect(stageMoment(wei, stages[0]!)).toEqual(cst('2026-06-15T09:00:00'));
  });

  it('never nudges at night or on a day off, and knows the next moment it may', () => {
    expect(mayNudge(wei, cst('2026-06-19T10:00:00'))).toBe(false); // 端午
    expect(mayNudge(wei, cst('2026-06-18T22:00:00'))).toBe(false); // quiet hours
    expect(mayNudge(wei, cst('2026-06-18T07:29:00'))).toBe(false);
    expect(mayNudge(wei, cst('2026-06-18T10:00:00'))).toBe(true);
    // Thursday evening → the next working day is Monday 22 June (Friday is 端午).
    expect(nextNudgeMoment(wei, cst('2026-06-18T10:00:00'))).toEqual(cst('2026-06-22T09:00:00'));
    expect(nextNudgeMoment(wei, cst('2026-06-18T08:00:00'))).toEqual(cst('2026-06-18T09:00:00'));
  });
});

describe('definition-driven', () => {
  it('honours a campaign’s own reminder days and time', () => {
    const def = parseCampaignDefinition({ ...(wei as CampaignDefinitionInput), reminders: { at: '15:30', daysBefore: [3] } });
    const stages = deadlineStages(def, '2026-06-29');
    expect(stages.map((s) => s.key)).toEqual(['before-3', 'overdue', 'escalate']);
    expect(stageMoment(def, stages[0]!)).toEqual(cst('2026-06-26T15:30:00'));
  });
});

describe('dates as people type them', () => {
  it('reads full and (with a year) short forms, and tells a non-date from a day that does not exist', async () => {
    const { parseTypedDay } = await import('../../src/domain/time.js');
    expect(['2026-11-20', '2026/11/20', '2026.11.20', '2026年11月20日'].map((t) => parseTypedDay(t))).toEqual(Array(4).fill('2026-11-20'));
    expect(['11-20', '11/20', '11月20日', '11.2'].map((t) => parseTypedDay(t, 2026))).toEqual(['2026-11-20', '2026-11-20', '2026-11-20', '2026-11-02']);
    expect(parseTypedDay('11-20')).toBeNull();
    expect(parseTypedDay('张伟', 2026)).toBeNull();
    expect(parseTypedDay('11-31', 2026)).toBe('no-such-day');
    expect(parseTypedDay('2027-02-29')).toBe('no-such-day');
  });
});
