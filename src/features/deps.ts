import type { Clock } from '../clock.js';
import { inZone } from '../domain/time.js';
import type { Db } from '../db/index.js';
import type { ActiveCampaign, CampaignRepo, PeopleRepo } from '../db/repos.js';
import type { OutboundMessage } from '../feishu/outbox.js';
import type { Logger } from '../logger.js';

/** What a feature may use: ports, never the SDK or express. */
export interface FeatureDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  people: PeopleRepo;
  campaigns: CampaignRepo;
  send(messages: OutboundMessage | OutboundMessage[]): Promise<number>;
  /** Fallback branch group when a campaign names none (BRANCH_CHAT_ID). */
  defaultBranchChatId?: string;
}

/** The group a campaign's group messages go to: its own, else BRANCH_CHAT_ID. */
export const branchChatOf = (deps: FeatureDeps, c: ActiveCampaign): string | undefined => c.def.branchChatId ?? deps.defaultBranchChatId;

/** A scheduled job: computes everything due up to `now`, so missed runs catch up and repeated runs send nothing twice. */
export interface Job {
  name: string;
  description: string;
  /** When node-cron should trigger it (the scheduler also runs every job once at start-up to catch up). */
  triggers(): Promise<JobTrigger[]>;
  run(now: Date): Promise<JobResult>;
}

export interface JobTrigger {
  /** A node-cron expression, read in `timezone`. */
  cron: string;
  timezone: string;
}

export interface JobResult {
  /** Messages newly queued by this run (0 on a repeated run). */
  queued: number;
  detail?: string;
}

/** The campaign running today (the first whose window contains it), else the newest one. */
export async function currentCampaign(deps: FeatureDeps): Promise<ActiveCampaign | undefined> {
  const all = await deps.campaigns.all();
  const now = deps.clock.now();
  const running = all.find((c) => {
    const today = inZone(now, c.def.timezone).format('YYYY-MM-DD');
    return c.def.window.start <= today && today <= c.def.window.end;
  });
  return running ?? all.at(-1);
}
