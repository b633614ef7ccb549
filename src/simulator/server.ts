/**
 * The browser chat simulator (sandbox mode only): a page on the bot's HTTP
 * port where one can be any person of the demo roster, chat with the bot in a
 * direct chat and the branch group, click and submit cards, move the sandbox
 * clock and watch what the stand-in recorded.
 *
 * It never talks to the bot directly: messages and card callbacks go through
 * the stand-in (`sendText`, `sendImage`, `clickCard`), i.e. through the same
 * signed webhook / long connection as the tests, and everything the bot sends
 * comes back from the stand-in's EventEmitter as Server-Sent Events.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AdjustableClock } from '../clock.js';
import { routeLines, type RouteListing } from '../features/feature.js';
import type { FeishuStandIn, RecordedCall, StoredMessage } from '../sandbox/index.js';
import { CLOCK_JUMPS, isClockJump, jumpTarget } from './clock-jumps.js';

export const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
const VCHART_FILE = createRequire(import.meta.url).resolve('@visactor/vchart/build/index.min.js');
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Keeps idle proxies from closing the event stream; a comment line, not a poll. */
const KEEPALIVE_MS = 25_000;

export interface SimulatorPerson {
  openId: string;
  name: string;
  roles: string[];
  department?: string | null;
}

/** The part of the bot the simulator drives: its scheduled jobs, and waiting for what they queued; and its routes, for the routes page. */
export interface SimulatorBot {
  scheduler: { runAll(at?: Date): Promise<void> };
  settle?(timeoutMs?: number): Promise<void>;
  routes?(): RouteListing;
}

export interface SimulatorOptions {
  standIn: FeishuStandIn;
  /** The sandbox clock shared by the bot and the stand-in; the simulator moves it. */
  clock: AdjustableClock;
  /** The roster with roles (the `people` table); the stand-in's users are used when absent. */
  people?: () => Promise<SimulatorPerson[]>;
  /** The campaign's time zone, for the clock buttons and times shown. */
  timezone?: string;
}

type SseEvent = 'message' | 'message-updated' | 'call' | 'clock';

export function createSimulator(o: SimulatorOptions) {
  const tz = o.timezone ?? 'Asia/Shanghai';
  const { standIn, clock } = o;
  let bot: SimulatorBot | undefined;
  let closed = false;

  // One subscription to the stand-in, fanned out to every open page.
  const clients = new Set<Response>();
  const broadcast = (event: SseEvent, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(frame);
  };
  /**
   * The bot sends a file by its file_key alone ("发送消息"); the client shows the name the file
   * was uploaded under ("上传文件"), so the page gets that name with the message.
   */
  const shown = (m: StoredMessage): StoredMessage => {
    const key = m.msgType === 'file' && typeof m.content?.file_key === 'string' && !m.content.file_name ? m.content.file_key : undefined;
    const fileName = key && standIn.resource(key)?.fileName;
    return fileName ? { ...m, content: { ...m.content, file_name: fileName } } : m;
  };
  const onMessage = (m: StoredMessage) => broadcast('message', shown(m));
  const onUpdated = (m: StoredMessage) => broadcast('message-updated', shown(m));
  const onCall = (c: RecordedCall) => broadcast('call', c);
  standIn.on('message', onMessage);
  standIn.on('message-updated', onUpdated);
  standIn.on('call', onCall);
  const keepalive = setInterval(() => {
    for (const res of clients) res.write(': keepalive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  async function roster(): Promise<SimulatorPerson[]> {
    const known = new Map(standIn.users().map((u) => [u.openId, u]));
    const people = o.people ? await o.people() : [];
    const out: SimulatorPerson[] = people.filter((p) => known.has(p.openId));
    for (const u of known.values()) if (!out.some((p) => p.openId === u.openId)) out.push({ openId: u.openId, name: u.name, roles: [] });
    return out;
  }

  function clockState() {
    return { now: clock.now().getTime(), timezone: tz };
  }

  function router(): express.Router {
    const r = express.Router();
    r.use((req, res, next) => {
      // The page lets anyone act as anyone: like the stand-in's /_sandbox, only from this machine.
      if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
        res.status(403).type('text/plain; charset=utf-8').send('模拟器只允许本机访问 (the simulator is loopback only)');
        return;
      }
      next();
    });
    r.get('/', (_req, res) => res.sendFile(path.join(PUBLIC_DIR, 'index.html')));
    r.use('/sim/static', express.static(PUBLIC_DIR, { index: false, fallthrough: false }));
    r.get('/sim/vendor/vchart.js', (_req, res) => res.sendFile(VCHART_FILE, { maxAge: '1h' }));
    r.use('/sim/api', express.json({ limit: '16mb' }));

    r.get('/sim/api/state', async (_req, res) => {
      const users = await roster();
      res.json({
        ...clockState(),
        botName: '走访助手',
        botOpenId: standIn.botOpenId,
        users: users.map((u) => ({ ...u, p2pChatId: standIn.p2pChatId(u.openId) })),
        groups: standIn.chats(),
        jumps: Object.entries(CLOCK_JUMPS).map(([id, j]) => ({ id, ...j })),
        calls: standIn.calls(),
      });
    });
    r.get('/sim/api/messages', (req, res) => {
      const chatId = typeof req.query['chat_id'] === 'string' ? req.query['chat_id'] : undefined;
      res.json((chatId ? standIn.messagesIn(chatId) : standIn.messages()).map(shown));
    });
    r.get('/sim/api/events', (req, res) => {
      if (closed) {
        res.status(503).end(); // shutting down: EventSource gives up instead of reconnecting
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive' });
      res.write(`retry: 1000\nevent: clock\ndata: ${JSON.stringify(clockState())}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    });

    r.post(
      '/sim/api/say',
      act(async (b) => {
        const from = str(b['from'], 'from');
        const text = str(b['text'], 'text');
        const chatId = optStr(b['chatId']);
        const mention = b['mentionBot'] === true && chatId !== undefined && chatId !== safeP2p(from);
        // In a group the bot only hears messages that @mention it, written as "@_user_1" in the text.
        const opts: Parameters<FeishuStandIn['sendText']>[2] = {};
        if (chatId) opts.chatId = chatId;
        if (mention) opts.mentions = [standIn.botMention('@_user_1')];
        return standIn.sendText(from, mention ? `@_user_1 ${text}` : text, opts);
      }),
    );
    r.post(
      '/sim/api/image',
      act(async (b) => {
        const from = str(b['from'], 'from');
        const bytes = Buffer.from(str(b['base64'], 'base64'), 'base64');
        if (bytes.length === 0 || bytes.length > MAX_IMAGE_BYTES) throw new BadRequest('图片为空或超过 10 MB (empty image or over 10 MB)');
        const chatId = optStr(b['chatId']);
        return standIn.sendImage(from, bytes, chatId ? { chatId } : {});
      }),
    );
    r.post(
      '/sim/api/click',
      act(async (b) => {
        const value = b['value'];
        if (!isObject(value)) throw new BadRequest('value 必须是对象 (value must be an object)');
        const opts: Parameters<FeishuStandIn['clickCard']>[0] = {
          messageId: str(b['messageId'], 'messageId'),
          operatorOpenId: str(b['from'], 'from'),
          value,
        };
        if (isObject(b['formValue'])) opts.formValue = b['formValue'];
        const name = optStr(b['name']);
        if (name) opts.name = name;
        const tag = optStr(b['tag']);
        if (tag) opts.tag = tag;
        const answer = await standIn.clickCard(opts);
        return { refused: answer.refused, toast: answer.toast, error: answer.error, updated: answer.card !== undefined };
      }),
    );
    r.post(
      '/sim/api/clock',
      act(async (b) => {
        const jump = b['jump'];
        let target: Date;
        if (isClockJump(jump)) target = jumpTarget(jump, clock.now(), tz);
        else if (typeof b['at'] === 'string' && !Number.isNaN(Date.parse(b['at']))) target = new Date(b['at']);
        else throw new BadRequest(`jump 应为 ${Object.keys(CLOCK_JUMPS).join(' / ')}，或给出 at (ISO 时间) (unknown jump)`);
        clock.set(target);
        broadcast('clock', clockState());
        // The scheduled jobs run at the new time, so reminders and digests arrive now.
        if (bot) {
          await bot.scheduler.runAll();
          await bot.settle?.().catch(() => undefined);
        }
        return { ...clockState(), ranJobs: bot !== undefined };
      }),
    );
    // The pictures users sent and the images and files the bot uploaded, as the Feishu client shows them.
    // Keys are opaque names in the stand-in's own store, never paths: nothing else can be read here.
    r.get('/sim/api/resource/:key', (req, res) => {
      const key = String(req.params['key']);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      const found = standIn.resource(key);
      if (!found) {
        res.status(404).json({ error: `没有这个图片或文件 (no such image or file): ${key}` });
        return;
      }
      if (found.kind === 'file') res.setHeader('Content-Disposition', attachment(found.fileName ?? key));
      res.type(found.contentType).send(found.bytes);
    });
    // Where the code for a button is: every command, card action, menu key and job with the file that registered it.
    r.get('/sim/api/routes', (_req, res) => {
      if (!bot?.routes) {
        res.status(503).json({ error: '机器人还没有启动 (the bot has not started)' });
        return;
      }
      res.json(bot.routes());
    });
    r.get('/sim/routes', (_req, res) => {
      if (!bot?.routes) {
        res.status(503).type('text/plain; charset=utf-8').send('机器人还没有启动 (the bot has not started)');
        return;
      }
      res.type('text/html; charset=utf-8').send(routesPage(bot.routes()));
    });
    r.use('/sim/api', (_req, res) => {
      res.status(404).json({ error: '没有这个模拟器接口 (no such simulator endpoint)' });
    });
    return r;
  }

  function safeP2p(openId: string): string | undefined {
    try {
      return standIn.p2pChatId(openId);
    } catch {
      return undefined;
    }
  }

  return {
    /** Pass to `createBot({ mount })`. */
    mount(app: express.Express): void {
      app.use(router());
    },
    /** The bot is built after the routes are mounted; bind it so clock jumps run its jobs. */
    bindBot(b: SimulatorBot): void {
      bot = b;
    },
    clockState,
    /** Ends open event streams and stops listening to the stand-in. */
    close(): void {
      closed = true;
      clearInterval(keepalive);
      standIn.off('message', onMessage);
      standIn.off('message-updated', onUpdated);
      standIn.off('call', onCall);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}

export type Simulator = ReturnType<typeof createSimulator>;

class BadRequest extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new BadRequest(`需要 ${name} (${name} is required)`);
  return v;
}

/** A download under its own name, Chinese included (RFC 6266), with an ASCII stand-in for old clients. */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const utf8 = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The routes as one table, the same lines as `zoufang routes`. */
function routesPage(listing: RouteListing): string {
  const rows = routeLines(listing)
    .map(
      (line) =>
        `<tr>${line
          .split('\t')
          .map((cell) => `<td>${escapeHtml(cell)}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>路由 / Routes · 走访助手</title>
<link rel="stylesheet" href="/sim/static/styles.css"></head>
<body class="routes-page"><h1>路由 / Routes</h1>
<p>每个命令、卡片动作、菜单项、私聊消息类型和定时任务，及注册它的文件（同 <code>zoufang routes</code>）。/ Every command, card action, menu key, message type and job, with the file that registered it.</p>
<table class="routes"><thead><tr><th>类别 kind</th><th>名称 name</th><th>权限 access</th><th>文件 file</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** JSON in, JSON out; the stand-in's own errors (unknown user, not a member, …) come back as 400 with its message. */
function act(fn: (body: Record<string, unknown>) => Promise<unknown>) {
  return async (req: Request, res: Response, _next: NextFunction): Promise<void> => {
    try {
      res.json(await fn(isObject(req.body) ? req.body : {}));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const unavailable = /无法投递|没有已连接|尚未设置/.test(msg);
      res.status(e instanceof BadRequest ? 400 : unavailable ? 503 : 400).json({ error: msg });
    }
  };
}
