// Times as a Chinese user in the campaign's zone reads them.
const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

function parts(ms, timeZone) {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    weekday: 'short',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const dayIndex = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday);
  return { ...p, weekdayZh: WEEKDAYS[dayIndex] ?? '' };
}

/** "2026-11-13 周五 16:00" */
export function formatClock(ms, timeZone) {
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.weekdayZh} ${p.hour}:${p.minute}`;
}

/** "11-13 16:00" for message times. */
export function formatShort(ms, timeZone) {
  const p = parts(ms, timeZone);
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** "16:00:05" for the call log. */
export function formatTime(ms, timeZone) {
  const p = parts(ms, timeZone);
  return `${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** The value of a datetime-local input for this instant in the zone. */
export function toLocalInput(ms, timeZone) {
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}
