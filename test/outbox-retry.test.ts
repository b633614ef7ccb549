import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { outbox } from '../src/db/schema.js';
import type { FeishuApi } from '../src/feishu/api.js';
import { FeishuApiError } from '../src/feishu/errors.js';
import { Outbox } from '../src/feishu/outbox.js';
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
