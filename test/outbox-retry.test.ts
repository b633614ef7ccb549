import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { outbox } from '../src/db/schema.js';
import type { FeishuApi } from '../src/feishu/api.js';
import { FeishuApiError } from '../src/feishu/errors.js';
import { enqueueOutbound, Outbox } from '../src/feishu/outbox.js';
import { RateLimiter } from '../src/feishu/rate-limiter.js';
import { createLogger } from '../src/logger.js';
import { tmpDbFile } from './helpers/harness.js';

/**
 * What a failed send costs while Feishu still takes the others: on a clock the
 * test moves, so these check the schedule the outbox writes down, never speed.
 */
describe('outbox retries while Feishu answers other sends', () => {
  it('tries a message again after the backoff base however often it failed, and its receiver still gets everything in order', async () => {
    let t = 1_000_000;
    const now = () => t;
    const db = openDatabase(tmpDbFile());
    const delivered: string[] = [];
    let failuresLeft = 4;
    const api = {
      async send(_type: string, to: string, body: { content: string }) {
        const text = JSON.parse(body.content).text as string;
        // Every call to the first teacher fails with a 502 until four have; the others go through.
        if (to === 'ou_unlucky' && failuresLeft > 0) {
          failuresLeft--;
          throw FeishuApiError.fromResponse(502, { code: 502, msg: 'Bad Gateway' });
        }
        delivered.push(`${to}: ${text}`);
        return `om_${delivered.length}`;
      },
    } as unknown as FeishuApi;
    const base = 1000;
    const box = new Outbox(db, api, createLogger('silent'), { now, limiter: new RateLimiter(undefined, now), backoffBaseMs: base, concurrency: 1 });
    await box.enqueue([
      { dedupeKey: 'first', to: { openId: 'ou_unlucky' }, purpose: 'test', text: '第一条' },
      { dedupeKey: 'second', to: { openId: 'ou_unlucky' }, purpose: 'test', text: '第二条' },
    ]);
    const first = () => db.select().from(outbox).where(eq(outbox.dedupeKey, 'first')).get()!;
    for (let i = 1; i <= 4; i++) {
      // Someone else's message goes through meanwhile: Feishu is answering.
      await box.enqueue({ dedupeKey: `other:${i}`, to: { openId: `ou_other${i}` }, purpose: 'test', text: `其他 ${i}` });
      await box.drain();
      expect(first().attempts).toBe(i);
      // Not 2, 4, 8 times the base as its tries add up: the base and its jitter.
      const wait = first().nextAttemptAt.getTime() - t;
      expect(wait).toBeGreaterThanOrEqual(base);
      expect(wait).toBeLessThan(2 * base);
      t = first().nextAttemptAt.getTime() + 1000;
    }
    await box.drain();
    expect(delivered.filter((d) => d.startsWith('ou_unlucky'))).toEqual(['ou_unlucky: 第一条', 'ou_unlucky: 第二条']);
    db.$client.close();
  });
});

/** How a call can fail without Feishu taking the message. */
const badAnswer = () => FeishuApiError.fromResponse(502, { code: 502, msg: 'Bad Gateway' });
const rateLimited = () => FeishuApiError.fromResponse(429, { code: 99991400, msg: 'request trigger frequency limit' }, { 'x-ogw-ratelimit-reset': '1' });
const API_TIMEOUT_MS = 10_000;
/** No answer at all: the client gave up after its timeout (axios's own error). */
const noAnswer = () => FeishuApiError.from(Object.assign(new Error(`timeout of ${API_TIMEOUT_MS}ms exceeded`), { code: 'ECONNABORTED' }));

/**
 * An outbox on a clock the test moves, whose Feishu fails each call to `ou_unlucky`
 * (and, while `everyoneFails`, every call) as `failures` says, and takes the rest.
 */
function outboxOnTestClock(failures: Array<'5xx' | '429' | 'timeout'>, base = 1000) {
  const clock = { t: 1_000_000, everyoneFails: false };
  const now = () => clock.t;
  const db = openDatabase(tmpDbFile());
  const delivered: string[] = [];
  const api = {
    async send(_type: string, to: string, body: { content: string }) {
      if (to === 'ou_unlucky' || clock.everyoneFails) {
        const how = failures.shift();
        if (how === 'timeout') {
          clock.t += API_TIMEOUT_MS;
          throw noAnswer();
        }
        if (how) throw how === '429' ? rateLimited() : badAnswer();
      }
      delivered.push(`${to}: ${JSON.parse(body.content).text}`);
      return `om_${delivered.length}`;
    },
  } as unknown as FeishuApi;
  const box = new Outbox(db, api, createLogger('silent'), { now, limiter: new RateLimiter(undefined, now), backoffBaseMs: base, concurrency: 1 });
  const row = (dedupeKey: string) => db.select().from(outbox).where(eq(outbox.dedupeKey, dedupeKey)).get()!;
  /** Drains until `dedupeKey` is sent, moving the clock to each of its retries; the waits it was given. */
  const retryUntilSent = async (dedupeKey: string, maxTries = 40) => {
    const waits: number[] = [];
    for (let i = 0; i < maxTries; i++) {
      await box.drain();
      const r = row(dedupeKey);
      if (r.status !== 'pending') return waits;
      waits.push(r.nextAttemptAt.getTime() - clock.t);
      clock.t = r.nextAttemptAt.getTime();
    }
    return waits;
  };
  return { clock, db, box, delivered, row, retryUntilSent };
}

describe('outbox retries at the end of a fan-out', () => {
  it('retries the last reminder promptly through a long run of 5xx, 429 and timeouts while nothing else is being sent', async () => {
    // The fault run's mix; at 45 % failed calls a run of 12 comes up for about one reminder in fifteen thousand.
    const failures = ['5xx', '5xx', '429', 'timeout', '5xx', '5xx', '429', '5xx', 'timeout', '5xx', '5xx', '5xx'] as const;
    const base = 1000;
    const o = outboxOnTestClock([...failures], base);
    await o.box.enqueue([
      { dedupeKey: 'others', to: { openId: 'ou_other' }, purpose: 'test', text: '别人的提醒' },
      { dedupeKey: 'last', to: { openId: 'ou_unlucky' }, purpose: 'test', text: '最后一条提醒' },
    ]);
    const start = o.clock.t;
    const waits = await o.retryUntilSent('last');
    // Every failure, answered or not, is retried after the base and its jitter (a 429 after its one-second reset)…
    expect(waits).toHaveLength(failures.length);
    for (const w of waits) expect(w).toBeLessThan(2 * base);
    // …so it arrives after its 13th try, the clock moved by the two timeouts and at most 2 s a retry, not minutes.
    expect(o.row('last')).toMatchObject({ status: 'sent', attempts: failures.length });
    expect(o.delivered).toEqual(['ou_other: 别人的提醒', 'ou_unlucky: 最后一条提醒']);
    expect(o.clock.t - start).toBeLessThan(2 * API_TIMEOUT_MS + failures.length * 2 * base);
    o.db.$client.close();
  });

  it('does not take the timeouts of calls that hung while Feishu answered later ones for an outage', async () => {
    // The last sends of a minute's window: five hang, the rest are taken, then the window holds every send back
    // while the five time out one after another, with no other call in between.
    let t = 1_000_000;
    const now = () => t;
    const db = openDatabase(tmpDbFile());
    const hanging: Array<() => void> = [];
    const api = {
      async send(_type: string, to: string) {
        if (to.startsWith('ou_hung') && hanging.length < 5) return new Promise<string>((_, reject) => hanging.push(() => reject(noAnswer())));
        t += 50; // an answer takes a moment
        return `om_${to}`;
      },
    } as unknown as FeishuApi;
    const base = 1000;
    const box = new Outbox(db, api, createLogger('silent'), { now, limiter: new RateLimiter(undefined, now), backoffBaseMs: base, concurrency: 6 });
    const keys = [1, 2, 3, 4, 5].map((i) => `hung:${i}`);
    await box.enqueue([
      ...keys.map((k, i) => ({ dedupeKey: k, to: { openId: `ou_hung${i}` }, purpose: 'test', text: '提醒' })),
      ...[1, 2, 3].map((i) => ({ dedupeKey: `taken:${i}`, to: { openId: `ou_taken${i}` }, purpose: 'test', text: '提醒' })),
    ]);
    const drained = box.drain();
    await vi.waitFor(() => expect(hanging).toHaveLength(5));
    await vi.waitFor(() => expect(db.select().from(outbox).where(eq(outbox.status, 'sent')).all()).toHaveLength(3));
    t += API_TIMEOUT_MS;
    for (const timeOut of hanging) timeOut();
    await drained;
    for (const k of keys) {
      const r = db.select().from(outbox).where(eq(outbox.dedupeKey, k)).get()!;
      expect(r).toMatchObject({ status: 'pending', attempts: 1 });
      expect(r.nextAttemptAt.getTime() - t).toBeLessThan(2 * base);
    }
    db.$client.close();
  });

  it('still backs off further and further while Feishu answers no call at all, up to five minutes', async () => {
    const base = 1000;
    const o = outboxOnTestClock(Array(14).fill('timeout'), base);
    o.clock.everyoneFails = true;
    await o.box.enqueue({ dedupeKey: 'notice', to: { openId: 'ou_teacher' }, purpose: 'test', text: '通知' });
    const waits = await o.retryUntilSent('notice');
    expect(waits).toHaveLength(14);
    // A few calls unanswered may be bad luck; after five, each wait is the outage so far, so the waits double…
    for (const w of waits.slice(0, 4)) expect(w).toBeLessThan(2 * base);
    for (let i = 5; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(Math.min(300_000, 1.9 * waits[i - 1]!));
    // …up to five minutes.
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(300_000);
    expect(Math.max(...waits)).toBeLessThan(300_000 + base);
    // Feishu is back: the message goes at its next try.
    expect(o.row('notice')).toMatchObject({ status: 'sent', attempts: 14 });
    o.db.$client.close();
  });

  it('backs off when Feishu answers every call with a 5xx, and a message queued late in it waits as long as the rest', async () => {
    const base = 1000;
    const o = outboxOnTestClock(Array(40).fill('5xx'), base);
    o.clock.everyoneFails = true;
    await o.box.enqueue({ dedupeKey: 'notice', to: { openId: 'ou_teacher' }, purpose: 'test', text: '通知' });
    const waits = await o.retryUntilSent('notice', 24);
    // Twenty 5xx in a row, none taken, is no longer bad luck: from then on the waits grow with the outage.
    for (const w of waits.slice(0, 19)) expect(w).toBeLessThan(2 * base);
    expect(waits.at(-1)).toBeGreaterThan(60_000);
    expect(o.row('notice').status).toBe('pending');
    const outageSoFar = o.clock.t - 1_000_000;
    await o.box.enqueue({ dedupeKey: 'later', to: { openId: 'ou_head' }, purpose: 'test', text: '后来的通知' });
    await o.box.drain();
    expect(o.row('later').attempts).toBe(1);
    expect(o.row('later').nextAttemptAt.getTime() - o.clock.t).toBeGreaterThanOrEqual(Math.min(300_000, outageSoFar));
    o.db.$client.close();
  });
});

describe('the running outbox', () => {
  it('takes a retry up when it is due, not at the idle senders’ next look for new messages', async () => {
    const db = openDatabase(tmpDbFile());
    const delivered: string[] = [];
    let failuresLeft = 1;
    const api = {
      async send(_type: string, to: string) {
        if (failuresLeft-- > 0) throw badAnswer();
        delivered.push(to);
        return 'om_1';
      },
    } as unknown as FeishuApi;
    // The senders look for new messages once an hour: only being woken for the retry brings it.
    const box = new Outbox(db, api, createLogger('silent'), { backoffBaseMs: 20, pollMs: 3600_000, concurrency: 2 });
    box.start();
    await box.enqueue({ dedupeKey: 'notice', to: { openId: 'ou_teacher' }, purpose: 'test', text: '通知' });
    await vi.waitFor(() => expect(delivered).toEqual(['ou_teacher']));
    expect(db.select().from(outbox).get()).toMatchObject({ status: 'sent', attempts: 1 });
    await box.stop();
    db.$client.close();
  });

  it('sends what another process queued (the CLI), with more than the one sender that looks for it', async () => {
    const db = openDatabase(tmpDbFile());
    let inFlight = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const delivered: string[] = [];
    const api = {
      async send(_type: string, to: string) {
        inFlight++;
        await gate;
        inFlight--;
        delivered.push(to);
        return `om_${delivered.length}`;
      },
    } as unknown as FeishuApi;
    const box = new Outbox(db, api, createLogger('silent'), { pollMs: 20, concurrency: 4 });
    box.start();
    // Once the senders found nothing and went to sleep: one of them looks again every pollMs.
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Queued straight into the database, as `zoufang job run` does beside a running bot: nobody wakes the senders.
    await enqueueOutbound(
      db,
      ['ou_a', 'ou_b', 'ou_c'].map((openId) => ({ dedupeKey: `reminder:${openId}`, to: { openId }, purpose: 'test', text: '提醒' })),
      Date.now(),
    );
    // The sender whose look found them brings the idle others: the three go out side by side, not one after another.
    await vi.waitFor(() => expect(inFlight).toBe(3));
    open();
    await vi.waitFor(() => expect(delivered.sort()).toEqual(['ou_a', 'ou_b', 'ou_c']));
    await box.stop();
    db.$client.close();
  });
});
