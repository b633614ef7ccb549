import { describe, expect, it } from 'vitest';
import { jumpTarget, nextMonthEndAt, nextWeekdayAt } from '../../src/simulator/clock-jumps.js';
import { cst } from '../helpers/harness.js';

const TZ = 'Asia/Shanghai';

describe('sandbox clock jumps', () => {
  it('next Friday 16:00 is strictly after now', () => {
    expect(jumpTarget('friday-16', cst('2026-11-11T10:00:00'), TZ)).toEqual(cst('2026-11-13T16:00:00'));
    expect(jumpTarget('friday-16', cst('2026-11-13T15:59:00'), TZ)).toEqual(cst('2026-11-13T16:00:00'));
    expect(jumpTarget('friday-16', cst('2026-11-13T16:00:00'), TZ)).toEqual(cst('2026-11-20T16:00:00'));
    // Late on Friday in Shanghai is still Friday there, though UTC says otherwise.
    expect(jumpTarget('friday-16', cst('2026-11-14T07:30:00'), TZ)).toEqual(cst('2026-11-20T16:00:00'));
  });

  it('Monday 09:00 comes after the weekend', () => {
    expect(jumpTarget('monday-09', cst('2026-11-13T16:00:00'), TZ)).toEqual(cst('2026-11-16T09:00:00'));
    expect(jumpTarget('monday-09', cst('2026-11-16T08:00:00'), TZ)).toEqual(cst('2026-11-16T09:00:00'));
    expect(jumpTarget('monday-09', cst('2026-11-16T09:00:00'), TZ)).toEqual(cst('2026-11-23T09:00:00'));
    expect(nextWeekdayAt(cst('2026-12-30T12:00:00'), TZ, 1, 9)).toEqual(cst('2027-01-04T09:00:00'));
  });

  it("month end is the last day at 18:00, or next month's once passed", () => {
    expect(jumpTarget('month-end', cst('2026-11-11T10:00:00'), TZ)).toEqual(cst('2026-11-30T18:00:00'));
    expect(nextMonthEndAt(cst('2026-11-30T18:00:00'), TZ)).toEqual(cst('2026-12-31T18:00:00'));
    expect(nextMonthEndAt(cst('2027-01-31T20:00:00'), TZ)).toEqual(cst('2027-02-28T18:00:00'));
    expect(nextMonthEndAt(cst('2028-02-10T20:00:00'), TZ)).toEqual(cst('2028-02-29T18:00:00'));
  });
});
