import { describe, expect, it } from 'vitest';
import { dayjs, formatDue, monthDay } from '../../src/domain/time.js';

describe('formatDue', () => {
  it('says a due date as cards do, the same as reading it through dayjs, for every day of 2024–2030', () => {
    const viaDayjs = (date: string) => {
      const d = dayjs(date);
      return `${d.format('M月D日')}（${['周日', '周一', '周二', '周三', '周四', '周五', '周六'][d.day()]}）`;
    };
    const different: string[] = [];
    for (let d = dayjs('2024-01-01'); d.year() < 2031; d = d.add(1, 'day')) {
      const date = d.format('YYYY-MM-DD');
      if (formatDue(date) !== viaDayjs(date)) different.push(`${date}: ${formatDue(date)}`);
    }
    expect(different).toEqual([]);
    expect(formatDue('2026-12-25')).toBe('12月25日（周五）');
    expect(formatDue('2028-02-29')).toBe('2月29日（周二）');
  });

  it('a moment at local midnight reads as the day before it; any other moment with its time', () => {
    expect(formatDue(new Date('2026-12-26T00:00:00+08:00'), 'Asia/Shanghai')).toBe('12月25日（周五）');
    expect(formatDue(new Date('2026-11-24T09:00:00+08:00'), 'Asia/Shanghai')).toBe('11月24日（周二）09:00');
  });
});

describe('monthDay', () => {
  it('says a local date as a span on a card does, without leading zeros', () => {
    expect(monthDay('2026-11-05')).toBe('11/5');
    expect(monthDay('2027-01-31')).toBe('1/31');
  });
});
