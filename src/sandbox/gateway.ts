/**
 * Feishu's gateway in front of every /open-apis call: the tenant token
 * endpoints, injected faults, token checks, revoked scopes and the per-app and
 * per-receiver rate limits ("频控策略", "发送消息").
 */
import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { StandInContext } from './context.js';
import { ApiError, fail, MSG } from './http.js';
import { checkAll, SlidingWindowLimiter } from './rate-limit.js';
import type { ChatRecord } from './store.js';
import { isObject, stripUndefined } from './util.js';

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
  'card-action-locked': {
    status: 400,
    code: 230099,
    msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock; ErrorValue: ; ',
    calls: CARD_UPDATE,
  },
  'card-element-limit': {
    status: 400,
    code: 230099,
    msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: element exceeds the limit; ErrorValue: 201; ',
    calls: CARD_UPDATE,
  },
  'upload-write-stopped': { status: 400, code: 232096, msg: 'Upload is temporarily write-stopped, please try again later.', calls: UPLOAD },
  'dlp-rejected': { status: 400, code: 230028, msg: 'The messages do NOT pass the audit.', calls: SEND_OR_REPLY },
} as const;
export type Refusal = keyof typeof REFUSALS;

/** An 11-digit mainland mobile number standing on its own, what a DLP policy looks for. */
const PLAIN_MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;

const noFaults = (): Faults => ({ errorRate5xx: 0, rateLimitNext: 0, slowMs: 0, slowNext: 0, answerLostNext: 0, refuseNext: [], dlpBlocksMobiles: false });

/**
 * The scopes each API accepts, any one sufficing ("开启任一权限即可" on each API's
 * documentation page); a call whose every scope is revoked gets 99991672.
 */
const SCOPES_BY_API: Array<{ method: string; path: RegExp; scopes: string[] }> = [
  { method: 'POST', path: /^\/open-apis\/im\/v1\/messages$/, scopes: ['im:message', 'im:message:send_as_bot'] },
  { method: 'POST', path: /^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/, scopes: ['im:message', 'im:message:send_as_bot'] },
  { method: 'PATCH', path: /^\/open-apis\/im\/v1\/messages\/[^/]+$/, scopes: ['im:message', 'im:message:send_as_bot'] },
  {
    method: 'GET',
    path: /^\/open-apis\/im\/v1\/messages\/[^/]+\/resources\/[^/]+$/,
    scopes: ['im:message', 'im:message:readonly', 'im:message.history:readonly'],
  },
  { method: 'POST', path: /^\/open-apis\/im\/v1\/(images|files)$/, scopes: ['im:resource'] },
  { method: 'GET', path: /^\/open-apis\/im\/v1\/chats$/, scopes: ['im:chat', 'im:chat:readonly', 'im:chat:read', 'im:chat.group_info:readonly'] },
  {
    method: 'GET',
    path: /^\/open-apis\/im\/v1\/chats\/[^/]+\/members$/,
    scopes: ['im:chat', 'im:chat:readonly', 'im:chat.members:read', 'im:chat.group_info:readonly'],
  },
  { method: 'POST', path: /^\/open-apis\/contact\/v3\/users\/batch_get_id$/, scopes: ['contact:user.id:readonly'] },
  // 查询主日历信息, 创建日程, 更新日程, 删除日程, 添加日程参与人.
  {
    method: 'POST',
    path: /^\/open-apis\/calendar\/v4\/calendars\/primary$/,
    scopes: ['calendar:calendar', 'calendar:calendar:readonly', 'calendar:calendar:read'],
  },
  { method: 'POST', path: /^\/open-apis\/calendar\/v4\/calendars\/[^/]+\/events$/, scopes: ['calendar:calendar', 'calendar:calendar.event:create'] },
  { method: 'PATCH', path: /^\/open-apis\/calendar\/v4\/calendars\/[^/]+\/events\/[^/]+$/, scopes: ['calendar:calendar', 'calendar:calendar.event:update'] },
  { method: 'DELETE', path: /^\/open-apis\/calendar\/v4\/calendars\/[^/]+\/events\/[^/]+$/, scopes: ['calendar:calendar', 'calendar:calendar.event:delete'] },
  {
    method: 'POST',
    path: /^\/open-apis\/calendar\/v4\/calendars\/[^/]+\/events\/[^/]+\/attendees$/,
    scopes: ['calendar:calendar', 'calendar:calendar.event:update'],
  },
];

export class Gateway {
  readonly faults: { set(f: Partial<Faults>): void; clear(): void };
  private faultState: Faults = noFaults();
  private readonly revoked = new Set<string>();

  // Rate limits ("频控策略").
  private readonly appPerSecond: SlidingWindowLimiter;
  private readonly appPerMinute: SlidingWindowLimiter;
  private readonly chatPerSecond: SlidingWindowLimiter;
  private readonly messagePatchPerSecond: SlidingWindowLimiter;

  constructor(private readonly ctx: StandInContext) {
    const clock = ctx.opts.rateClock;
    this.appPerSecond = new SlidingWindowLimiter(50, 1000, clock);
    this.appPerMinute = new SlidingWindowLimiter(1000, 60_000, clock);
    this.chatPerSecond = new SlidingWindowLimiter(5, 1000, clock);
    this.messagePatchPerSecond = new SlidingWindowLimiter(5, 1000, clock);
    this.faults = {
      set: (f) => {
        this.faultState = { ...this.faultState, ...stripUndefined(f), refuseNext: [...(f.refuseNext ?? this.faultState.refuseNext)] };
      },
      clear: () => {
        this.faultState = noFaults();
      },
    };
  }

  /** The token endpoints (no auth, no faults), then the checks every other /open-apis call passes. */
  mount(app: express.Express): void {
    app.post('/open-apis/auth/v3/tenant_access_token/internal', (req, res) => this.tokenEndpoint(req, res, 'tenant'));
    app.post('/open-apis/auth/v3/app_access_token/internal', (req, res) => this.tokenEndpoint(req, res, 'app'));
    app.use('/open-apis', (req, res, next) => this.injectFaults(req, res, next));
    app.use('/open-apis', (req, res, next) => this.authenticate(req, res, next));
    app.use('/open-apis', (req, res, next) => this.checkScopes(req, res, next));
  }

  /** A message's content as the tenant's data-loss-prevention policy checks it, if there is one. */
  checkDlp(content: string): void {
    if (this.faultState.dlpBlocksMobiles && PLAIN_MOBILE.test(content)) {
      const r = REFUSALS['dlp-rejected'];
      throw new ApiError(r.status, r.code, r.msg, 'dlp: plain mobile number');
    }
  }

  /** Take permissions away from the app: calls that need only revoked scopes answer 99991672. */
  revokeScopes(...scopes: string[]): void {
    for (const s of scopes) this.revoked.add(s);
  }

  /** Give revoked permissions back (no arguments: all of them). */
  grantScopes(...scopes: string[]): void {
    if (!scopes.length) this.revoked.clear();
    for (const s of scopes) this.revoked.delete(s);
  }

  revokedScopes(): string[] {
    return [...this.revoked];
  }

  resetLimits(): void {
    for (const l of [this.appPerSecond, this.appPerMinute, this.chatPerSecond, this.messagePatchPerSecond]) l.reset();
  }

  /** Per-app gateway limit for send / reply / patch: HTTP 429, 99991400. */
  appLimit(api: 'send' | 'reply' | 'patch'): void {
    if (!this.ctx.opts.enforceRateLimits) return;
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
  chatLimit(chat: ChatRecord): void {
    if (!this.ctx.opts.enforceRateLimits) return;
    const v = checkAll([{ limiter: this.chatPerSecond, key: chat.chatId }]);
    if (!v.ok) {
      const who = chat.type === 'p2p' ? `user ${chat.memberOpenIds[0] ?? ''}` : `chat ${chat.chatId}`;
      throw new ApiError(400, 230020, MSG.imRateLimited, `rate limit: ${who} 5/s`);
    }
  }

  /** Per message: 5 updates a second, HTTP 400, 230020. */
  messageLimit(messageId: string): void {
    if (!this.ctx.opts.enforceRateLimits) return;
    const v = checkAll([{ limiter: this.messagePatchPerSecond, key: messageId }]);
    if (!v.ok) throw new ApiError(400, 230020, MSG.imRateLimited, `rate limit: message ${messageId} 5/s`);
  }

  private async injectFaults(req: Request, res: Response, next: NextFunction): Promise<void> {
    const f = this.faultState;
    const delay = f.slowMs;
    if (delay > 0) {
      if (f.slowNext > 0) {
        f.slowNext -= 1;
        if (f.slowNext === 0) f.slowMs = 0; // the last slow call of the batch
      }
      await this.ctx.timers.sleep(delay);
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
    const expires = this.ctx.state.tokenExpiry(token);
    if (expires === undefined || expires <= this.ctx.now()) {
      fail(res, new ApiError(400, 99991663, MSG.invalidToken, expires === undefined ? 'unknown token' : 'expired token'));
      return;
    }
    next();
  }

  /** Feishu's gateway answers a call the app has no scope for before looking at its parameters. */
  private checkScopes(req: Request, res: Response, next: NextFunction): void {
    const path = req.originalUrl.split('?')[0] ?? '';
    const api = SCOPES_BY_API.find((a) => a.method === req.method && a.path.test(path));
    if (!api || api.scopes.some((s) => !this.revoked.has(s))) {
      next();
      return;
    }
    const list = api.scopes.join(', ');
    const link = `https://open.feishu.cn/app/${this.ctx.opts.appId}/auth?q=${api.scopes.join(',')}&op_from=openapi&token_type=tenant`;
    fail(
      res,
      new ApiError(
        400,
        99991672,
        `Access denied. One of the following scopes is required: [${list}].应用尚未开通所需的应用身份权限：[${list}]，点击链接申请并开通任一权限即可：${link}`,
        'scope revoked',
      ),
    );
  }

  private tokenEndpoint(req: Request, res: Response, kind: 'tenant' | 'app'): void {
    const body = isObject(req.body) ? req.body : {};
    const appId = body['app_id'];
    const appSecret = body['app_secret'];
    if (typeof appId !== 'string' || typeof appSecret !== 'string' || !appId || !appSecret) {
      fail(res, new ApiError(400, 10003, 'invalid param: app_id and app_secret are required'));
      return;
    }
    if (appId !== this.ctx.opts.appId) {
      fail(res, new ApiError(400, 10014, 'app id not exist or app secret invalid'));
      return;
    }
    if (appSecret !== this.ctx.opts.appSecret) {
      fail(res, new ApiError(400, 10014, 'app secret invalid'));
      return;
    }
    const { token, expire } = this.ctx.state.issueToken();
    res.locals['code'] = 0;
    // Token endpoints put their fields at the top level, not under `data`.
    if (kind === 'tenant') res.json({ code: 0, msg: 'ok', tenant_access_token: token, expire });
    else res.json({ code: 0, msg: 'ok', app_access_token: token, tenant_access_token: token, expire });
  }
}
