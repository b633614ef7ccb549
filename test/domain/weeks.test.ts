import { describe, expect, it } from 'vitest';
import { parseCampaignDefinition, type CampaignDefinitionError } from '../../src/domain/campaign.js';
import { currentWeek, localLabel, reportWeeks, weekJustDue, weekOpenForFiling } from '../../src/domain/weeks.js';
import { mondayOf } from '../../src/domain/periods.js';

const cst = (s: string) => new Date(`${s}+08:00`);

// Seed 000's window: 2014-03-15 (a Saturday) to 2014-08-31.
const seed000 = parseCampaignDefinition({ id: 'wei-2014', name: '微行动', window: { start: '2014-03-15', end: '2014-08-31' } });

describe('zone-report weeks', () => {
  it('starts with the first week whose Friday push lies inside the window', () => {
    const weeks = reportWeeks(seed000);
    // The week of Sat 03-15 pushes on Fri 03-14, before the window: week 1 is 03-17..03-23.
    expect(weeks[0]).toMatchObject({ weekNo: 1, firstDay: '2014-03-17', lastDay: '2014-03-23' });
    expect(weeks[0]!.pushAt).toEqual(cst('2014-03-21T16:00:00'));
    expect(weeks[0]!.dueAt).toEqual(cst('2014-03-24T09:00:00'));
    // Last: the week of Fri 08-29 (the window ends Sun 08-31).
    expect(weeks.at(-1)).toMatchObject({ firstDay: '2014-08-25', weekNo: 24 });
  });

  it('labels a week that straddles a month as people write it', () => {
    const w = reportWeeks(seed000).find((x) => x.firstDay === '2014-03-31')!;
    expect(localLabel(w, 'Asia/Shanghai')).toBe('第3周（3/31–4/6）');
  });

  it('knows which week is open for filing and which just fell due', () => {
    expect(weekOpenForFiling(seed000, cst('2014-03-21T15:59:59'))).toBeUndefined();
    expect(weekOpenForFiling(seed000, cst('2014-03-21T16:00:00'))?.weekNo).toBe(1);
    expect(weekOpenForFiling(seed000, cst('2014-03-24T08:59:59'))?.weekNo).toBe(1);
    expect(weekOpenForFiling(seed000, cst('2014-03-24T09:00:00'))).toBeUndefined();
    expect(weekJustDue(seed000, cst('2014-03-24T08:59:59'))).toBeUndefined();
    expect(weekJustDue(seed000, cst('2014-03-24T09:00:00'))?.weekNo).toBe(1);
    expect(weekJustDue(seed000, cst('2014-03-31T08:59:00'))?.weekNo).toBe(1);
    expect(weekJustDue(seed000, cst('2014-03-31T09:00:00'))?.weekNo).toBe(2);
    expect(currentWeek(seed000, cst('2014-03-18T12:00:00'))?.weekNo).toBe(1);
  });

  it('honours configured push and due moments', () => {
    const def = parseCampaignDefinition({
      id: 'x1',
      name: 'x',
      window: { start: '2026-11-09', end: '2026-11-30' },
      zoneReport: { pushAt: { weekday: 3, time: '08:30' }, dueAt: { weekday: 2, time: '18:00' } },
    });
    const w = reportWeeks(def)[0]!;
    expect(w.pushAt).toEqual(cst('2026-11-11T08:30:00'));
    expect(w.dueAt).toEqual(cst('2026-11-17T18:00:00'));
  });
});

describe('campaign definition', () => {
  it('names the path and the problem of every error', () => {
    try {
      parseCampaignDefinition({
        id: 'Bad Id',
        name: '',
        window: { start: '2026-3-1', end: '2026-01-01' },
        zoneReport: { pushAt: { weekday: 8, time: '25:00' } },
      });
      expect.unreachable();
    } catch (e) {
      const p = (e as CampaignDefinitionError).problems;
      expect(p).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^id: /),
          expect.stringMatching(/^name: /),
          expect.stringMatching(/^window\.start: 日期格式应为 YYYY-MM-DD/),
          expect.stringMatching(/^zoneReport\.pushAt\.weekday: /),
          expect.stringMatching(/^zoneReport\.pushAt\.time: 时间格式应为 HH:mm/),
        ]),
      );
    }
  });
});

describe('mondayOf', () => {
  it('finds the Monday of a week running Monday to Sunday, across months and years', () => {
    expect(mondayOf('2026-11-16')).toBe('2026-11-16'); // a Monday
    expect(mondayOf('2026-11-22')).toBe('2026-11-16'); // its Sunday
    expect(mondayOf('2026-12-02')).toBe('2026-11-30');
    expect(mondayOf('2027-01-03')).toBe('2026-12-28');
  });
});
