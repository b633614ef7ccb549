/**
 * The only place that reads the wall clock. Everything else receives a Clock,
 * so tests and the sandbox's "jump to Monday 09:00" can move time.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that runs with the wall clock but can be shifted (sandbox) or frozen (tests). */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  constructor(start?: Date, frozen = false) {
    if (start) this.offsetMs = start.getTime() - Date.now();
    if (frozen && start) this.frozenAt = start.getTime();
  }

  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }

  set(at: Date): void {
    if (this.frozenAt !== null) this.frozenAt = at.getTime();
    else this.offsetMs = at.getTime() - Date.now();
  }

  advance(ms: number): void {
    this.set(new Date(this.now().getTime() + ms));
  }
}
