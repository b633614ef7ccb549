/** A scheduled job: computes everything due up to `now`, so missed runs catch up and repeated runs send nothing twice. */
export interface Job {
  name: string;
  description: string;
  /** When node-cron should trigger it (the scheduler also runs every job once at start-up to catch up). */
  triggers(): Promise<JobTrigger[]>;
  run(now: Date, opts?: JobRunOptions): Promise<JobResult>;
}

/**
 * `onDemand`: an admin asked for it (`zoufang job run`): a digest is sent again
 * even if it went out already — to the admins privately, unless `post` asks for
 * the group, so a re-run never surprises the group.
 */
export interface JobRunOptions {
  onDemand?: boolean;
  post?: boolean;
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

/**
 * Lets pending I/O (health checks, callbacks) run before going on: a job works
 * a page at a time and yields between pages, so no run holds the event loop for
 * the whole district.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
