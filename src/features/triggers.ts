import type { CampaignDefinition } from '../domain/campaign.js';
import type { CampaignRepo } from '../db/repos.js';
import type { JobTrigger } from '../scheduler/job.js';

/** One trigger per stored campaign, every day at the local time its definition names. */
export const dailyTriggers = async (campaigns: CampaignRepo, time: (d: CampaignDefinition) => string): Promise<JobTrigger[]> =>
  (await campaigns.all()).map((c) => {
    const [h, min] = time(c.def).split(':').map(Number);
    return { cron: `${min} ${h} * * *`, timezone: c.def.timezone };
  });
