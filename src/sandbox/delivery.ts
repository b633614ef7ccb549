/**
 * How events and callbacks reach the bot: over the long connection ("使用长连接接收事件")
 * or POSTed to a webhook, encrypted and signed ("步骤三：接收事件"); events that are not
 * acknowledged are pushed again ("事件概述"), callbacks never are.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type express from 'express';
import type { Request, Response } from 'express';
import type { StandInContext } from './context.js';
import { encryptPayload, signWebhook } from './crypto.js';
import { LongConnectionHub, type WsClientConfig } from './long-connection.js';
import type { DeliverOptions, DeliverResult, Via } from './types.js';
import { hex, isObject } from './util.js';

/** The one callback the bot takes; Feishu answers it synchronously and never pushes it again. */
export const CARD_CALLBACK = 'card.action.trigger';

/** The console waits this long for the URL check's answer ("配置回调请求地址"). */
const URL_VERIFICATION_TIMEOUT_MS = 1000;

/** Whether the app took the event: HTTP 200, or an ACK with code 200 on the long connection. */
const acknowledged = (r: DeliverResult): boolean => (r.ack ? r.ack.code === 200 : r.httpStatus === 200);

export class Delivery {
  private hub: LongConnectionHub;
  private readonly makeHub: () => LongConnectionHub;
  private webhookUrl: string | null = null;

  constructor(
    private readonly ctx: StandInContext,
    wsConfig: WsClientConfig,
    wsFragmentBytes: number | undefined,
  ) {
    this.makeHub = () => new LongConnectionHub(wsConfig, wsFragmentBytes);
    this.hub = this.makeHub();
  }

  /** The endpoint WSClient asks for its WebSocket URL ("使用长连接接收事件"). */
  mount(app: express.Express): void {
    app.post('/callback/ws/endpoint', (req, res) => this.wsEndpoint(req, res));
  }

  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.hub.handleUpgrade(req, socket, head);
  }

  async close(): Promise<void> {
    await this.hub.close();
    this.hub = this.makeHub(); // a closed WebSocketServer cannot be reused; start() may be called again
  }

  connectedClients(): number {
    return this.hub.connectedClients();
  }

  dropConnections(): void {
    this.hub.dropAll();
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
    const plain = JSON.stringify({ challenge, token: this.ctx.opts.verificationToken, type: 'url_verification' });
    let answer: string;
    try {
      const resp = await post(
        url,
        { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Feishu-Stand-In' },
        JSON.stringify({ encrypt: encryptPayload(this.ctx.opts.encryptKey, plain) }),
        URL_VERIFICATION_TIMEOUT_MS,
      );
      const text = resp.text;
      let echoed: unknown;
      try {
        echoed = (JSON.parse(text) as { challenge?: unknown }).challenge;
      } catch {
        /* not the JSON the console expects */
      }
      if (resp.status === 200 && echoed === challenge) {
        this.webhookUrl = url;
        return;
      }
      answer = `HTTP ${resp.status} ${text}`;
    } catch (e) {
      answer = (e as Error).message;
    }
    throw new Error(`Challenge code 没有返回，请求地址未保存 (the URL check failed: ${answer.slice(0, 200)})`);
  }

  /**
   * Deliver any v2 envelope; returns what came back from the first attempt. An
   * event that is not acknowledged is pushed again later, with the same event_id,
   * on whatever channel is there by then (not a deliberately tampered one). A
   * callback (card.action.trigger) is never pushed again, and its create_time is
   * in microseconds (回调概述; 卡片回传交互回调).
   */
  async deliver(eventType: string, event: any, opts: DeliverOptions = {}): Promise<DeliverResult> {
    const callback = eventType === CARD_CALLBACK;
    const envOpts: { eventId?: string; createTime?: string } = {};
    if (opts.eventId !== undefined) envOpts.eventId = opts.eventId;
    const createTime = opts.createTime ?? (callback ? String(this.ctx.now() * 1000) : undefined);
    if (createTime !== undefined) envOpts.createTime = createTime;
    const envelope = this.envelope(eventType, event, envOpts);
    if (opts.tamper === 'token') envelope.header.token = `wrong-${this.ctx.opts.verificationToken}`;
    const sent = this.transmit(envelope, opts.via, opts.tamper, this.ctx.opts.eventTimeoutMs);
    // Over a long connection that is down for a moment (reconnecting), the event waits for the retry.
    const result = this.hub.everConnected() && !opts.tamper ? await sent.catch((e: Error) => ({ error: e.message })) : await sent;
    if (!callback && !opts.tamper && !acknowledged(result)) this.retryLater(envelope, 0);
    return result;
  }

  private retryLater(envelope: { header: { event_type: string; event_id: string } }, attempt: number): void {
    const delay = this.ctx.opts.eventRetryDelaysMs[attempt];
    if (delay === undefined || !this.ctx.running()) return;
    this.ctx.timers.later(delay, async () => {
      const r = await this.transmit(envelope, undefined, undefined, this.ctx.opts.eventTimeoutMs).catch((e: Error) => ({ error: e.message }));
      this.ctx.emit('redelivery', { eventId: envelope.header.event_id, attempt: attempt + 1, acknowledged: acknowledged(r) });
      if (!acknowledged(r)) this.retryLater(envelope, attempt + 1);
    });
  }

  envelope(eventType: string, event: any, o: { eventId?: string; createTime?: string } = {}) {
    return {
      schema: '2.0',
      header: {
        event_id: o.eventId ?? hex(16),
        event_type: eventType,
        create_time: o.createTime ?? String(this.ctx.now()),
        token: this.ctx.opts.verificationToken,
        app_id: this.ctx.opts.appId,
        tenant_key: this.ctx.state.tenantKey,
      },
      event,
    };
  }

  /**
   * Fails early (before anything is stored) only when there is nowhere to deliver at all; while a
   * long connection reconnects, the message is kept and its event arrives on a retry.
   */
  checkReachable(via?: Via): void {
    if (!via && this.hub.everConnected()) return;
    this.pickVia(via);
  }

  /** Decide the channel, failing early (before anything is stored) when there is none. */
  pickVia(via?: Via): Via {
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

  async transmit(
    envelope: { header: { event_type: string } },
    via: Via | undefined,
    tamper: DeliverOptions['tamper'],
    timeoutMs: number,
  ): Promise<DeliverResult> {
    const channel = this.pickVia(via);
    const json = JSON.stringify(envelope);
    // When the event leaves the platform, encrypted and signed: a benchmark times the bot from here to its answer's
    // arrival (RecordedCall.receivedAt); what the platform does before is its own part.
    const pushing = () => this.ctx.emit('push', { eventType: envelope.header.event_type, via: channel, at: performance.now() });
    let result: DeliverResult;
    if (channel === 'ws') {
      // No signature over the long connection; the payload is plain JSON.
      const frameType = envelope.header.event_type === CARD_CALLBACK ? this.ctx.opts.cardFrames : 'event';
      pushing();
      const r = await this.hub.push(json, timeoutMs, frameType);
      result = r.ack ? { ack: r.ack } : { timedOut: true };
    } else {
      result = await this.postWebhook(this.webhookUrl as string, json, tamper, timeoutMs, pushing);
    }
    this.ctx.emit('delivery', { eventType: envelope.header.event_type, via: channel, result });
    return result;
  }

  /**
   * An envelope as Feishu POSTs it to a webhook: encrypted, timestamped and
   * signed ("步骤三：接收事件"). Public so a load generator can send what the
   * platform would, without a stored message behind each request.
   */
  signedWebhookRequest(json: string, tamper?: DeliverOptions['tamper']): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify({ encrypt: encryptPayload(this.ctx.opts.encryptKey, json) });
    const seconds = Math.floor(this.ctx.now() / 1000) - (tamper === 'stale-timestamp' ? 3600 : 0);
    const timestamp = String(seconds);
    const nonce = hex(8);
    const signature =
      tamper === 'signature'
        ? signWebhook(timestamp, nonce, `${this.ctx.opts.encryptKey}-tampered`, body)
        : signWebhook(timestamp, nonce, this.ctx.opts.encryptKey, body);
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

  private async postWebhook(url: string, json: string, tamper: DeliverOptions['tamper'], timeoutMs: number, pushing: () => void): Promise<DeliverResult> {
    const { headers, body } = this.signedWebhookRequest(json, tamper);
    pushing();
    try {
      const resp = await post(url, headers, body, timeoutMs);
      const text = resp.text;
      let parsed: any;
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
      if (err instanceof TimedOut) return { timedOut: true };
      return { error: `${err.message}${(err as { cause?: Error }).cause ? `: ${(err as { cause?: Error }).cause?.message}` : ''}` };
    }
  }

  private wsEndpoint(req: Request, res: Response): void {
    const body = isObject(req.body) ? req.body : {};
    if (body['AppID'] !== this.ctx.opts.appId || body['AppSecret'] !== this.ctx.opts.appSecret) {
      // Any non-zero code other than 1 / 1000040343 is fatal for the SDK: it calls onError and stops.
      res.locals['code'] = 514;
      res.locals['note'] = 'ws endpoint: bad AppID/AppSecret';
      res.json({ code: 514, msg: 'app auth failed: AppID or AppSecret is wrong', data: {} });
      return;
    }
    const hostPort = req.get('host') ?? this.ctx.baseUrl().replace(/^http:\/\//, '');
    const [host, port] = splitHostPort(hostPort);
    res.locals['code'] = 0;
    res.json({ code: 0, msg: 'ok', data: this.hub.issueUrl(host, port) });
  }
}

class TimedOut extends Error {}

/**
 * One agent, kept alive, for every POST the stand-in makes: fetch (undici) cost the stand-in about 1.8 ms of CPU
 * per event, on the same cores as the bot whose answers the benchmark times. Whether Feishu reuses a connection to
 * a request URL is not in its documents ("将事件发送至开发者服务器" says only that it POSTs each event); the bot's
 * server answers either way, and the tests cover both a reused connection and a new one.
 */
const keptAlive = new http.Agent({ keepAlive: true });

/**
 * A POST that gives up after `timeoutMs` (TimedOut), as Feishu stops waiting for a slow request URL. A kept-alive
 * connection the server closed as idle just as it was taken again fails before the server read anything (reset,
 * on a reused socket): that request goes again on a new connection, as Node's documentation of the agent advises.
 */
async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  try {
    return await postOnce(url, headers, body, timeoutMs);
  } catch (e) {
    if ((e as { reusedSocketReset?: boolean }).reusedSocketReset) return postOnce(url, headers, body, timeoutMs);
    throw e;
  }
}

function postOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }, agent: keptAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    // Settled as timed out before the socket goes: an answer cut off half-read would otherwise reject as a reset.
    const timer = setTimeout(() => {
      reject(new TimedOut(`no answer within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(Object.assign(e, { reusedSocketReset: req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET' }));
    });
    req.end(body);
  });
}

/** host and port of a Host header, as the WebSocket URL handed to WSClient needs them. */
function splitHostPort(hostPort: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  return [m?.[1] ?? '127.0.0.1', Number(m?.[2] ?? 80)];
}
