/**
 * The platform's state, as the Open API and the simulated users both see it:
 * the directory (users, chats, ids), messages, uploaded resources, uuid keys,
 * tenant tokens and the log of calls.
 */
import type { RecordedCall, StandInChat, StandInUser, StoredMessage } from './types.js';
import { digest, hex } from './util.js';

export interface ChatRecord {
  chatId: string;
  name: string;
  type: 'p2p' | 'group';
  memberOpenIds: string[];
  botIn: boolean;
  /** Set only for a group of another organisation (see StandInChat). */
  tenantKey?: string;
}

export interface MessageRecord extends StoredMessage {
  updateTime: number;
  threadId?: string;
  mentions?: any[];
}

export interface Resource {
  kind: 'image' | 'file';
  bytes: Buffer;
  contentType: string;
  fileName?: string;
}

const UUID_WINDOW_MS = 3600_000;
const TOKEN_REFRESH_MS = 30 * 60_000;

/** A new image_key / file_key, as an upload or a user's message gets one. */
export const newResourceKey = (kind: Resource['kind']): string => `${kind === 'image' ? 'img' : 'file'}_v3_${hex(16)}`;

export class PlatformState {
  readonly botOpenId: string;
  readonly tenantKey: string;

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

  constructor(
    private readonly app: { appId: string; appName: string; tokenTtlSeconds: number },
    private readonly now: () => number,
    private readonly emit: (event: string, payload: unknown) => void,
  ) {
    this.botOpenId = `ou_${digest(`bot:${app.appId}`, 32)}`;
    this.tenantKey = digest(`tenant:${app.appId}`, 16);
  }

  // ---- directory -----------------------------------------------------------

  addUser(u: StandInUser): void {
    if (!u.openId) throw new Error('用户必须有 openId (user needs an openId)');
    this.userMap.set(u.openId, { ...u });
    // Each user has a p2p chat with the bot; its id is stable per app and user.
    if (!this.p2pByUser.has(u.openId)) {
      const chatId = `oc_${digest(`p2p:${this.app.appId}:${u.openId}`, 32)}`;
      this.p2pByUser.set(u.openId, chatId);
      this.chatMap.set(chatId, { chatId, name: u.name, type: 'p2p', memberOpenIds: [u.openId], botIn: true });
    }
  }

  addChat(c: StandInChat): void {
    if (!c.chatId) throw new Error('群必须有 chatId (chat needs a chatId)');
    const unknown = c.memberOpenIds.filter((id) => !this.userMap.has(id));
    if (unknown.length) throw new Error(`群成员需先 addUser (add these users first): ${unknown.join(', ')}`);
    this.chatMap.set(c.chatId, {
      chatId: c.chatId,
      name: c.name,
      type: 'group',
      memberOpenIds: [...c.memberOpenIds],
      botIn: true,
      tenantKey: c.tenantKey === this.tenantKey ? undefined : c.tenantKey,
    });
  }

  /** Take the bot out of a group (sends to it then fail with 230002) or put it back. */
  setBotInGroup(chatId: string, botIn: boolean): void {
    const chat = this.chatMap.get(chatId);
    if (chat?.type !== 'group') throw new Error(`没有这个群 (no such group chat): ${chatId}`);
    chat.botIn = botIn;
  }

  user(openId: string): StandInUser | undefined {
    return this.userMap.get(openId);
  }

  /** A user a simulated action names; an unknown one is the test's mistake. */
  knownUser(openId: string): StandInUser {
    const user = this.userMap.get(openId);
    if (!user) throw new Error(`没有这个用户 (unknown user): ${openId}`);
    return user;
  }

  /** The stored users themselves, for look-ups by the Open API. */
  userRecords(): StandInUser[] {
    return [...this.userMap.values()];
  }

  users(): StandInUser[] {
    return this.userRecords().map((u) => ({ ...u }));
  }

  chat(chatId: string): ChatRecord | undefined {
    return this.chatMap.get(chatId);
  }

  /** Every chat, p2p ones included. */
  chatRecords(): ChatRecord[] {
    return [...this.chatMap.values()];
  }

  /** Group chats added with addChat (p2p chats are reached through p2pChatId). */
  chats(): StandInChat[] {
    return this.chatRecords()
      .filter((c) => c.type === 'group')
      .map((c) => ({ chatId: c.chatId, name: c.name, memberOpenIds: [...c.memberOpenIds] }));
  }

  p2pChatId(openId: string): string {
    const id = this.p2pByUser.get(openId);
    if (!id) throw new Error(`没有这个用户 (unknown user): ${openId}`);
    return id;
  }

  /** user_id / union_id are derived from the open_id so they are stable and distinct. */
  userIdOf(openId: string): string {
    return digest(`user:${openId}`, 8);
  }

  unionIdOf(openId: string): string {
    return `on_${digest(`union:${openId}`, 32)}`;
  }

  idOf(openId: string, idType: string): string {
    if (idType === 'user_id') return this.userIdOf(openId);
    if (idType === 'union_id') return this.unionIdOf(openId);
    return openId;
  }

  /** The three ids of a user, as events name a sender or an operator. */
  userIds(openId: string): { union_id: string; user_id: string; open_id: string } {
    return { union_id: this.unionIdOf(openId), user_id: this.userIdOf(openId), open_id: openId };
  }

  /** A mention entry for a user or the bot, as `mentions` of a received message lists it under its `@_user_N` key. */
  mention(openId: string, key: string): any {
    const isBot = openId === this.botOpenId;
    const user = this.userMap.get(openId);
    if (!isBot && !user) throw new Error(`没有这个用户 (unknown user): ${openId}`);
    return {
      key,
      id: { open_id: openId, union_id: this.unionIdOf(openId), user_id: isBot ? '' : this.userIdOf(openId) },
      name: isBot ? this.app.appName : user!.name,
      tenant_key: this.tenantKey,
    };
  }

  // ---- messages ------------------------------------------------------------

  message(messageId: string): MessageRecord | undefined {
    return this.messageById.get(messageId);
  }

  messages(): StoredMessage[] {
    return this.messageList.map((m) => snapshot(m));
  }

  messagesIn(chatId: string): StoredMessage[] {
    return this.messageList.filter((m) => m.chatId === chatId).map((m) => snapshot(m));
  }

  messagesTo(openId: string): StoredMessage[] {
    const chatId = this.p2pByUser.get(openId);
    return this.messageList.filter((m) => m.chatId === chatId && m.sender.kind === 'app').map((m) => snapshot(m));
  }

  /** Store a new message in `chat`, sent now; a `uuid` is remembered for de-duplication. */
  addMessage(chat: ChatRecord, sender: MessageRecord['sender'], msgType: string, content: any, extra: Partial<MessageRecord> = {}): MessageRecord {
    const t = this.now();
    const msg: MessageRecord = {
      messageId: `om_${hex(16)}`,
      chatId: chat.chatId,
      chatType: chat.type,
      sender,
      msgType,
      content: frozen(content),
      createTime: t,
      updateTime: t,
      updateCount: 0,
      contentHistory: [],
      ...extra,
    };
    if (msg.uuid) this.uuidIndex.set(msg.uuid, { messageId: msg.messageId, at: t });
    this.messageList.push(msg);
    this.messageById.set(msg.messageId, msg);
    this.emit('message', snapshot(msg));
    return msg;
  }

  /** Same uuid within an hour: the original message (Feishu creates nothing new). */
  sentWithUuid(uuid: string | undefined): MessageRecord | undefined {
    if (!uuid) return undefined;
    const hit = this.uuidIndex.get(uuid);
    if (!hit || this.now() - hit.at > UUID_WINDOW_MS) return undefined;
    return this.messageById.get(hit.messageId);
  }

  updateContent(msg: MessageRecord, content: any): void {
    msg.contentHistory.push(msg.content);
    msg.content = frozen(content);
    msg.updateCount += 1;
    msg.updateTime = this.now();
    this.emit('message-updated', snapshot(msg));
  }

  // ---- resources -----------------------------------------------------------

  resource(key: string): Resource | undefined {
    return this.resources.get(key);
  }

  addResource(key: string, resource: Resource): void {
    this.resources.set(key, resource);
  }

  // ---- tenant tokens -------------------------------------------------------

  /** Same token until less than 30 minutes remain, then a new one (both stay valid). */
  issueToken(): { token: string; expire: number } {
    const now = this.now();
    const latest = this.latestToken;
    const exp = latest ? this.tokens.get(latest) : undefined;
    if (latest && exp !== undefined && exp - now > TOKEN_REFRESH_MS) {
      return { token: latest, expire: Math.floor((exp - now) / 1000) };
    }
    const token = `t-g1${hex(20)}`;
    this.tokens.set(token, now + this.app.tokenTtlSeconds * 1000);
    this.latestToken = token;
    return { token, expire: this.app.tokenTtlSeconds };
  }

  /** When `token` expires (ms), or undefined for a token never issued. */
  tokenExpiry(token: string): number | undefined {
    return this.tokens.get(token);
  }

  expireTokens(): void {
    this.tokens.clear();
    this.latestToken = undefined;
  }

  // ---- recorded calls ------------------------------------------------------

  recordCall(call: RecordedCall): void {
    this.callLog.push(call);
    this.emit('call', { ...call });
  }

  calls(): RecordedCall[] {
    return this.callLog.map((c) => ({ ...c }));
  }

  /** Forget recorded calls, messages and uuid keys (users, chats, uploads stay). */
  resetRecords(): void {
    this.callLog.length = 0;
    this.messageList.length = 0;
    this.messageById.clear();
    this.uuidIndex.clear();
  }
}

/**
 * A message's content is frozen once stored, so that every snapshot can share it: a copy per snapshot (one for each
 * listener's event) cost the stand-in about 0.2 ms of CPU per card sent, on the cores the bot is measured on.
 */
function frozen<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

/** What a reader gets: the message as stored now, none of it writable into the store. */
function snapshot(m: MessageRecord): StoredMessage {
  const s: StoredMessage = {
    messageId: m.messageId,
    chatId: m.chatId,
    chatType: m.chatType,
    sender: { ...m.sender },
    msgType: m.msgType,
    content: m.content,
    createTime: m.createTime,
    updateCount: m.updateCount,
    contentHistory: [...m.contentHistory],
  };
  if (m.receiveIdType !== undefined) s.receiveIdType = m.receiveIdType;
  if (m.receiveId !== undefined) s.receiveId = m.receiveId;
  if (m.uuid !== undefined) s.uuid = m.uuid;
  if (m.rootId !== undefined) s.rootId = m.rootId;
  if (m.parentId !== undefined) s.parentId = m.parentId;
  return s;
}
