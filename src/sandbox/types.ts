/**
 * The stand-in's public types: what tests, the simulator and the bench hand to
 * FeishuStandIn and get back from it.
 */
import type { DataFrameType, WsAck, WsClientConfig } from './long-connection.js';

export interface StandInUser {
  openId: string;
  name: string;
  mobile?: string;
  email?: string;
}

export interface StandInChat {
  chatId: string;
  name: string;
  memberOpenIds: string[];
  /**
   * Another organisation's tenant_key, for a group outside the app's own: it is not in
   * the bot's chat list, and chat APIs on it answer 232010 "Operator and chat can NOT
   * be in different tenants" (获取群成员列表).
   */
  tenantKey?: string;
}

export interface StandInOptions {
  /** Must look like cli_ + 16 hex: WSClient.start() silently does nothing otherwise. */
  appId: string;
  appSecret: string;
  encryptKey: string;
  verificationToken: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = a random free port. */
  port?: number;
  /** Tenant token lifetime in seconds, default 7200. */
  tokenTtlSeconds?: number;
  /** ms clock for message create_time, token expiry, uuid window and the 14-day rule. Default Date.now. */
  now?: () => number;
  /** Default true. */
  enforceRateLimits?: boolean;
  /**
   * Monotonic ms clock the rate limits count with; default performance.now.
   * Tests freeze it to say "these requests arrive within one window" on a
   * machine too loaded to send them within one real second.
   */
  rateClock?: () => number;
  /** Bot name answered by /bot/v3/info. Default "走访助手". */
  appName?: string;
  /** How long a card callback may take before it counts as timed out (Feishu: 3000 ms). */
  callbackTimeoutMs?: number;
  /**
   * When an event is not acknowledged (no client, a timeout, a non-200 answer),
   * Feishu pushes it again after these delays — 15 s, 5 min, 1 h, 6 h (事件概述, "推送周期和频次").
   * Callbacks are never re-pushed. Tests shorten the delays.
   */
  eventRetryDelaysMs?: number[];
  /** How long an event push waits for the bot's answer (Feishu: 3000 ms). */
  eventTimeoutMs?: number;
  /** ClientConfig handed to WSClient (seconds). Defaults reconnect quickly. */
  wsClientConfig?: Partial<WsClientConfig>;
  /** Long-connection payloads above this many bytes are split into fragments (default 256 KiB). */
  wsFragmentBytes?: number;
  /**
   * The frame `type` card callbacks (`card.action.trigger`) are pushed in on the long
   * connection: Feishu uses "event" for some apps and "card" for others (使用长连接接收回调),
   * and SDK 1.74's WSClient drops "card" frames unanswered. Events always travel as "event".
   * Default 'event'.
   */
  cardFrames?: DataFrameType;
  /** One-click registration (the SDK's registerApp): the poll interval, in seconds, the stand-in asks for (default 5). */
  registrationIntervalSeconds?: number;
  /** How long a registration link stays valid, in seconds (default 600). */
  registrationExpiresSeconds?: number;
}

/** A one-click app registration (device authorization) as the stand-in sees it. */
export interface StandInRegistration {
  userCode: string;
  deviceCode: string;
  status: 'pending' | 'approved' | 'denied' | 'done';
  /** ms, on the stand-in's clock. */
  expiresAt: number;
}

export interface StoredMessage {
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  sender: { kind: 'app' } | { kind: 'user'; openId: string };
  receiveIdType?: string;
  receiveId?: string;
  msgType: string;
  /** Parsed JSON of the content string. */
  content: any;
  uuid?: string;
  rootId?: string;
  parentId?: string;
  createTime: number;
  updateCount: number;
  /** Previous contents, oldest first. */
  contentHistory: any[];
}

export interface RecordedCall {
  at: number;
  /** performance.now() in the stand-in's process when the request arrived (its headers read), to time a caller against. */
  receivedAt: number;
  method: string;
  path: string;
  status: number;
  code: number;
  ms: number;
  /** Who called, as the caller says: the SDK names itself and its version. */
  userAgent: string;
  note?: string;
}

export interface CardCallbackResult {
  /**
   * The Feishu client refused the click itself and sent nothing to the bot: a
   * 2.0 card takes clicks for 14 days after it is sent (配置卡片交互). The user
   * sees a failure toast; `error`, `toast` and `card` are then absent.
   */
  refused?: 'card-expired';
  httpStatus?: number;
  toast?: { type: string; content: string; i18n?: any };
  card?: any;
  raw: any;
  /** Set when the Feishu client would show an error instead (200341 timeout, 200671 non-200, …). */
  error?: { code: number; msg: string };
}

export type Via = 'ws' | 'webhook';

/**
 * One element of a rich-text (`post`) message as a simulated user composes it:
 * `at` names who is mentioned (a user's open_id, or `botOpenId`), `img` carries
 * the picture's bytes. The stand-in turns these into what Feishu delivers.
 */
export type PostNodeInput =
  | { tag: 'text'; text: string }
  | { tag: 'a'; text: string; href: string }
  | { tag: 'at'; openId: string }
  | { tag: 'img'; bytes: Buffer }
  | { tag: 'emotion'; emojiType: string };

export interface DeliverOptions {
  eventId?: string;
  via?: Via;
  /**
   * 'signature': wrong X-Lark-Signature; 'stale-timestamp': X-Lark-Request-Timestamp one hour old
   * (both webhook only: the long connection carries neither); 'token': wrong header.token (both channels).
   */
  tamper?: 'signature' | 'token' | 'stale-timestamp';
  createTime?: string;
}

export interface DeliverResult {
  /** Webhook: the HTTP status the bot answered. */
  httpStatus?: number;
  /** Webhook: the answer body (parsed JSON when it is JSON, else the text). */
  body?: any;
  /** Long connection: the ACK, with the handler's answer decoded into `data`. */
  ack?: WsAck;
  /** No answer within the timeout. */
  timedOut?: boolean;
  /** Transport failure (connection refused, …). */
  error?: string;
}
