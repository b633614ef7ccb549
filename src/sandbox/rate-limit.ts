/**
 * Sliding-window counters for the platform's rate limits ("频控策略", "发送消息").
 * Uses its own monotonic clock, not the stand-in's injectable `now`: tests
 * freeze or jump `now` to exercise token expiry and the 14-day rule, and that
 * must not make every request look like it arrived in the same millisecond.
 */
import { performance } from 'node:perf_hooks';

export interface LimitVerdict {
  ok: boolean;
  limit: number;
  /** Seconds until a slot frees up (rounded up, at least 1) when rejected. */
  resetSeconds: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Check without recording. */
  peek(key: string): LimitVerdict {
    const now = this.clock();
    const list = this.prune(key, now);
    if (list.length < this.limit) return { ok: true, limit: this.limit, resetSeconds: 0 };
    const oldest = list[0] ?? now;
    const waitMs = Math.max(0, oldest + this.windowMs - now);
    return { ok: false, limit: this.limit, resetSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Record one accepted request. */
  hit(key: string): void {
    const now = this.clock();
    const list = this.prune(key, now);
    list.push(now);
    this.hits.set(key, list);
  }

  reset(): void {
    this.hits.clear();
  }

  private prune(key: string, now: number): number[] {
    const list = this.hits.get(key) ?? [];
    let drop = 0;
    while (drop < list.length && (list[drop] ?? 0) <= now - this.windowMs) drop++;
    return drop ? list.slice(drop) : list;
  }
}

/**
 * Check several limiters as one unit: a request is recorded only when all of
 * them accept it, so rejected requests do not eat quota.
 */
export function checkAll(checks: Array<{ limiter: SlidingWindowLimiter; key: string }>): LimitVerdict & { failed?: SlidingWindowLimiter } {
  for (const c of checks) {
    const v = c.limiter.peek(c.key);
    if (!v.ok) return { ...v, failed: c.limiter };
  }
  for (const c of checks) c.limiter.hit(c.key);
  return { ok: true, limit: 0, resetSeconds: 0 };
}
