import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { outbox } from '../src/db/schema.js';
import type { FeishuApi } from '../src/feishu/api.js';
import { Outbox, type OutboundMessage } from '../src/feishu/outbox.js';
import { RateLimiter } from '../src/feishu/rate-limiter.js';
import { createLogger } from '../src/logger.js';
import { tmpDbFile, waitFor } from './helpers/harness.js';

/**
 * An answer queued while a sender is idle is queued already leased to the
 * process, and a sender takes it without claiming it: what a person sees must
 * be what a claimed message gives them — in order, once, and never held back
 * for a send that was never made.
 */

/** A Feishu whose sends to a person can be held until the test lets them through. */
function heldFeishu() {
  const delivered: string[] = [];
  const held = new Map<string, () => void>();
  const holding = new Set<string>();
  const api = {
    async send(_type: string, to: string, body: { content: string }) {
      const text = JSON.parse(body.content).text as string;
      if (holding.has(text)) await new Promise<void>((r) => held.set(text, r));
      delivered.push(`${to}: ${text}`);
      return `om_${delivered.length}`;
    },
  } as unknown as FeishuApi;
  return { api, delivered, held, holding };
}

const answer = (key: string, openId: string, text: string): OutboundMessage => ({
  dedupeKey: key,
  to: { openId },
  purpose: 'reply',
  text,
  priority: 'interactive',
});

/** Until every sender of a freshly started outbox has found nothing to do and waits. */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('answers queued while a sender is idle', () => {
  it("go out to one person in the order they were queued, the second waiting for the first's send", async () => {
    const db = openDatabase(tmpDbFile());
    const feishu = heldFeishu();
    const box = new Outbox(db, feishu.api, createLogger('silent'), { concurrency: 2 });
    box.start();
    await settle();
    feishu.holding.add('第一条');
    await box.enqueue(answer('a', 'ou_teacher', '第一条'));
    await waitFor(() => feishu.held.has('第一条'), 'the first answer in flight');
    await box.enqueue(answer('b', 'ou_teacher', '第二条'));
    // Someone else's answer is not held up by it.
    await box.enqueue(answer('c', 'ou_other', '别人的'));
    await waitFor(() => feishu.delivered.length === 1, "the other person's answer");
    await settle();
    expect(feishu.delivered).toEqual(['ou_other: 别人的']);
    feishu.held.get('第一条')!();
    await waitFor(() => feishu.delivered.length === 3, 'both answers');
    expect(feishu.delivered).toEqual(['ou_other: 别人的', 'ou_teacher: 第一条', 'ou_teacher: 第二条']);
    await box.stop();
    db.$client.close();
  });

  it('reach the teacher from the next process when the bot stops before sending, even an hour later, sent once', async () => {
    const file = tmpDbFile();
    let t = 1_000_000;
    const now = () => t;
    const db = openDatabase(file);
    const feishu = heldFeishu();
    const first = new Outbox(db, feishu.api, createLogger('silent'), { now, limiter: new RateLimiter(undefined, now), concurrency: 1 });
    first.start();
    await settle();
    // Queued as the bot is told to stop: the sender it woke never gets to it.
    const queued = first.enqueue(answer('reply:om_1:0', 'ou_teacher', '你的进度'));
    await first.stop();
    expect(await queued).toBe(1);
    expect(feishu.delivered).toEqual([]);
    // Never tried, so not one of the sends that may have arrived and are held once Feishu's uuid no longer covers them.
    t += 3600_000;
    const next = new Outbox(db, feishu.api, createLogger('silent'), { now, limiter: new RateLimiter(undefined, now), concurrency: 1 });
    next.start();
    await waitFor(() => feishu.delivered.length === 1, 'the answer from the next process');
    await next.stop();
    expect(feishu.delivered).toEqual(['ou_teacher: 你的进度']);
    expect(db.select().from(outbox).where(eq(outbox.dedupeKey, 'reply:om_1:0')).get()).toMatchObject({ status: 'sent', attempts: 0 });
    db.$client.close();
  });

  it('go out once, as never tried, when their sender waited past half the lease for a slot', async () => {
    let t = 1_000_000;
    const now = () => t;
    const db = openDatabase(tmpDbFile());
    const feishu = heldFeishu();
    let slotGiven: (() => void) | undefined;
    class SlowSlot extends RateLimiter {
      looks = 0;
      override async reserve() {
        if (++this.looks === 2) await new Promise<void>((r) => (slotGiven = r));
        return super.reserve();
      }
    }
    const box = new Outbox(db, feishu.api, createLogger('silent'), { now, limiter: new SlowSlot(undefined, now), concurrency: 1 });
    box.start();
    await settle();
    await box.enqueue(answer('reply:om_3:0', 'ou_teacher', '你的进度'));
    await waitFor(() => slotGiven !== undefined, 'the sender waiting for a slot');
    t += 40_000;
    slotGiven!();
    await waitFor(() => feishu.delivered.length === 1, 'the answer');
    await settle();
    await box.stop();
    expect(feishu.delivered).toEqual(['ou_teacher: 你的进度']);
    expect(db.select().from(outbox).where(eq(outbox.dedupeKey, 'reply:om_3:0')).get()).toMatchObject({ status: 'sent', uncertainSince: null });
    db.$client.close();
  });

  it('are sent once by the next process after a crash before their send', async () => {
    const file = tmpDbFile();
    const db = openDatabase(file);
    const feishu = heldFeishu();
    // A process that dies while its sender, woken for the answer, waits for a slot: the answer is queued, in flight, never sent.
    class StuckAfterFirstLook extends RateLimiter {
      looks = 0;
      override reserve() {
        return ++this.looks > 1 ? new Promise<never>(() => undefined) : super.reserve();
      }
    }
    const crashed = new Outbox(db, feishu.api, createLogger('silent'), { limiter: new StuckAfterFirstLook(), concurrency: 1 });
    crashed.start();
    await settle();
    await crashed.enqueue(answer('reply:om_2:0', 'ou_teacher', '你的进度'));
    await settle();
    expect(feishu.delivered).toEqual([]);
    expect(db.select().from(outbox).where(eq(outbox.dedupeKey, 'reply:om_2:0')).get()?.status).toBe('sending');
    const next = new Outbox(openDatabase(file), feishu.api, createLogger('silent'), { concurrency: 1 });
    next.start();
    await waitFor(() => feishu.delivered.length === 1, 'the answer from the next process');
    await settle();
    await next.stop();
    expect(feishu.delivered).toEqual(['ou_teacher: 你的进度']);
    db.$client.close();
  });
});
