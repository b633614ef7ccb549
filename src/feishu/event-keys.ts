import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import { yieldToEventLoop, type Job } from '../scheduler/job.js';

/**
 * How long the key of an event or callback is kept to tell a re-delivery from a
 * new one. Feishu pushes an unacknowledged event again after 15 s, 5 min, 1 h
 * and 6 h, about 7.1 hours in all (「事件概述」: 推送周期和频次), and never a
 * callback, so a week is far past any re-delivery; kept for ever, the keys grew
 * by every message and click of a district, and every event's check read a
 * random page of their index.
 */
export const EVENT_KEY_DAYS = 7;

/** The earliest moment whose keys are all still kept at `now`, in ms: what the job forgets before, and what the doctor counts from. */
export const keptSince = (now: Date): number => now.getTime() - EVENT_KEY_DAYS * 86_400_000;
/** Keys forgotten per statement, the event loop free between them. */
const PAGE = 5000;

/**
 * Forgets the keys of events received before `before` (ms), a page at a time, all
 * but the latest of each type: `zoufang doctor` still says when a message, a
 * click or a menu click last arrived. Returns how many were forgotten.
 */
export async function forgetEventKeys(db: Db, before: number): Promise<number> {
  const sqlite = db.$client;
  const latest = sqlite.prepare('SELECT max(rowid) AS id FROM inbound_events GROUP BY event_type').all() as Array<{ id: number }>;
  // Keys are added in the order they arrive: the oldest come first by rowid, and a page stops at its limit.
  const forget = sqlite.prepare(
    `DELETE FROM inbound_events WHERE rowid IN (SELECT rowid FROM inbound_events
      WHERE received_at < @before AND rowid NOT IN (SELECT value FROM json_each(@latest)) ORDER BY rowid LIMIT @page)`,
  );
  const args = { before, latest: JSON.stringify(latest.map((r) => r.id)), page: PAGE };
  let forgotten = 0;
  for (;;) {
    const n = forget.run(args).changes;
    forgotten += n;
    if (n < PAGE) return forgotten;
    await yieldToEventLoop();
  }
}

/** The nightly job that forgets event keys past EVENT_KEY_DAYS. */
export function eventKeysJob(db: Db, log: Logger): Job {
  return {
    name: 'forget-event-keys',
    description: `每天 04:10（北京时间）删除 ${EVENT_KEY_DAYS} 天前收到的事件去重记录（飞书只在数小时内重推事件），每类保留最近一条 / nightly: forgets event keys older than ${EVENT_KEY_DAYS} days`,
    triggers: async () => [{ cron: '10 4 * * *', timezone: 'Asia/Shanghai' }],
    async run(now) {
      const forgotten = await forgetEventKeys(db, keptSince(now));
      if (forgotten) log.info({ forgotten }, 'event keys forgotten');
      return { queued: 0, detail: `forgot ${forgotten} event keys` };
    },
  };
}
