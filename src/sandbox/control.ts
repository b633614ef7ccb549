/**
 * The sandbox's own control routes (/_sandbox/*) for curl and the browser
 * simulator: look at users, chats, messages and calls; act as a user; approve a
 * registration; revoke scopes. Only the local machine may use them.
 */
import express from 'express';
import type { Request, Response } from 'express';
import type { Gateway } from './gateway.js';
import { route } from './http.js';
import type { FeishuStandIn } from './stand-in.js';
import type { PlatformState } from './store.js';
import type { PostNodeInput } from './types.js';
import { isObject, queryString } from './util.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const str = (v: unknown): v is string => typeof v === 'string' && v !== '';

export function mountControl(app: express.Express, standIn: FeishuStandIn, state: PlatformState, gateway: Gateway): void {
  app.use('/_sandbox', (req, res, next) => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      res.status(403).json({ error: '只允许本机访问 (loopback only)' });
      return;
    }
    next();
  });
  const bad = (res: Response, msg: string) => {
    res.status(400).json({ error: msg });
  };
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
    res.json(standIn.users().map((u) => ({ ...u, p2pChatId: standIn.p2pChatId(u.openId) })));
  });
  app.get('/_sandbox/chats', (_req, res) => {
    res.json(state.chatRecords().map((c) => ({ chatId: c.chatId, name: c.name, type: c.type, memberOpenIds: c.memberOpenIds, botIn: c.botIn })));
  });
  app.get('/_sandbox/messages', (req, res) => {
    const chatId = queryString(req, 'chat_id');
    if (chatId !== undefined && !state.chat(chatId)) {
      bad(res, `没有这个会话 (unknown chat_id): ${chatId}`);
      return;
    }
    res.json(chatId ? standIn.messagesIn(chatId) : standIn.messages());
  });
  app.get('/_sandbox/calls', (_req, res) => {
    res.json(standIn.calls());
  });
  app.post(
    '/_sandbox/say',
    route(async (req, res) => {
      const b = body(req);
      const post = b['post'] === undefined ? undefined : postNodesFromJson(b['post']);
      if (typeof post === 'string') return bad(res, post);
      if (!str(b['from']) || (typeof b['text'] !== 'string' && !post))
        return bad(res, '需要 from（open_id）和 text 或 post (from and text or post are required)');
      if (b['chat_id'] !== undefined && !str(b['chat_id'])) return bad(res, 'chat_id 必须是字符串 (chat_id must be a string)');
      const opts: { chatId?: string } = {};
      if (str(b['chat_id'])) opts.chatId = b['chat_id'];
      if (post) await act(res, () => standIn.sendPost(b['from'], post, opts));
      else await act(res, () => standIn.sendText(b['from'], b['text'], opts));
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
      await act(res, () => standIn.clickCard(opts));
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
      await act(res, () => standIn.sendImage(b['from'], bytes, opts));
    }),
  );
  // The link a registration shows: approve or deny it here (the stand-in's stand-in for the Feishu page).
  app.get('/_sandbox/registration', (req, res) => {
    const code = queryString(req, 'user_code') ?? '';
    const r = standIn.registrations().find((x) => x.userCode === code);
    const esc = (t: string) => t.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const form = (action: string, label: string) =>
      `<form method="post" action="/_sandbox/registrations/${action}"><input type="hidden" name="user_code" value="${esc(code)}"><button>${label}</button></form>`;
    res
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>创建应用（模拟）</title><h1>一键创建飞书应用（模拟平台）</h1>` +
          (r
            ? `<p>用户码 / user code: <b>${esc(code)}</b> — ${r.status}</p>${r.status === 'pending' ? form('approve', '同意创建 / Approve') + form('deny', '拒绝 / Deny') : ''}`
            : `<p>没有这个用户码 / unknown user code: ${esc(code)}</p>`),
      );
  });
  app.get('/_sandbox/registrations', (_req, res) => {
    res.json(standIn.registrations());
  });
  const decide = (approve: boolean) => (req: Request, res: Response) => {
    const b = body(req);
    try {
      const code = str(b['user_code']) ? b['user_code'] : undefined;
      if (approve)
        standIn.approveRegistration(code, { openId: str(b['open_id']) ? b['open_id'] : undefined, brand: b['brand'] === 'lark' ? 'lark' : undefined });
      else standIn.denyRegistration(code);
      res.json({ ok: true, registrations: standIn.registrations() });
    } catch (e) {
      bad(res, (e as Error).message);
    }
  };
  app.post('/_sandbox/registrations/approve', express.urlencoded({ extended: false }), decide(true));
  app.post('/_sandbox/registrations/deny', express.urlencoded({ extended: false }), decide(false));
  app.post('/_sandbox/scopes', (req, res) => {
    const b = body(req);
    const list = (v: unknown) => (Array.isArray(v) ? v.filter(str) : []);
    standIn.revokeScopes(...list(b['revoke']));
    if (b['grant'] === 'all') standIn.grantScopes();
    else if (list(b['grant']).length) standIn.grantScopes(...list(b['grant']));
    res.json({ revoked: gateway.revokedScopes() });
  });
  app.use('/_sandbox', (_req, res) => {
    res.status(404).json({ error: '没有这个沙箱接口 (no such sandbox endpoint)' });
  });
}

/**
 * `post` of POST /_sandbox/say: paragraphs of `{tag:'text',text}`, `{tag:'a',text,href}`,
 * `{tag:'at',open_id}`, `{tag:'img',base64}`, `{tag:'emotion',emoji_type}`; or what is wrong with it.
 */
function postNodesFromJson(v: unknown): PostNodeInput[][] | string {
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
