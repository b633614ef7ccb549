/**
 * The users' side of Feishu: simulated users send messages, click cards and press
 * menu items, and the bot receives what Feishu would deliver ("接收消息",
 * "卡片回传交互回调", "机器人自定义菜单事件").
 */
import { cardSchemaOf, interactionWindowMs, PATCH_WINDOW_MS, validateCardContent } from './cards.js';
import type { StandInContext } from './context.js';
import { CARD_CALLBACK, type Delivery } from './delivery.js';
import { newResourceKey, type ChatRecord, type MessageRecord, type PlatformState, type Resource } from './store.js';
import type { CardCallbackResult, DeliverResult, PostNodeInput, Via } from './types.js';
import { hex, isObject, mimeForFile, sniffImage } from './util.js';

export class SimulatedUsers {
  private readonly state: PlatformState;

  constructor(
    private readonly ctx: StandInContext,
    private readonly delivery: Delivery,
  ) {
    this.state = ctx.state;
  }

  async sendText(fromOpenId: string, text: string, opts?: { chatId?: string; via?: Via; mentions?: any[] }): Promise<{ messageId: string; eventId: string }> {
    const chat = this.userChat(fromOpenId, opts?.chatId);
    this.delivery.checkReachable(opts?.via);
    const msg = this.storeUserMessage(fromOpenId, chat, 'text', { text }, opts?.mentions);
    const eventId = await this.deliverMessageEvent(msg, opts?.via);
    return { messageId: msg.messageId, eventId };
  }

  async sendImage(fromOpenId: string, bytes: Buffer, opts?: { chatId?: string; via?: Via }): Promise<{ messageId: string; imageKey: string; eventId: string }> {
    const chat = this.userChat(fromOpenId, opts?.chatId);
    const [imageKey, picture] = pictureOf(bytes);
    this.delivery.checkReachable(opts?.via);
    this.state.addResource(imageKey, picture);
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
            const m = this.state.mention(n.openId, `@_user_${mentions.length + 1}`);
            mentions.push(m);
            return { tag: 'at', user_id: m.key, user_name: m.name, style: [] };
          }
          case 'img': {
            const picture = pictureOf(n.bytes);
            pictures.push(picture);
            const [imageKey] = picture;
            imageKeys.push(imageKey);
            return { tag: 'img', image_key: imageKey };
          }
        }
      }),
    );
    this.delivery.checkReachable(opts?.via);
    for (const [key, resource] of pictures) this.state.addResource(key, resource);
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
    this.delivery.checkReachable(opts?.via);
    const fileKey = newResourceKey('file');
    this.state.addResource(fileKey, { kind: 'file', bytes: Buffer.from(bytes), contentType: mimeForFile(fileName, bytes), fileName });
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
    const msg = this.state.message(opts.messageId);
    if (!msg) throw new Error(`没有这条消息 (unknown message): ${opts.messageId}`);
    if (msg.msgType !== 'interactive') throw new Error(`这条消息不是卡片 (message is not a card): ${opts.messageId}`);
    const user = this.state.knownUser(opts.operatorOpenId);
    const chat = this.state.chat(msg.chatId);
    if (!chat?.memberOpenIds.includes(user.openId)) {
      throw new Error(`用户不在这条消息所在的会话里 (user is not in the message's chat): ${user.openId}`);
    }
    // The client itself refuses a click on a card past its interaction window; the bot never hears of it.
    if (this.ctx.now() - msg.createTime > interactionWindowMs(msg.content)) return { raw: undefined, refused: 'card-expired' };

    const envelope = this.cardActionEnvelope({ ...opts, messageId: msg.messageId, chatId: msg.chatId });
    const r = await this.delivery.transmit(envelope, opts.via, undefined, this.ctx.opts.callbackTimeoutMs);
    const answer = this.applyCallbackAnswer(msg, r);
    // What the person saw: a test can hear every toast, whoever clicked and through whatever path.
    this.ctx.emit('card-answer', { operatorOpenId: opts.operatorOpenId, answer });
    return answer;
  }

  /** The `card.action.trigger` callback a click on a card in `chatId` produces (卡片回传交互回调). */
  cardActionEnvelope(o: {
    messageId: string;
    chatId: string;
    operatorOpenId: string;
    value: Record<string, unknown>;
    formValue?: Record<string, unknown>;
    name?: string;
    tag?: string;
  }) {
    const action: Record<string, unknown> = { value: o.value, tag: o.tag ?? 'button' };
    if (o.name !== undefined) action['name'] = o.name;
    if (o.formValue !== undefined) action['form_value'] = o.formValue;
    const event = {
      operator: {
        tenant_key: this.state.tenantKey,
        user_id: this.state.userIdOf(o.operatorOpenId),
        open_id: o.operatorOpenId,
        union_id: this.state.unionIdOf(o.operatorOpenId),
      },
      token: `c-${hex(20)}`,
      action,
      host: 'im_message',
      context: { open_message_id: o.messageId, open_chat_id: o.chatId },
    };
    // Callbacks document create_time in microseconds (events use ms).
    return this.delivery.envelope(CARD_CALLBACK, event, { createTime: String(this.ctx.now() * 1000) });
  }

  async menuClick(openId: string, eventKey: string, opts?: { via?: Via }): Promise<void> {
    const user = this.state.knownUser(openId);
    const event = {
      operator: {
        operator_name: user.name,
        operator_id: this.state.userIds(openId),
      },
      event_key: eventKey,
      timestamp: Math.floor(this.ctx.now() / 1000),
    };
    await this.delivery.deliver('application.bot.menu_v6', event, opts?.via ? { via: opts.via } : {});
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
        sender_id: this.state.userIds(sender.openId),
        sender_type: 'user',
        tenant_key: this.state.tenantKey,
      },
      message,
    };
    const eventId = hex(16);
    await this.delivery.deliver('im.message.receive_v1', event, via ? { eventId, via } : { eventId });
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
      return fail(200341, `卡片回调超时，${this.ctx.opts.callbackTimeoutMs} ms 内未响应 (callback timed out)`);
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
      // Here the card is an object in the answer, not a string inside one: its own JSON is what travels.
      const json = JSON.stringify(newContent);
      const check = validateCardContent(json, Buffer.byteLength(json, 'utf8'));
      if (!check.ok) return fail(200673, `卡片内容错误：${check.code} ${check.msg} (invalid card)`, { ...base, raw: answer });
      if (cardSchemaOf(msg.content) === '2.0' && check.schema === '1.0') {
        return fail(200830, '2.0 卡片不能更新为 1.0 卡片 (a 2.0 card cannot be updated to 1.0)', { ...base, raw: answer });
      }
      // A 1.0 card still takes clicks on days 14–30 but can no longer be updated (卡片 JSON 2.0 版本更新说明; 230031).
      if (this.ctx.now() - msg.createTime > PATCH_WINDOW_MS) {
        return fail(230031, '消息发送超过 14 天，卡片不能再更新 (the message was sent more than 14 days ago and can no longer be updated)', result);
      }
      result.card = card;
      this.state.updateContent(msg, newContent);
    }
    return result;
  }

  private userChat(openId: string, chatId?: string): ChatRecord {
    this.state.knownUser(openId);
    const id = chatId ?? this.state.p2pChatId(openId);
    const chat = this.state.chat(id);
    if (!chat) throw new Error(`没有这个会话 (unknown chat): ${id}`);
    if (!chat.memberOpenIds.includes(openId)) throw new Error(`用户 ${openId} 不在会话 ${id} 里 (user is not a member of the chat)`);
    if (!chat.botIn) throw new Error(`机器人不在会话 ${id} 里，收不到消息 (the bot is not in this chat)`);
    return chat;
  }

  private storeUserMessage(openId: string, chat: ChatRecord, msgType: string, content: any, mentions?: any[]): MessageRecord {
    return this.state.addMessage(chat, { kind: 'user', openId }, msgType, content, mentions?.length ? { mentions } : {});
  }
}

/** A picture a user attaches, under the image_key Feishu gives it. */
function pictureOf(bytes: Buffer): [string, Resource] {
  const contentType = sniffImage(bytes);
  if (!contentType) throw new Error('不是可识别的图片格式 (not a recognised image format)');
  return [newResourceKey('image'), { kind: 'image', bytes: Buffer.from(bytes), contentType }];
}
