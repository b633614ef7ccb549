/**
 * The long-connection half of the stand-in ("使用长连接接收事件", as the Node
 * SDK's WSClient speaks it): endpoint tickets,
 * the `/ws` WebSocket server, ping/pong, pushing data frames and matching the
 * client's ACKs back to the push that caused them.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { decodeFrame, encodeFrame, FrameMethod, headerValue, type Frame } from './ws-frames.js';

export const WS_PATH = '/ws';
export const WS_SERVICE_ID = 777;

/** Numbers are seconds; the SDK multiplies them by 1000. */
export interface WsClientConfig {
  PingInterval: number;
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
}

/**
 * Real Feishu answers 120 / -1 / 120 / 30. A local sandbox should come back
 * quickly after `dropConnections()`, so the reconnect delays are short.
 */
export const DEFAULT_WS_CLIENT_CONFIG: WsClientConfig = {
  PingInterval: 120,
  ReconnectCount: -1,
  ReconnectInterval: 2,
  ReconnectNonce: 1,
};

export interface WsAck {
  /** 200 when the handler ran, 500 when it threw. */
  code: number;
  /** The handler's return value (base64 JSON in the ACK), decoded. */
  data?: unknown;
  /** The ACK payload as the client sent it. */
  raw: unknown;
  /** The ACK frame's headers: the pushed frame's own (`type`, `message_id`, …) echoed back, plus `biz_rt`. */
  headers: Record<string, string>;
}

/**
 * The `type` header of a data frame. Events travel as "event"; card callbacks
 * arrive as "event" or "card" depending on the app (see StandInOptions.cardFrames).
 */
export type DataFrameType = 'event' | 'card';

export interface WsPushResult {
  ack?: WsAck;
  timedOut: boolean;
}

interface Pending {
  resolve: (r: WsPushResult) => void;
  timer: NodeJS.Timeout;
}

const TICKET_TTL_MS = 5 * 60_000;

export class LongConnectionHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  /**
   * Sockets that have sent their first frame. The SDK pings from its 'open'
   * handler and attaches its message listener a tick later, so a push sent
   * before that first ping could arrive before anyone listens and be lost.
   */
  private readonly ready = new WeakSet<WebSocket>();
  private readonly tickets = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private nextSocket = 0;

  constructor(
    private readonly clientConfig: WsClientConfig = DEFAULT_WS_CLIENT_CONFIG,
    /** Payloads above this many bytes are split into `sum` fragments. */
    private readonly fragmentBytes = 256 * 1024,
  ) {}

  /** Build the URL answered by POST /callback/ws/endpoint. */
  issueUrl(host: string, port: number): { URL: string; ClientConfig: WsClientConfig } {
    const ticket = randomBytes(12).toString('hex');
    this.tickets.set(ticket, Date.now() + TICKET_TTL_MS);
    const deviceId = randomBytes(8).toString('hex');
    // service_id must not be the first query parameter: the SDK parses the
    // whole URL with querystring, so the first key swallows the "…?" prefix.
    const url = `ws://${host}:${port}${WS_PATH}?fpid=1&device_id=${deviceId}&service_id=${WS_SERVICE_ID}&ticket=${ticket}`;
    return { URL: url, ClientConfig: { ...this.clientConfig } };
  }

  /** Hand an HTTP upgrade to the WebSocket server. Returns false if the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== WS_PATH) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    const expires = this.tickets.get(ticket);
    if (expires === undefined || expires < Date.now()) {
      // Mirrors the gateway's handshake headers (the Go SDK reads them; Node ignores them).
      socket.write('HTTP/1.1 403 Forbidden\r\nHandshake-Status: 403\r\nHandshake-Msg: invalid ticket\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
    return true;
  }

  private connectedOnce = false;

  /** Whether a client has ever connected: the app uses the long connection, even if it is reconnecting now. */
  everConnected(): boolean {
    return this.connectedOnce;
  }

  /** Open sockets whose client has shown it is listening (see `ready`). */
  connectedClients(): number {
    let n = 0;
    for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN && this.ready.has(ws)) n++;
    return n;
  }

  /**
   * Push one event/callback JSON to one client (cluster mode: a single
   * receiver) and wait for its ACK. Resolves with `timedOut` when no ACK
   * arrives in time; rejects only when no client is connected. `frameType`
   * is any string so a test can push a type no client knows.
   */
  push(payloadJson: string, timeoutMs: number, frameType = 'event'): Promise<WsPushResult> {
    const open = [...this.sockets].filter((ws) => ws.readyState === WebSocket.OPEN && this.ready.has(ws));
    if (open.length === 0) return Promise.reject(new Error('没有已连接的长连接客户端 (no long-connection client connected)'));
    const ws = open[this.nextSocket++ % open.length] as WebSocket;
    const messageId = `msg_${randomBytes(10).toString('hex')}`;
    const traceId = randomBytes(8).toString('hex');
    const bytes = Buffer.from(payloadJson, 'utf8');
    const parts: Buffer[] = [];
    for (let off = 0; off < bytes.length || parts.length === 0; off += this.fragmentBytes) {
      parts.push(bytes.subarray(off, off + this.fragmentBytes));
    }
    return new Promise<WsPushResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        resolve({ timedOut: true });
      }, timeoutMs);
      this.pending.set(messageId, { resolve, timer });
      parts.forEach((part, i) => {
        const frame: Frame = {
          SeqID: ++this.seq,
          LogID: this.seq,
          service: WS_SERVICE_ID,
          method: FrameMethod.data,
          headers: [
            { key: 'type', value: frameType },
            { key: 'message_id', value: messageId },
            { key: 'sum', value: String(parts.length) },
            { key: 'seq', value: String(i) },
            { key: 'trace_id', value: traceId },
          ],
          payload: part,
        };
        ws.send(encodeFrame(frame));
      });
    });
  }

  /** Close every socket; SDK clients reconnect on their own. */
  dropAll(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }

  close(): Promise<void> {
    this.dropAll();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ timedOut: true });
      this.pending.delete(id);
    }
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private attach(ws: WebSocket): void {
    this.sockets.add(ws);
    this.connectedOnce = true;
    ws.on('message', (data, isBinary) => {
      this.ready.add(ws);
      if (!isBinary) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let frame: Frame;
      try {
        frame = decodeFrame(buf);
      } catch {
        return; // A client that sends garbage gets ignored, as the gateway would.
      }
      if (frame.method === FrameMethod.control) this.onControl(ws, frame);
      else if (frame.method === FrameMethod.data) this.onAck(frame);
    });
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
  }

  private onControl(ws: WebSocket, frame: Frame): void {
    if (headerValue(frame, 'type') !== 'ping') return;
    // A pong must carry the JSON ClientConfig, or the SDK logs "invalid pong payload".
    const pong: Frame = {
      SeqID: 0,
      LogID: 0,
      service: frame.service,
      method: FrameMethod.control,
      headers: [{ key: 'type', value: 'pong' }],
      payload: Buffer.from(JSON.stringify(this.clientConfig), 'utf8'),
    };
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeFrame(pong));
  }

  private onAck(frame: Frame): void {
    const messageId = headerValue(frame, 'message_id');
    if (!messageId) return;
    const p = this.pending.get(messageId);
    if (!p) return;
    this.pending.delete(messageId);
    clearTimeout(p.timer);
    let raw: unknown;
    let code = 0;
    let data: unknown;
    try {
      raw = JSON.parse(Buffer.from(frame.payload ?? new Uint8Array()).toString('utf8'));
      const obj = raw as { code?: unknown; data?: unknown };
      code = typeof obj.code === 'number' ? obj.code : 0;
      if (typeof obj.data === 'string' && obj.data !== '') {
        const text = Buffer.from(obj.data, 'base64').toString('utf8');
        try {
          data = JSON.parse(text);
        } catch {
          data = text;
        }
      }
    } catch {
      raw = Buffer.from(frame.payload ?? new Uint8Array()).toString('utf8');
    }
    const headers = Object.fromEntries(frame.headers.map((h) => [h.key, h.value]));
    const ack: WsAck = { code, raw, headers };
    if (data !== undefined) ack.data = data;
    p.resolve({ ack, timedOut: false });
  }
}
