import { describe, expect, it } from 'vitest';
import {
  afterQuietHours,
  inQuietHours,
  inSession,
  inSessionDuring,
  nudgeDay,
  schoolDay,
  uncoveredMonths,
  uncoveredYears,
  withLoadedYears,
} from '../../src/domain/calendar.js';
import { type CalendarFileError, parseCalendarYear } from '../../src/domain/calendar-file.js';
import { parseCampaignDefinition, type CampaignDefinitionInput } from '../../src/domain/campaign.js';
import { presetDefinition } from '../../src/domain/presets.js';

/**
 * The school calendar: China's public holidays and 调休 make-up days from the
 * chinese-days dataset, the school's own days on top, and quiet hours in the
 * campaign's time zone (whatever zone the server runs in).
 */

const def2026 = presetDefinition('微行动', { year: 2026 });
/** A `CampaignDefinition` with overrides on top of the 2026 微行动 preset. */
const withCalendar = (over: Partial<CampaignDefinitionInput>) => parseCampaignDefinition({ ...def2026, ...over });
/** Local wall time in Asia/Shanghai as an instant. */
const cst = (local: string) => new Date(`${local}+08:00`);

describe('schoolDay', () => {
  it('knows 2026’s public holidays and make-up working weekends from the dataset', () => {
    // 国庆节: Thursday 1 October 2026 is a day off.
    expect(schoolDay(def2026, '2026-10-01')).toEqual({ date: '2026-10-01', working: false, name: '国庆节', source: 'dataset' });
    // The 2026 National Day 调休: Saturday 10 October is a working day.
    expect(schoolDay(def2026, '2026-10-10')).toEqual({ date: '2026-10-10', working: true, name: '国庆节', source: 'dataset' });
    // 劳动节 调休: Saturday 9 May 2026 is worked.
    expect(schoolDay(def2026, '2026-05-09')).toMatchObject({ working: true, name: '劳动节', source: 'dataset' });
    // Plain days follow the weekday.
    expect(schoolDay(def2026, '2026-03-16')).toEqual({ date: '2026-03-16', working: true, source: 'dataset' });
    expect(schoolDay(def2026, '2026-03-15')).toEqual({ date: '2026-03-15', working: false, source: 'dataset' });
    expect(nudgeDay(def2026, '2026-10-01')).toBe(false);
    expect(nudgeDay(def2026, '2026-10-10')).toBe(true);
  });

  it('lets the campaign’s own days off and make-up days override the dataset', () => {
    const def = withCalendar({
      calendar: {
        extraHolidays: [
          { date: '2026-03-16', name: '校运会' },
          { date: '2026-10-10', name: '校庆补休' },
        ],
        extraWorkdays: [
          { date: '2026-03-21', name: '校庆补课' },
          { date: '2026-10-02', name: '高三补课' },
        ],
      },
    });
    expect(schoolDay(def, '2026-03-16')).toEqual({ date: '2026-03-16', working: false, name: '校运会', source: 'campaign' });
    expect(schoolDay(def, '2026-10-10')).toEqual({ date: '2026-10-10', working: false, name: '校庆补休', source: 'campaign' });
    expect(schoolDay(def, '2026-03-21')).toEqual({ date: '2026-03-21', working: true, name: '校庆补课', source: 'campaign' });
    expect(schoolDay(def, '2026-10-02')).toEqual({ date: '2026-10-02', working: true, name: '高三补课', source: 'campaign' });
    expect(nudgeDay(def, '2026-03-16')).toBe(false);
    // A campaign that does not skip holidays nudges on any day.
    expect(nudgeDay(withCalendar({ calendar: { skipHolidays: false } }), '2026-10-01')).toBe(true);
  });

  it('falls back to the weekday rule, and says so, for a year the dataset does not have', () => {
    expect(uncoveredYears(def2026)).toEqual([]);
    // chinese-days 1.5.7 has no 2027 arrangement yet (published each November); 2099 it will never have.
    const far = presetDefinition('微行动', { year: 2099 });
    expect(uncoveredYears(far)).toEqual([2099]);
    expect(schoolDay(far, '2099-10-01')).toEqual({ date: '2099-10-01', working: true, source: 'weekday' });
    expect(schoolDay(far, '2099-10-03')).toEqual({ date: '2099-10-03', working: false, source: 'weekday' });
    // The campaign's own dates still apply there.
    const own = parseCampaignDefinition({ ...far, calendar: { extraHolidays: [{ date: '2099-10-01', name: '国庆节' }] } });
    expect(schoolDay(own, '2099-10-01')).toMatchObject({ working: false, source: 'campaign' });
    // A window across years names only the missing ones.
    const span = withCalendar({ window: { start: '2026-09-01', end: '2099-01-31' } });
    expect(uncoveredYears(span)).toContain(2099);
    expect(uncoveredYears(span)).not.toContain(2026);
  });

  it("names the window's months without holiday data, until their year is loaded from a file", () => {
    const across = withCalendar({ window: { start: '2098-11-20', end: '2099-02-03' } });
    expect(uncoveredMonths(across)).toEqual(['2098-11', '2098-12', '2099-01', '2099-02']);
    expect(uncoveredMonths(across, [2099])).toEqual(['2098-11', '2098-12']);
    expect(uncoveredMonths(across, [2098, 2099])).toEqual([]);
    expect(uncoveredMonths(def2026)).toEqual([]);
  });

  it("a loaded year's holidays and 调休 apply under the campaign's own dates", () => {
    const year = parseCalendarYear({
      year: 2099,
      holidays: [
        { date: '2099-10-01', name: '国庆节' },
        { date: '2099-10-02', name: '国庆节' },
      ],
      workdays: ['2099-10-10'],
    });
    const own = parseCampaignDefinition({
      ...presetDefinition('微行动', { year: 2099 }),
      calendar: { extraWorkdays: [{ date: '2099-10-02', name: '校庆补课' }] },
    });
    const def = withLoadedYears(own, [year, { year: 2050, holidays: [{ date: '2050-01-01', name: '元旦' }], workdays: [] }]);
    expect(schoolDay(def, '2099-10-01')).toMatchObject({ working: false, name: '国庆节' });
    expect(schoolDay(def, '2099-10-02')).toMatchObject({ working: true, name: '校庆补课' });
    expect(schoolDay(def, '2099-10-10')).toMatchObject({ working: true, name: '调休上班' });
    // A year outside the window changes nothing.
    expect(withLoadedYears(def2026, [year])).toBe(def2026);
  });

  it('refuses a holiday file with every problem named by its path', () => {
    const problems = (input: unknown) => {
      try {
        parseCalendarYear(input, 'f.json');
        return [];
      } catch (e) {
        return (e as CalendarFileError).problems;
      }
    };
    expect(
      problems({
        year: 2099,
        holidays: [
          { date: '2099-13-01', name: '元旦' },
          { date: '2100-01-01', name: '元旦' },
        ],
        workdays: ['2100-01-01', '2099-01-01'],
      }),
    ).toEqual([
      'holidays.0.date: 没有这一天 / no such date',
      'holidays.1.date: 2100-01-01 不在 2099 年 / not in 2099',
      'workdays.0.date: 2100-01-01 不在 2099 年 / not in 2099',
      'workdays.0.date: 2100-01-01 既是假日又是调休上班日 / both a holiday and a workday',
    ]);
    expect(problems({ year: 2099, holidays: [], extra: 1 })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^holidays: 至少要有一个假日/), expect.stringMatching(/extra/)]),
    );
  });
});

describe('quiet hours (default 21:30–07:30, Asia/Shanghai)', () => {
  it('span midnight', () => {
    expect(def2026.quietHours).toEqual({ start: '21:30', end: '07:30' });
    expect(inQuietHours(def2026, cst('2026-11-09T21:29:00'))).toBe(false);
    expect(inQuietHours(def2026, cst('2026-11-09T21:30:00'))).toBe(true);
    expect(inQuietHours(def2026, cst('2026-11-09T23:59:00'))).toBe(true);
    expect(inQuietHours(def2026, cst('2026-11-10T00:00:00'))).toBe(true);
    expect(inQuietHours(def2026, cst('2026-11-10T07:29:00'))).toBe(true);
    expect(inQuietHours(def2026, cst('2026-11-10T07:30:00'))).toBe(false);
    expect(inQuietHours(def2026, cst('2026-11-10T12:00:00'))).toBe(false);
  });

  it('hold a message until they end, in the campaign’s zone', () => {
    // Before midnight: the next morning at 07:30 Beijing time.
    expect(afterQuietHours(def2026, cst('2026-11-09T22:00:00'))).toEqual(cst('2026-11-10T07:30:00'));
    // After midnight: the same morning.
    expect(afterQuietHours(def2026, cst('2026-11-10T03:00:00'))).toEqual(cst('2026-11-10T07:30:00'));
    // Across a year end.
    expect(afterQuietHours(def2026, cst('2026-12-31T23:00:00'))).toEqual(cst('2027-01-01T07:30:00'));
    // Outside quiet hours a message goes at once.
    const noon = cst('2026-11-10T12:00:00');
    expect(afterQuietHours(def2026, noon)).toEqual(noon);
  });

  it('work for a daytime window and another time zone', () => {
    const lunch = withCalendar({ quietHours: { start: '12:00', end: '14:00' } });
    expect(inQuietHours(lunch, cst('2026-11-10T11:59:00'))).toBe(false);
    expect(inQuietHours(lunch, cst('2026-11-10T13:00:00'))).toBe(true);
    expect(inQuietHours(lunch, cst('2026-11-10T22:00:00'))).toBe(false);
    expect(afterQuietHours(lunch, cst('2026-11-10T12:30:00'))).toEqual(cst('2026-11-10T14:00:00'));

    // The same instant is quiet in Urumqi's own clock only when that clock says so.
    const urumqi = withCalendar({ timezone: 'Asia/Urumqi' }); // UTC+6
    expect(inQuietHours(urumqi, cst('2026-11-09T22:00:00'))).toBe(false); // 20:00 there
    expect(afterQuietHours(urumqi, cst('2026-11-09T23:45:00'))).toEqual(new Date('2026-11-10T01:30:00Z')); // 07:30 there
  });
});

describe('school in session', () => {
  const twoTerms = withCalendar({
    window: { start: '2026-09-01', end: '2027-06-30' },
    terms: [
      { name: '秋季学期', start: '2026-09-01', end: '2027-01-22' },
      { name: '春季学期', start: '2027-02-22', end: '2027-06-30' },
    ],
  });

  it('is open inside a term and closed in the vacation between terms', () => {
    expect(inSession(twoTerms, '2026-09-01')).toBe(true);
    expect(inSession(twoTerms, '2027-01-22')).toBe(true);
    expect(inSession(twoTerms, '2027-01-23')).toBe(false);
    expect(inSession(twoTerms, '2027-02-21')).toBe(false);
    expect(inSession(twoTerms, '2027-02-22')).toBe(true);
    // A campaign without terms is one term over its window.
    expect(inSession(def2026, def2026.window.start)).toBe(true);
  });

  it('a week is in session when school is open on any of its days', () => {
    expect(inSessionDuring(twoTerms, { start: '2027-01-18', end: '2027-01-24' })).toBe(true);
    expect(inSessionDuring(twoTerms, { start: '2027-01-25', end: '2027-01-31' })).toBe(false);
    expect(inSessionDuring(twoTerms, { start: '2027-02-15', end: '2027-02-22' })).toBe(true);
  });
});
