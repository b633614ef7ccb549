/**
 * Waits that end at a time or when something they wait for may have happened,
 * whichever is first: the outbox's idle senders (woken by a new message) and
 * the rate limiter's waiting sends (woken by a slot given back).
 */
export class Sleepers {
  private readonly waiting = new Set<() => void>();

  /** Sleeps `ms` (none when negative), or until wakeAll(). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.waiting.add(wake);
    });
  }

  wakeAll(): void {
    this.wake(this.waiting.size);
  }

  /** Wakes up to `count` sleepers, the longest asleep first. */
  wake(count: number): void {
    for (const wake of [...this.waiting].slice(0, count)) wake();
  }
}
