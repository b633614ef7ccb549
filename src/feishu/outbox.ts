import { hash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Statement } from 'better-sqlite3';
import { and, asc, eq, gt, inArray, isNotNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { outbox, type OutboxRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { FeishuApi } from './api.js';
import { cardOverLimit } from './card-budget.js';
import { DLP_REJECTED, FeishuApiError } from './errors.js';
import { RateLimiter, type AppSlot } from './rate-limiter.js';
import { Sleepers } from './sleepers.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { breathe } from '../breathe.js';

/** A person (their direct chat) or a group. */
export type Receiver = { openId: string } | { chatId: string };

/**
 * Where a message goes: a person's direct chat, a group, a reply under a message,
 * or a card update in place. A reply names who receives it (the person of a
 * direct chat, else the group): Feishu's 5-per-second limits per user and per
 * group count sends and replies together.
 */
export type OutboundTarget = Receiver | { replyTo: string; receiver: Receiver } | { patch: string };

export interface OutboundMessage {
  /** Names the business fact, e.g. `zone-report.push:demo:w5:z3`. Enqueueing the same key twice sends once. */
  dedupeKey: string;
  to: OutboundTarget;
  purpose: string;
  text?: string;
  card?: object;
  /** A file uploaded beforehand (FeishuApi.uploadFile), sent as a `file` message. */
  file?: { fileKey: string };
  /**
   * `interactive`: an answer to a person's own command or click, sent before
   * what is queued in bulk (reminders, digests), the default.
   */
  priority?: OutboundPriority;
  /**
   * For a card that stays one message while what it shows changes (a day's
   * triage list): the name of this version. Queued again under the same key,
   * it rewrites the card while that still waits here, or updates the sent card
   * in place ("更新应用发送的消息卡片"); a card caught in flight is sent anew.
   */
  revision?: string;
}

export type OutboundPriority = 'interactive' | 'bulk';

/**
 * How old a sent card may be to still be updated in place: an answer that
 * missed the callback, or a new version of a card kept as one message. A 2.0 card takes clicks and updates for 14 days after it is
 * sent (配置卡片交互; 卡片 JSON 2.0 版本更新说明); later the client refuses the
 * click and we never hear of it. So every click that arrives is inside the
 * window, and an answer inside the callback always lands: Feishu judges the
 * click and its answer together. Only an answer too slow for the callback goes
 * out later by PATCH (更新已发送的消息卡片), which is refused with 230031 past
 * 14 days; it waits out the handler, the outbox's backoff or an outage, and our
 * clock and Feishu's may disagree. Twelve hours of margin covers that: an older
 * card's update goes out as a fresh card instead.
 */
export const LATE_UPDATE_WINDOW_MS = (13 * 24 + 12) * 3600_000;

/** Lower goes first (the outbox's `priority` column). */
const PRIORITY_RANK: Record<OutboundPriority, number> = { interactive: 0, bulk: 1 };

const LEASE_MS = 60_000;

/**
 * When failures are an outage rather than calls' bad luck, judged from the
 * outbox's own calls, not from the time since a message last went through: a
 * pause of our own (the minute's window full, nothing queued) is no silence of
 * Feishu's, and the last reminder of a fan-out failing alone says no more about
 * Feishu than one failing among many. Twenty calls failed (5xx, timeouts,
 * transient codes) with none taken since the first went out: with 45 % of
 * calls failing that comes up less than once in eight thousand fan-outs of a
 * thousand reminders, where ten in a row, for one unlucky reminder, come up in
 * one of three. Or five calls not answered at all (timeouts, refused connections)
 * with no answer since the first went out: an answer, even a 5xx or a 429,
 * says Feishu is there.
 */
const OUTAGE_AFTER_FAILED_CALLS = 20;
const OUTAGE_AFTER_UNANSWERED_CALLS = 5;

/** The longest a message waits for its next try (an outage that lasts, or the gateway's own word). */
const MAX_RETRY_WAIT_MS = 300_000;

/**
 * What the outbox's calls tell of Feishu, and so how long a failed message
 * waits before its next try. A failure while Feishu is up is that call's fault:
 * the message goes again after the backoff base, however often it failed
 * before, and the rate limiter keeps the retries within Feishu's limits. A rate
 * limit is Feishu answering: the message waits what the gateway says
 * (x-ogw-ratelimit-reset, "频控策略"). During an outage every message waits as
 * long as the outage has lasted so far, so the waits double while it lasts, up
 * to MAX_RETRY_WAIT_MS, and a message queued late in it does not start again
 * from the base.
 */
class FeishuHealth {
  /** When the first call of the current run of failures went out; null while the last call went through. */
  private failingSince: number | null = null;
  private failedInRow = 0;
  private unansweredInRow = 0;
  private lastTakenAt = Number.NEGATIVE_INFINITY;
  private lastAnsweredAt = Number.NEGATIVE_INFINITY;

  /** Feishu took a call, or refused it for good (which it would not do if it were down). */
  taken(now: number): void {
    this.failingSince = null;
    this.failedInRow = 0;
    this.unansweredInRow = 0;
    this.lastTakenAt = now;
    this.lastAnsweredAt = now;
  }

  /** A call that went out at `began` failed with `err`, retryable; how long until its message is tried again. */
  retryWait(err: FeishuApiError, began: number, now: number, baseMs: number): number {
    const answered = err.httpStatus !== null;
    // A call that hung while Feishu took or answered later ones (the last of a batch timing out while the
    // minute's window holds every other send back) is its own bad luck, and counts towards no outage.
    if (answered) {
      this.unansweredInRow = 0;
      this.lastAnsweredAt = now;
    } else if (began >= this.lastAnsweredAt) this.unansweredInRow++;
    if (err.rateLimited) return err.retryAfterSeconds !== null ? err.retryAfterSeconds * 1000 : baseMs;
    if (began >= this.lastTakenAt) {
      this.failingSince ??= began;
      this.failedInRow++;
    }
    return this.failingSince !== null && this.out ? Math.max(baseMs, now - this.failingSince) : baseMs;
  }

  /** Whether Feishu is taken to be out (see OUTAGE_AFTER_FAILED_CALLS). */
  get out(): boolean {
    return this.failedInRow >= OUTAGE_AFTER_FAILED_CALLS || this.unansweredInRow >= OUTAGE_AFTER_UNANSWERED_CALLS;
  }
}

/**
 * A send or reply still unanswered this long after it went out is made once
 * more beside it, under the same uuid ("发送消息": 持有相同 uuid 的请求 1 小时内至多
 * 成功发送一条消息), and the first answer counts. A send is answered in well
 * under a second as a rule; a call hanging until the client's timeout (10 s)
 * held its message that long, and one timing out twice or three times at the end of a fan-out
 * under faults arrived 20–30 s after the rest.
 */
const HEDGE_AFTER_MS = 2000;

/** What a sender found: a message sent, nothing due, or bulk that may go only from `bulkFrom` (the app's windows are full for bulk). */
type SendOutcome = { sent: true } | { sent: false; bulkFrom?: number };

/** Undeliverable messages are told to the admins once the outbox runs dry, or once this many have gathered. */
const PROBLEMS_PER_NOTICE = 20;

/**
 * Feishu's `uuid` makes a resend a no-op for one hour only (官方文档 "发送消息").
 * A send that may have arrived is not sent again once this long has passed since
 * that attempt: ten minutes short of the hour, for the resend's own time in
 * flight and for our clock and Feishu's disagreeing.
 */
export const UNCONFIRMED_AFTER_MS = 50 * 60_000;

/**
 * For a row taken over from a lease that ran out: its attempt may have arrived,
 * and began when the lease was taken (on the wall clock, which is the business
 * clock everywhere but in the sandbox).
 */
const LEASED_ATTEMPT_BEGAN = sql`coalesce(${outbox.uncertainSince}, case when ${outbox.status} = 'sending' then ${outbox.leaseUntil} - ${LEASE_MS} end)`;

/** Why a message was not delivered and the admins are told. */
export type Undeliverable =
  /** Refused by the tenant's data-loss-prevention audit (230028): for good. */
  | { reason: 'dlp'; row: OutboxRow }
  /** An earlier attempt may have arrived, too long ago for a resend to be de-duplicated: held. */
  | { reason: 'unconfirmed'; row: OutboxRow };

/** The purpose of the admins' notices about undeliverable messages; a notice is never reported about itself. */
export const UNDELIVERABLE_NOTICE = 'outbox.notice';

export interface OutboxOptions {
  now?: () => number;
  limiter?: RateLimiter;
  /**
   * How many sends are in flight at most: each sender takes the next due message
   * as soon as it is free. The default is the app's per-second limit: a send in
   * flight holds a slot of that window anyway, and a send that hangs until the
   * API timeout then holds up one sender of many.
   */
  concurrency?: number;
  /** How long transient failures are retried, from when the message was queued (default 24 h). */
  retryForMs?: number;
  pollMs?: number;
  /** Backoff base; tests shrink it. */
  backoffBaseMs?: number;
  /**
   * Business time (the bot's Clock) for `sentAt`, so a card's age is judged on
   * the same clock as Feishu's (the stand-in's) create_time. Defaults to `now`,
   * which stays the wall clock for leases, backoff and rate limits.
   */
  stampNow?: () => number;
  /**
   * Told of the messages that will not go out by themselves (DLP refusals, held
   * sends), when nothing more is due or PROBLEMS_PER_NOTICE have gathered; a
   * drain is not done until this returns.
   */
  onUndeliverable?: (problems: Undeliverable[]) => Promise<void>;
}

/**
 * Feishu's `uuid` (≤ 50 chars) makes a resend after a crash a no-op within an hour. Hashed in one call: a Hash
 * object per message cost more than the hashing (Node 20 looks up its deprecation options on each).
 */
const feishuUuid = (dedupeKey: string) => hash('sha1', dedupeKey);

function toRow(m: OutboundMessage, now: number): typeof outbox.$inferInsert {
  if ([m.text, m.card, m.file].filter((x) => x !== undefined).length !== 1) throw new Error(`outbox: ${m.dedupeKey} needs exactly one of text, card or file`);
  const content = m.card ? JSON.stringify(m.card) : m.file ? JSON.stringify({ file_key: m.file.fileKey }) : JSON.stringify({ text: m.text });
  // Feishu would refuse it for good (230099/11310 or 230025): fail loudly here, where the caller can see it.
  const over = m.card && cardOverLimit(m.card);
  if (over) throw new Error(`outbox: card for ${m.purpose} is too big for Feishu: ${over}`);
  const to = m.to;
  const receiver = 'patch' in to ? null : 'replyTo' in to ? to.receiver : to;
  const receiveId = !receiver ? null : 'openId' in receiver ? receiver.openId : receiver.chatId;
  return {
    dedupeKey: m.dedupeKey,
    operation: 'patch' in to ? 'patch' : 'replyTo' in to ? 'reply' : 'send',
    receiveIdType: !receiver ? null : 'openId' in receiver ? 'open_id' : 'chat_id',
    receiveId,
    // A card update is limited per message (官方文档 "更新应用发送的消息卡片").
    receiverKey: receiveId ?? `msg:${'patch' in to ? to.patch : ''}`,
    priority: PRIORITY_RANK[m.priority ?? 'bulk'],
    targetMessageId: 'patch' in to ? to.patch : 'replyTo' in to ? to.replyTo : null,
    msgType: m.card ? 'interactive' : m.file ? 'file' : 'text',
    content,
    uuid: feishuUuid(m.dedupeKey),
    purpose: m.purpose,
    status: 'pending',
    nextAttemptAt: new Date(now),
    createdAt: new Date(now),
  };
}

/** Messages made into rows (each card written out and measured) per turn of the event loop. */
const ROWS_PER_TURN = 100;

/**
 * Records messages for delivery; returns how many were new. Never touches the
 * network, so the CLI can queue messages for a bot running in another process.
 * `now` is the wall clock the queue runs on; `businessNow` the clock sent cards
 * are stamped with, by which a card's age is judged.
 */
export async function enqueueOutbound(db: Db, messages: OutboundMessage | OutboundMessage[], now: number, businessNow = now): Promise<number> {
  const list = Array.isArray(messages) ? messages : [messages];
  if (!list.length) return 0;
  // A fan-out's thousand cards were written out and checked in one turn of the event loop, then queued by one
  // statement drizzle built for every row: 100–200 ms in which no answer went out. The cards are checked a hundred a
  // turn; a new version of a card is worked out against what is queued, in the transaction that queues it.
  const rows: Array<ReturnType<typeof toRow> | undefined> = [];
  for (const m of list) {
    if (rows.length && rows.length % ROWS_PER_TURN === 0) await breathe();
    rows.push(m.revision === undefined ? toRow(m, now) : undefined);
  }
  return queueOf(db)(list, rows, now, businessNow);
}

/** The columns toRow fills, each a placeholder of its own name. */
const ROW_COLUMNS = Object.keys(toRow({ dedupeKey: '', to: { openId: '' }, purpose: '', text: '' }, 0)) as Array<keyof typeof outbox.$inferInsert>;

type Queue = (list: OutboundMessage[], rows: Array<ReturnType<typeof toRow> | undefined>, now: number, businessNow: number) => number;
const queues = new WeakMap<object, Queue>();

/**
 * The rows stored, each by a statement built once per connection (not by drizzle on each call), in a transaction
 * whose wrapper is built once too (better-sqlite3 builds one anew for every `transaction` call, and every answer is
 * queued through here). All or none: a card Feishu would refuse fails the call with nothing queued.
 */
function queueOf(db: Db): Queue {
  let queue = queues.get(db.$client);
  if (!queue) {
    const insert = db
      .insert(outbox)
      .values(Object.fromEntries(ROW_COLUMNS.map((k) => [k, sql.placeholder(k)])) as unknown as typeof outbox.$inferInsert)
      .onConflictDoNothing({ target: outbox.dedupeKey })
      .returning({ id: outbox.id })
      .prepare();
    queue = db.$client.transaction((...[list, rows, now, businessNow]: Parameters<Queue>) =>
      list.reduce((n, m, i) => n + insert.all(rows[i] ?? toRow(revised(db, m, businessNow), now)).length, 0),
    );
    queues.set(db.$client, queue);
  }
  return queue;
}

/**
 * What a new version of a card (`OutboundMessage.revision`) becomes, given the
 * versions already queued under its key: `key` itself, then `key@<revision>`
 * for each version that had to go out as a message of its own.
 */
function revised(db: Db, m: OutboundMessage, businessNow: number): OutboundMessage {
  // '@' is followed by 'A' in code order: the range is every `key@…`, read through the unique index.
  const versions = db
    .select()
    .from(outbox)
    .where(or(eq(outbox.dedupeKey, m.dedupeKey), and(gt(outbox.dedupeKey, `${m.dedupeKey}@`), lt(outbox.dedupeKey, `${m.dedupeKey}A`))))
    .orderBy(asc(outbox.id))
    .all();
  // The message the person sees last: updates of it are not messages of their own.
  const shown = versions.filter((v) => v.operation !== 'patch').at(-1);
  if (!shown) return m;
  const again = { ...m, dedupeKey: `${m.dedupeKey}@${m.revision}` };
  // Still waiting and never tried: it goes out as this version, and the message itself is nothing new (its key is taken).
  // Once an attempt may have reached Feishu, a retry under the same uuid would only return that first card
  // ("发送消息": 持有相同 uuid 的请求 1 小时内至多成功发送一条消息), so the new version is a message of its own.
  if (shown.status === 'pending' && shown.uncertainSince === null && m.card && !('patch' in m.to)) {
    // Checked before anything is written: a card Feishu would refuse must not replace one it takes.
    const { content } = toRow(m, 0);
    db.update(outbox)
      .set({ content })
      .where(and(eq(outbox.id, shown.id), eq(outbox.status, 'pending')))
      .run();
    return shown.dedupeKey === m.dedupeKey ? m : { ...m, dedupeKey: shown.dedupeKey };
  }
  // A sent card is updated in place while Feishu still allows it (更新已发送的消息卡片: 230031 after 14 days).
  const updatable = shown.feishuMessageId && shown.sentAt && businessNow - shown.sentAt.getTime() <= LATE_UPDATE_WINDOW_MS;
  return updatable ? { ...again, to: { patch: shown.feishuMessageId! } } : again;
}

/**
 * The persistent outbox. Features enqueue; a fixed pool of senders each take
 * the next due message as soon as they are free, answers to a person before
 * bulk, so a slow send holds up one sender, not the others. Messages of one
 * priority to one receiver go one at a time and in order; an answer passes
 * that receiver's bulk, in flight or waiting for a retry, and bulk leaves a
 * reserve of the app's windows to answers. All within Feishu's rate limits;
 * what is retryable is retried with backoff, and anything else recorded as a
 * clear failure. Each message is
 * claimed with a lease in SQLite, so a crashed sender's messages are picked up
 * again, and a second process never sends the same message at the same time.
 */
export class Outbox extends EventEmitter {
  private readonly now: () => number;
  private readonly limiter: RateLimiter;
  private readonly concurrency: number;
  private readonly retryForMs: number;
  private readonly pollMs: number;
  private readonly backoffBaseMs: number;
  private readonly stampNow: () => number;
  private readonly onUndeliverable: (problems: Undeliverable[]) => Promise<void>;
  private running = false;
  private stopping = false;
  /** The background senders and those of drains in progress: stop() waits for them all. */
  private senders = new Set<Promise<void>>();
  /** Senders waiting for something to become due; woken when messages are queued. */
  private readonly idleSenders = new Sleepers();
  /**
   * Whether an idle sender is looking for due messages every pollMs (queued by
   * another process, a retry or a lease come due): one is enough. Fifty
   * senders each polling was fifty queries and timers a second in an idle bot.
   */
  private watching = false;
  private problems: Undeliverable[] = [];
  private readonly feishu = new FeishuHealth();
  private readonly nextDue: Statement<[{ now: number; maxPriority: number }], { id: number }>;
  /** A claim's lease and a delivery's record, built once: drizzle building them anew cost more than running them. */
  private readonly lease;
  private readonly markSent;
  /**
   * A claim's check and lease in one transaction, whose wrapper is built once: better-sqlite3 builds one anew
   * for every `db.transaction` call, a good part of what each answer's claim cost.
   */
  private readonly leaseNextDue: (now: number, maxPriority: number) => OutboxRow | null;

  constructor(
    private readonly db: Db,
    private readonly api: FeishuApi,
    private readonly log: Logger,
    opts: OutboxOptions = {},
  ) {
    super();
    this.now = opts.now ?? Date.now;
    this.limiter = opts.limiter ?? new RateLimiter(undefined, this.now);
    this.concurrency = opts.concurrency ?? this.limiter.appPerSecond;
    this.retryForMs = opts.retryForMs ?? 24 * 3600_000;
    this.pollMs = opts.pollMs ?? 1000;
    this.backoffBaseMs = opts.backoffBaseMs ?? 500;
    this.stampNow = opts.stampNow ?? this.now;
    this.onUndeliverable = opts.onUndeliverable ?? (async () => undefined);
    // Walks the rows still to send in claiming order and stops at the first that may go, rather than sorting every
    // due row on each claim: never more than one row is read. Order is kept within a priority; an answer passes a
    // receiver's bulk whether that waits for a retry or is in flight (a card update waits for any other update of that
    // card, whose last write must win).
    this.nextDue = db.$client.prepare(`
      select id from outbox indexed by outbox_claim_idx
      where status in ('pending', 'sending') and priority <= @maxPriority
        and (case status when 'pending' then next_attempt_at else lease_until end) <= @now
        and not exists (
          select 1 from outbox as other
          where other.receiver_key = outbox.receiver_key and other.status in ('pending', 'sending') and other.id <> outbox.id
            and (other.priority <= outbox.priority or outbox.operation = 'patch')
            and ((other.status = 'sending' and other.lease_until > @now) or other.id < outbox.id))
      order by priority, id
      limit 1`);
    // An update's values take a placeholder only as SQL, unconverted: times are passed as the epoch ms they are stored as.
    const $ = (name: string) => sql`${sql.placeholder(name)}`;
    this.lease = db
      .update(outbox)
      .set({ status: 'sending', leaseUntil: $('leaseUntil'), uncertainSince: LEASED_ATTEMPT_BEGAN })
      .where(eq(outbox.id, $('id')))
      .returning()
      .prepare();
    this.markSent = db
      .update(outbox)
      .set({ status: 'sent', feishuMessageId: $('feishuMessageId'), sentAt: $('sentAt'), leaseUntil: null, lastError: null })
      .where(eq(outbox.id, $('id')))
      .prepare();
    this.leaseNextDue = db.$client.transaction((now: number, maxPriority: number) => {
      const next = this.nextDue.get({ now, maxPriority });
      if (!next) return null;
      return this.lease.get({ id: next.id, leaseUntil: now + LEASE_MS }) ?? null;
    });
  }

  /** Records the messages; returns how many were new. Never touches the network. */
  async enqueue(messages: OutboundMessage | OutboundMessage[]): Promise<number> {
    const n = await enqueueOutbound(this.db, messages, this.now(), this.stampNow());
    // One sender per new message: waking every idle sender for a single answer had fifty of them query for it.
    if (n) this.idleSenders.wake(n);
    return n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.recoverLeases();
    for (let i = 0; i < this.concurrency; i++) this.track(this.sender());
  }

  private track(sender: Promise<void>): Promise<void> {
    this.senders.add(sender);
    return sender.finally(() => this.senders.delete(sender));
  }

  /**
   * Rows a crashed process had leased would otherwise wait out their lease. One
   * bot owns the database (the run marker), so at start they are ours: they go
   * again now, and Feishu's uuid makes a resend of one that did arrive a no-op
   * within the hour (the lease tells when that attempt began).
   */
  private recoverLeases(): void {
    const n = this.db
      .update(outbox)
      .set({ status: 'pending', leaseUntil: null, uncertainSince: LEASED_ATTEMPT_BEGAN })
      .where(eq(outbox.status, 'sending'))
      .run().changes;
    if (n) this.log.warn({ rows: n }, 'outbox: sends left in flight by an earlier process go again');
  }

  /** Stops taking new messages and waits for the sends in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    this.idleSenders.wakeAll();
    await Promise.allSettled(this.senders);
  }

  /** Delivers everything that is due now (used by the CLI and by tests), waiting for the app's windows as needed. */
  async drain(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.concurrency }, () =>
        this.track(
          (async () => {
            for (;;) {
              const outcome = await this.sendNext(() => !this.stopping);
              if (outcome.sent) continue;
              if (outcome.bulkFrom === undefined || this.stopping) break;
              await sleep(Math.max(0, Math.min(this.pollMs, outcome.bulkFrom - this.now())));
            }
          })(),
        ),
      ),
    );
    await this.reportProblems();
  }

  /** When this bot first sent the Feishu message `feishuMessageId`, or null if it did not send it (or not yet). */
  async sentAt(feishuMessageId: string): Promise<Date | null> {
    const r = this.db
      .select({ sentAt: outbox.sentAt })
      .from(outbox)
      .where(and(eq(outbox.feishuMessageId, feishuMessageId), isNotNull(outbox.sentAt)))
      .orderBy(asc(outbox.sentAt))
      .limit(1)
      .get();
    return r?.sentAt ?? null;
  }

  /** Rows still waiting (pending or leased), for /healthz and tests. */
  async backlog(): Promise<number> {
    const r = this.db
      .select({ n: sql<number>`count(*)` })
      .from(outbox)
      .where(inArray(outbox.status, ['pending', 'sending']))
      .get();
    return r?.n ?? 0;
  }

  /** Rows held because an earlier attempt may have arrived (see UNCONFIRMED_AFTER_MS), for /healthz. */
  async unconfirmed(): Promise<number> {
    const r = this.db.select({ n: sql<number>`count(*)` }).from(outbox).where(eq(outbox.status, 'unconfirmed')).get();
    return r?.n ?? 0;
  }

  private async sender(): Promise<void> {
    while (this.running) {
      let outcome: SendOutcome = { sent: false };
      try {
        outcome = await this.sendNext(() => this.running);
      } catch (e) {
        this.log.error({ err: e }, 'outbox: sender error');
      }
      if (!outcome.sent && this.running) {
        if (outcome.bulkFrom !== undefined) {
          // Bulk that fits the app's windows again at bulkFrom, unless woken by a new message first.
          await this.idleSenders.sleep(Math.min(this.pollMs, outcome.bulkFrom - this.now()));
        } else if (this.watching) {
          // Nothing due: one idle sender looks again every pollMs; the rest sleep until a message wakes them.
          await this.idleSenders.sleep(Number.POSITIVE_INFINITY);
        } else {
          this.watching = true;
          const woken = await this.idleSenders.sleep(this.pollMs);
          this.watching = false;
          // Woken for a message: another idle sender takes over the watch, so a slow send leaves none unwatched.
          if (woken) this.idleSenders.wake(1);
          // What the look finds was queued elsewhere (the CLI) or came due by itself (a lease run out): maybe more than one sender's worth.
          else if (this.nextDue.get({ now: this.now(), maxPriority: PRIORITY_RANK.bulk })) this.idleSenders.wakeAll();
        }
      }
    }
  }

  /**
   * Sends the next due message, once the app's rate limits leave room for it.
   * A slot in the answers' reserve (see RateLimits.answerReserve) takes an
   * answer only; when there is none, says from when bulk may go.
   */
  private async sendNext(wanted: () => boolean): Promise<SendOutcome> {
    const slot = await this.limiter.reserve();
    try {
      const forBulk = slot.bulkFrom <= this.now();
      const row = wanted() ? this.claim(forBulk ? PRIORITY_RANK.bulk : PRIORITY_RANK.interactive) : null;
      if (!row) {
        await this.reportProblems();
        const bulkWaits = !forBulk && wanted() && this.nextDue.get({ now: this.now(), maxPriority: PRIORITY_RANK.bulk }) !== undefined;
        return bulkWaits ? { sent: false, bulkFrom: slot.bulkFrom } : { sent: false };
      }
      const problem = await this.deliver(row, slot);
      if (problem && row.purpose !== UNDELIVERABLE_NOTICE) this.problems.push(problem);
      if (this.problems.length >= PROBLEMS_PER_NOTICE) await this.reportProblems();
      return { sent: true };
    } finally {
      slot.release();
    }
  }

  private async reportProblems(): Promise<void> {
    if (!this.problems.length) return;
    const problems = this.problems;
    this.problems = [];
    await this.onUndeliverable(problems).catch((e) => this.log.error({ err: e }, 'outbox: could not tell the admins about undelivered messages'));
  }

  /**
   * Leases the next due message of at most `maxPriority`: answers before bulk,
   * then oldest first. A message waits while an earlier one of its priority to
   * the same receiver is in flight or still to go, so each receiver gets its
   * bulk, and its answers, in order; an answer waits for no bulk. Feishu's limit
   * per user or group (sends and replies together) is the rate limiter's.
   */
  private claim(maxPriority: number): OutboxRow | null {
    const now = this.now();
    // Most claims of an idle sender find nothing: that answer needs no write transaction (the claim below checks again).
    if (!this.nextDue.get({ now, maxPriority })) return null;
    return this.leaseNextDue(now, maxPriority);
  }

  /**
   * Makes `call` in `slot` and, if it is still unanswered after HEDGE_AFTER_MS,
   * once more beside it in a slot of its own (for bulk, one outside the
   * answers' reserve) unless Feishu is out; the first call to bring the
   * message decides the try, a failure only once no other call is out. The
   * other is left to finish: its slots are held until it does, and its answer
   * is dropped. Only for a send or a reply, which Feishu carries out once
   * per uuid: a card update caught late could overwrite a newer one.
   */
  private hedged<T>(receiverKey: string, bulk: boolean, slot: AppSlot, call: (writtenOut: () => void) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const first = (finish: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        finish();
      };
      // The first answer that brings the message decides; a failure only once no other call is still out, for
      // how Feishu answers a second call under a uuid whose first is still being handled is not documented.
      let out = 0;
      const settle = (p: Promise<T>) => {
        out++;
        p.then(
          (v) => first(() => resolve(v)),
          (e) => {
            if (--out === 0) first(() => reject(e));
          },
        );
      };
      const timer = setTimeout(async () => {
        let again = await this.limiter.reserve();
        // Bulk waits for a slot outside the answers' reserve, as a sender does.
        while (bulk && !settled && again.bulkFrom > this.now()) {
          const wait = again.bulkFrom - this.now();
          again.release();
          await sleep(wait);
          again = await this.limiter.reserve();
        }
        // During an outage a second call would only double what a Feishu answering no one is sent.
        if (settled || this.feishu.out) again.release();
        else settle(again.run(receiverKey, call));
      }, HEDGE_AFTER_MS);
      settle(slot.run(receiverKey, call));
    });
  }

  /**
   * A send or reply that may have reached Feishu is resent under the same uuid,
   * which Feishu de-duplicates for an hour only; past UNCONFIRMED_AFTER_MS it
   * could arrive twice, so it is held for the admins instead. (Feishu offers no
   * look-up by uuid to check first.) A card update sets the same content again
   * and can be retried at any time.
   */
  private holdIfUnconfirmed(row: OutboxRow): boolean {
    if (row.operation === 'patch' || !row.uncertainSince) return false;
    if (this.stampNow() - row.uncertainSince.getTime() < UNCONFIRMED_AFTER_MS) return false;
    this.db.update(outbox).set({ status: 'unconfirmed', leaseUntil: null }).where(eq(outbox.id, row.id)).run();
    this.log.warn(
      { outboxId: row.id, purpose: row.purpose, uncertainSince: row.uncertainSince.toISOString() },
      'outbox: held, an attempt over 50 min ago may have arrived',
    );
    return true;
  }

  private async deliver(row: OutboxRow, slot: AppSlot): Promise<Undeliverable | null> {
    if (this.holdIfUnconfirmed(row)) return { reason: 'unconfirmed', row: { ...row, status: 'unconfirmed' } };
    const body = { msgType: row.msgType, content: row.content, uuid: row.uuid };
    const triedAt = new Date(this.stampNow());
    let began: number | undefined;
    const call = async (writtenOut: () => void) => {
      began ??= this.now();
      if (row.operation === 'send') return this.api.send(row.receiveIdType!, row.receiveId!, body, writtenOut);
      if (row.operation === 'reply') return this.api.reply(row.targetMessageId!, body, writtenOut);
      await this.api.patchCard(row.targetMessageId!, row.content, writtenOut);
      return null;
    };
    try {
      const bulk = row.priority === PRIORITY_RANK.bulk;
      const messageId = await (row.operation === 'patch' ? slot.run(row.receiverKey, call) : this.hedged(row.receiverKey, bulk, slot, call));
      const sentAt = new Date(this.stampNow());
      this.feishu.taken(this.now());
      this.markSent.run({ id: row.id, feishuMessageId: messageId, sentAt: sentAt.getTime() });
      this.emit('delivered', { ...row, status: 'sent', feishuMessageId: messageId, sentAt });
      return null;
    } catch (e) {
      const err = FeishuApiError.from(e);
      const attempts = row.attempts + 1;
      const retry = err.retryable && this.now() - row.createdAt.getTime() < this.retryForMs;
      const uncertainSince = row.uncertainSince ?? (err.mayHaveTakenEffect ? triedAt : null);
      // A refusal for good is Feishu at work; anything retryable tells whether it is (see FeishuHealth).
      if (!err.retryable) this.feishu.taken(this.now());
      const wait = err.retryable ? this.feishu.retryWait(err, began ?? this.now(), this.now(), this.backoffBaseMs) : 0;
      const retryIn = Math.min(wait, MAX_RETRY_WAIT_MS) + Math.floor(Math.random() * this.backoffBaseMs);
      this.db
        .update(outbox)
        .set({
          status: retry ? 'pending' : 'failed',
          attempts,
          uncertainSince,
          nextAttemptAt: new Date(this.now() + retryIn),
          leaseUntil: null,
          lastError: `${err.code}: ${err.message}`.slice(0, 500),
        })
        .where(eq(outbox.id, row.id))
        .run();
      const fields = { outboxId: row.id, purpose: row.purpose, code: err.code, httpStatus: err.httpStatus, logId: err.logId, attempts };
      if (retry) {
        this.log.warn(fields, 'outbox: send failed, will retry');
        // An idle sender looks again when the retry is due, not at its next poll: the last messages of a fan-out are retries.
        setTimeout(() => this.idleSenders.wake(1), retryIn).unref();
        return null;
      }
      this.log.error(fields, 'outbox: send failed permanently');
      this.emit('failed', { ...row, lastError: err.message });
      return err.code === DLP_REJECTED ? { reason: 'dlp', row: { ...row, status: 'failed', lastError: err.message } } : null;
    }
  }
}

/** Messages held as unconfirmed (see UNCONFIRMED_AFTER_MS), oldest first, for `zoufang outbox`. */
export function heldMessages(db: Db): OutboxRow[] {
  return db.select().from(outbox).where(eq(outbox.status, 'unconfirmed')).orderBy(asc(outbox.id)).all();
}

/**
 * An admin's decision on held messages (`ids` or all of them): `release` sends
 * them again now (whoever already got one gets a second copy), `drop` gives them
 * up. Returns the rows changed; rows not held are left alone.
 */
export function decideHeld(db: Db, decision: 'release' | 'drop', ids: number[] | 'all', now: number): OutboxRow[] {
  const held = ids === 'all' ? eq(outbox.status, 'unconfirmed') : and(eq(outbox.status, 'unconfirmed'), inArray(outbox.id, ids));
  const set =
    decision === 'release'
      ? { status: 'pending' as const, uncertainSince: null, nextAttemptAt: new Date(now) }
      : { status: 'failed' as const, lastError: 'held after an outage; dropped by an admin' };
  return db.update(outbox).set(set).where(held).returning().all();
}
