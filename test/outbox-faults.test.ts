import { afterEach, describe, expect, it } from 'vitest';
import { outbox } from '../src/db/schema.js';
import { cst, startHarness, type Harness } from './helpers/harness.js';

/** Whatever the platform does to our sends, each message arrives exactly once. */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Deterministic "random" for the stand-in's fault injection. */
function seeded(seed: number) {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

async function queueReplies(n: number) {
  const names = ['王建国', '李秀英', '张伟', '刘芳', '黄志强', '陈立华'];
  const sent = [];
  for (let i = 0; i < n; i++) {
    const name = names[i % names.length]!;
    await h.bot.outbox.enqueue({ dedupeKey: `test:${i}`, to: { openId: h.openId(name) }, purpose: 'test', text: `第 ${i} 条通知` });
    sent.push(`第 ${i} 条通知`);
  }
  return sent;
}

const delivered = () =>
  h.standIn
    .messages()
    .filter((m) => m.sender.kind === 'app' && m.msgType === 'text')
    .map((m) => m.content.text as string);

describe('outbox under faults', () => {
  it('delivers every message once with 30 % of calls failing with 5xx', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    h.standIn.faults.set({ errorRate5xx: 0.3, random: seeded(7) });
    const sent = await queueReplies(60);
    await h.settle(20_000);
    expect(delivered().sort()).toEqual(sent.sort());
    expect(h.standIn.calls().filter((c) => c.status >= 500).length).toBeGreaterThan(5);
    expect(h.db.select().from(outbox).all().every((r) => r.status === 'sent')).toBe(true);
  });

  it('waits out 429 rate-limit answers and still delivers once', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    h.standIn.faults.set({ rateLimitNext: 3 });
    const sent = await queueReplies(5);
    await h.settle(20_000);
    expect(delivered().sort()).toEqual(sent.sort());
    expect(h.standIn.calls().filter((c) => c.code === 99991400)).toHaveLength(3);
  });

  it('retries answers slower than the client timeout without duplicates', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00'), apiTimeoutMs: 300 });
    await h.settle();
    h.standIn.faults.set({ slowMs: 800, slowNext: 2 });
    const sent = await queueReplies(4);
    await h.settle(20_000);
    expect(delivered().sort()).toEqual(sent.sort());
  });

  it('recovers when the platform invalidates the tenant token mid-run', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await queueReplies(3);
    await h.settle();
    h.standIn.expireTokens();
    const more = await queueReplies(6);
    await h.settle(20_000);
    expect(delivered()).toHaveLength(6);
    expect(new Set(delivered())).toEqual(new Set(more));
    expect(h.standIn.calls().some((c) => c.code === 99991663)).toBe(true);
  });

  it('records a clear permanent failure instead of retrying forever', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.bot.outbox.enqueue({ dedupeKey: 'nobody', to: { openId: 'ou_nobody' }, purpose: 'test', text: 'x' });
    await h.settle();
    const row = h.db.select().from(outbox).get()!;
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(1);
    expect(row.lastError).toMatch(/^2300\d\d/);
  });
});
