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

describe('taking figures ahead (a feature’s warm)', () => {
  const job = (name: string, done: string[]): Job => ({
    name,
    description: 'test',
    triggers: async () => [],
    run: async () => {
      done.push(name);
      return { queued: 0 };
    },
  });

  it('warms once the catch-up’s every job has run, and the catch-up ends after it', async () => {
    const done: string[] = [];
    const warm = async () => {
      done.push('warm');
    };
    scheduler = new Scheduler([job('digest', done), job('ledger', done)], systemClock, createLogger('info', new LogSink()), { cronTriggers: false, warm });
    await scheduler.catchUp();
    // After the ledger's notices too: what they change would otherwise throw away what the warming kept.
    expect(done).toEqual(['digest', 'ledger', 'warm']);
  });

  it('warms again after a scheduled run that queued messages, not after one that found nothing to do', async () => {
    const done: string[] = [];
    const everySecond = (name: string, queued: number): Job => ({
      name,
      description: 'test',
      triggers: async () => [{ cron: '* * * * * *', timezone: 'Asia/Shanghai' }],
      run: async () => {
        done.push(name);
        return { queued };
      },
    });
    const warm = async () => {
      done.push('warm');
    };
    scheduler = new Scheduler([everySecond('photos', 0)], systemClock, createLogger('info', new LogSink()), { cronTriggers: true, warm });
    await scheduler.start();
    await waitFor(() => done.length >= 2, 'two scheduled runs', 5000);
    expect(done.slice(0, 2)).toEqual(['photos', 'photos']);
    await scheduler.stop();

    done.length = 0;
    scheduler = new Scheduler([everySecond('reminders', 3)], systemClock, createLogger('info', new LogSink()), { cronTriggers: true, warm });
    await scheduler.start();
    await waitFor(() => done.length >= 2, 'a scheduled run and its warming', 5000);
    expect(done.slice(0, 2)).toEqual(['reminders', 'warm']);
  });

  it('a warming that fails costs nothing but a log line', async () => {
    const done: string[] = [];
    const logs = new LogSink();
    const warm = async () => {
      throw new Error('database is locked');
    };
    scheduler = new Scheduler([job('digest', done)], systemClock, createLogger('info', logs), { cronTriggers: false, warm });
    await scheduler.catchUp();
    expect(done).toEqual(['digest']);
    expect(logs.lines.some((l) => l.includes('warming the figures failed'))).toBe(true);
  });
});
