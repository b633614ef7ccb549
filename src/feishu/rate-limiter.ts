/**
 * Sliding-window limits for sending, below Feishu's published ones so we never
 * meet their rejections in normal operation: per app 50/s and 1000/min; per
 * receiving user or group 5/s (https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control).
 */
export interface RateLimits {
  appPerSecond: number;
  appPerMinute: number;
  perReceiverPerSecond: number;
}

export const FEISHU_SAFE_LIMITS: RateLimits = { appPerSecond: 45, appPerMinute: 950, perReceiverPerSecond: 4 };

class Window {
  private readonly stamps: number[] = [];
  constructor(private readonly limit: number, private readonly spanMs: number) {}

  /** Earliest time at or after `now` when one more event fits. */
  nextSlot(now: number): number {
    while (this.stamps.length && this.stamps[0]! <= now - this.spanMs) this.stamps.shift();
    return this.stamps.length < this.limit ? now : this.stamps[this.stamps.length - this.limit]! + this.spanMs;
  }

  record(at: number): void {
    this.stamps.push(at);
  }

  get idle(): boolean {
    return this.stamps.length === 0;
  }
}

export class RateLimiter {
  private readonly appSecond: Window;
  private readonly appMinute: Window;
  private readonly receivers = new Map<string, Window>();

  constructor(private readonly limits: RateLimits = FEISHU_SAFE_LIMITS, private readonly now: () => number = Date.now) {
    this.appSecond = new Window(limits.appPerSecond, 1000);
    this.appMinute = new Window(limits.appPerMinute, 60_000);
  }

  private receiver(key: string): Window {
    let w = this.receivers.get(key);
    if (!w) this.receivers.set(key, (w = new Window(this.limits.perReceiverPerSecond, 1000)));
    return w;
  }

  /** Waits until a send to `receiverKey` fits every window, then books it. */
  async acquire(receiverKey: string): Promise<void> {
    for (;;) {
      const now = this.now();
      const at = Math.max(this.appSecond.nextSlot(now), this.appMinute.nextSlot(now), this.receiver(receiverKey).nextSlot(now));
      if (at <= now) {
        this.appSecond.record(now);
        this.appMinute.record(now);
        this.receiver(receiverKey).record(now);
        if (this.receivers.size > 10_000) this.prune(now);
        return;
      }
      await new Promise((r) => setTimeout(r, at - now));
    }
  }

  private prune(now: number): void {
    for (const [k, w] of this.receivers) {
      w.nextSlot(now);
      if (w.idle) this.receivers.delete(k);
    }
  }
}
