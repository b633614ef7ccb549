/**
 * The Open API's messages: send ("发送消息"), reply ("回复消息"), update a sent
 * card ("更新应用发送的消息卡片") and get one ("获取指定消息的内容").
 */
import type express from 'express';
import type { Request, Response } from 'express';
import { cardSchemaOf, PATCH_WINDOW_MS, validateCardContent } from './cards.js';
import type { StandInContext } from './context.js';
import type { Gateway } from './gateway.js';
import { ApiError, MSG, ok, route } from './http.js';
import type { ChatRecord, MessageRecord, PlatformState, Resource } from './store.js';
import type { StandInUser } from './types.js';
import { hex, isObject, queryString } from './util.js';

const TEXT_MAX_BYTES = 150 * 1024;
const RICH_MAX_BYTES = 30 * 1024;
const RECEIVE_ID_TYPES = new Set(['open_id', 'user_id', 'union_id', 'email', 'chat_id']);

export class MessagesApi {
  private readonly state: PlatformState;

  constructor(
    private readonly ctx: StandInContext,
    private readonly gateway: Gateway,
  ) {
    this.state = ctx.state;
  }

  mount(app: express.Express): void {
    app.post(
      '/open-apis/im/v1/messages',
      route((req, res) => this.createMessage(req, res)),
    );
    app.post(
      '/open-apis/im/v1/messages/:message_id/reply',
      route((req, res) => this.replyMessage(req, res)),
    );
    app.patch(
      '/open-apis/im/v1/messages/:message_id',
      route((req, res) => this.patchMessage(req, res)),
    );
    app.get(
      '/open-apis/im/v1/messages/:message_id',
      route((req, res) => this.getMessage(req, res)),
    );
  }

  private resolveReceiver(idType: string, id: string): ChatRecord {
    if (idType === 'chat_id') {
      const chat = this.state.chat(id);
      if (!chat) throw new ApiError(400, 230034, MSG.invalidReceiveId, `unknown chat ${id}`);
      if (!chat.botIn) throw new ApiError(400, 230002, MSG.notInChat);
      return chat;
    }
    let user: StandInUser | undefined;
    const all = this.state.userRecords();
    if (idType === 'open_id') {
      if (!id.startsWith('ou_')) throw new ApiError(400, 230034, MSG.invalidReceiveId, 'open_id must start with ou_');
      user = this.state.user(id);
    } else if (idType === 'user_id') user = all.find((u) => this.state.userIdOf(u.openId) === id);
    else if (idType === 'union_id') user = all.find((u) => this.state.unionIdOf(u.openId) === id);
    else if (idType === 'email') user = all.find((u) => u.email !== undefined && u.email.toLowerCase() === id.toLowerCase());
    if (!user) throw new ApiError(400, 230013, MSG.noAvailability, `unknown ${idType} ${id}`);
    return this.state.chat(this.state.p2pChatId(user.openId)) as ChatRecord;
  }

  /** Validate msg_type/content; returns the parsed content. */
  private parseContent(msgType: string, content: string, bodyBytes: number): any {
    if (msgType === 'interactive') {
      const check = validateCardContent(content, bodyBytes);
      if (!check.ok) throw new ApiError(400, check.code, check.msg);
      return check.card;
    }
    // "发送消息": the limits are on the request body — 150 KB for text, 30 KB for a card or rich text.
    const limit = msgType === 'text' ? TEXT_MAX_BYTES : RICH_MAX_BYTES;
    if (bodyBytes > limit) {
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
      if (kind && this.state.resource(v)?.kind !== kind) throw bad(`${key} ${v} does not exist (upload it first)`);
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

  private readSendBody(req: Request): { msgType: string; content: string; uuid?: string; raw: Record<string, any>; bodyBytes: number } {
    const body = isObject(req.body) ? req.body : {};
    const msgType = body['msg_type'];
    const content = body['content'];
    const uuid = body['uuid'];
    if (typeof msgType !== 'string' || msgType === '') throw new ApiError(400, 99992402, 'field validation failed: msg_type is required');
    if (typeof content !== 'string') throw new ApiError(400, 99992402, 'field validation failed: content must be a JSON string');
    if (uuid !== undefined && (typeof uuid !== 'string' || uuid.length > 50)) {
      throw new ApiError(400, 99992402, 'field validation failed: uuid must be a string of at most 50 characters');
    }
    // The body as the SDK sent it (axios serialises it with JSON.stringify).
    const bodyBytes = Buffer.byteLength(JSON.stringify(body), 'utf8');
    return uuid === undefined ? { msgType, content, raw: body, bodyBytes } : { msgType, content, uuid, raw: body, bodyBytes };
  }

  private createMessage(req: Request, res: Response): void {
    const idType = queryString(req, 'receive_id_type');
    if (!idType || !RECEIVE_ID_TYPES.has(idType)) {
      throw new ApiError(400, 99992402, 'field validation failed: receive_id_type must be one of open_id, user_id, union_id, email, chat_id');
    }
    const { msgType, content, uuid, raw, bodyBytes } = this.readSendBody(req);
    const receiveId = raw['receive_id'];
    if (typeof receiveId !== 'string' || receiveId === '') throw new ApiError(400, 99992402, 'field validation failed: receive_id is required');
    this.gateway.appLimit('send');
    const chat = this.resolveReceiver(idType, receiveId);
    this.sendAsApp(res, chat, { msgType, content, uuid, bodyBytes }, { receiveIdType: idType, receiveId });
  }

  private replyMessage(req: Request, res: Response): void {
    const parent = this.state.message(String(req.params['message_id']));
    const { msgType, content, uuid, raw, bodyBytes } = this.readSendBody(req);
    this.gateway.appLimit('reply');
    if (!parent) throw new ApiError(400, 230001, MSG.messageNotFound);
    const chat = this.state.chat(parent.chatId) as ChatRecord;
    if (!chat.botIn) throw new ApiError(400, 230002, MSG.notInChat);
    const rootId = parent.rootId ?? parent.messageId;
    let threadId: string | undefined;
    if (raw['reply_in_thread'] === true) {
      const root = this.state.message(rootId) ?? parent;
      root.threadId ??= `omt_${hex(8)}`;
      threadId = root.threadId;
    }
    this.sendAsApp(res, chat, { msgType, content, uuid, bodyBytes }, { rootId, parentId: parent.messageId, ...(threadId ? { threadId } : {}) });
  }

  /** Stores a message from the bot (after uuid de-duplication and the chat's rate limit) and answers with it. */
  private sendAsApp(
    res: Response,
    chat: ChatRecord,
    { msgType, content, uuid, bodyBytes }: { msgType: string; content: string; uuid: string | undefined; bodyBytes: number },
    extra: Partial<MessageRecord>,
  ): void {
    // Same uuid within an hour: answer with the original message, create nothing.
    const dup = this.state.sentWithUuid(uuid);
    if (dup) {
      res.locals['note'] = `uuid dedupe: ${uuid}`;
      ok(res, this.apiMessage(dup));
      return;
    }
    const parsed = this.parseContent(msgType, content, bodyBytes);
    this.gateway.checkDlp(content);
    this.gateway.chatLimit(chat);
    const msg = this.state.addMessage(chat, { kind: 'app' }, msgType, parsed, uuid ? { ...extra, uuid } : extra);
    ok(res, this.apiMessage(msg));
  }

  private patchMessage(req: Request, res: Response): void {
    const id = String(req.params['message_id']);
    const body = isObject(req.body) ? req.body : {};
    const content = body['content'];
    if (typeof content !== 'string') throw new ApiError(400, 99992402, 'field validation failed: content must be a card JSON string');
    this.gateway.appLimit('patch');
    const msg = this.state.message(id);
    if (!msg) throw new ApiError(400, 230001, MSG.messageNotFound);
    if (msg.sender.kind !== 'app') throw new ApiError(400, 230017, 'Bot is not the owner of the resource: only messages the bot sent can be updated.');
    if (msg.msgType !== 'interactive') throw new ApiError(400, 230001, 'This message is NOT a card; PATCH only updates interactive messages.');
    if (this.ctx.now() - msg.createTime > PATCH_WINDOW_MS) {
      throw new ApiError(400, 230031, 'The message was sent more than 14 days ago and can no longer be updated.');
    }
    const check = validateCardContent(content, Buffer.byteLength(JSON.stringify(body), 'utf8'));
    if (!check.ok) throw new ApiError(400, check.code, check.msg);
    if (cardSchemaOf(msg.content) === '2.0' && check.schema === '1.0') {
      throw new ApiError(400, 230099, 'Failed to create card content, ext=ErrCode: 200830; ErrMsg: a 2.0 card cannot be updated to 1.0; ErrorValue: ; ');
    }
    this.gateway.messageLimit(id);
    const chat = this.state.chat(msg.chatId) as ChatRecord;
    if (!chat.botIn) throw new ApiError(400, 230002, MSG.notInChat);
    this.state.updateContent(msg, check.card);
    ok(res, {});
  }

  private getMessage(req: Request, res: Response): void {
    const msg = this.state.message(String(req.params['message_id']));
    if (!msg) throw new ApiError(400, 230001, MSG.messageNotFound);
    ok(res, { items: [this.apiMessage(msg)] });
  }

  private apiMessage(m: MessageRecord): Record<string, unknown> {
    const sender =
      m.sender.kind === 'app'
        ? { id: this.ctx.opts.appId, id_type: 'app_id', sender_type: 'app', tenant_key: this.state.tenantKey }
        : { id: m.sender.openId, id_type: 'open_id', sender_type: 'user', tenant_key: this.state.tenantKey };
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
}
