import { schedule, type ScheduledTask } from 'node-cron';
import type { Clock } from '../clock.js';
import { performance } from 'node:perf_hooks';
import { yieldToEventLoop, type Job, type JobResult, type JobRunOptions } from './job.js';
import type { Logger } from '../logger.js';

/**
 * node-cron only triggers; every job computes what is due up to `clock.now()`.
 * All jobs also run once after start-up (catchUp), so anything missed while the
 * bot was down goes out then, and the outbox's keys make a repeated run send
 * nothing twice. Runs of one job never overlap.
 *
 * node-cron drops a trigger it reaches more than a second late (a busy event
 * loop at 09:00, when several jobs fall due at once, or a suspended machine).
 * Since a job only catches up, a late trigger runs it anyway; any number of
 * triggers that come while a run waits share that run.
 */
export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<JobResult>>();
  private readonly waiting = new Set<string>();
  private stopped = false;

  constructor(
    private readonly jobs: Job[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: {
      cronTriggers: boolean;
      /** What the features take ahead once no job runs (FeatureParts.warm). */
      warm?: () => Promise<void>;
    } = { cronTriggers: true },
  ) {}

  private warming: Promise<void> | undefined;

  names(): string[] {
    return this.jobs.map((j) => j.name);
  }

  /** Registers the triggers; the catch-up is catchUp(), run once the bot answers. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const job of this.opts.cronTriggers ? this.jobs : []) {
      const seen = new Set<string>();
      for (const t of await job.triggers()) {
        const key = `${t.cron}@${t.timezone}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const task = schedule(t.cron, () => this.trigger(job.name), { timezone: t.timezone, name: `${job.name} ${key}` });
        task.on('execution:missed', (c) => {
          this.log.warn({ job: job.name, due: c.date.toISOString() }, 'trigger came late (event loop busy or machine asleep); running the job now');
          this.trigger(job.name);
        });
        this.tasks.push(task);
      }
    }
  }

  /**
   * The start-up catch-up: every job once, one after another, handing the
   * event loop back between them so that requests (health checks, callbacks)
   * are served meanwhile; a stop ends it after the job in progress.
   */
  async catchUp(): Promise<void> {
    for (const job of this.jobs) {
      if (this.stopped) return;
      await yieldToEventLoop();
      await this.run(job.name).catch(() => undefined);
    }
    // Part of the start-up: ready once the catch-up is (a health check says when), and after whatever the jobs changed.
    await this.warmWhenIdle();
  }

  /**
   * Once no job runs or waits, what the features take ahead (FeatureParts.warm),
   * one warming at a time; a failure costs only what it would have kept.
   */
  private warmWhenIdle(): Promise<void> {
    if (this.stopped || !this.opts.warm || this.running.size || this.waiting.size) return Promise.resolve();
    this.warming ??= this.opts
      .warm()
      .catch((e) => this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'warming the figures failed; they are read when asked'))
      .finally(() => {
        this.warming = undefined;
      });
    return this.warming;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks = [];
    await Promise.allSettled([...this.running.values()]);
    await this.warming;
  }

  /** A trigger: one run now, or after the run in progress; triggers meanwhile share it. */
  private trigger(name: string): void {
    if (this.waiting.has(name)) return;
    this.waiting.add(name);
    void (this.running.get(name) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.waiting.delete(name);
        return this.run(name);
      })
      // Only a run that queued something changed what the figures rest on: the photos' five-minute check that found
      // nothing would otherwise take the week's figures again every five minutes, beside whoever is asking.
      .then((result) => (result.queued > 0 ? this.warmWhenIdle() : undefined))
      .catch(() => undefined);
  }

  async runAll(at?: Date): Promise<void> {
    for (const job of this.jobs) await this.run(job.name, at).catch(() => undefined);
  }

  /** Runs one job as if it were `at` (default: now). Throws for an unknown name. */
  async run(name: string, at?: Date, opts?: JobRunOptions): Promise<JobResult> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`没有名为 ${name} 的任务。可用：${this.names().join(', ')} / unknown job ${name}`);
    const previous = this.running.get(name);
    if (previous) await previous.catch(() => undefined);
    const now = at ?? this.clock.now();
    const began = performance.now();
    const p = job.run(now, opts);
    this.running.set(name, p);
    try {
      const result = await p;
      this.log.info({ job: name, at: now.toISOString(), queued: result.queued, ms: Math.round(performance.now() - began) }, 'job ran');
      return result;
    } catch (e) {
      this.log.error({ job: name, err: e instanceof Error ? e.message : String(e) }, 'job failed');
      throw e;
    } finally {
      if (this.running.get(name) === p) this.running.delete(name);
    }
  }
}
