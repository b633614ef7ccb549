import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc.js';
import timezone from 'dayjs/plugin/timezone.js';

dayjs.extend(utc);
dayjs.extend(timezone);

/** A moment seen in the campaign's time zone. Instants are stored in UTC; zones apply only here. */
export const inZone = (at: Date | number, tz: string): Dayjs => dayjs(at).tz(tz);

/** Midnight of a local calendar date (YYYY-MM-DD) in the zone. */
export const localMidnight = (date: string, tz: string): Dayjs => dayjs.tz(date, tz);

export const formatLocal = (at: Date | number, tz: string, fmt = 'YYYY-MM-DD HH:mm'): string => inZone(at, tz).format(fmt);

export { dayjs };

const ZH_WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

/** "11月24日（周一）09:00" — how Chinese users read a deadline. */
export const formatDeadline = (at: Date | number, tz: string): string => {
  const d = inZone(at, tz);
  return `${d.format('M月D日')}（${ZH_WEEKDAYS[d.day()]}）${d.format('HH:mm')}`;
};
