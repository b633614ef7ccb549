/**
 * FeishuStandIn: an embedded fake of the Feishu Open Platform.
 *
 * The real, unmodified `@larksuiteoapi/node-sdk` talks to it over real HTTP
 * and WebSocket (`domain: standIn.baseUrl`). It keeps users, chats and
 * messages in memory, enforces the platform's documented rules and limits,
 * and plays the user's side: simulated users send messages, click cards and
 * press menu items, which are delivered to the bot over the long connection
 * or a signed, encrypted webhook.
 *
 * This class is the facade; the work is done by its parts:
 * - store.ts: the platform state (directory, messages, resources, tokens, calls);
 * - gateway.ts, open-api-*.ts: the Open API (token, faults, scopes, rate limits, routes);
 * - simulated-users.ts, delivery.ts: the users' side and how events reach the bot;
 * - registration.ts: one-click app registration;
 * - control.ts: the /_sandbox control routes.
 */
import { performance } from 'node:perf_hooks';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Timers, type ResolvedOptions, type StandInContext } from './context.js';
import { mountControl } from './control.js';
import { Delivery } from './delivery.js';
import { Gateway, type Faults } from './gateway.js';
import { ApiError, callRecorder, errorHandler } from './http.js';
import { DEFAULT_WS_CLIENT_CONFIG } from './long-connection.js';
import { CalendarApi, type StandInEvent } from './open-api-calendar.js';
import { DirectoryApi } from './open-api-directory.js';
import { MediaApi } from './open-api-media.js';
import { MessagesApi } from './open-api-messages.js';
import { AppRegistration } from './registration.js';
import { SimulatedUsers } from './simulated-users.js';
import { PlatformState, type Resource } from './store.js';
import type { DeliverOptions, RecordedCall, StandInChat, StandInOptions, StandInRegistration, StandInUser, StoredMessage } from './types.js';
import { hex, stripUndefined } from './util.js';

export * from './types.js';
export type { Faults } from './gateway.js';
export type { StandInEvent } from './open-api-calendar.js';

export class FeishuStandIn extends EventEmitter {
  readonly faults: { set(f: Partial<Faults>): void; clear(): void };
  readonly botOpenId: string;
  readonly tenantKey: string;

  private readonly opts: ResolvedOptions;
  private readonly timers = new Timers();
  private readonly state: PlatformState;
  private readonly gateway: Gateway;
  private readonly delivery: Delivery;
  private readonly simulated: SimulatedUsers;
  private readonly registration: AppRegistration;
  private readonly openApiRoutes: Array<{ mount(app: express.Express): void }>;
  private readonly calendar: CalendarApi;
  private server: http.Server | undefined;
  private url = '';

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
      rateClock: () => performance.now(),
      appName: '走访助手',
      callbackTimeoutMs: 3000,
      eventTimeoutMs: 3000,
      eventRetryDelaysMs: [15_000, 300_000, 3_600_000, 21_600_000],
      registrationIntervalSeconds: 5,
      registrationExpiresSeconds: 600,
      cardFrames: 'event',
      ...stripUndefined(opts),
    } as ResolvedOptions;
    const now = this.opts.now;
    const emit = (event: string, payload: unknown) => void this.emit(event, payload);
    this.state = new PlatformState(this.opts, now, emit);
    this.botOpenId = this.state.botOpenId;
    this.tenantKey = this.state.tenantKey;
    const ctx: StandInContext = {
      opts: this.opts,
      now,
      state: this.state,
      emit,
      timers: this.timers,
      baseUrl: () => this.url,
      running: () => this.server !== undefined,
    };
    this.gateway = new Gateway(ctx);
    this.faults = this.gateway.faults;
    this.delivery = new Delivery(ctx, { ...DEFAULT_WS_CLIENT_CONFIG, ...(opts.wsClientConfig ?? {}) }, opts.wsFragmentBytes);
    this.simulated = new SimulatedUsers(ctx, this.delivery);
    this.registration = new AppRegistration(ctx);
    this.calendar = new CalendarApi(ctx);
    this.openApiRoutes = [new MessagesApi(ctx, this.gateway), new MediaApi(this.state), new DirectoryApi(ctx), this.calendar];
  }

  // ---- lifecycle -----------------------------------------------------------

  get baseUrl(): string {
    return this.url;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer(this.buildApp());
    server.on('upgrade', (req, socket, head) => {
      if (!this.delivery.handleUpgrade(req, socket, head)) socket.destroy();
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
    this.timers.clear();
    await this.delivery.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  // ---- directory -----------------------------------------------------------

  addUser(u: StandInUser): void {
    this.state.addUser(u);
  }

  addChat(c: StandInChat): void {
    this.state.addChat(c);
  }

  /** Take the bot out of a group: sends to it then fail with 230002. */
  removeBotFromChat(chatId: string): void {
    this.state.setBotInGroup(chatId, false);
  }

  /** Put the bot back into a group it was taken out of. */
  addBotToChat(chatId: string): void {
    this.state.setBotInGroup(chatId, true);
  }

  users(): StandInUser[] {
    return this.state.users();
  }

  /** Group chats added with addChat (p2p chats are reached through p2pChatId). */
  chats(): StandInChat[] {
    return this.state.chats();
  }

  p2pChatId(openId: string): string {
    return this.state.p2pChatId(openId);
  }

  /** user_id / union_id are derived from the open_id so they are stable and distinct. */
  userIdOf(openId: string): string {
    return this.state.userIdOf(openId);
  }

  unionIdOf(openId: string): string {
    return this.state.unionIdOf(openId);
  }

  /** A mention entry for the bot, to pass as `mentions` to sendText in a group. */
  botMention(key = '@_user_1'): any {
    return this.state.mention(this.botOpenId, key);
  }

  /** A mention entry for a user or the bot, as `mentions` of a received message lists it under its `@_user_N` key. */
  mention(openId: string, key: string): any {
    return this.state.mention(openId, key);
  }

  // ---- records -------------------------------------------------------------

  messages(): StoredMessage[] {
    return this.state.messages();
  }

  messagesIn(chatId: string): StoredMessage[] {
    return this.state.messagesIn(chatId);
  }

  messagesTo(openId: string): StoredMessage[] {
    return this.state.messagesTo(openId);
  }

  /** An image or file the bot uploaded or a user sent, by its image_key / file_key; a copy, so callers cannot change the stored one. */
  resource(key: string): Resource | undefined {
    const r = this.state.resource(key);
    return r && { ...r, bytes: Buffer.from(r.bytes) };
  }

  /** The events on the app's primary calendar, with their attendees; deleted ones have status `cancelled`. */
  calendarEvents(): StandInEvent[] {
    return this.calendar.list();
  }

  calls(): RecordedCall[] {
    return this.state.calls();
  }

  /** Forget recorded calls, messages, uuid keys and rate-limit windows (users, chats, uploads stay). */
  resetRecords(): void {
    this.state.resetRecords();
    this.gateway.resetLimits();
  }

  // ---- the app's setup and the platform's conditions -----------------------

  setWebhook(url: string | null): void {
    this.delivery.setWebhook(url);
  }

  /** Save a request URL as the developer console does: only if it answers the URL check. */
  configureWebhook(url: string): Promise<void> {
    return this.delivery.configureWebhook(url);
  }

  connectedClients(): number {
    return this.delivery.connectedClients();
  }

  dropConnections(): void {
    this.delivery.dropConnections();
  }

  expireTokens(): void {
    this.state.expireTokens();
  }

  /** Take permissions away from the app: calls that need only revoked scopes answer 99991672. */
  revokeScopes(...scopes: string[]): void {
    this.gateway.revokeScopes(...scopes);
  }

  /** Give revoked permissions back (no arguments: all of them). */
  grantScopes(...scopes: string[]): void {
    this.gateway.grantScopes(...scopes);
  }

  // ---- one-click registration ----------------------------------------------

  registrations(): StandInRegistration[] {
    return this.registration.list();
  }

  /**
   * The person who opened the link approves: the next poll gets this stand-in's
   * credentials. Without a user code, the only pending registration is approved.
   */
  approveRegistration(...args: Parameters<AppRegistration['approve']>): void {
    this.registration.approve(...args);
  }

  denyRegistration(userCode?: string): void {
    this.registration.deny(userCode);
  }

  // ---- simulated users -----------------------------------------------------

  sendText(...args: Parameters<SimulatedUsers['sendText']>) {
    return this.simulated.sendText(...args);
  }

  sendImage(...args: Parameters<SimulatedUsers['sendImage']>) {
    return this.simulated.sendImage(...args);
  }

  /** A rich-text message, delivered as Feishu does ("接收消息内容结构"). */
  sendPost(...args: Parameters<SimulatedUsers['sendPost']>) {
    return this.simulated.sendPost(...args);
  }

  sendFile(...args: Parameters<SimulatedUsers['sendFile']>) {
    return this.simulated.sendFile(...args);
  }

  /** A user clicks a component of a card the bot sent (卡片回传交互回调). */
  clickCard(...args: Parameters<SimulatedUsers['clickCard']>) {
    return this.simulated.clickCard(...args);
  }

  /** The `card.action.trigger` callback a click on a card in `chatId` produces (卡片回传交互回调). */
  cardActionEnvelope(...args: Parameters<SimulatedUsers['cardActionEnvelope']>) {
    return this.simulated.cardActionEnvelope(...args);
  }

  menuClick(...args: Parameters<SimulatedUsers['menuClick']>) {
    return this.simulated.menuClick(...args);
  }

  /** Deliver any v2 envelope; an event not acknowledged is pushed again later. */
  deliver(eventType: string, event: any, opts: DeliverOptions = {}) {
    return this.delivery.deliver(eventType, event, opts);
  }

  /** An envelope as Feishu POSTs it to a webhook: encrypted, timestamped and signed. */
  signedWebhookRequest(json: string, tamper?: DeliverOptions['tamper']) {
    return this.delivery.signedWebhookRequest(json, tamper);
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
    app.use(
      ['/open-apis', '/callback', '/oauth'],
      callRecorder(this.opts.now, (call) => this.state.recordCall(call)),
    );
    app.use(express.json({ limit: '2mb', type: ['application/json', 'application/*+json'] }));

    this.gateway.mount(app);
    for (const api of this.openApiRoutes) api.mount(app);
    app.use('/open-apis', (_req, _res, next) => next(new ApiError(404, 404, '404 page not found (沙箱未实现此接口 / not implemented by the stand-in)')));

    this.delivery.mount(app);
    this.registration.mount(app);
    mountControl(app, this, this.state, this.gateway);
    app.use(errorHandler);
    return app;
  }
}
