/**
 * What the stand-in's parts share: its resolved options, its clock, the
 * platform state, the facade's events and the timers stop() clears.
 */
import type { PlatformState } from './store.js';
import type { StandInOptions } from './types.js';

export type ResolvedOptions = Required<Omit<StandInOptions, 'wsClientConfig' | 'wsFragmentBytes'>>;

export interface StandInContext {
  readonly opts: ResolvedOptions;
  /** ms clock for message create_time, token expiry, uuid window and the 14-day rule. */
  readonly now: () => number;
  readonly state: PlatformState;
  /** Emits on the FeishuStandIn facade. */
  emit(event: string, payload: unknown): void;
  readonly timers: Timers;
  /** http://host:port once started, else ''. */
  baseUrl(): string;
  /** Between start() and stop(). */
  running(): boolean;
}

/** Timers stop() clears: an injected slow answer, an event's next push. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(t);
        resolve();
      }, ms);
      this.pending.add(t);
    });
  }

  /** Run `fn` later without keeping the process alive for it. */
  later(ms: number, fn: () => unknown): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    t.unref();
    this.pending.add(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
