import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import type { Job } from '../src/scheduler/job.js';
import { createLogger } from '../src/logger.js';
import { Scheduler } from '../src/scheduler/index.js';
import { LogSink, waitFor } from './helpers/harness.js';

/**
 * The wall-clock triggers. node-cron drops a trigger it reaches more than a
 * second late; at 09:00 several jobs fall due together and one busy job can
 * make the others late, so a dropped trigger would be a day's reminders lost.
 */

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

/** A job due once a minute, at second `second`, that records when it ran. */
function oncePerMinute(second: number, runs: number[]): Job {
  return {
    name: 'reminders',
    description: 'test',
    triggers: async () => [{ cron: `${second} * * * * *`, timezone: 'Asia/Shanghai' }],
    run: async () => {
      runs.push(Date.now());
      return { queued: 0 };
    },
  };
}

/** Holds the event loop, as a heavy digest would. */
function busyUntil(t: number): void {
  while (Date.now() < t);
}

describe('the scheduler', () => {
  it('still runs a job whose trigger came while the event loop was busy', async () => {
    const runs: number[] = [];
    const logs = new LogSink();
    // Due three seconds from now; the next chance after that would be a minute later.
    const due = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    scheduler = new Scheduler([oncePerMinute(new Date(due).getSeconds(), runs)], systemClock, createLogger('info', logs));
    await scheduler.start();
    await scheduler.catchUp();
    expect(runs).toHaveLength(1); // the start-up catch-up

    busyUntil(due + 2500);
    await waitFor(() => runs.length === 2, 'the late trigger to run the job', 5000);
    expect(logs.lines.some((l) => l.includes('trigger came late'))).toBe(true);
  });
});
