import { FeishuApiError, GATEWAY_RATE_LIMITED } from './errors.js';
import { Sleepers } from './sleepers.js';

/**
 * Sliding-window limits for sending, just under Feishu's published ones: per
 * app 50/s and 1000/min; per receiving user or group 5/s
 * (https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control).
 * Sends are counted from their answer (see Window), which already keeps every
 * window of arrivals within the limit; the small margin leaves room for the
 * CLI or a second process sending for the same app.
 */
export interface RateLimits {
  appPerSecond: number;
  appPerMinute: number;
  perReceiverPerSecond: number;
  /**
   * What bulk sends (reminders, digests) leave free of the app's windows for
   * answers to a person's own command or click: a fan-out that fills the
   * minute's 1,000 would otherwise hold every answer until the window slides.
   */
  answerReserve?: { perSecond: number; perMinute: number };
}

export const FEISHU_SAFE_LIMITS: RateLimits = { appPerSecond: 48, appPerMinute: 980, perReceiverPerSecond: 4, answerReserve: { perSecond: 4, perMinute: 49 } };

/**
 * One sliding window. A send holds a slot while in flight and for a whole span
 * after its answer: Feishu counts a request when it arrives, which is somewhere
 * between our start and our answer, so counting from the answer never lets a
 * burst of delayed requests land in one of Feishu's windows together.
 *
 * A send still unanswered ARRIVED_WITHIN_MS after its request was written out
 * (the send says when: see AppSlot.run) is taken to have arrived by then: what keeps it waiting is
 * Feishu's answer. From then on it is counted as arrived at that moment, so a
 * send hanging until the API timeout (10 s) holds a slot of the app's second
 * for two seconds, not eleven; otherwise 5 % of sends answered past the timeout
 * kept a third of the second's slots taken. Counted from when the call began,
 * a request slow to get out (its connection still opening on a busy machine)
 * could arrive after it was taken to have: once in CI the stand-in refused
 * three sends of a fan-out for the app's 50 a second.
 */
class Window {
  /** Sorted; when each counted send arrived at the latest. */
  private readonly stamps: number[] = [];
  private readonly inFlight = new Set<InFlight>();
  constructor(
    private readonly limit: number,
    private readonly spanMs: number,
  ) {}

  /**
   * Earliest time at or after `now` when one more send fits (under `limit`, when
   * less than the window's own); `now + IN_FLIGHT_POLL_MS` while only a
   * finishing send can free a slot.
   */
  nextSlot(now: number, limit = this.limit): number {
    for (const f of this.inFlight) {
      if (f.began === undefined || f.began + ARRIVED_WITHIN_MS > now) continue;
      this.inFlight.delete(f);
      this.stamp(f.began + ARRIVED_WITHIN_MS);
    }
    while (this.stamps.length && this.stamps[0]! <= now - this.spanMs) this.stamps.shift();
    const excess = this.stamps.length + this.inFlight.size - limit;
    if (excess < 0) return now;
    return excess < this.stamps.length ? this.stamps[excess]! + this.spanMs : now + IN_FLIGHT_POLL_MS;
  }

  /** A slot taken for a send about to go; `began` is set when it goes. */
  begin(): InFlight {
    const f: InFlight = { began: undefined };
    this.inFlight.add(f);
    return f;
  }

  /** The send's call goes out (again, after a refused token: then it is counted once more). */
  goesOut(f: InFlight, now: number): void {
    f.began = now;
    this.inFlight.add(f);
  }

  /** A slot taken but not used: nothing was sent. */
  cancel(f: InFlight): void {
    this.inFlight.delete(f);
  }

  end(f: InFlight, at: number): void {
    // Counted already if it was taken to have arrived (see nextSlot).
    if (this.inFlight.delete(f)) this.stamp(Math.min(at, (f.began ?? at) + ARRIVED_WITHIN_MS));
  }

  private stamp(at: number): void {
    let i = this.stamps.length;
    while (i > 0 && this.stamps[i - 1]! > at) i--;
    this.stamps.splice(i, 0, at);
  }

  get idle(): boolean {
    return this.stamps.length === 0 && this.inFlight.size === 0;
  }
}

interface InFlight {
  /** When the send's request was written out; until then (a token being fetched, a connection opening) it may arrive any time before its answer. */
  began: number | undefined;
}

/** How long after its request was written out an unanswered send is taken to have reached Feishu (see Window). */
export const ARRIVED_WITHIN_MS = 1000;

const IN_FLIGHT_POLL_MS = 10;

/** A send's place in the app's windows, taken before its receiver is known (see RateLimiter.reserve). */
export interface AppSlot {
  /**
   * When bulk may use a slot: at or before the reservation when this one may
   * carry bulk, else later, and the slot is for an answer only (it lies in the
   * answers' reserve).
   */
  bulkFrom: number;
  /**
   * Sends to `receiverKey` once its window has room; the slots are held until
   * the send settles. `send` is given the function to call once its request has
   * been written out (JsonHttp calls it then): from that moment the send is
   * taken to arrive within ARRIVED_WITHIN_MS.
   */
  run<T>(receiverKey: string, send: (writtenOut: () => void) => Promise<T>): Promise<T>;
  /** Gives the slot back unused; does nothing once `run` was called. */
  release(): void;
}

export class RateLimiter {
  private readonly appSecond: Window;
  private readonly appMinute: Window;
  private readonly receivers = new Map<string, Window>();
  /** Sends waiting for room; a slot given back unused wakes them to look again (it may be the room they wait for). */
  private readonly waiting = new Sleepers();

  constructor(
    private readonly limits: RateLimits = FEISHU_SAFE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.appSecond = new Window(limits.appPerSecond, 1000);
    this.appMinute = new Window(limits.appPerMinute, 60_000);
  }

  /** At most this many sends can be in flight: each holds a slot of the app's second until it settles. */
  get appPerSecond(): number {
    return this.limits.appPerSecond;
  }

  private receiver(key: string): Window {
    let w = this.receivers.get(key);
    if (!w) this.receivers.set(key, (w = new Window(this.limits.perReceiverPerSecond, 1000)));
    return w;
  }

  /** Runs `send` once a send to `receiverKey` fits every window; it holds its slots until it settles. */
  async run<T>(receiverKey: string, send: (writtenOut: () => void) => Promise<T>): Promise<T> {
    return (await this.reserve()).run(receiverKey, send);
  }

  /**
   * Waits until one more send fits the app's windows and takes that slot, before
   * knowing where the send goes: the outbox picks the message only once it can
   * send, so what it picks waits for nothing but its receiver's window. Whether
   * the slot may carry bulk or lies in the answers' reserve is in `bulkFrom`.
   */
  async reserve(): Promise<AppSlot> {
    const app = await this.take(() => [this.appSecond, this.appMinute]);
    const reserve = this.limits.answerReserve ?? { perSecond: 0, perMinute: 0 };
    // Asked with this slot already taken: one more than the bulk limit means the slot itself fits it.
    const now = this.now();
    const bulkFrom = Math.max(
      this.appSecond.nextSlot(now, this.limits.appPerSecond - reserve.perSecond + 1),
      this.appMinute.nextSlot(now, this.limits.appPerMinute - reserve.perMinute + 1),
    );
    let settled = false;
    return {
      bulkFrom,
      release: () => {
        if (settled) return;
        settled = true;
        for (const [w, f] of app) w.cancel(f);
        this.waiting.wakeAll();
      },
      run: async (receiverKey, send) => {
        if (settled) throw new Error('rate limiter: slot already used or released');
        settled = true;
        // Looked up on every pass: a prune while this send waited may have dropped an idle receiver's window.
        const [receiver] = await this.take(() => [this.receiver(receiverKey)]);
        const goesOut = () => {
          const now = this.now();
          for (const [w, f] of [...app, receiver!]) w.goesOut(f, now);
        };
        let refusedAtGateway = false;
        try {
          return await send(goesOut);
        } catch (e) {
          // The gateway's own refusal ("频控策略"): it let nothing through, so it uses up no room in the app's windows.
          refusedAtGateway = FeishuApiError.from(e).code === GATEWAY_RATE_LIMITED;
          throw e;
        } finally {
          const done = this.now();
          for (const [w, f] of app) refusedAtGateway ? w.cancel(f) : w.end(f, done);
          receiver![0].end(receiver![1], done);
          if (refusedAtGateway) this.waiting.wakeAll();
          if (this.receivers.size > 10_000) this.prune(done);
        }
      },
    };
  }

  /** Waits until one more send fits every window `windows()` names, and takes a slot in each. */
  private async take(windows: () => Window[]): Promise<Array<[Window, InFlight]>> {
    for (;;) {
      const ws = windows();
      const now = this.now();
      const at = Math.max(...ws.map((w) => w.nextSlot(now)));
      if (at <= now) return ws.map((w) => [w, w.begin()]);
      await this.waiting.sleep(at - now);
    }
  }

  private prune(now: number): void {
    for (const [k, w] of this.receivers) {
      w.nextSlot(now);
      if (w.idle) this.receivers.delete(k);
    }
  }
}
