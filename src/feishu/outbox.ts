import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { and, asc, eq, inArray, isNotNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { outbox, type OutboxRow } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { FeishuApi } from './api.js';
import { cardOverLimit } from './card-budget.js';
import { FeishuApiError } from './errors.js';
import { RateLimiter } from './rate-limiter.js';

/** Where a message goes: a person's direct chat, a group, a reply under a message, or a card update in place. */
export type OutboundTarget = { openId: string } | { chatId: string } | { replyTo: string } | { patch: string };

export interface OutboundMessage {
  /** Names the business fact, e.g. `zone-report.push:demo:w5:z3`. Enqueueing the same key twice sends once. */
  dedupeKey: string;
  to: OutboundTarget;
  purpose: string;
  text?: string;
  card?: object;
  /** A file uploaded beforehand (FeishuApi.uploadFile), sent as a `file` message. */
  file?: { fileKey: string };
}

const LEASE_MS = 60_000;
const BATCH = 50;

export interface OutboxOptions {
  now?: () => number;
  limiter?: RateLimiter;
  concurrency?: number;
  maxAttempts?: number;
  pollMs?: number;
  /** Backoff base; tests shrink it. */
  backoffBaseMs?: number;
  /**
   * Business time (the bot's Clock) for `sentAt`, so a card's age is judged on
   * the same clock as Feishu's (the stand-in's) create_time. Defaults to `now`,
   * which stays the wall clock for leases, backoff and rate limits.
   */
  stampNow?: () => number;
}

/** Feishu's `uuid` (≤ 50 chars) makes a resend after a crash a no-op within an hour. */
const feishuUuid = (dedupeKey: string) => createHash('sha1').update(dedupeKey).digest('hex');

function toRow(m: OutboundMessage, now: number): typeof outbox.$inferInsert {
  if ([m.text, m.card, m.file].filter((x) => x !== undefined).length !== 1) throw new Error(`outbox: ${m.dedupeKey} needs exactly one of text, card or file`);
  const content = m.card ? JSON.stringify(m.card) : m.file ? JSON.stringify({ file_key: m.file.fileKey }) : JSON.stringify({ text: m.text });
  // Feishu would refuse it for good (230099/11310 or 230025): fail loudly here, where the caller can see it.
  const over = m.card && cardOverLimit(m.card);
  if (over) throw new Error(`outbox: card for ${m.purpose} is too big for Feishu: ${over}`);
  const to = m.to;
  return {
    dedupeKey: m.dedupeKey,
    operation: 'patch' in to ? 'patch' : 'replyTo' in to ? 'reply' : 'send',
    receiveIdType: 'openId' in to ? 'open_id' : 'chatId' in to ? 'chat_id' : null,
    receiveId: 'openId' in to ? to.openId : 'chatId' in to ? to.chatId : null,
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

/**
 * Records messages for delivery; returns how many were new. Never touches the
 * network, so the CLI can queue messages for a bot running in another process.
 */
export async function enqueueOutbound(db: Db, messages: OutboundMessage | OutboundMessage[], now: number): Promise<number> {
  const list = Array.isArray(messages) ? messages : [messages];
  if (!list.length) return 0;
  const rows = list.map((m) => toRow(m, now));
  return db.insert(outbox).values(rows).onConflictDoNothing({ target: outbox.dedupeKey }).returning({ id: outbox.id }).all().length;
}

/**
 * The persistent outbox. Features enqueue; a worker delivers in order per
 * receiver, within Feishu's rate limits, retrying what is retryable with
 * backoff and recording a clear failure otherwise. Rows are claimed with a
 * lease, so a crashed sender's rows are picked up again, and a second process
 * (the CLI) never sends the same row at the same time.
 */
export class Outbox extends EventEmitter {
  private readonly now: () => number;
  private readonly limiter: RateLimiter;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly pollMs: number;
  private readonly backoffBaseMs: number;
  private readonly stampNow: () => number;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly db: Db, private readonly api: FeishuApi, private readonly log: Logger, opts: OutboxOptions = {}) {
    super();
    this.now = opts.now ?? Date.now;
    this.limiter = opts.limiter ?? new RateLimiter(undefined, this.now);
    this.concurrency = opts.concurrency ?? 16;
    this.maxAttempts = opts.maxAttempts ?? 12;
    this.pollMs = opts.pollMs ?? 1000;
    this.backoffBaseMs = opts.backoffBaseMs ?? 500;
    this.stampNow = opts.stampNow ?? this.now;
  }

  /** Records the messages; returns how many were new. Never touches the network. */
  async enqueue(messages: OutboundMessage | OutboundMessage[]): Promise<number> {
    const n = await enqueueOutbound(this.db, messages, this.now());
    if (n) this.wake?.();
    return n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.recoverLeases();
    this.loopDone = this.loop();
  }

  /**
   * Rows a crashed process had leased would otherwise wait out their lease. One
   * bot owns the database (the run marker), so at start they are ours: they go
   * again now, and Feishu's uuid makes a resend of one that did arrive a no-op.
   */
  private recoverLeases(): void {
    const n = this.db.update(outbox).set({ status: 'pending', leaseUntil: null }).where(eq(outbox.status, 'sending')).run().changes;
    if (n) this.log.warn({ rows: n }, 'outbox: sends left in flight by an earlier process go again');
  }

  /** Stops claiming new rows and waits for the sends in flight to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
  }

  /** Delivers everything that is due now (used by the CLI and by tests). */
  async drain(): Promise<void> {
    for (;;) {
      const rows = this.claim();
      if (!rows.length) return;
      await this.deliverAll(rows);
    }
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
    const r = this.db.select({ n: sql<number>`count(*)` }).from(outbox).where(inArray(outbox.status, ['pending', 'sending'])).get();
    return r?.n ?? 0;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let rows: OutboxRow[] = [];
      try {
        rows = this.claim();
        if (rows.length) await this.deliverAll(rows);
      } catch (e) {
        this.log.error({ err: e }, 'outbox: worker error');
      }
      if (!rows.length && this.running) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  private claim(): OutboxRow[] {
    const now = this.now();
    return this.db.transaction((tx) => {
      const due = tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(
          or(
            and(eq(outbox.status, 'pending'), lte(outbox.nextAttemptAt, new Date(now))),
            and(eq(outbox.status, 'sending'), lte(outbox.leaseUntil, new Date(now))),
          ),
        )
        .orderBy(asc(outbox.id))
        .limit(BATCH)
        .all();
      if (!due.length) return [];
      return tx
        .update(outbox)
        .set({ status: 'sending', leaseUntil: new Date(now + LEASE_MS) })
        .where(inArray(outbox.id, due.map((d) => d.id)))
        .returning()
        .all()
        .sort((a, b) => a.id - b.id);
    });
  }

  /** Sends concurrently across receivers but in order within one receiver. */
  private async deliverAll(rows: OutboxRow[]): Promise<void> {
    const byReceiver = new Map<string, OutboxRow[]>();
    for (const r of rows) {
      const key = r.receiveId ?? `msg:${r.targetMessageId}`;
      byReceiver.set(key, [...(byReceiver.get(key) ?? []), r]);
    }
    const queues = [...byReceiver.entries()];
    const workers = Array.from({ length: Math.min(this.concurrency, queues.length) }, async () => {
      for (let q = queues.shift(); q; q = queues.shift()) {
        for (const row of q[1]) await this.deliver(q[0], row);
      }
    });
    await Promise.all(workers);
  }

  private async deliver(receiverKey: string, row: OutboxRow): Promise<void> {
    const body = { msgType: row.msgType, content: row.content, uuid: row.uuid };
    try {
      const messageId = await this.limiter.run(receiverKey, async () => {
        if (row.operation === 'send') return this.api.send(row.receiveIdType!, row.receiveId!, body);
        if (row.operation === 'reply') return this.api.reply(row.targetMessageId!, body);
        await this.api.patchCard(row.targetMessageId!, row.content);
        return null;
      });
      const sentAt = new Date(this.stampNow());
      this.db.update(outbox).set({ status: 'sent', feishuMessageId: messageId, sentAt, leaseUntil: null, lastError: null }).where(eq(outbox.id, row.id)).run();
      this.emit('delivered', { ...row, status: 'sent', feishuMessageId: messageId, sentAt });
    } catch (e) {
      const err = FeishuApiError.from(e);
      const attempts = row.attempts + 1;
      const retry = err.retryable && attempts < this.maxAttempts;
      const delay = err.retryAfterSeconds !== null ? err.retryAfterSeconds * 1000 : this.backoffBaseMs * 2 ** Math.min(attempts - 1, 9);
      const jitter = Math.floor(Math.random() * this.backoffBaseMs);
      this.db
        .update(outbox)
        .set({
          status: retry ? 'pending' : 'failed',
          attempts,
          nextAttemptAt: new Date(this.now() + Math.min(delay, 300_000) + jitter),
          leaseUntil: null,
          lastError: `${err.code}: ${err.message}`.slice(0, 500),
        })
        .where(eq(outbox.id, row.id))
        .run();
      const fields = { outboxId: row.id, purpose: row.purpose, code: err.code, httpStatus: err.httpStatus, logId: err.logId, attempts };
      if (retry) this.log.warn(fields, 'outbox: send failed, will retry');
      else {
        this.log.error(fields, 'outbox: send failed permanently');
        this.emit('failed', { ...row, lastError: err.message });
      }
    }
  }
}
