import { describe, expect, it } from 'vitest';
import { menuFor, menuItemName } from '../../src/bot/menu.js';
import { presetDefinition } from '../../src/domain/presets.js';
import { countsToward, distinctPeople, type VisitFact } from '../../src/domain/quotas.js';
import {
  campaignOffers,
  discussionOn,
  discussionSummary,
  offersCommand,
  phaseAchievementLines,
  phaseAchievements,
  phaseMonthKey,
  phaseMonths,
  phaseLine,
  phaseOn,
  takesPartInDiscussion,
} from '../../src/domain/shape.js';
import { remainingSteps } from '../../src/ops/setup.js';

/** What a campaign offers, its phases and its big discussion, from the definition alone. */

const SAN_DA = presetDefinition('三大一实干', { year: 2026 });
const WEI = presetDefinition('微行动', { year: 2026 });

describe('campaignOffers', () => {
  it('三大一实干 has visits, 献一计 and the ledger — no dorms, student day, claiming, writing or zone reports', () => {
    expect([...campaignOffers(SAN_DA)].sort()).toEqual(['ledger', 'suggestions', 'visits']);
  });

  it('微行动 has everything but 献一计', () => {
    expect([...campaignOffers(WEI)].sort()).toEqual(['claiming', 'dorms', 'ledger', 'student-day', 'visits', 'writing', 'zone-report']);
  });

  it('offers 献一计 to a person only in a role the seed names', () => {
    expect(campaignOffers(SAN_DA, ['teacher', 'head-teacher']).has('suggestions')).toBe(false);
    expect(campaignOffers(SAN_DA, ['teacher', 'grade-head']).has('suggestions')).toBe(true);
    expect(takesPartInDiscussion(SAN_DA, ['party-teacher'])).toBe(true);
    expect(takesPartInDiscussion(SAN_DA, ['leader'])).toBe(true);
    expect(takesPartInDiscussion(SAN_DA, ['admin'])).toBe(true);
  });

  it('keeps commands that belong to every campaign', () => {
    const offers = campaignOffers(SAN_DA);
    expect(['/进度', '/帮助', '/请假', '/走访', '/献计', '/台账'].filter((c) => offersCommand(offers, c))).toHaveLength(6);
    expect(['/宿舍', '/体验', '/认领', '/推荐', '/心得'].filter((c) => offersCommand(offers, c))).toEqual([]);
  });
});

describe('the bot menu', () => {
  const names = (def: typeof SAN_DA) => menuFor(def).flatMap((s) => s.items.map(menuItemName));

  it('holds only what 三大一实干 has', () => {
    for (const absent of ['宿舍', '体验', '心得']) expect(names(SAN_DA)).not.toContain(absent);
    expect(names(SAN_DA)).toEqual(expect.arrayContaining(['走访', '献计', '进度', '台账', '帮助', '汇总']));
  });

  it('keeps 微行动’s dorm, student day and writing, without 献计', () => {
    expect(names(WEI)).toEqual(expect.arrayContaining(['走访', '宿舍', '体验', '心得']));
    expect(names(WEI)).not.toContain('献计');
  });

  it('is what `zoufang setup` prints for the campaign', () => {
    const steps = remainingSteps('cli_0123456789abcdef', 'https://open.feishu.cn', 'ws', SAN_DA).join('\n');
    expect(steps).toContain('event_key: visit');
    expect(steps).not.toContain('event_key: dorm');
    expect(steps).not.toContain('event_key: student_day');
  });
});

describe('phases (seed 002)', () => {
  it('names the phase a day falls in, with its focus', () => {
    expect(phaseOn(SAN_DA, '2026-03-01')?.name).toBe('思想发动');
    expect(phaseOn(SAN_DA, '2026-11-30')?.name).toBe('过程管控');
    expect(phaseLine(phaseOn(SAN_DA, '2026-12-10')!)).toBe('「成果固化」阶段（12/1–12/31）：着眼长期，重点抓好成果固化和建章立制');
    expect(phaseOn(WEI, '2026-04-01')).toBeUndefined();
  });

  it('sums up what the phase achieved: its visits, the people visited and each month’s quota, not its last month', () => {
    const phase = phaseOn(SAN_DA, '2026-03-10')!;
    const people = [1, 2].map((id) => ({ id, roles: ['teacher'], department: null, availability: { joinedOn: null, leaves: [] } }));
    const visit = (visitorId: number, targetId: number, occurredOn: string, mode = 'phone'): VisitFact => ({
      targetId,
      targetKind: 'student-family',
      className: '一（1）班',
      occurredOn,
      mode,
      place: 'home',
      visitorIds: [visitorId],
    });
    // Teacher 1 makes five home visits in March and five in April; teacher 2 five in March only. May is another phase.
    const visits = [
      ...[1, 2, 3, 4, 5].map((t) => visit(1, t, '2026-03-10', t === 1 ? 'in-person' : 'phone')),
      ...[6, 7, 8, 9, 10].map((t) => visit(1, t, '2026-04-10')),
      ...[11, 12, 13, 14, 15].map((t) => visit(2, t, '2026-03-12')),
      visit(2, 16, '2026-05-06'),
    ];
    // What the database counts of them (src/db/visit-aggregates.ts): the phase's visits, and each month's people reached per quota.
    const inPhase = visits.filter((v) => phase.start <= v.occurredOn && v.occurredOn <= phase.end);
    const reached = new Map(
      SAN_DA.quotas.flatMap((q) =>
        phaseMonths(SAN_DA, q, phase).map(
          (m) => [phaseMonthKey(q, m), new Map(people.map((p) => [p.id, distinctPeople(visits.filter(countsToward(q, p.id, m)))]))] as const,
        ),
      ),
    );
    const a = phaseAchievements(SAN_DA, phase, people, {
      visits: inPhase.length,
      inPerson: inPhase.filter((v) => v.mode === 'in-person').length,
      targets: new Set(inPhase.map((v) => v.targetId)).size,
      visitors: new Set(inPhase.flatMap((v) => v.visitorIds)).size,
      reached,
    });
    expect(a).toMatchObject({ visits: 15, inPerson: 1, targets: 15, visitors: 2 });
    expect(a.quotas.find((q) => q.name === '教师家访')).toEqual({ name: '教师家访', months: 2, meanRate: 75, everyMonth: 1, people: 2 });
    const text = phaseAchievementLines(a).join('\n');
    expect(text).toContain('**本阶段成果**（3/1–4/30，重点抓好思想发动）');
    expect(text).toContain('教师家访：2 个月平均达标率 75%，每月都达标 1/2 人');
  });
});

describe('the big discussion (seed 002)', () => {
  it('is open from early March to mid April', () => {
    expect(discussionOn(SAN_DA, '2026-03-20')).toEqual({ state: 'open', window: { start: '2026-03-01', end: '2026-04-15' }, daysLeft: 26 });
    expect(discussionOn(SAN_DA, '2026-04-16')?.state).toBe('closed');
    expect(discussionOn(WEI, '2026-04-01')).toBeUndefined();
  });

  it('counts suggestions and contributors by role for a period overlapping its window, and nothing outside it', () => {
    const people = [
      { id: 1, roles: ['admin', 'leader'] },
      { id: 2, roles: ['teacher', 'grade-head'] },
      { id: 3, roles: ['party-teacher'] },
      { id: 4, roles: ['teacher'] },
    ];
    const s = [
      { authorId: 2, occurredOn: '2026-03-10' },
      { authorId: 2, occurredOn: '2026-03-17' },
      { authorId: 3, occurredOn: '2026-03-18' },
    ];
    expect(discussionSummary(SAN_DA, s, people, { start: '2026-03-16', end: '2026-03-22' })).toEqual({
      window: { start: '2026-03-01', end: '2026-04-15' },
      inPeriod: 2,
      total: 3,
      contributors: 2,
      participants: 3,
      byRole: [
        { label: '党员教师', people: 1 },
        { label: '年级组长', people: 1 },
      ],
    });
    expect(discussionSummary(SAN_DA, s, people, { start: '2026-05-01', end: '2026-05-31' })).toBeUndefined();
  });
});
