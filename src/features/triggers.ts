import type { CampaignDefinition, WeeklyMoment } from '../domain/campaign.js';
import type { CampaignRepo } from '../db/repos.js';
import type { JobTrigger } from '../scheduler/job.js';

/** node-cron expression for a weekly moment (node-cron counts Sunday as 0). */
export const cronAt = (m: WeeklyMoment): string => {
  const [h, min] = m.time.split(':').map(Number);
  return `${min} ${h} * * ${m.weekday % 7}`;
};

/** One trigger per stored campaign, at the weekly moment its definition names. */
export const weeklyTriggers = async (campaigns: CampaignRepo, moment: (d: CampaignDefinition) => WeeklyMoment): Promise<JobTrigger[]> =>
  (await campaigns.all()).map((c) => ({ cron: cronAt(moment(c.def)), timezone: c.def.timezone }));

/** One trigger per stored campaign, every day at the local time its definition names. */
export const dailyTriggers = async (campaigns: CampaignRepo, time: (d: CampaignDefinition) => string): Promise<JobTrigger[]> =>
  (await campaigns.all()).map((c) => {
    const [h, min] = time(c.def).split(':').map(Number);
    return { cron: `${min} ${h} * * *`, timezone: c.def.timezone };
  });
