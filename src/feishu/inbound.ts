import { createDecipheriv, createHash, hash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Lark from '@larksuiteoapi/node-sdk';
import { lark } from './sdk.js';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { inboundEvents } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { sdkLogger } from '../logger.js';
import { readMessageContent } from './message-content.js';
import { toast, type CardAction, type CardReply, type InboundMessage, type MenuClick } from '../bot/events.js';

/**
 * Inbound edge: both transports feed one lark.EventDispatcher. Before it, the
 * webhook path does what the SDK does not (the SDK never checks the verification
 * token): it checks the signature on the raw body, the timestamp and the
 * verification token, and answers 401 — never a silent 200 — when they do not
 * match. The one unsigned request Feishu sends, the URL check, is answered on its
 * token alone. After it, every event is de-duplicated in SQLite and turned into a
 * typed event.
 */

export interface InboundHandlers {
  onMessage(e: InboundMessage): Promise<void>;
  onCard(e: CardAction): Promise<CardReply>;
  onMenu(e: MenuClick): Promise<void>;
  /** A card answer that missed the callback budget: the card is then updated through the API instead. */
  onLateCardReply(e: CardAction, reply: CardReply): Promise<void>;
}

/** Feishu waits 3 s for a callback answer; we answer well within it. */
export const CARD_BUDGET_MS = 2500;
/** Requests signed longer ago than this are treated as replays. */
export const MAX_SIGNATURE_AGE_S = 10 * 60;

const messageEvent = z.object({
  event_id: z.string().optional(),
  sender: z.object({ sender_id: z.object({ open_id: z.string() }), sender_type: z.string().optional() }),
  message: z.object({
    message_id: z.string(),
    chat_id: z.string(),
    chat_type: z.string(),
    message_type: z.string(),
    content: z.string(),
    mentions: z
      .array(z.object({ key: z.string(), id: z.object({ open_id: z.string().optional() }).partial().optional(), name: z.string().optional() }))
      .optional(),
  }),
});

const cardEvent = z.object({
  event_id: z.string(),
  operator: z.object({ open_id: z.string() }),
  action: z.object({
    value: z.record(z.string(), z.unknown()).optional().default({}),
    form_value: z.record(z.string(), z.unknown()).optional().default({}),
    tag: z.string().optional(),
    name: z.string().optional(),
  }),
  context: z.object({ open_message_id: z.string().optional(), open_chat_id: z.string().optional() }).partial().optional(),
  open_message_id: z.string().optional(),
  open_chat_id: z.string().optional(),
});

const menuEvent = z.object({
  event_id: z.string(),
  operator: z.object({ operator_id: z.object({ open_id: z.string() }) }),
  event_key: z.string(),
});

export interface IntakeOptions {
  db: Db;
  log: Logger;
  handlers: InboundHandlers;
  encryptKey?: string;
  now?: () => number;
  /** How long a card callback may take before it is answered with an interim toast (default CARD_BUDGET_MS). */
  cardBudgetMs?: number;
  /** The bot's own open_id, to tell whether a group message mentions it. */
  botOpenId?: () => string | undefined;
}

/** The key a message is remembered by: Feishu advises message_id, not event_id, for a message's idempotency (「接收消息」). */
export const messageKey = (messageId: string): string => `msg:${messageId}`;

/** A card click's callback (「卡片回传交互回调」): its answer is the card, the only event answered with something. */
const CARD_CALLBACK = 'card.action.trigger';

/**
 * When an event is acknowledged, over either transport (the webhook's 200, the long connection's ACK frame, both
 * sent once the dispatcher's handler resolves): once what it set off has run to its first wait. Feishu allows 3 s
 * (「事件概述」, 「使用长连接接收事件」); acknowledged at once, the ACK's socket write, and the platform side it
 * wakes, landed in the middle of a /进度 (0.5 ms of its 4.6 in the district bench).
 */
const acknowledgedAfterTheWorkStarts = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Turns SDK-dispatched payloads into typed, de-duplicated events, and tracks work in flight for graceful shutdown. */
export class Intake {
  private readonly inflight = new Set<Promise<unknown>>();
  readonly dispatcher: Lark.EventDispatcher;
  private accepting = true;

  /** Prepared once: every event passes through it. */
  private readonly remember;

  constructor(private readonly opts: IntakeOptions) {
    this.remember = opts.db
      .insert(inboundEvents)
      .values({ eventKey: sql.placeholder('key'), eventType: sql.placeholder('type'), receivedAt: sql.placeholder('now') })
      .onConflictDoNothing()
      .prepare();
    this.dispatcher = new lark.EventDispatcher({ encryptKey: opts.encryptKey, logger: sdkLogger(opts.log) }).register({
      'im.message.receive_v1': (data: unknown) => this.message(data),
      'application.bot.menu_v6': (data: unknown) => this.menu(data),
      [CARD_CALLBACK]: (data: unknown) => this.card(data),
    } as never);
  }

  /** First delivery wins; Feishu re-delivers events for hours (「事件概述」: 推送周期和频次). */
  private firstTime(key: string, type: string): boolean {
    const now = new Date(this.opts.now?.() ?? Date.now());
    return this.remember.run({ key, type, now }).changes === 1;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Resolves when every event handled so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Stop taking new work, then finish what is in flight. */
  async close(): Promise<void> {
    this.accepting = false;
    await this.idle();
  }

  /**
   * While stopping, an event is refused rather than dropped: the failure (HTTP
   * 500, or a 500 ACK on the long connection) makes Feishu push it again 15 s
   * later, to the restarted bot (「事件概述」). Callbacks are never re-pushed,
   * so a click gets a toast instead.
   */
  private refuseWhileStopping(): void {
    if (!this.accepting) throw new Error('restarting: event refused so Feishu delivers it again');
  }

  private message(data: unknown): Promise<void> | undefined {
    const p = messageEvent.safeParse(data);
    if (!p.success) {
      this.opts.log.warn({ issues: p.error.issues.length }, 'inbound: malformed message event ignored');
      return;
    }
    const { sender, message } = p.data;
    if (sender.sender_type && sender.sender_type !== 'user') return;
    this.refuseWhileStopping();
    const key = messageKey(message.message_id);
    if (!this.firstTime(key, 'im.message.receive_v1')) return;
    let content: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(message.content);
      // `null`, a number or a list is as unsupported as a body that does not parse.
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) content = parsed as Record<string, unknown>;
    } catch {
      /* an unparsable body is treated as an unsupported message */
    }
    const botId = this.opts.botOpenId?.();
    const mentions = message.mentions ?? [];
    // Until the bot knows its own open_id, every mention is taken to be of it.
    const said = readMessageContent(message.message_type, content, mentions, (m) => !botId || m.id?.open_id === botId);
    const event: InboundMessage = {
      kind: 'message',
      key,
      messageId: message.message_id,
      chatId: message.chat_id,
      chatType: message.chat_type === 'group' ? 'group' : 'p2p',
      senderOpenId: sender.sender_id.open_id,
      msgType: message.message_type,
      ...said,
      mentionsBot: botId ? mentions.some((m) => m.id?.open_id === botId) : mentions.length > 0,
    };
    // Not awaited: the event is acknowledged however long the work takes.
    void this.track(this.opts.handlers.onMessage(event)).catch((e) => this.opts.log.error({ err: String(e) }, 'inbound: message handler failed'));
    return acknowledgedAfterTheWorkStarts();
  }

  private menu(data: unknown): Promise<void> | undefined {
    const p = menuEvent.safeParse(data);
    if (!p.success) return;
    this.refuseWhileStopping();
    if (!this.firstTime(`evt:${p.data.event_id}`, 'application.bot.menu_v6')) return;
    const event: MenuClick = { kind: 'menu', key: `evt:${p.data.event_id}`, operatorOpenId: p.data.operator.operator_id.open_id, menuKey: p.data.event_key };
    void this.track(this.opts.handlers.onMenu(event)).catch((e) => this.opts.log.error({ err: String(e) }, 'inbound: menu handler failed'));
    return acknowledgedAfterTheWorkStarts();
  }

  private async card(data: unknown): Promise<CardReply> {
    if (!this.accepting) return toast('warning', '系统正在重启，请稍后再点一次。', 'Restarting; please click again in a moment.');
    const p = cardEvent.safeParse(data);
    if (!p.success) {
      this.opts.log.warn({ issues: p.error.issues.length }, 'inbound: malformed card callback');
      return toast('error', '无法识别的卡片操作。', 'Unrecognised card action.');
    }
    const d = p.data;
    if (!this.firstTime(`evt:${d.event_id}`, CARD_CALLBACK)) return {};
    const event: CardAction = {
      kind: 'card',
      key: `evt:${d.event_id}`,
      operatorOpenId: d.operator.open_id,
      messageId: d.context?.open_message_id ?? d.open_message_id,
      chatId: d.context?.open_chat_id ?? d.open_chat_id,
      value: d.action.value,
      formValue: d.action.form_value,
    };
    const work = this.track(this.opts.handlers.onCard(event));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CardReply>((resolve) => {
      timer = setTimeout(
        () => resolve(toast('info', '已收到，正在处理，稍后会更新卡片。', 'Received; the card will update shortly.')),
        this.opts.cardBudgetMs ?? CARD_BUDGET_MS,
      );
    });
    try {
      const first = await Promise.race([work.then((r) => ({ r, inTime: true })), late.then((r) => ({ r, inTime: false }))]);
      if (!first.inTime)
        void this.track(work.then((r) => (r.card ? this.opts.handlers.onLateCardReply(event, r) : undefined))).catch((e) =>
          this.opts.log.error({ err: String(e) }, 'inbound: late card update failed'),
        );
      return first.r;
    } finally {
      clearTimeout(timer);
    }
  }
}

// ---------------------------------------------------------------- webhook

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** AES-256-CBC with key sha256(encryptKey) and the IV in the first 16 bytes (「将事件发送至开发者服务器」). */
function decryptBody(key: Buffer, encrypted: string): string {
  const buf = Buffer.from(encrypted, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

/** The AES key of an encrypt key: hashed once, not for every event. */
const aesKeyOf = (encryptKey: string) => createHash('sha256').update(encryptKey).digest();

/** The JSON object inside an `{encrypt}` body; undefined when it does not decrypt to one. */
function decryptedObject(key: Buffer, encrypted: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(decryptBody(key, encrypted));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The answer to an event or a callback, written as it is: no framework between
 * the handler and the socket (see webhookHandler).
 */
function answer(res: ServerResponse, status: number, body: object): void {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': json.length });
  res.end(json);
}

/** The largest body the webhook reads: an event or a card callback with its form is a few KB. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/**
 * The request's body, or undefined as soon as it passes `max` bytes: the rest
 * is not waited for, and is read and dropped as it comes, so the sender gets
 * its answer rather than a connection cut off mid-request.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) return void chunks.push(c);
      req.off('data', onData);
      req.resume();
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (size <= max) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

export interface WebhookOptions {
  intake: Intake;
  log: Logger;
  encryptKey: string;
  verificationToken: string;
  now?: () => number;
}

export const WEBHOOK_PATH = '/webhook/event';
/** Whether a request is for the webhook: every event and card callback comes as a POST to this one path. */
export const isWebhookRequest = (req: IncomingMessage) => req.method === 'POST' && (req.url === WEBHOOK_PATH || !!req.url?.startsWith(`${WEBHOOK_PATH}?`));

/**
 * POST /webhook/event — one URL for events and card callbacks, served on
 * node:http before express sees the request: every event and every card
 * submit comes this way, and express's router and body parser cost each of
 * them about 0.15 ms of the event loop (near a tenth of a card submit's CPU)
 * for nothing this handler uses.
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
 */
export function webhookHandler(o: WebhookOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const aesKey = aesKeyOf(o.encryptKey);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const reject = (status: number, reason: string) => {
      o.log.warn({ reason, ip: req.socket.remoteAddress }, 'webhook: request rejected');
      answer(res, status, { error: reason });
    };
    const bytes = await readBody(req, MAX_WEBHOOK_BODY_BYTES);
    if (!bytes) return reject(413, `body larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return reject(400, 'body is not a JSON object');
    }

    // Decrypted first: the URL check arrives encrypted too, and unsigned.
    let payload: Record<string, unknown> | undefined = body;
    if (typeof body.encrypt === 'string') payload = decryptedObject(aesKey, body.encrypt);
    const header = (payload?.header ?? {}) as Record<string, unknown>;
    const token = typeof header.token === 'string' ? header.token : typeof payload?.token === 'string' ? payload.token : '';

    // Saving the request URL in the console: no signature headers ("不包括请求网址校验",
    // 步骤三：接收事件), so the verification token is its only credential. Echoing the
    // challenge is all it does, and Feishu waits 1 s for it.
    if (payload?.type === 'url_verification') {
      if (!safeEqual(token, o.verificationToken)) return reject(401, 'verification token mismatch');
      return answer(res, 200, { challenge: payload.challenge });
    }

    const ts = headerOf(req, 'x-lark-request-timestamp');
    const nonce = headerOf(req, 'x-lark-request-nonce');
    const signature = headerOf(req, 'x-lark-signature');
    if (!ts || !nonce || !signature) return reject(401, 'missing signature headers');
    // Over the body's bytes as they came, after the headers and the key in UTF-8 (签名校验, 步骤三：接收事件).
    const expected = hash('sha256', Buffer.concat([Buffer.from(ts + nonce + o.encryptKey, 'utf8'), bytes]));
    if (!safeEqual(signature, expected)) return reject(401, 'signature mismatch');
    const age = Math.abs((o.now?.() ?? Date.now()) / 1000 - Number(ts));
    if (!Number.isFinite(age) || age > MAX_SIGNATURE_AGE_S) return reject(401, 'stale or invalid timestamp');
    if (!payload) return reject(400, 'cannot decrypt body');
    if (!safeEqual(token, o.verificationToken)) return reject(401, 'verification token mismatch');

    try {
      // The checks above are stricter than the SDK's, so it need not repeat them.
      const result = await o.intake.dispatcher.invoke(payload, { needCheck: false });
      answer(res, 200, result && typeof result === 'object' ? result : {});
    } catch (e) {
      o.log.error({ err: String(e) }, 'webhook: dispatch failed');
      answer(res, 500, { error: 'internal error' });
    }
  };
  return (req, res) =>
    void handle(req, res).catch((e) => {
      // The request broke off while its body was read: answered in case the connection still takes it.
      o.log.warn({ err: String(e) }, 'webhook: request failed');
      if (!res.headersSent) answer(res, 400, { error: 'request failed' });
    });
}

/** A header's value (node joins a header sent twice into one, with ", "). */
const headerOf = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};
