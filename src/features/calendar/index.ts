import { uncoveredMonths } from '../../domain/calendar.js';
import { addDays } from '../../domain/periods.js';
import { localDate } from '../../domain/time.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import { dailyTriggers } from '../triggers.js';
import type { Job } from '../../scheduler/job.js';
import { defineFeature } from '../feature.js';

/**
 * Tells each admin, privately and once per year, which months of a running or
 * coming campaign have no holiday data: there nudges and working-day counts
 * follow weekends only, until `zoufang calendar load` adds the year. Only from a
 * month before the first such month: the State Council publishes a year's
 * arrangement in November, and the dataset usually follows within weeks.
 */
const NOTICE_AHEAD_DAYS = 31;
export const calendarFeature = defineFeature({ name: 'calendar', at: import.meta.url }, (deps) => {
  const holidayDataJob: Job = {
    name: 'holiday-data',
    description: '私信管理员：活动中哪些月份没有节假日数据（每年一次）/ tell admins which months lack holiday data',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.digest.weeklyAt.time),
    async run(now) {
      const loaded = deps.campaigns.loadedYears().map((y) => y.year);
      const byYear = new Map<string, Set<string>>();
      for (const { def } of await deps.campaigns.all()) {
        const today = localDate(now, def.timezone);
        if (def.window.end < today) continue;
        const soon = addDays(today, NOTICE_AHEAD_DAYS).slice(0, 7);
        for (const m of uncoveredMonths(def, loaded).filter((m) => m <= soon)) {
          const year = m.slice(0, 4);
          byYear.set(year, (byYear.get(year) ?? new Set()).add(m));
        }
      }
      if (!byYear.size) return { queued: 0 };
      const admins = (await deps.people.admins()).filter((a) => a.openId);
      const messages: OutboundMessage[] = [];
      for (const [year, months] of byYear) {
        const list = [...months].sort().join('、');
        const text =
          `${year} 年的节假日与调休还没有数据（${list}），这些月份的提醒和工作日只按周末计算。国务院公布安排后，请在服务器上运行 zoufang calendar load <文件.json> 载入。\n` +
          `No holiday data for ${year} yet (${list}): reminders there follow weekends only. Once the arrangement is published, load it with \`zoufang calendar load <file.json>\`.`;
        // Once per missing year and admin: the daily run and every restart's catch-up do not repeat it.
        for (const a of admins)
          messages.push({ dedupeKey: `calendar.uncovered:${year}:a${a.id}`, to: { openId: a.openId! }, purpose: 'calendar.uncovered', text });
      }
      return { queued: await deps.send(messages), detail: [...byYear.keys()].join(',') };
    },
  };
  return { jobs: [holidayDataJob] };
});
