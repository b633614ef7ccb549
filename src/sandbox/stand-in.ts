/**
 * FeishuStandIn: an embedded fake of the Feishu Open Platform.
 *
 * The real, unmodified `@larksuiteoapi/node-sdk` talks to it over real HTTP
 * and WebSocket (`domain: standIn.baseUrl`). It keeps users, chats and
 * messages in memory, enforces the platform's documented rules and limits
 * (see shared/FEISHU.md), and plays the user's side: simulated users send
 * messages, click cards and press menu items, which are delivered to the bot
 * over the long connection or a signed, encrypted webhook.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import { cardSchemaOf, validateCardContent } from './cards.js';
import { encryptPayload, signWebhook } from './crypto.js';
import { ApiError, callRecorder, errorHandler, fail, MSG, ok, route } from './http.js';
import { DEFAULT_WS_CLIENT_CONFIG, LongConnectionHub } from './long-connection.js';
import { boundaryOf, parseMultipart, type MultipartForm } from './multipart.js';
import { checkAll, SlidingWindowLimiter } from './rate-limit.js';
import type { CardCallbackResult, DeliverOptions, DeliverResult, PostNodeInput, RecordedCall, StandInChat, StandInOptions, StandInRegistration, StandInUser, StoredMessage, Via } from './types.js';
import { digest, hex, isObject, mimeForFile, queryString, sniffImage, stripUndefined } from './util.js';

export * from './types.js';

export interface Faults {
  /** 0..1 chance that an /open-apis call (not the token endpoints) answers HTTP 500/502/503. */
  errorRate5xx: number;
  /** The next N /open-apis calls answer HTTP 429 code 99991400. */
  rateLimitNext: number;
  /** Delay /open-apis answers by this much. */
  slowMs: number;
  /** Only the next N calls are slow (0 = all while slowMs > 0). */
  slowNext: number;
  /**
   * The next N calls take effect but their answer never arrives (the connection
   * drops), as when a timeout or a network failure hides Feishu's answer.
   */
  answerLostNext: number;
  /** Refused with these documented errors, in order, each by the next call it applies to (a send, a card update, an upload). */
  refuseNext: Refusal[];
  /**
   * The tenant's data-loss-prevention policy: a message or reply carrying a plain
   * mainland mobile number is refused with 230028 (官方文档 "发送消息").
   */
  dlpBlocksMobiles: boolean;
  /** Injectable randomness for deterministic tests. */
  random?: () => number;
}

const SEND_OR_REPLY = /^POST \/open-apis\/im\/v1\/messages(\/[^/]+\/reply)?$/;
const CARD_UPDATE = /^PATCH \/open-apis\/im\/v1\/messages\/[^/]+$/;
const UPLOAD = /^POST \/open-apis\/im\/v1\/(images|files)$/;

/**
 * Refusals a test can inject, with the status, code and msg Feishu answers
 * (官方文档 "发送消息", "通用错误码") and the calls they are answered to.
 * 230099 carries the card builder's own code and message inside `msg`, after `ext=`.
 */
export const REFUSALS = {
  'message-being-sent': { status: 400, code: 230049, msg: 'The message is being sent.', calls: SEND_OR_REPLY },
  'card-action-locked': { status: 400, code: 230099, msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock; ErrorValue: ; ', calls: CARD_UPDATE },
  'card-element-limit': { status: 400, code: 230099, msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: element exceeds the limit; ErrorValue: 201; ', calls: CARD_UPDATE },
  'upload-write-stopped': { status: 400, code: 232096, msg: 'Upload is temporarily write-stopped, please try again later.', calls: UPLOAD },
  'dlp-rejected': { status: 400, code: 230028, msg: 'The messages do NOT pass the audit.', calls: SEND_OR_REPLY },
} as const;
export type Refusal = keyof typeof REFUSALS;

/** An 11-digit mainland mobile number standing on its own, what a DLP policy looks for. */
const PLAIN_MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;

const noFaults = (): Faults => ({ errorRate5xx: 0, rateLimitNext: 0, slowMs: 0, slowNext: 0, answerLostNext: 0, refuseNext: [], dlpBlocksMobiles: false });

// ---------------------------------------------------------------------------
// Internal types and constants
// ---------------------------------------------------------------------------

interface ChatRecord {
  chatId: string;
  name: string;
  type: 'p2p' | 'group';
  memberOpenIds: string[];
  botIn: boolean;
  /** Set only for a group of another organisation (see StandInChat). */
  tenantKey?: string;
}

interface MessageRecord extends StoredMessage {
  updateTime: number;
  threadId?: string;
  mentions?: any[];
}

interface RegistrationRecord extends StandInRegistration {
  /** Seconds the client must wait between polls; grows by 5 on each slow_down (RFC 8628 §3.5). */
  interval: number;
  /** Monotonic time of the last poll, to tell a client that polls too fast. */
  lastPollAt?: number;
  approverOpenId?: string;
  brand?: 'feishu' | 'lark';
}

interface Resource {
  kind: 'image' | 'file';
  bytes: Buffer;
  contentType: string;
  fileName?: string;
}

const DAY_MS = 24 * 3600_000;
const UUID_WINDOW_MS = 3600_000;
const PATCH_WINDOW_MS = 14 * DAY_MS;
/**
 * How long after it is sent a card takes clicks: 14 days for Card JSON 2.0,
 * 30 for 1.0, counted from when the message was sent — an update does not
 * restart it ("发出卡片的可交互时间" — 卡片 JSON 2.0 版本更新说明; 配置卡片交互).
 */
const interactionWindowMs = (card: unknown) => (cardSchemaOf(card) === '1.0' ? 30 * DAY_MS : 14 * DAY_MS);
/** The console waits this long for the URL check's answer ("配置回调请求地址"). */
const URL_VERIFICATION_TIMEOUT_MS = 1000;
const TOKEN_REFRESH_MS = 30 * 60_000;
const TEXT_MAX_BYTES = 150 * 1024;
const RICH_MAX_BYTES = 30 * 1024;
const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
const FILE_MAX_BYTES = 30 * 1024 * 1024;
const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);
const FILE_TYPES = new Set(['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream']);

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The scopes each API accepts, any one sufficing ("开启任一权限即可" on each API's
 * documentation page); a call whose every scope is revoked gets 99991672.
 */
const SCOPES_BY_API: Array<{ method: string; path: RegExp; scopes: string[] }> = [
  { method: 'POST', path: /^\/open-apis\/im\/v1\/messages$/, scopes: ['im:message', 'im:message:send_as_bot'] },
  { method: 'POST', path: /^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/, scopes: ['im:message', 'im:message:send_as_bot'] },
  { method: 'PATCH', path: /^\/open-apis\/im\/v1\/messages\/[^/]+$/, scopes: ['im:message', 'im:message:send_as_bot'] },
  { method: 'GET', path: /^\/open-apis\/im\/v1\/messages\/[^/]+\/resources\/[^/]+$/, scopes: ['im:message', 'im:message:readonly', 'im:message.history:readonly'] },
  { method: 'POST', path: /^\/open-apis\/im\/v1\/(images|files)$/, scopes: ['im:resource'] },
  { method: 'GET', path: /^\/open-apis\/im\/v1\/chats$/, scopes: ['im:chat', 'im:chat:readonly', 'im:chat:read', 'im:chat.group_info:readonly'] },
  { method: 'GET', path: /^\/open-apis\/im\/v1\/chats\/[^/]+\/members$/, scopes: ['im:chat', 'im:chat:readonly', 'im:chat.members:read', 'im:chat.group_info:readonly'] },
  { method: 'POST', path: /^\/open-apis\/contact\/v3\/users\/batch_get_id$/, scopes: ['contact:user.id:readonly'] },
];

// ---------------------------------------------------------------------------
// The stand-in
// ---------------------------------------------------------------------------

/** Whether the app took the event: HTTP 200, or an ACK with code 200 on the long connection. */
const acknowledged = (r: DeliverResult): boolean => (r.ack ? r.ack.code === 200 : r.httpStatus === 200);

export class FeishuStandIn extends EventEmitter {
  readonly faults: { set(f: Partial<Faults>): void; clear(): void };

  private readonly opts: Required<Omit<StandInOptions, 'wsClientConfig' | 'wsFragmentBytes'>>;
  private readonly now: () => number;
  private hub: LongConnectionHub;
  private readonly makeHub: () => LongConnectionHub;
  private server: http.Server | undefined;
  private url = '';

  private readonly userMap = new Map<string, StandInUser>();
  private readonly chatMap = new Map<string, ChatRecord>();
  private readonly p2pByUser = new Map<string, string>();
  private readonly messageList: MessageRecord[] = [];
  private readonly messageById = new Map<string, MessageRecord>();
  private readonly resources = new Map<string, Resource>();
  private readonly uuidIndex = new Map<string, { messageId: string; at: number }>();
  private readonly tokens = new Map<string, number>();
  private latestToken: string | undefined;
  private readonly callLog: RecordedCall[] = [];
  private webhookUrl: string | null = null;
  private faultState: Faults = noFaults();
  private readonly sleepers = new Set<NodeJS.Timeout>();
  private readonly registrationMap = new Map<string, RegistrationRecord>();
  private readonly revokedScopes = new Set<string>();

  // Rate limits (FEISHU.md §5.8).
  private readonly appPerSecond = new SlidingWindowLimiter(50, 1000);
  private readonly appPerMinute = new SlidingWindowLimiter(1000, 60_000);
  private readonly chatPerSecond = new SlidingWindowLimiter(5, 1000);
  private readonly messagePatchPerSecond = new SlidingWindowLimiter(5, 1000);

  readonly botOpenId: string;
  readonly tenantKey: string;

  constructor(opts: StandInOptions) {
    super();
    if (!/^cli_[0-9a-fA-F]{16}$/.test(opts.appId)) {
      throw new Error(`appId 必须形如 cli_ 加 16 位十六进制 (appId must match cli_ + 16 hex; WSClient refuses others): ${opts.appId}`);
    }
    this.opts = {
      host: '127.0.0.1',
      port: 0,
      tokenTtlSeconds: 7200,
      now: Date.now,
      enforceRateLimits: true,
      appName: '走访助手',
      callbackTimeoutMs: 3000,
      eventTimeoutMs: 3000,
      eventRetryDelaysMs: [15_000, 300_000, 3_600_000, 21_600_000],
      registrationIntervalSeconds: 5,
      registrationExpiresSeconds: 600,
      cardFrames: 'event',
      ...stripUndefined(opts),
    } as Required<Omit<StandInOptions, 'wsClientConfig' | 'wsFragmentBytes'>>;
    this.now = this.opts.now;
    const wsConfig = { ...DEFAULT_WS_CLIENT_CONFIG, ...(opts.wsClientConfig ?? {}) };
    this.makeHub = () => new LongConnectionHub(wsConfig, opts.wsFragmentBytes);
    this.hub = this.makeHub();
    this.botOpenId = `ou_${digest(`bot:${opts.appId}`, 32)}`;
    this.tenantKey = digest(`tenant:${opts.appId}`, 16);
    this.faults = {
      set: (f) => {
        this.faultState = { ...this.faultState, ...stripUndefined(f), refuseNext: [...(f.refuseNext ?? this.faultState.refuseNext)] };
      },
      clear: () => {
        this.faultState = noFaults();
      },
    };
  }

  // ---- lifecycle -----------------------------------------------------------

  get baseUrl(): string {
    return this.url;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer(this.buildApp());
    server.on('upgrade', (req, socket, head) => {
      if (!this.hub.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.opts.host === '0.0.0.0' || this.opts.host === '::' ? '127.0.0.1' : this.opts.host;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const t of this.sleepers) clearTimeout(t);
    this.sleepers.clear();
    await this.hub.close();
    this.hub = this.makeHub(); // a closed WebSocketServer cannot be reused; start() may be called again
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ---- directory -----------------------------------------------------------

  addUser(u: StandInUser): void {
    if (!u.openId) throw new Error('用户必须有 openId (user needs an openId)');
    this.userMap.set(u.openId, { ...u });
    // Each user has a p2p chat with the bot; its id is stable per app and user.
    if (!this.p2pByUser.has(u.openId)) {
      const chatId = `oc_${digest(`p2p:${this.opts.appId}:${u.openId}`, 32)}`;
      this.p2pByUser.set(u.openId, chatId);
      this.chatMap.set(chatId, { chatId, name: u.name, type: 'p2p', memberOpenIds: [u.openId], botIn: true });
    }
  }

  addChat(c: StandInChat): void {
    if (!c.chatId) throw new Error('群必须有 chatId (chat needs a chatId)');
    const unknown = c.memberOpenIds.filter((id) => !this.userMap.has(id));
    if (unknown.length) throw new Error(`群成员需先 addUser (add these users first): ${unknown.join(', ')}`);
    this.chatMap.set(c.chatId, { chatId: c.chatId, name: c.name, type: 'group', memberOpenIds: [...c.memberOpenIds], botIn: true, tenantKey: c.tenantKey === this.tenantKey ? undefined : c.tenantKey });
  }

  /** Take the bot out of a group: sends to it then fail with 230002. */
  removeBotFromChat(chatId: string): void {
    const chat = this.chatMap.get(chatId);
    if (!chat || chat.type !== 'group') throw new Error(`没有这个群 (no such group chat): ${chatId}`);
    chat.botIn = false;
  }

  users(): StandInUser[] {
    return [...this.userMap.values()].map((u) => ({ ...u }));
  }

  /** Group chats added with addChat (p2p chats are reached through p2pChatId). */
  chats(): StandInChat[] {
    return [...this.chatMap.values()]
      .filter((c) => c.type === 'group')
      .map((c) => ({ chatId: c.chatId, name: c.name, memberOpenIds: [...c.memberOpenIds] }));
  }

  p2pChatId(openId: string): string {
    const id = this.p2pByUser.get(openId);
    if (!id) throw new Error(`没有这个用户 (unknown user): ${openId}`);
    return id;
  }

  setWebhook(url: string | null): void {
    this.webhookUrl = url;
  }

  /**
   * Saving a request URL in the developer console: Feishu POSTs a `url_verification`
   * challenge (encrypted, since an Encrypt Key is set) with no X-Lark-Signature,
   * timestamp or nonce ("不包括请求网址校验", 步骤三：接收事件), and keeps the URL only
   * if `{challenge}` comes back within 1 s ("配置回调请求地址"). Throws as the console
   * refuses to save.
   */
  async configureWebhook(url: string): Promise<void> {
    const challenge = hex(8);
    const plain = JSON.stringify({ challenge, token: this.opts.verificationToken, type: 'url_verification' });
    let answer: string;
    try {
      const resp = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Feishu-Stand-In' },
        body: JSON.stringify({ encrypt: encryptPayload(this.opts.encryptKey, plain) }),
        signal: AbortSignal.timeout(URL_VERIFICATION_TIMEOUT_MS),
      });
      const text = await resp.text();
      let echoed: unknown;
      try {
        echoed = (JSON.parse(text) as { challenge?: unknown }).challenge;
      } catch {
        /* not the JSON the console expects */
      }
      if (resp.ok && echoed === challenge) {
        this.webhookUrl = url;
        return;
      }
      answer = `HTTP ${resp.status} ${text}`;
    } catch (e) {
      answer = (e as Error).message;
    }
    throw new Error(`Challenge code 没有返回，请求地址未保存 (the URL check failed: ${answer.slice(0, 200)})`);
  }

  /** user_id / union_id are derived from the open_id so they are stable and distinct. */
  userIdOf(openId: string): string {
    return digest(`user:${openId}`, 8);
  }

  unionIdOf(openId: string): string {
    return `on_${digest(`union:${openId}`, 32)}`;
  }

  /** A mention entry for the bot, to pass as `mentions` to sendText in a group. */
  botMention(key = '@_user_1'): any {
    return this.mention(this.botOpenId, key);
  }

  /** A mention entry for a user or the bot, as `mentions` of a received message lists it under its `@_user_N` key. */
  mention(openId: string, key: string): any {
    const isBot = openId === this.botOpenId;
    const user = this.userMap.get(openId);
    if (!isBot && !user) throw new Error(`没有这个用户 (unknown user): ${openId}`);
    return {
      key,
      id: { open_id: openId, union_id: this.unionIdOf(openId), user_id: isBot ? '' : this.userIdOf(openId) },
      name: isBot ? this.opts.appName : user!.name,
      tenant_key: this.tenantKey,
    };
  }

  // ---- records -------------------------------------------------------------

  messages(): StoredMessage[] {
    return this.messageList.map((m) => this.snapshot(m));
  }

  messagesIn(chatId: string): StoredMessage[] {
    return this.messageList.filter((m) => m.chatId === chatId).map((m) => this.snapshot(m));
  }

  messagesTo(openId: string): StoredMessage[] {
    const chatId = this.p2pByUser.get(openId);
    return this.messageList.filter((m) => m.chatId === chatId && m.sender.kind === 'app').map((m) => this.snapshot(m));
  }

  calls(): RecordedCall[] {
    return this.callLog.map((c) => ({ ...c }));
  }

  /** Forget recorded calls, messages, uuid keys and rate-limit windows (users, chats, uploads stay). */
  resetRecords(): void {
    this.callLog.length = 0;
    this.messageList.length = 0;
    this.messageById.clear();
    this.uuidIndex.clear();
    for (const l of [this.appPerSecond, this.appPerMinute, this.chatPerSecond, this.messagePatchPerSecond]) l.reset();
  }

  dropConnections(): void {
    this.hub.dropAll();
  }

  expireTokens(): void {
    this.tokens.clear();
    this.latestToken = undefined;
  }

  /** Take permissions away from the app: calls that need only revoked scopes answer 99991672. */
  revokeScopes(...scopes: string[]): void {
    for (const s of scopes) this.revokedScopes.add(s);
  }

  /** Give revoked permissions back (no arguments: all of them). */
  grantScopes(...scopes: string[]): void {
    if (!scopes.length) this.revokedScopes.clear();
    for (const s of scopes) this.revokedScopes.delete(s);
  }

  /** Put the bot back into a group it was taken out of. */
  addBotToChat(chatId: string): void {
    const chat = this.chatMap.get(chatId);
    if (!chat || chat.type !== 'group') throw new Error(`没有这个群 (no such group chat): ${chatId}`);
    chat.botIn = true;
  }

  // ---- one-click registration (FEISHU.md §7) ------------------------------------

  registrations(): StandInRegistration[] {
    return [...this.registrationMap.values()].map(({ userCode, deviceCode, status, expiresAt }) => ({ userCode, deviceCode, status, expiresAt }));
  }

  /**
   * The person who opened the link approves: the next poll gets this stand-in's
   * credentials. Without a user code, the only pending registration is approved.
   */
  approveRegistration(userCode?: string, opts: { openId?: string; brand?: 'feishu' | 'lark' } = {}): void {
    const r = this.pendingRegistration(userCode);
    r.status = 'approved';
    r.approverOpenId = opts.openId ?? this.users()[0]?.openId;
    r.brand = opts.brand ?? 'feishu';
  }

  denyRegistration(userCode?: string): void {
    this.pendingRegistration(userCode).status = 'denied';
  }

  private pendingRegistration(userCode?: string): RegistrationRecord {
    const pending = [...this.registrationMap.values()].filter((r) => r.status === 'pending' && (!userCode || r.userCode === userCode));
    if (pending.length !== 1) {
      throw new Error(userCode ? `没有待确认的注册 (no pending registration): ${userCode}` : `待确认的注册有 ${pending.length} 个，请指定 user_code (${pending.length} pending registrations; name one)`);
    }
    return pending[0]!;
  }

  connectedClients(): number {
    return this.hub.connectedClients();
  }

  // ---- simulated users -----------------------------------------------------

  async sendText(
    fromOpenId: string,
    text: string,
    opts?: { chatId?: string; via?: Via; mentions?: any[] },
  ): Promise<{ messageId: string; eventId: string }> {
    const chat = this.userChat(fromOpenId, opts?.chatId);
    this.checkReachable(opts?.via);
    const msg = this.storeUserMessage(fromOpenId, chat, 'text', { text }, opts?.mentions);
    const eventId = await this.deliverMessageEvent(msg, opts?.via);
    return { messageId: msg.messageId, eventId };
  }

  async sendImage(
    fromOpenId: string,
    bytes: Buffer,
    opts?: { chatId?: string; via?: Via },
  ): Promise<{ messageId: string; imageKey: string; eventId: string }> {
    const chat = this.userChat(fromOpenId, opts?.chatId);
    const contentType = sniffImage(bytes);
    if (!contentType) throw new Error('不是可识别的图片格式 (not a recognised image format)');
    this.checkReachable(opts?.via);
    const imageKey = `img_v3_${hex(16)}`;
    this.resources.set(imageKey, { kind: 'image', bytes: Buffer.from(bytes), contentType });
    const msg = this.storeUserMessage(fromOpenId, chat, 'image', { image_key: imageKey });
    const eventId = await this.deliverMessageEvent(msg, opts?.via);
    return { messageId: msg.messageId, imageKey, eventId };
  }

  /**
   * A rich-text message, as some clients send "@走访助手 /进度" or a captioned picture.
   * Delivered as Feishu does ("接收消息内容结构"): `{title, content}` without a locale
   * wrapper, each `at` node carrying `user_id:"@_user_N"` (N counting mentions from 1
   * in order of appearance) and `mentions` listing those keys; each `img` an `image_key`
   * the bot can download from this message.
   */
  async sendPost(
    fromOpenId: string,
    paragraphs: PostNodeInput[][],
    opts?: { chatId?: string; via?: Via; title?: string },
  ): Promise<{ messageId: string; imageKeys: string[]; eventId: string }> {
    const chat = this.userChat(fromOpenId, opts?.chatId);
    const mentions: any[] = [];
    const imageKeys: string[] = [];
    const pictures: Array<[string, Resource]> = [];
    const content = paragraphs.map((paragraph) =>
      paragraph.map((n): Record<string, unknown> => {
        switch (n.tag) {
          case 'text':
            return { tag: 'text', text: n.text, style: [] };
          case 'a':
            return { tag: 'a', text: n.text, href: n.href, style: [] };
          case 'emotion':
            return { tag: 'emotion', emoji_type: n.emojiType };
          case 'at': {
            const m = this.mention(n.openId, `@_user_${mentions.length + 1}`);
            mentions.push(m);
            return { tag: 'at', user_id: m.key, user_name: m.name, style: [] };
          }
          case 'img': {
            const contentType = sniffImage(n.bytes);
            if (!contentType) throw new Error('不是可识别的图片格式 (not a recognised image format)');
            const imageKey = `img_v3_${hex(16)}`;
            pictures.push([imageKey, { kind: 'image', bytes: Buffer.from(n.bytes), contentType }]);
            imageKeys.push(imageKey);
            return { tag: 'img', image_key: imageKey };
          }
        }
      }),
    );
    this.checkReachable(opts?.via);
    for (const [key, resource] of pictures) this.resources.set(key, resource);
    const msg = this.storeUserMessage(fromOpenId, chat, 'post', { title: opts?.title ?? '', content }, mentions);
    const eventId = await this.deliverMessageEvent(msg, opts?.via);
    return { messageId: msg.messageId, imageKeys, eventId };
  }

  async sendFile(
    fromOpenId: string,
    fileName: string,
    bytes: Buffer,
    opts?: { chatId?: string; via?: Via },
  ): Promise<{ messageId: string; fileKey: string; eventId: string }> {
    const chat = this.userChat(fromOpenId, opts?.chatId);
    this.checkReachable(opts?.via);
    const fileKey = `file_v3_${hex(16)}`;
    this.resources.set(fileKey, { kind: 'file', bytes: Buffer.from(bytes), contentType: mimeForFile(fileName, bytes), fileName });
    const msg = this.storeUserMessage(fromOpenId, chat, 'file', { file_key: fileKey, file_name: fileName });
    const eventId = await this.deliverMessageEvent(msg, opts?.via);
    return { messageId: msg.messageId, fileKey, eventId };
  }

  /**
   * A user clicks a component of a card the bot sent (卡片回传交互回调). Returns
   * what the Feishu client would get; a `card: {type:'raw'}` answer replaces
   * the stored message content in place. A card past its interaction window
   * sends nothing and comes back `refused`.
   */
  async clickCard(opts: {
    messageId: string;
    operatorOpenId: string;
    value: Record<string, unknown>;
    formValue?: Record<string, unknown>;
    name?: string;
    tag?: string;
    via?: Via;
  }): Promise<CardCallbackResult> {
    const msg = this.messageById.get(opts.messageId);
    if (!msg) throw new Error(`没有这条消息 (unknown message): ${opts.messageId}`);
    if (msg.msgType !== 'interactive') throw new Error(`这条消息不是卡片 (message is not a card): ${opts.messageId}`);
    const user = this.userMap.get(opts.operatorOpenId);
    if (!user) throw new Error(`没有这个用户 (unknown user): ${opts.operatorOpenId}`);
    const chat = this.chatMap.get(msg.chatId);
    if (!chat?.memberOpenIds.includes(user.openId)) {
      throw new Error(`用户不在这条消息所在的会话里 (user is not in the message's chat): ${user.openId}`);
    }
    // The client itself refuses a click on a card past its interaction window; the bot never hears of it.
    if (this.now() - msg.createTime > interactionWindowMs(msg.content)) return { raw: undefined, refused: 'card-expired' };
    this.pickVia(opts.via);

    const envelope = this.cardActionEnvelope({ ...opts, messageId: msg.messageId, chatId: msg.chatId });
    const r = await this.transmit(envelope, opts.via, undefined, this.opts.callbackTimeoutMs);
    return this.applyCallbackAnswer(msg, r);
  }

  /** The `card.action.trigger` callback a click on a card in `chatId` produces (FEISHU.md §1). */
  cardActionEnvelope(o: { messageId: string; chatId: string; operatorOpenId: string; value: Record<string, unknown>; formValue?: Record<string, unknown>; name?: string; tag?: string }) {
    const action: Record<string, unknown> = { value: o.value, tag: o.tag ?? 'button' };
    if (o.name !== undefined) action['name'] = o.name;
    if (o.formValue !== undefined) action['form_value'] = o.formValue;
    const event = {
      operator: {
        tenant_key: this.tenantKey,
        user_id: this.userIdOf(o.operatorOpenId),
        open_id: o.operatorOpenId,
        union_id: this.unionIdOf(o.operatorOpenId),
      },
      token: `c-${hex(20)}`,
      action,
      host: 'im_message',
      context: { open_message_id: o.messageId, open_chat_id: o.chatId },
    };
    // Callbacks document create_time in microseconds (events use ms).
    return this.envelope('card.action.trigger', event, { createTime: String(this.now() * 1000) });
  }

  async menuClick(openId: string, eventKey: string, opts?: { via?: Via }): Promise<void> {
    const user = this.userMap.get(openId);
    if (!user) throw new Error(`没有这个用户 (unknown user): ${openId}`);
    const event = {
      operator: {
        operator_name: user.name,
        operator_id: { union_id: this.unionIdOf(openId), user_id: this.userIdOf(openId), open_id: openId },
      },
      event_key: eventKey,
      timestamp: Math.floor(this.now() / 1000),
    };
    await this.deliver('application.bot.menu_v6', event, opts?.via ? { via: opts.via } : {});
  }

  /**
   * Deliver any v2 envelope; returns what came back from the first attempt. An
   * event that is not acknowledged is pushed again later, with the same event_id,
   * on whatever channel is there by then (not a deliberately tampered one).
   */
  async deliver(eventType: string, event: any, opts: DeliverOptions = {}): Promise<DeliverResult> {
    const envOpts: { eventId?: string; createTime?: string } = {};
    if (opts.eventId !== undefined) envOpts.eventId = opts.eventId;
    if (opts.createTime !== undefined) envOpts.createTime = opts.createTime;
    const envelope = this.envelope(eventType, event, envOpts);
    if (opts.tamper === 'token') envelope.header.token = `wrong-${this.opts.verificationToken}`;
    // Over a long connection that is down for a moment (reconnecting), the event waits for the retry.
    const result = this.hub.everConnected() && !opts.tamper
      ? await this.transmit(envelope, opts.via, opts.tamper, this.opts.eventTimeoutMs).catch((e: Error) => ({ error: e.message }))
      : await this.transmit(envelope, opts.via, opts.tamper, this.opts.eventTimeoutMs);
    if (!opts.tamper && !acknowledged(result)) this.retryLater(envelope, 0);
    return result;
  }

  private retryLater(envelope: { header: { event_type: string; event_id: string } }, attempt: number): void {
    const delay = this.opts.eventRetryDelaysMs[attempt];
    if (delay === undefined || !this.server) return;
    const t = setTimeout(async () => {
      this.sleepers.delete(t);
      const r = await this.transmit(envelope, undefined, undefined, this.opts.eventTimeoutMs).catch((e: Error) => ({ error: e.message }));
      this.emit('redelivery', { eventId: envelope.header.event_id, attempt: attempt + 1, acknowledged: acknowledged(r) });
      if (!acknowledged(r)) this.retryLater(envelope, attempt + 1);
    }, delay);
    t.unref();
    this.sleepers.add(t);
  }

  // ---- delivery internals --------------------------------------------------


  private envelope(eventType: string, event: any, o: { eventId?: string; createTime?: string } = {}) {
    return {
      schema: '2.0',
      header: {
        event_id: o.eventId ?? hex(16),
        event_type: eventType,
        create_time: o.createTime ?? String(this.now()),
        token: this.opts.verificationToken,
        app_id: this.opts.appId,
        tenant_key: this.tenantKey,
      },
      event,
    };
  }

  /**
   * Fails early (before anything is stored) only when there is nowhere to deliver at all; while a
   * long connection reconnects, the message is kept and its event arrives on a retry.
   */
  private checkReachable(via?: Via): void {
    if (!via && this.hub.everConnected()) return;
    this.pickVia(via);
  }

  /** Decide the channel, failing early (before anything is stored) when there is none. */
  private pickVia(via?: Via): Via {
    if (via === 'ws') {
      if (this.hub.connectedClients() === 0) throw new Error('没有已连接的长连接客户端 (no long-connection client connected)');
      return 'ws';
    }
    if (via === 'webhook') {
      if (!this.webhookUrl) throw new Error('尚未设置 webhook 地址 (no webhook URL set; call setWebhook)');
      return 'webhook';
    }
    if (this.hub.connectedClients() > 0) return 'ws';
    if (this.webhookUrl) return 'webhook';
    throw new Error('无法投递：没有长连接客户端，也没有设置 webhook (nowhere to deliver: no WSClient connected and no webhook set)');
  }

  private async transmit(
    envelope: { header: { event_type: string } },
    via: Via | undefined,
    tamper: DeliverOptions['tamper'],
    timeoutMs: number,
  ): Promise<DeliverResult> {
    const channel = this.pickVia(via);
    const json = JSON.stringify(envelope);
    let result: DeliverResult;
    if (channel === 'ws') {
      // No signature over the long connection; the payload is plain JSON.
      const frameType = envelope.header.event_type === 'card.action.trigger' ? this.opts.cardFrames : 'event';
      const r = await this.hub.push(json, timeoutMs, frameType);
      result = r.ack ? { ack: r.ack } : { timedOut: true };
    } else {
      result = await this.postWebhook(this.webhookUrl as string, json, tamper, timeoutMs);
    }
    this.emit('delivery', { eventType: envelope.header.event_type, via: channel, result });
    return result;
  }

  /**
   * An envelope as Feishu POSTs it to a webhook: encrypted, timestamped and
   * signed (FEISHU.md §3). Public so a load generator can send what the
   * platform would, without a stored message behind each request.
   */
  signedWebhookRequest(json: string, tamper?: DeliverOptions['tamper']): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify({ encrypt: encryptPayload(this.opts.encryptKey, json) });
    const seconds = Math.floor(this.now() / 1000) - (tamper === 'stale-timestamp' ? 3600 : 0);
    const timestamp = String(seconds);
    const nonce = hex(8);
    const signature =
      tamper === 'signature'
        ? signWebhook(timestamp, nonce, `${this.opts.encryptKey}-tampered`, body)
        : signWebhook(timestamp, nonce, this.opts.encryptKey, body);
    return {
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'X-Lark-Request-Timestamp': timestamp,
        'X-Lark-Request-Nonce': nonce,
        'X-Lark-Signature': signature,
        'User-Agent': 'Feishu-Stand-In',
      },
      body,
    };
  }

  private async postWebhook(url: string, json: string, tamper: DeliverOptions['tamper'], timeoutMs: number): Promise<DeliverResult> {
    const { headers, body } = this.signedWebhookRequest(json, tamper);
    try {
      const resp = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      const text = await resp.text();
      let parsed: any = undefined;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { httpStatus: resp.status, body: parsed };
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError' || err.name === 'AbortError') return { timedOut: true };
      return { error: `${err.message}${(err as { cause?: Error }).cause ? `: ${(err as { cause?: Error }).cause?.message}` : ''}` };
    }
  }

  private async deliverMessageEvent(msg: MessageRecord, via?: Via): Promise<string> {
    const sender = msg.sender as { kind: 'user'; openId: string };
    const message: Record<string, unknown> = {
      message_id: msg.messageId,
      create_time: String(msg.createTime),
      update_time: String(msg.updateTime),
      chat_id: msg.chatId,
      chat_type: msg.chatType,
      message_type: msg.msgType,
      content: JSON.stringify(msg.content),
    };
    if (msg.rootId) message['root_id'] = msg.rootId;
    if (msg.parentId) message['parent_id'] = msg.parentId;
    if (msg.threadId) message['thread_id'] = msg.threadId;
    if (msg.mentions?.length) message['mentions'] = msg.mentions;
    const event = {
      sender: {
        sender_id: { union_id: this.unionIdOf(sender.openId), user_id: this.userIdOf(sender.openId), open_id: sender.openId },
        sender_type: 'user',
        tenant_key: this.tenantKey,
      },
      message,
    };
    const eventId = hex(16);
    await this.deliver('im.message.receive_v1', event, via ? { eventId, via } : { eventId });
    return eventId;
  }

  private applyCallbackAnswer(msg: MessageRecord, r: DeliverResult): CardCallbackResult {
    const fail = (code: number, text: string, extra: Partial<CardCallbackResult> = {}): CardCallbackResult => ({
      raw: undefined,
      ...extra,
      error: { code, msg: text },
    });
    let answer: unknown;
    const base: Partial<CardCallbackResult> = {};
    if (r.ack) {
      if (r.ack.code !== 200) return fail(200671, `回调处理失败，返回码 ${r.ack.code} (callback handler failed)`, { raw: r.ack.raw });
      answer = r.ack.data ?? {};
    } else if (r.timedOut) {
      return fail(200341, `卡片回调超时，${this.opts.callbackTimeoutMs} ms 内未响应 (callback timed out)`);
    } else if (r.error) {
      return fail(200340, `卡片回调地址不可用：${r.error} (callback URL unreachable)`);
    } else {
      base.httpStatus = r.httpStatus as number;
      if (r.httpStatus !== 200) {
        return fail(200671, `回调返回了非 200 状态码 ${r.httpStatus} (callback answered a non-200 status)`, { ...base, raw: r.body });
      }
      answer = r.body ?? {};
    }
    if (!isObject(answer)) {
      return fail(200672, '回调响应格式错误，应为 JSON 对象 (callback response is not a JSON object)', { ...base, raw: answer });
    }
    const result: CardCallbackResult = { ...base, raw: answer };
    if (answer['toast'] !== undefined) {
      if (!isObject(answer['toast']) || typeof answer['toast']['content'] !== 'string') {
        return fail(200672, '回调响应中的 toast 格式错误 (bad toast in callback response)', { ...base, raw: answer });
      }
      result.toast = answer['toast'] as CardCallbackResult['toast'];
    }
    const card = answer['card'];
    if (card !== undefined) {
      if (!isObject(card) || (card['type'] !== 'raw' && card['type'] !== 'template')) {
        return fail(200672, '回调响应中的 card 应为 {type:"raw"|"template", data} (bad card in callback response)', { ...base, raw: answer });
      }
      const newContent = card['type'] === 'raw' ? card['data'] : { type: 'template', data: card['data'] };
      // The same element and 30 KB limits as a sent card ("延时更新消息卡片"); the client keeps the old card.
      const check = validateCardContent(JSON.stringify(newContent));
      if (!check.ok) return fail(200673, `卡片内容错误：${check.code} ${check.msg} (invalid card)`, { ...base, raw: answer });
      if (cardSchemaOf(msg.content) === '2.0' && check.schema === '1.0') {
        return fail(200830, '2.0 卡片不能更新为 1.0 卡片 (a 2.0 card cannot be updated to 1.0)', { ...base, raw: answer });
      }
      // A 1.0 card still takes clicks on days 14–30 but can no longer be updated (卡片 JSON 2.0 版本更新说明; 230031).
      if (this.now() - msg.createTime > PATCH_WINDOW_MS) {
        return fail(230031, '消息发送超过 14 天，卡片不能再更新 (the message was sent more than 14 days ago and can no longer be updated)', result);
      }
      result.card = card;
      this.updateContent(msg, newContent);
    }
    return result;
  }

  // ---- message store -------------------------------------------------------

  private snapshot(m: MessageRecord): StoredMessage {
    const s: StoredMessage = {
      messageId: m.messageId,
      chatId: m.chatId,
      chatType: m.chatType,
      sender: { ...m.sender },
      msgType: m.msgType,
      content: structuredClone(m.content),
      createTime: m.createTime,
      updateCount: m.updateCount,
      contentHistory: structuredClone(m.contentHistory),
    };
    if (m.receiveIdType !== undefined) s.receiveIdType = m.receiveIdType;
    if (m.receiveId !== undefined) s.receiveId = m.receiveId;
    if (m.uuid !== undefined) s.uuid = m.uuid;
    if (m.rootId !== undefined) s.rootId = m.rootId;
    if (m.parentId !== undefined) s.parentId = m.parentId;
    return s;
  }

  private userChat(openId: string, chatId?: string): ChatRecord {
    if (!this.userMap.has(openId)) throw new Error(`没有这个用户 (unknown user): ${openId}`);
    const id = chatId ?? this.p2pChatId(openId);
    const chat = this.chatMap.get(id);
    if (!chat) throw new Error(`没有这个会话 (unknown chat): ${id}`);
    if (!chat.memberOpenIds.includes(openId)) throw new Error(`用户 ${openId} 不在会话 ${id} 里 (user is not a member of the chat)`);
    if (!chat.botIn) throw new Error(`机器人不在会话 ${id} 里，收不到消息 (the bot is not in this chat)`);
    return chat;
  }

  private storeUserMessage(openId: string, chat: ChatRecord, msgType: string, content: any, mentions?: any[]): MessageRecord {
    const t = this.now();
    const msg: MessageRecord = {
      messageId: `om_${hex(16)}`,
      chatId: chat.chatId,
      chatType: chat.type,
      sender: { kind: 'user', openId },
      msgType,
      content,
      createTime: t,
      updateTime: t,
      updateCount: 0,
      contentHistory: [],
    };
    if (mentions?.length) msg.mentions = mentions;
    this.addMessage(msg);
    return msg;
  }

  private addMessage(msg: MessageRecord): void {
    this.messageList.push(msg);
    this.messageById.set(msg.messageId, msg);
    this.emit('message', this.snapshot(msg));
  }

  private updateContent(msg: MessageRecord, content: any): void {
    msg.contentHistory.push(msg.content);
    msg.content = content;
    msg.updateCount += 1;
    msg.updateTime = this.now();
    this.emit('message-updated', this.snapshot(msg));
  }

  private apiMessage(m: MessageRecord): Record<string, unknown> {
    const sender =
      m.sender.kind === 'app'
        ? { id: this.opts.appId, id_type: 'app_id', sender_type: 'app', tenant_key: this.tenantKey }
        : { id: m.sender.openId, id_type: 'open_id', sender_type: 'user', tenant_key: this.tenantKey };
    const out: Record<string, unknown> = {
      message_id: m.messageId,
      msg_type: m.msgType,
      create_time: String(m.createTime),
      update_time: String(m.updateTime),
      deleted: false,
      updated: m.updateCount > 0,
      chat_id: m.chatId,
      sender,
      body: { content: JSON.stringify(m.content) },
    };
    if (m.rootId) out['root_id'] = m.rootId;
    if (m.parentId) out['parent_id'] = m.parentId;
    if (m.threadId) out['thread_id'] = m.threadId;
    if (m.mentions?.length) out['mentions'] = m.mentions;
    return out;
  }

  // ---- HTTP ----------------------------------------------------------------

  private buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);

    // Every answer carries a log id, like the real gateway.
    app.use((_req, res, next) => {
      res.setHeader('x-tt-logid', `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}${hex(12)}`);
      next();
    });
    app.use(['/open-apis', '/callback', '/oauth'], callRecorder(this.now, (call) => {
      this.callLog.push(call);
      this.emit('call', { ...call });
    }));
    app.use(express.json({ limit: '2mb', type: ['application/json', 'application/*+json'] }));

    // Token endpoints: no auth, no fault injection.
    app.post('/open-apis/auth/v3/tenant_access_token/internal', (req, res) => this.tokenEndpoint(req, res, 'tenant'));
    app.post('/open-apis/auth/v3/app_access_token/internal', (req, res) => this.tokenEndpoint(req, res, 'app'));

    app.use('/open-apis', (req, res, next) => this.injectFaults(req, res, next));
    app.use('/open-apis', (req, res, next) => this.authenticate(req, res, next));
    app.use('/open-apis', (req, res, next) => this.checkScopes(req, res, next));

    app.post('/open-apis/im/v1/messages', route((req, res) => this.createMessage(req, res)));
    app.post('/open-apis/im/v1/messages/:message_id/reply', route((req, res) => this.replyMessage(req, res)));
    app.patch('/open-apis/im/v1/messages/:message_id', route((req, res) => this.patchMessage(req, res)));
    app.get('/open-apis/im/v1/messages/:message_id', route((req, res) => this.getMessage(req, res)));
    app.get('/open-apis/im/v1/messages/:message_id/resources/:file_key', route((req, res) => this.getResource(req, res)));
    const multipart = express.raw({ type: 'multipart/form-data', limit: '64mb' });
    app.post('/open-apis/im/v1/images', multipart, route((req, res) => this.uploadImage(req, res)));
    app.post('/open-apis/im/v1/files', multipart, route((req, res) => this.uploadFile(req, res)));
    app.post('/open-apis/contact/v3/users/batch_get_id', route((req, res) => this.batchGetId(req, res)));
    app.get('/open-apis/im/v1/chats', route((req, res) => this.listChats(req, res)));
    app.get('/open-apis/im/v1/chats/:chat_id/members', route((req, res) => this.chatMembers(req, res)));
    app.get('/open-apis/bot/v3/info', route((req, res) => this.botInfo(req, res)));
    app.use('/open-apis', (_req, _res, next) => next(new ApiError(404, 404, '404 page not found (沙箱未实现此接口 / not implemented by the stand-in)')));

    app.post('/callback/ws/endpoint', (req, res) => this.wsEndpoint(req, res));
    // The accounts host (accounts.feishu.cn) of the one-click registration; the SDK posts a form.
    app.post('/oauth/v1/app/registration', express.urlencoded({ extended: false }), (req, res) => this.registrationEndpoint(req, res));

    app.use('/_sandbox', (req, res, next) => {
      if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
        res.status(403).json({ error: '只允许本机访问 (loopback only)' });
        return;
      }
      next();
    });
    this.mountControl(app);

    app.use(errorHandler);
    return app;
  }

  // ---- gateway: faults, auth, limits ----------------------------------------

  private async injectFaults(req: Request, res: Response, next: NextFunction): Promise<void> {
    const f = this.faultState;
    const delay = f.slowMs;
    if (delay > 0) {
      if (f.slowNext > 0) {
        f.slowNext -= 1;
        if (f.slowNext === 0) f.slowMs = 0; // the last slow call of the batch
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.sleepers.delete(t);
          resolve();
        }, delay);
        this.sleepers.add(t);
      });
      // req.destroyed is also true once a request body has been read; only a closed socket means the client gave up.
      if (res.destroyed || req.socket.destroyed) return;
    }
    if (f.answerLostNext > 0) {
      // The call is carried out as usual; only its answer is lost on the way back.
      f.answerLostNext -= 1;
      res.locals['note'] = 'fault: answer lost';
      res.json = (() => {
        req.socket.destroy();
        return res;
      }) as Response['json'];
      next();
      return;
    }
    const call = `${req.method} ${req.originalUrl.split('?')[0]}`;
    const refusal = f.refuseNext[0];
    if (refusal && REFUSALS[refusal].calls.test(call)) {
      f.refuseNext.shift();
      const r = REFUSALS[refusal];
      fail(res, new ApiError(r.status, r.code, r.msg, `fault: ${refusal}`));
      return;
    }
    if (f.rateLimitNext > 0) {
      f.rateLimitNext -= 1;
      fail(
        res,
        new ApiError(429, 99991400, MSG.rateLimited, 'fault: rateLimitNext', {
          'x-ogw-ratelimit-limit': '50',
          'x-ogw-ratelimit-reset': '1',
        }),
      );
      return;
    }
    if (f.errorRate5xx > 0) {
      const random = f.random ?? Math.random;
      if (random() < f.errorRate5xx) {
        const statuses = [500, 502, 503] as const;
        const status = statuses[Math.min(2, Math.floor(random() * 3))] ?? 500;
        const text = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' }[status];
        fail(res, new ApiError(status, status, `${text} (沙箱故障注入 / injected fault)`, `fault: ${status}`));
        return;
      }
    }
    next();
  }

  private authenticate(req: Request, res: Response, next: NextFunction): void {
    const header = req.get('authorization');
    if (!header) {
      fail(res, new ApiError(400, 99991661, MSG.missingToken));
      return;
    }
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    if (token.startsWith('u-')) {
      fail(res, new ApiError(400, 99991668, 'Invalid access token for authorization: user access tokens are not issued by the stand-in.'));
      return;
    }
    if (!token.startsWith('t-')) {
      fail(res, new ApiError(400, 99991671, MSG.badTokenFormat));
      return;
    }
    const expires = this.tokens.get(token);
    if (expires === undefined || expires <= this.now()) {
      fail(res, new ApiError(400, 99991663, MSG.invalidToken, expires === undefined ? 'unknown token' : 'expired token'));
      return;
    }
    next();
  }

  /** Feishu's gateway answers a call the app has no scope for before looking at its parameters. */
  private checkScopes(req: Request, res: Response, next: NextFunction): void {
    const path = req.originalUrl.split('?')[0] ?? '';
    const api = SCOPES_BY_API.find((a) => a.method === req.method && a.path.test(path));
    if (!api || api.scopes.some((s) => !this.revokedScopes.has(s))) {
      next();
      return;
    }
    const list = api.scopes.join(', ');
    const link = `https://open.feishu.cn/app/${this.opts.appId}/auth?q=${api.scopes.join(',')}&op_from=openapi&token_type=tenant`;
    fail(
      res,
      new ApiError(400, 99991672, `Access denied. One of the following scopes is required: [${list}].应用尚未开通所需的应用身份权限：[${list}]，点击链接申请并开通任一权限即可：${link}`, 'scope revoked'),
    );
  }

  /** Per-app gateway limit for send / reply / patch: HTTP 429, 99991400. */
  private appLimit(api: 'send' | 'reply' | 'patch'): void {
    if (!this.opts.enforceRateLimits) return;
    const v = checkAll([
      { limiter: this.appPerSecond, key: api },
      { limiter: this.appPerMinute, key: api },
    ]);
    if (!v.ok) {
      throw new ApiError(429, 99991400, MSG.rateLimited, `rate limit: app ${api} ${v.limit}/${v.failed === this.appPerSecond ? 's' : 'min'}`, {
        'x-ogw-ratelimit-limit': String(v.limit),
        'x-ogw-ratelimit-reset': String(v.resetSeconds),
      });
    }
  }

  /** Per receiving user / per group: 5 QPS, HTTP 400, 230020. */
  private chatLimit(chat: ChatRecord): void {
    if (!this.opts.enforceRateLimits) return;
    const v = checkAll([{ limiter: this.chatPerSecond, key: chat.chatId }]);
    if (!v.ok) {
      const who = chat.type === 'p2p' ? `user ${chat.memberOpenIds[0] ?? ''}` : `chat ${chat.chatId}`;
      throw new ApiError(400, 230020, MSG.imRateLimited, `rate limit: ${who} 5/s`);
    }
  }

  // ---- token endpoints -------------------------------------------------------

  private tokenEndpoint(req: Request, res: Response, kind: 'tenant' | 'app'): void {
    const body = isObject(req.body) ? req.body : {};
    const appId = body['app_id'];
    const appSecret = body['app_secret'];
    if (typeof appId !== 'string' || typeof appSecret !== 'string' || !appId || !appSecret) {
      fail(res, new ApiError(400, 10003, 'invalid param: app_id and app_secret are required'));
      return;
    }
    if (appId !== this.opts.appId) {
      fail(res, new ApiError(400, 10014, 'app id not exist or app secret invalid'));
      return;
    }
    if (appSecret !== this.opts.appSecret) {
      fail(res, new ApiError(400, 10014, 'app secret invalid'));
      return;
    }
    const { token, expire } = this.issueToken();
    res.locals['code'] = 0;
    // Token endpoints put their fields at the top level, not under `data`.
    if (kind === 'tenant') res.json({ code: 0, msg: 'ok', tenant_access_token: token, expire });
    else res.json({ code: 0, msg: 'ok', app_access_token: token, tenant_access_token: token, expire });
  }

  /** Same token until less than 30 minutes remain, then a new one (both stay valid). */
  private issueToken(): { token: string; expire: number } {
    const now = this.now();
    const latest = this.latestToken;
    const exp = latest ? this.tokens.get(latest) : undefined;
    if (latest && exp !== undefined && exp - now > TOKEN_REFRESH_MS) {
      return { token: latest, expire: Math.floor((exp - now) / 1000) };
    }
    const token = `t-g1${hex(20)}`;
    this.tokens.set(token, now + this.opts.tokenTtlSeconds * 1000);
    this.latestToken = token;
    return { token, expire: this.opts.tokenTtlSeconds };
  }

  // ---- messages --------------------------------------------------------------

  private resolveReceiver(idType: string, id: string): ChatRecord {
    if (idType === 'chat_id') {
      const chat = this.chatMap.get(id);
      if (!chat) throw new ApiError(400, 230034, MSG.invalidReceiveId, `unknown chat ${id}`);
      if (!chat.botIn) throw new ApiError(400, 230002, MSG.notInChat);
      return chat;
    }
    let user: StandInUser | undefined;
    const all = [...this.userMap.values()];
    if (idType === 'open_id') {
      if (!id.startsWith('ou_')) throw new ApiError(400, 230034, MSG.invalidReceiveId, 'open_id must start with ou_');
      user = this.userMap.get(id);
    } else if (idType === 'user_id') user = all.find((u) => this.userIdOf(u.openId) === id);
    else if (idType === 'union_id') user = all.find((u) => this.unionIdOf(u.openId) === id);
    else if (idType === 'email') user = all.find((u) => u.email !== undefined && u.email.toLowerCase() === id.toLowerCase());
    if (!user) throw new ApiError(400, 230013, MSG.noAvailability, `unknown ${idType} ${id}`);
    return this.chatMap.get(this.p2pChatId(user.openId)) as ChatRecord;
  }

  /** Validate msg_type/content; returns the parsed content. */
  private parseContent(msgType: string, content: string): any {
    const limit = msgType === 'text' ? TEXT_MAX_BYTES : RICH_MAX_BYTES;
    if (msgType === 'interactive') {
      const check = validateCardContent(content, limit);
      if (!check.ok) throw new ApiError(400, check.code, check.msg);
      return check.card;
    }
    if (Buffer.byteLength(content, 'utf8') > limit) {
      throw new ApiError(400, 230025, `The message content is too long: ${msgType} content exceeds ${limit / 1024} KB.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      throw new ApiError(400, 230001, 'invalid message content: content must be a JSON string');
    }
    const bad = (what: string) => new ApiError(400, 230001, `invalid message content: ${what}`);
    if (!isObject(parsed)) throw bad('content must be a JSON object');
    const needKey = (key: string, kind: Resource['kind'] | undefined) => {
      const v = parsed[key];
      if (typeof v !== 'string' || v === '') throw bad(`${msgType} message needs {"${key}": "..."}`);
      if (kind && this.resources.get(v)?.kind !== kind) throw bad(`${key} ${v} does not exist (upload it first)`);
    };
    switch (msgType) {
      case 'text':
        if (typeof parsed['text'] !== 'string') throw bad('text message needs {"text": "..."}');
        break;
      case 'post': {
        // Either {title, content} or locale-wrapped {zh_cn: {title, content}, …}.
        const bodies = Array.isArray(parsed['content']) ? [parsed] : Object.values(parsed).filter(isObject);
        if (bodies.length === 0) throw bad('post message needs {"zh_cn": {"title", "content": [[…]]}}');
        for (const b of bodies) {
          const rows = b['content'];
          if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row) && row.every(isObject))) {
            throw bad('post content must be an array of paragraphs, each an array of {tag, …} nodes');
          }
        }
        break;
      }
      case 'image':
        needKey('image_key', 'image');
        break;
      case 'file':
        needKey('file_key', 'file');
        break;
      case 'audio':
      case 'media':
      case 'sticker':
        needKey('file_key', undefined);
        break;
      case 'share_chat':
        needKey('chat_id', undefined);
        break;
      case 'share_user':
        needKey('user_id', undefined);
        break;
      default:
        throw new ApiError(400, 230001, `invalid msg_type: ${msgType}`);
    }
    return parsed;
  }

  private readSendBody(req: Request): { msgType: string; content: string; uuid?: string; raw: Record<string, any> } {
    const body = isObject(req.body) ? req.body : {};
    const msgType = body['msg_type'];
    const content = body['content'];
    const uuid = body['uuid'];
    if (typeof msgType !== 'string' || msgType === '') throw new ApiError(400, 99992402, 'field validation failed: msg_type is required');
    if (typeof content !== 'string') throw new ApiError(400, 99992402, 'field validation failed: content must be a JSON string');
    if (uuid !== undefined && (typeof uuid !== 'string' || uuid.length > 50)) {
      throw new ApiError(400, 99992402, 'field validation failed: uuid must be a string of at most 50 characters');
    }
    return uuid === undefined ? { msgType, content, raw: body } : { msgType, content, uuid, raw: body };
  }

  /** Same uuid within an hour: answer with the original message, create nothing. */
  private deduped(uuid: string | undefined): MessageRecord | undefined {
    if (!uuid) return undefined;
    const hit = this.uuidIndex.get(uuid);
    if (!hit || this.now() - hit.at > UUID_WINDOW_MS) return undefined;
    return this.messageById.get(hit.messageId);
  }

  private createMessage(req: Request, res: Response): void {
    const idType = queryString(req, 'receive_id_type');
    if (!idType || !RECEIVE_ID_TYPES.has(idType)) {
      throw new ApiError(400, 99992402, 'field validation failed: receive_id_type must be one of open_id, user_id, union_id, email, chat_id');
    }
    const { msgType, content, uuid, raw } = this.readSendBody(req);
    const receiveId = raw['receive_id'];
    if (typeof receiveId !== 'string' || receiveId === '') throw new ApiError(400, 99992402, 'field validation failed: receive_id is required');
    this.appLimit('send');
    const chat = this.resolveReceiver(idType, receiveId);
    this.sendAsApp(res, chat, msgType, content, uuid, { receiveIdType: idType, receiveId });
  }

  private replyMessage(req: Request, res: Response): void {
    const parent = this.messageById.get(String(req.params['message_id']));
    const { msgType, content, uuid, raw } = this.readSendBody(req);
    this.appLimit('reply');
    if (!parent) throw new ApiError(400, 230001, MSG.messageNotFound);
    const chat = this.chatMap.get(parent.chatId) as ChatRecord;
    if (!chat.botIn) throw new ApiError(400, 230002, MSG.notInChat);
    const rootId = parent.rootId ?? parent.messageId;
    let threadId: string | undefined;
    if (raw['reply_in_thread'] === true) {
      const root = this.messageById.get(rootId) ?? parent;
      root.threadId ??= `omt_${hex(8)}`;
      threadId = root.threadId;
    }
    this.sendAsApp(res, chat, msgType, content, uuid, { rootId, parentId: parent.messageId, ...(threadId ? { threadId } : {}) });
  }

  /** Stores a message from the bot (after uuid de-duplication and the chat's rate limit) and answers with it. */
  private sendAsApp(res: Response, chat: ChatRecord, msgType: string, content: string, uuid: string | undefined, extra: Partial<MessageRecord>): void {
    const dup = this.deduped(uuid);
    if (dup) {
      res.locals['note'] = `uuid dedupe: ${uuid}`;
      ok(res, this.apiMessage(dup));
      return;
    }
    const parsed = this.parseContent(msgType, content);
    if (this.faultState.dlpBlocksMobiles && PLAIN_MOBILE.test(content)) {
      const r = REFUSALS['dlp-rejected'];
      throw new ApiError(r.status, r.code, r.msg, 'dlp: plain mobile number');
    }
    this.chatLimit(chat);
    const t = this.now();
    const msg: MessageRecord = {
      messageId: `om_${hex(16)}`,
      chatId: chat.chatId,
      chatType: chat.type,
      sender: { kind: 'app' },
      msgType,
      content: parsed,
      createTime: t,
      updateTime: t,
      updateCount: 0,
      contentHistory: [],
      ...extra,
    };
    if (uuid) {
      msg.uuid = uuid;
      this.uuidIndex.set(uuid, { messageId: msg.messageId, at: t });
    }
    this.addMessage(msg);
    ok(res, this.apiMessage(msg));
  }

  private patchMessage(req: Request, res: Response): void {
    const id = String(req.params['message_id']);
    const body = isObject(req.body) ? req.body : {};
    const content = body['content'];
    if (typeof content !== 'string') throw new ApiError(400, 99992402, 'field validation failed: content must be a card JSON string');
    this.appLimit('patch');
    const msg = this.messageById.get(id);
    if (!msg) throw new ApiError(400, 230001, MSG.messageNotFound);
    if (msg.sender.kind !== 'app') throw new ApiError(400, 230017, 'Bot is not the owner of the resource: only messages the bot sent can be updated.');
    if (msg.msgType !== 'interactive') throw new ApiError(400, 230001, 'This message is NOT a card; PATCH only updates interactive messages.');
    if (this.now() - msg.createTime > PATCH_WINDOW_MS) {
      throw new ApiError(400, 230031, 'The message was sent more than 14 days ago and can no longer be updated.');
    }
    const check = validateCardContent(content, RICH_MAX_BYTES);
    if (!check.ok) throw new ApiError(400, check.code, check.msg);
    if (cardSchemaOf(msg.content) === '2.0' && check.schema === '1.0') {
      throw new ApiError(400, 230099, 'Failed to create card content, ext=ErrCode: 200830; ErrMsg: a 2.0 card cannot be updated to 1.0; ErrorValue: ; ');
    }
    if (this.opts.enforceRateLimits) {
      const v = checkAll([{ limiter: this.messagePatchPerSecond, key: id }]);
      if (!v.ok) throw new ApiError(400, 230020, MSG.imRateLimited, `rate limit: message ${id} 5/s`);
    }
    const chat = this.chatMap.get(msg.chatId) as ChatRecord;
    if (!chat.botIn) throw new ApiError(400, 230002, MSG.notInChat);
    this.updateContent(msg, check.card);
    ok(res, {});
  }

  private getMessage(req: Request, res: Response): void {
    const msg = this.messageById.get(String(req.params['message_id']));
    if (!msg) throw new ApiError(400, 230001, MSG.messageNotFound);
    ok(res, { items: [this.apiMessage(msg)] });
  }

  // ---- resources and uploads -------------------------------------------------

  private keysIn(msg: MessageRecord): string[] {
    const keys: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (isObject(v)) {
        for (const k of ['image_key', 'file_key']) if (typeof v[k] === 'string') keys.push(v[k]);
        Object.values(v).forEach(walk);
      }
    };
    walk(msg.content);
    return keys;
  }

  private getResource(req: Request, res: Response): void {
    const type = queryString(req, 'type');
    if (type !== 'image' && type !== 'file') throw new ApiError(400, 99992402, 'field validation failed: type must be image or file');
    const msg = this.messageById.get(String(req.params['message_id']));
    const key = String(req.params['file_key']);
    if (!msg) throw new ApiError(400, 234003, `File not in msg: message ${String(req.params['message_id'])} not found.`);
    if (msg.msgType === 'interactive') throw new ApiError(400, 234043, 'Resources inside cards cannot be downloaded.');
    if (!(this.chatMap.get(msg.chatId)?.botIn ?? false)) throw new ApiError(400, 234004, 'App is not in the chat of this message.');
    const resource = this.resources.get(key);
    if (!resource || !this.keysIn(msg).includes(key)) throw new ApiError(400, 234003, 'File not in msg.');
    // "image" covers images; "file" covers files, audio and video.
    if ((type === 'image') !== (resource.kind === 'image')) {
      throw new ApiError(400, 234001, `Invalid request param: the resource is a ${resource.kind}, use type=${resource.kind}.`);
    }
    res.locals['code'] = 0;
    res.setHeader('Content-Type', resource.contentType);
    if (resource.fileName) {
      res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(resource.fileName)}`);
    }
    res.status(200).end(resource.bytes);
  }

  private readMultipart(req: Request): MultipartForm {
    const boundary = boundaryOf(req.get('content-type'));
    if (!boundary || !Buffer.isBuffer(req.body)) {
      throw new ApiError(400, 99992402, 'field validation failed: the request must be multipart/form-data');
    }
    try {
      return parseMultipart(req.body, boundary);
    } catch (e) {
      throw new ApiError(400, 99992402, `field validation failed: ${(e as Error).message}`);
    }
  }

  private uploadImage(req: Request, res: Response): void {
    const form = this.readMultipart(req);
    const imageType = form.fields['image_type'];
    if (imageType !== 'message' && imageType !== 'avatar') {
      throw new ApiError(400, 99992402, 'field validation failed: image_type must be message or avatar');
    }
    const file = form.files['image'];
    if (!file) throw new ApiError(400, 99992402, 'field validation failed: image is required');
    if (file.data.length === 0) throw new ApiError(400, 234010, 'File size is 0: an empty image cannot be uploaded.');
    if (file.data.length > IMAGE_MAX_BYTES) throw new ApiError(400, 234006, 'The file size exceeds the limit: images are at most 10 MB.');
    const contentType = sniffImage(file.data);
    if (!contentType) throw new ApiError(400, 234011, "Can't recognize image format.");
    const imageKey = `img_v3_${hex(16)}`;
    const resource: Resource = { kind: 'image', bytes: file.data, contentType };
    if (file.filename) resource.fileName = file.filename;
    this.resources.set(imageKey, resource);
    ok(res, { image_key: imageKey });
  }

  private uploadFile(req: Request, res: Response): void {
    const form = this.readMultipart(req);
    const fileType = form.fields['file_type'];
    const fileName = form.fields['file_name'];
    if (!fileType || !FILE_TYPES.has(fileType)) {
      throw new ApiError(400, 99992402, 'field validation failed: file_type must be one of opus, mp4, pdf, doc, xls, ppt, stream');
    }
    if (!fileName) throw new ApiError(400, 99992402, 'field validation failed: file_name is required');
    const file = form.files['file'];
    if (!file) throw new ApiError(400, 99992402, 'field validation failed: file is required');
    if (file.data.length === 0) throw new ApiError(400, 234010, 'File size is 0: an empty file cannot be uploaded.');
    if (file.data.length > FILE_MAX_BYTES) throw new ApiError(400, 234006, 'The file size exceeds the limit: files are at most 30 MB.');
    const fileKey = `file_v3_${hex(16)}`;
    this.resources.set(fileKey, { kind: 'file', bytes: file.data, contentType: mimeForFile(fileName, file.data), fileName });
    ok(res, { file_key: fileKey });
  }

  // ---- contact, chats, bot -----------------------------------------------------

  private idOf(openId: string, idType: string): string {
    if (idType === 'user_id') return this.userIdOf(openId);
    if (idType === 'union_id') return this.unionIdOf(openId);
    return openId;
  }

  private batchGetId(req: Request, res: Response): void {
    const idType = queryString(req, 'user_id_type') ?? 'open_id';
    if (!['open_id', 'user_id', 'union_id'].includes(idType)) {
      throw new ApiError(400, 99992402, 'field validation failed: user_id_type must be open_id, user_id or union_id');
    }
    const body = isObject(req.body) ? req.body : {};
    const list = (key: string): string[] => {
      const v = body[key];
      if (v === undefined) return [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
        throw new ApiError(400, 99992402, `field validation failed: ${key} must be an array of strings`);
      }
      if (v.length > 50) throw new ApiError(400, 99992402, `field validation failed: at most 50 ${key} per request`);
      return v as string[];
    };
    const mobiles = list('mobiles');
    const emails = list('emails');
    if (mobiles.length + emails.length === 0) {
      throw new ApiError(400, 99992402, 'field validation failed: give at least one of mobiles, emails');
    }
    // Mainland numbers may be written with or without +86.
    const normMobile = (m: string) => m.replace(/[\s-]/g, '').replace(/^\+86/, '');
    const status = { is_frozen: false, is_resigned: false, is_activated: true, is_exited: false, is_unjoin: false };
    const users = [...this.userMap.values()];
    const userList: Array<Record<string, unknown>> = [];
    for (const mobile of mobiles) {
      const u = users.find((x) => x.mobile !== undefined && normMobile(x.mobile) === normMobile(mobile));
      userList.push(u ? { user_id: this.idOf(u.openId, idType), mobile, status } : { mobile });
    }
    for (const email of emails) {
      const u = users.find((x) => x.email !== undefined && x.email.toLowerCase() === email.toLowerCase());
      userList.push(u ? { user_id: this.idOf(u.openId, idType), email, status } : { email });
    }
    ok(res, { user_list: userList });
  }

  private chatMembers(req: Request, res: Response): void {
    const chatId = String(req.params['chat_id']);
    const chat = this.chatMap.get(chatId);
    // Error codes as 获取群成员列表 documents them.
    if (!chat) throw new ApiError(400, 232006, 'Your request specifies a chat_id which is invalid.');
    if (chat.tenantKey) throw new ApiError(400, 232010, 'Operator and chat can NOT be in different tenants.');
    if (!chat.botIn) throw new ApiError(400, 232011, 'Operator can NOT be out of the chat.');
    const idType = queryString(req, 'member_id_type') ?? 'open_id';
    if (!['open_id', 'user_id', 'union_id'].includes(idType)) {
      throw new ApiError(400, 99992402, 'field validation failed: member_id_type must be open_id, user_id or union_id');
    }
    const sizeText = queryString(req, 'page_size');
    const pageSize = sizeText === undefined ? 20 : Number(sizeText);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      throw new ApiError(400, 99992402, 'field validation failed: page_size must be an integer from 1 to 100');
    }
    const tokenText = queryString(req, 'page_token');
    let offset = 0;
    if (tokenText) {
      const m = /^off:(\d+)$/.exec(Buffer.from(tokenText, 'base64url').toString('utf8'));
      if (!m) throw new ApiError(400, 99992402, 'field validation failed: invalid page_token');
      offset = Number(m[1]);
    }
    // Bots are never listed.
    const members = chat.memberOpenIds;
    const page = members.slice(offset, offset + pageSize).map((openId) => ({
      member_id_type: idType,
      member_id: this.idOf(openId, idType),
      name: this.userMap.get(openId)?.name ?? '',
      tenant_key: this.tenantKey,
    }));
    const nextOffset = offset + page.length;
    const hasMore = nextOffset < members.length;
    ok(res, {
      items: page,
      page_token: hasMore ? Buffer.from(`off:${nextOffset}`).toString('base64url') : '',
      has_more: hasMore,
      member_total: members.length,
    });
  }

  /** Groups the bot is in (p2p chats are never listed). */
  private listChats(req: Request, res: Response): void {
    const sizeText = queryString(req, 'page_size');
    const pageSize = sizeText === undefined ? 20 : Number(sizeText);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      throw new ApiError(400, 99992402, 'field validation failed: page_size must be an integer from 1 to 100');
    }
    const tokenText = queryString(req, 'page_token');
    const offset = tokenText ? Number(/^off:(\d+)$/.exec(Buffer.from(tokenText, 'base64url').toString('utf8'))?.[1] ?? NaN) : 0;
    if (!Number.isInteger(offset)) throw new ApiError(400, 99992402, 'field validation failed: invalid page_token');
    const groups = [...this.chatMap.values()].filter((c) => c.type === 'group' && c.botIn && !c.tenantKey);
    const items = groups.slice(offset, offset + pageSize).map((c) => ({
      chat_id: c.chatId,
      name: c.name,
      avatar: '',
      description: '',
      owner_id: c.memberOpenIds[0] ?? '',
      owner_id_type: 'open_id',
      external: false,
      tenant_key: this.tenantKey,
      chat_status: 'normal',
    }));
    const hasMore = offset + items.length < groups.length;
    ok(res, { items, page_token: hasMore ? Buffer.from(`off:${offset + items.length}`).toString('base64url') : '', has_more: hasMore });
  }

  private botInfo(_req: Request, res: Response): void {
    res.locals['code'] = 0;
    // This endpoint answers with `bot` at the top level, not under `data`.
    res.json({
      code: 0,
      msg: 'ok',
      bot: { activate_status: 2, app_name: this.opts.appName, avatar_url: '', ip_white_list: [], open_id: this.botOpenId },
    });
  }

  // ---- long connection endpoint ---------------------------------------------------

  private wsEndpoint(req: Request, res: Response): void {
    const body = isObject(req.body) ? req.body : {};
    if (body['AppID'] !== this.opts.appId || body['AppSecret'] !== this.opts.appSecret) {
      // Any non-zero code other than 1 / 1000040343 is fatal for the SDK: it calls onError and stops.
      res.locals['code'] = 514;
      res.locals['note'] = 'ws endpoint: bad AppID/AppSecret';
      res.json({ code: 514, msg: 'app auth failed: AppID or AppSecret is wrong', data: {} });
      return;
    }
    const hostPort = req.get('host') ?? this.url.replace(/^http:\/\//, '');
    const [host, port] = splitHostPort(hostPort);
    res.locals['code'] = 0;
    res.json({ code: 0, msg: 'ok', data: this.hub.issueUrl(host, port) });
  }

  // ---- one-click registration endpoint ------------------------------------------

  /**
   * RFC 8628 device authorization as the SDK's registerApp speaks it: `begin`
   * hands out a device code and the link to open; `poll` answers
   * authorization_pending until someone approves or denies at the link, with
   * errors as HTTP 400 bodies, and slow_down to a client that polls too fast.
   */
  private registrationEndpoint(req: Request, res: Response): void {
    const body = isObject(req.body) ? req.body : {};
    const oauthError = (error: string, description: string) => {
      res.locals['code'] = -1;
      res.locals['note'] = `registration: ${error}`;
      res.status(400).json({ error, error_description: description });
    };
    if (body['action'] === 'begin') {
      const userCode = `${hex(2)}-${hex(2)}`.toUpperCase();
      const record: RegistrationRecord = {
        userCode,
        deviceCode: `dc_${hex(16)}`,
        status: 'pending',
        expiresAt: this.now() + this.opts.registrationExpiresSeconds * 1000,
        interval: this.opts.registrationIntervalSeconds,
      };
      this.registrationMap.set(record.deviceCode, record);
      res.locals['code'] = 0;
      res.json({
        device_code: record.deviceCode,
        user_code: userCode,
        verification_uri: `${this.url}/_sandbox/registration`,
        verification_uri_complete: `${this.url}/_sandbox/registration?user_code=${userCode}`,
        expires_in: this.opts.registrationExpiresSeconds,
        interval: record.interval,
      });
      this.emit('registration', { userCode, deviceCode: record.deviceCode });
      return;
    }
    if (body['action'] !== 'poll') return oauthError('invalid_request', 'action must be begin or poll');
    const r = this.registrationMap.get(String(body['device_code'] ?? ''));
    if (!r || r.status === 'done') return oauthError('invalid_grant', 'unknown or already used device_code');
    if (this.now() >= r.expiresAt) return oauthError('expired_token', 'the device code has expired');
    const at = performance.now();
    const tooSoon = r.lastPollAt !== undefined && at - r.lastPollAt < r.interval * 1000;
    r.lastPollAt = at;
    if (tooSoon) {
      r.interval += 5;
      return oauthError('slow_down', `poll at most every ${r.interval} seconds`);
    }
    if (r.status === 'pending') return oauthError('authorization_pending', 'the user has not yet approved');
    if (r.status === 'denied') return oauthError('access_denied', 'the user denied the request');
    r.status = 'done';
    res.locals['code'] = 0;
    res.json({ client_id: this.opts.appId, client_secret: this.opts.appSecret, user_info: { open_id: r.approverOpenId, tenant_brand: r.brand } });
  }

  // ---- control endpoints for curl and the browser simulator -----------------------

  private mountControl(app: express.Express): void {
    const bad = (res: Response, msg: string) => {
      res.status(400).json({ error: msg });
    };
    const str = (v: unknown): v is string => typeof v === 'string' && v !== '';
    const body = (req: Request): Record<string, any> => (isObject(req.body) ? req.body : {});
    // Simulated actions may fail because nothing is listening; that is 503, not bad input.
    const act = async (res: Response, fn: () => Promise<unknown>) => {
      try {
        res.json(await fn());
      } catch (e) {
        const msg = (e as Error).message;
        res.status(/无法投递|没有已连接|尚未设置/.test(msg) ? 503 : 400).json({ error: msg });
      }
    };

    app.get('/_sandbox/users', (_req, res) => {
      res.json(this.users().map((u) => ({ ...u, p2pChatId: this.p2pChatId(u.openId) })));
    });
    app.get('/_sandbox/chats', (_req, res) => {
      res.json([...this.chatMap.values()].map((c) => ({ chatId: c.chatId, name: c.name, type: c.type, memberOpenIds: c.memberOpenIds, botIn: c.botIn })));
    });
    app.get('/_sandbox/messages', (req, res) => {
      const chatId = queryString(req, 'chat_id');
      if (chatId !== undefined && !this.chatMap.has(chatId)) {
        bad(res, `没有这个会话 (unknown chat_id): ${chatId}`);
        return;
      }
      res.json(chatId ? this.messagesIn(chatId) : this.messages());
    });
    app.get('/_sandbox/calls', (_req, res) => {
      res.json(this.calls());
    });
    app.post(
      '/_sandbox/say',
      route(async (req, res) => {
        const b = body(req);
        const post = b['post'] === undefined ? undefined : postNodesFromJson(b['post']);
        if (typeof post === 'string') return bad(res, post);
        if (!str(b['from']) || (typeof b['text'] !== 'string' && !post)) return bad(res, '需要 from（open_id）和 text 或 post (from and text or post are required)');
        if (b['chat_id'] !== undefined && !str(b['chat_id'])) return bad(res, 'chat_id 必须是字符串 (chat_id must be a string)');
        const opts: { chatId?: string } = {};
        if (str(b['chat_id'])) opts.chatId = b['chat_id'];
        if (post) await act(res, () => this.sendPost(b['from'], post, opts));
        else await act(res, () => this.sendText(b['from'], b['text'], opts));
      }),
    );
    app.post(
      '/_sandbox/click',
      route(async (req, res) => {
        const b = body(req);
        if (!str(b['message_id']) || !str(b['from'])) return bad(res, '需要 message_id 和 from (message_id and from are required)');
        if (!isObject(b['value'])) return bad(res, 'value 必须是对象 (value must be an object)');
        if (b['form_value'] !== undefined && !isObject(b['form_value'])) return bad(res, 'form_value 必须是对象 (form_value must be an object)');
        const opts: Parameters<FeishuStandIn['clickCard']>[0] = { messageId: b['message_id'], operatorOpenId: b['from'], value: b['value'] };
        if (isObject(b['form_value'])) opts.formValue = b['form_value'];
        if (str(b['name'])) opts.name = b['name'];
        await act(res, () => this.clickCard(opts));
      }),
    );
    app.post(
      '/_sandbox/image',
      route(async (req, res) => {
        const b = body(req);
        if (!str(b['from']) || !str(b['base64'])) return bad(res, '需要 from 和 base64 (from and base64 are required)');
        const bytes = Buffer.from(b['base64'], 'base64');
        if (bytes.length === 0) return bad(res, 'base64 解码后为空 (base64 decodes to nothing)');
        const opts: { chatId?: string } = {};
        if (str(b['chat_id'])) opts.chatId = b['chat_id'];
        await act(res, () => this.sendImage(b['from'], bytes, opts));
      }),
    );
    // The link a registration shows: approve or deny it here (the stand-in's stand-in for the Feishu page).
    app.get('/_sandbox/registration', (req, res) => {
      const code = queryString(req, 'user_code') ?? '';
      const r = this.registrations().find((x) => x.userCode === code);
      const esc = (t: string) => t.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
      const form = (action: string, label: string) =>
        `<form method="post" action="/_sandbox/registrations/${action}"><input type="hidden" name="user_code" value="${esc(code)}"><button>${label}</button></form>`;
      res.type('html').send(
        `<!doctype html><meta charset="utf-8"><title>创建应用（模拟）</title><h1>一键创建飞书应用（模拟平台）</h1>` +
          (r ? `<p>用户码 / user code: <b>${esc(code)}</b> — ${r.status}</p>${r.status === 'pending' ? form('approve', '同意创建 / Approve') + form('deny', '拒绝 / Deny') : ''}` : `<p>没有这个用户码 / unknown user code: ${esc(code)}</p>`),
      );
    });
    app.get('/_sandbox/registrations', (_req, res) => {
      res.json(this.registrations());
    });
    const decide = (approve: boolean) => (req: Request, res: Response) => {
      const b = body(req);
      try {
        const code = str(b['user_code']) ? b['user_code'] : undefined;
        if (approve) this.approveRegistration(code, { openId: str(b['open_id']) ? b['open_id'] : undefined, brand: b['brand'] === 'lark' ? 'lark' : undefined });
        else this.denyRegistration(code);
        res.json({ ok: true, registrations: this.registrations() });
      } catch (e) {
        bad(res, (e as Error).message);
      }
    };
    app.post('/_sandbox/registrations/approve', express.urlencoded({ extended: false }), decide(true));
    app.post('/_sandbox/registrations/deny', express.urlencoded({ extended: false }), decide(false));
    app.post('/_sandbox/scopes', (req, res) => {
      const b = body(req);
      const list = (v: unknown) => (Array.isArray(v) ? v.filter(str) : []);
      this.revokeScopes(...list(b['revoke']));
      if (b['grant'] === 'all') this.grantScopes();
      else if (list(b['grant']).length) this.grantScopes(...list(b['grant']));
      res.json({ revoked: [...this.revokedScopes] });
    });
    app.use('/_sandbox', (_req, res) => {
      res.status(404).json({ error: '没有这个沙箱接口 (no such sandbox endpoint)' });
    });
  }
}

function splitHostPort(hostPort: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  return [m?.[1] ?? '127.0.0.1', Number(m?.[2] ?? 80)];
}

/**
 * `post` of POST /_sandbox/say: paragraphs of `{tag:'text',text}`, `{tag:'a',text,href}`,
 * `{tag:'at',open_id}`, `{tag:'img',base64}`, `{tag:'emotion',emoji_type}`; or what is wrong with it.
 */
function postNodesFromJson(v: unknown): PostNodeInput[][] | string {
  const str = (x: unknown): x is string => typeof x === 'string' && x !== '';
  const wrong = 'post 必须是段落数组，每段是 text/a/at/img/emotion 元素的数组 (post must be paragraphs of text/a/at/img/emotion nodes)';
  if (!Array.isArray(v) || !v.every(Array.isArray)) return wrong;
  const out: PostNodeInput[][] = [];
  for (const paragraph of v as unknown[][]) {
    const nodes: PostNodeInput[] = [];
    for (const n of paragraph) {
      if (!isObject(n)) return wrong;
      if (n['tag'] === 'text' && typeof n['text'] === 'string') nodes.push({ tag: 'text', text: n['text'] });
      else if (n['tag'] === 'a' && typeof n['text'] === 'string' && typeof n['href'] === 'string') nodes.push({ tag: 'a', text: n['text'], href: n['href'] });
      else if (n['tag'] === 'at' && str(n['open_id'])) nodes.push({ tag: 'at', openId: n['open_id'] });
      else if (n['tag'] === 'img' && str(n['base64'])) nodes.push({ tag: 'img', bytes: Buffer.from(n['base64'], 'base64') });
      else if (n['tag'] === 'emotion' && str(n['emoji_type'])) nodes.push({ tag: 'emotion', emojiType: n['emoji_type'] });
      else return `${wrong}: ${JSON.stringify(n).slice(0, 80)}`;
    }
    out.push(nodes);
  }
  return out;
}
