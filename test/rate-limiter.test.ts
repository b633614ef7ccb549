import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../src/feishu/rate-limiter.js';
import { cst, startHarness, type Harness } from './helpers/harness.js';

/*
 * Feishu counts a send when it arrives, which we only know lies between our
 * start and its answer. The limiter therefore lets a send hold its slot until
 * a full window after the answer; these tests pin that rule down on a clock
 * the test moves, so they assert order and arithmetic, never speed.
 */

function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A limiter of one send a second on fake timers (its clock is theirs), with when each send started; real timers after. */
async function oneASecondOnFakeTimers(run: (limiter: RateLimiter, started: number[]) => Promise<void>): Promise<void> {
  vi.useFakeTimers({ now: 0 });
  try {
    await run(new RateLimiter({ appPerSecond: 1, appPerMinute: 100, perReceiverPerSecond: 10 }, () => Date.now()), []);
  } finally {
    vi.useRealTimers();
  }
}

describe('send rate limiter', () => {
  it('counts a slow send from its answer, so no window of arrivals can exceed the limit', async () => {
    // Timers and clock move together, so the test sees exactly when the third send is let go.
    vi.useFakeTimers({ now: 0 });
    try {
      const limiter = new RateLimiter({ appPerSecond: 2, appPerMinute: 100, perReceiverPerSecond: 10 }, () => Date.now());
      const started: number[] = [];
      const send = (who: string) =>
        limiter.run(who, async () => {
          started.push(Date.now());
          await new Promise((r) => setTimeout(r, 300)); // the answer takes 300 ms
        });
      for (const who of ['a', 'b']) {
        const p = send(who);
        await vi.advanceTimersByTimeAsync(300);
        await p;
      }
      // Answers came at 300 and 600; counted from the starts (0 and 300), the third could go at 1000.
      const third = send('c');
      await vi.advanceTimersByTimeAsync(600);
      expect(started).toEqual([0, 300]);
      // Counted from the first answer, it goes when that answer's window ends.
      await vi.advanceTimersByTimeAsync(100);
      expect(started).toEqual([0, 300, 1300]);
      await vi.advanceTimersByTimeAsync(300);
      await third;
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds a slot while a send is in flight', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ appPerSecond: 1, appPerMinute: 100, perReceiverPerSecond: 10 }, clock.now);
    let finish!: () => void;
    const first = limiter.run('a', () => new Promise<void>((resolve) => (finish = resolve)));
    let secondStarted = false;
    const second = limiter.run('b', async () => {
      secondStarted = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(secondStarted).toBe(false);
    finish();
    await first;
    clock.advance(1000);
    await second;
    expect(secondStarted).toBe(true);
  });

  it('counts a send still unanswered after a second as arrived by then: a hung answer holds the second for two, not until the timeout', async () => {
    await oneASecondOnFakeTimers(async (limiter, started) => {
      // Its answer comes only after ten seconds (a call answered past the API timeout).
      const hung = limiter.run('a', async (writtenOut) => {
        started.push(Date.now());
        writtenOut(); // as JsonHttp says, the request written out
        await new Promise((r) => setTimeout(r, 10_000));
      });
      const next = limiter.run('b', async () => void started.push(Date.now()));
      await vi.advanceTimersByTimeAsync(1990);
      expect(started).toEqual([0]);
      // Taken to have arrived by 1,000 ms, it leaves Feishu's one-second window at 2,000 ms.
      await vi.advanceTimersByTimeAsync(20);
      expect(started).toEqual([0, 2000]);
      await next;
      await vi.advanceTimersByTimeAsync(8000);
      await hung;
    });
  });

  it('holds the slot of a send whose call has not gone out (its token still coming) until its answer', async () => {
    await oneASecondOnFakeTimers(async (limiter, started) => {
      const fetchingToken = limiter.run('a', async (writtenOut) => {
        started.push(Date.now());
        await new Promise((r) => setTimeout(r, 5000));
        writtenOut();
      });
      const next = limiter.run('b', async () => void started.push(Date.now()));
      await vi.advanceTimersByTimeAsync(5990);
      await fetchingToken;
      // Its call went out at 5,000 ms and was answered then: the second goes a second after that.
      expect(started).toEqual([0]);
      await vi.advanceTimersByTimeAsync(20);
      expect(started).toEqual([0, 6000]);
      await next;
    });
  });

  it('holds a reserved slot before the receiver is known, and gives it back unused', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ appPerSecond: 1, appPerMinute: 100, perReceiverPerSecond: 10 }, clock.now);
    const slot = await limiter.reserve();
    let waiting = true;
    const next = limiter.reserve().then((s) => {
      waiting = false;
      return s;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(waiting).toBe(true);
    // Nothing was sent with it, so the app's second is not used up.
    slot.release();
    const second = await next;
    expect(waiting).toBe(false);
    await second.run('a', async () => undefined);
  });

  it("keeps the answers' reserve free of bulk: a full window for bulk still has a slot for an answer", async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ appPerSecond: 100, appPerMinute: 3, perReceiverPerSecond: 10, answerReserve: { perSecond: 0, perMinute: 1 } }, clock.now);
    const kinds: string[] = [];
    for (const who of ['a', 'b', 'c']) {
      const slot = await limiter.reserve();
      kinds.push(slot.bulkFrom <= clock.now() ? 'bulk' : 'answer only');
      await slot.run(who, async () => undefined);
    }
    expect(kinds).toEqual(['bulk', 'bulk', 'answer only']);
  });

  it('does not count a send the gateway refused for the rate (99991400): it used up nothing', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ appPerSecond: 1, appPerMinute: 100, perReceiverPerSecond: 10 }, clock.now);
    const refused = Object.assign(new Error('Request failed with status code 429'), {
      response: { status: 429, data: { code: 99991400, msg: 'request trigger frequency limit' }, headers: { 'x-ogw-ratelimit-reset': '1' } },
    });
    await expect(limiter.run('a', () => Promise.reject(refused))).rejects.toThrow();
    let sent = false;
    await limiter.run('b', async () => {
      sent = true;
    });
    expect(sent).toBe(true);
  });

  it('limits each receiver on its own', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ appPerSecond: 100, appPerMinute: 1000, perReceiverPerSecond: 1 }, clock.now);
    const order: string[] = [];
    await limiter.run('teacher-1', async () => void order.push('t1'));
    await limiter.run('teacher-2', async () => void order.push('t2'));
    const again = limiter.run('teacher-1', async () => void order.push('t1 again'));
    await new Promise((r) => setTimeout(r, 30));
    expect(order).toEqual(['t1', 't2']);
    clock.advance(1000);
    await again;
    expect(order).toEqual(['t1', 't2', 't1 again']);
  });
});

describe('per-receiver limit against Feishu', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('counts replies against the person they go to, together with sends to them', async () => {
    h = await startHarness({ transport: 'webhook', at: cst('2026-11-11T10:00:00') });
    await h.settle();
    const teacher = h.openId('王建国');
    // Reminders go out to a teacher while the teacher sends the bot six messages at once.
    await h.bot.outbox.enqueue([1, 2, 3].map((i) => ({ dedupeKey: `remind:${i}`, to: { openId: teacher }, purpose: 'remind.weekly', text: `提醒 ${i}` })));
    await Promise.all(Array.from({ length: 6 }, (_, i) => h.standIn.sendText(teacher, `你好 ${i}`)));
    await h.settle();
    expect(h.textsTo('王建国')).toHaveLength(9);
    // Feishu never had to refuse one: the bot kept to 5 per second for this teacher, sends and replies together.
    expect(h.standIn.calls().filter((c) => c.code === 230020)).toEqual([]);
  });
});
