import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { ActiveCampaign } from '../db/repos.js';
import type { Person } from '../db/schema.js';
import type { OutboundMessage } from '../feishu/outbox.js';
import { cardOverLimit } from '../feishu/card-budget.js';
import { UserFacingError } from '../feishu/errors.js';
import { toast, type CardAction, type CardReply, type InboundMessage, type MenuClick } from './events.js';

/**
 * A small typed router. Features register commands (with Chinese and English
 * aliases) and card actions (with a zod schema for the button's value) through
 * Routes, which notes the feature's file; the router resolves the person,
 * checks what a route needs (a person, the current campaign, an admin) and
 * refuses the rest in one wording, funnels errors into a clear answer, and
 * suggests the nearest command for a typo.
 */

export interface Reply {
  text?: string;
  card?: object;
}

/** What a handler needs before it runs; the router refuses anyone without it, in one wording (NOT_IN_ROSTER, NO_CAMPAIGN, adminOnly). */
export type Need = 'person' | 'campaign';

/**
 * Who a handler sees as the asker: anyone (`person` may be null), someone on
 * the roster, or, for a `campaign` need, someone on the roster in the current
 * campaign. Admin-only handlers always have a person.
 */
type Asker<N extends Need | undefined, A extends boolean> = N extends 'campaign'
  ? { person: Person; campaign: ActiveCampaign }
  : N extends 'person'
    ? { person: Person }
    : A extends true
      ? { person: Person }
      : { person: Person | null };

/** A card click always has a person: the router answers anyone not on the roster itself. */
type Clicker<N extends Need | undefined> = N extends 'campaign' ? { person: Person; campaign: ActiveCampaign } : { person: Person };

export type CommandContext<N extends Need | undefined = undefined, A extends boolean = false> = {
  event: InboundMessage;
  args: string;
  reply(r: Reply): Promise<void>;
} & Asker<N, A>;

/** A non-text message in a direct chat (an image, a file …), for the feature that registered its type. */
export type MessageContext<N extends Need | undefined = undefined> = {
  event: InboundMessage;
  reply(r: Reply): Promise<void>;
} & Asker<N, false>;

export type ActionContext<V, N extends Need | undefined = undefined> = {
  event: CardAction;
  value: V;
  form: Record<string, unknown>;
} & Clicker<N>;

/** What the router checks before a handler runs. */
export interface RouteOptions<N extends Need | undefined = Need | undefined, A extends boolean = boolean> {
  needs?: N;
  /** Admin-only handlers are refused for others (and admin-only commands hidden from their help). */
  adminOnly?: A;
}

export interface CommandSpec<N extends Need | undefined = undefined, A extends boolean = false> extends RouteOptions<N, A> {
  names: string[];
  summary: string;
  /** Its answer holds nothing about anyone (/帮助), so asked in a group it is answered there. */
  answersInGroup?: boolean;
  handler(ctx: CommandContext<N, A>): Promise<void>;
}

export interface RouterDeps {
  log: Logger;
  findPerson(openId: string): Promise<Person | null>;
  /** The campaign a command acts in: the one running now, else the newest (see currentCampaign). */
  currentCampaign(): Promise<ActiveCampaign | undefined>;
  send(msg: OutboundMessage): Promise<unknown>;
}

/** Messages shown both as replies and as toasts, kept as zh/en pairs. */
export interface Refusal {
  zh: string;
  en: string;
}

/** The router's refusals, one wording each, for commands, card actions, menu clicks and direct messages alike. */
export const NOT_IN_ROSTER: Refusal = {
  zh: '你还不在本次活动的名单中，请联系党支部管理员把你加入名单。',
  en: "You are not on this campaign's roster yet; please ask the branch admin.",
};
export const NO_CAMPAIGN: Refusal = { zh: '目前没有进行中的活动。', en: 'No campaign is running.' };
/** `what`: the command refused (/汇总), or nothing for a button. */
export const adminOnly = (what?: string): Refusal =>
  what ? { zh: `${what} 仅限党支部管理员使用。`, en: `${what} is for branch admins only.` } : { zh: '仅限党支部管理员使用。', en: 'For branch admins only.' };
const GENERIC_FAILURE =
  '抱歉，处理时出了问题，请稍后再试；你填写的内容仍在卡片上，没有丢失。/ Something went wrong; please try again — your input is still on the card.';
const STALE_CARD = { zh: '这张卡片已失效，请输入 /进度 重新打开。', en: 'This card is no longer valid; type /progress to open a fresh one.' };

export const bilingual = (m: { zh: string; en: string }): string => `${m.zh}\n${m.en}`;

const UNSUPPORTED_TYPES: Record<string, string> = {
  image: '图片',
  file: '文件',
  audio: '语音',
  media: '视频',
  sticker: '表情',
  interactive: '卡片',
  share_chat: '群名片',
  share_user: '个人名片',
};

/**
 * What a message is handled as. Some clients send "@走访助手 /进度", or a picture
 * with a caption, as a rich-text message ("接收消息内容结构"): it is handled as its
 * words, or as a picture when it carries pictures — always in a direct chat, where
 * photos are taken, and in a group only when it has no words.
 */
function handledAs(e: InboundMessage): string {
  if (e.msgType !== 'post') return e.msgType;
  return e.imageKeys?.length && (e.chatType === 'p2p' || !e.text) ? 'image' : 'text';
}

/** What the group hears when a command asked there is answered in the asker's direct chat. */
export const SENT_PRIVATELY = '已私信发给你。/ Sent to you in a direct message.';

export function isAdmin(p: Person | null): boolean {
  return !!p && p.roles.includes('admin');
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Where a route was registered: the file of the feature that did, for `zoufang routes`. */
interface Sourced {
  source: string;
}
type CommandEntry = CommandSpec<Need | undefined, boolean> & Sourced;
interface ActionEntry extends RouteOptions, Sourced {
  schema: z.ZodType;
  handler(ctx: ActionContext<unknown, Need | undefined>): Promise<CardReply>;
}
interface DirectEntry extends RouteOptions, Sourced {
  handler(ctx: MessageContext<Need | undefined>): Promise<void>;
}

/** Every registered route, with the file that registered it. */
export interface RouteList {
  commands: Array<{ names: string[]; adminOnly: boolean; needs?: Need; source: string }>;
  actions: Array<{ name: string; adminOnly: boolean; needs?: Need; source: string }>;
  directMessages: Array<{ type: string; source: string }>;
  menus: Array<{ key: string; command: string; source: string }>;
}

class RouteTable {
  readonly commands: CommandEntry[] = [];
  readonly actions = new Map<string, ActionEntry>();
  readonly menus = new Map<string, { command: string } & Sourced>();
  readonly direct = new Map<string, DirectEntry>();

  find(name: string): CommandEntry | undefined {
    const n = name.toLowerCase();
    return this.commands.find((c) => c.names.some((alias) => alias.toLowerCase() === n));
  }
}

/**
 * What a feature registers its commands, card actions and direct-message types
 * through; each carries the file of the feature. A name registered twice fails
 * at start: the second would silently take the first one's clicks.
 */
export class Routes {
  constructor(
    private readonly table: RouteTable,
    readonly source: string,
  ) {}

  command<N extends Need | undefined = undefined, A extends boolean = false>(spec: CommandSpec<N, A>): this {
    const taken = spec.names.find((n) => this.table.find(n));
    if (taken) throw new Error(`命令 ${taken} 已注册 / command ${taken} registered twice (${this.source})`);
    this.table.commands.push({ ...(spec as unknown as CommandEntry), source: this.source });
    return this;
  }

  /** A card action: the button's value is checked against `schema`; `options` say who may click it. */
  action<S extends z.ZodType>(name: string, schema: S, handler: (ctx: ActionContext<z.infer<S>>) => Promise<CardReply>): this;
  action<S extends z.ZodType, N extends Need | undefined = undefined, A extends boolean = false>(
    name: string,
    schema: S,
    options: RouteOptions<N, A>,
    handler: (ctx: ActionContext<z.infer<S>, N>) => Promise<CardReply>,
  ): this;
  action(name: string, schema: z.ZodType, ...rest: [ActionEntry['handler']] | [RouteOptions, ActionEntry['handler']]): this {
    if (this.table.actions.has(name)) throw new Error(`卡片动作 ${name} 已注册 / card action ${name} registered twice (${this.source})`);
    const [options, handler] = rest.length === 1 ? [{}, rest[0]] : rest;
    this.table.actions.set(name, { ...options, schema, handler, source: this.source });
    return this;
  }

  /**
   * Handles messages of these types (image, file, …) in direct chats. Groups keep
   * the generic "unsupported" answer: what is sent there is not meant for the bot.
   */
  directMessage(types: string[], handler: (ctx: MessageContext) => Promise<void>): this;
  directMessage<N extends Need | undefined>(types: string[], options: RouteOptions<N, false>, handler: (ctx: MessageContext<N>) => Promise<void>): this;
  directMessage(types: string[], ...rest: [DirectEntry['handler']] | [RouteOptions, DirectEntry['handler']]): this {
    const [options, handler] = rest.length === 1 ? [{}, rest[0]] : rest;
    for (const t of types) {
      if (this.table.direct.has(t)) throw new Error(`消息类型 ${t} 已注册 / message type ${t} registered twice (${this.source})`);
      this.table.direct.set(t, { ...options, handler, source: this.source });
    }
    return this;
  }

  /** A bot-menu item runs a registered command; a menu pointing at none fails at start, not on a click. */
  menu(eventKey: string, commandName: string): this {
    if (!this.table.find(commandName)) throw new Error(`菜单项 ${eventKey} 指向不存在的命令 ${commandName} / menu item runs no command`);
    this.table.menus.set(eventKey, { command: commandName, source: this.source });
    return this;
  }

  /** The same table, with what is registered through it listed under another module of the feature (a form's own file). */
  from(moduleUrl: string): Routes {
    return new Routes(this.table, repoPath(moduleUrl));
  }

  /** The commands someone may use, for /帮助: admin-only ones only for admins. */
  commandList(forAdmin: boolean): Array<{ names: string[]; summary: string; adminOnly?: boolean }> {
    return this.table.commands.filter((c) => forAdmin || !c.adminOnly);
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A module's `import.meta.url` as a path inside the repository (src/features/ledger/index.ts): where a route was registered. */
export const repoPath = (moduleUrl: string): string => path.relative(ROOT, fileURLToPath(moduleUrl)).split(path.sep).join('/');

type Admission = { ok: true; campaign?: ActiveCampaign } | { ok: false; refusal: Refusal };

export class Router {
  private readonly table = new RouteTable();

  /** Whose command, click or menu click is being handled now, and how many of theirs: what goes to them is sent as an answer. */
  private readonly askers = new Map<string, number>();

  constructor(private readonly deps: RouterDeps) {}

  /** Where a feature registers: everything it adds is listed under `source`. */
  routes(source: string): Routes {
    return new Routes(this.table, source);
  }

  /** Every command, card action, direct-message type and menu key, with the file that registered it. */
  list(): RouteList {
    const t = this.table;
    return {
      commands: t.commands.map((c) => ({ names: c.names, adminOnly: !!c.adminOnly, needs: c.needs, source: c.source })),
      actions: [...t.actions].map(([name, a]) => ({ name, adminOnly: !!a.adminOnly, needs: a.needs, source: a.source })),
      directMessages: [...t.direct].map(([type, d]) => ({ type, source: d.source })),
      menus: [...t.menus].map(([key, m]) => ({ key, command: m.command, source: m.source })),
    };
  }

  /**
   * Marks as an answer, which the outbox sends before bulk reminders and
   * digests, a reply, a card update (it shows someone what their own click or
   * photo did), and whatever goes to the direct chat of someone while their
   * command, click or menu click is being handled; anything else as it is.
   * The features' `send` passes through here, so none of them has to say it;
   * what a feature sends someone after the handler has returned (an export's
   * files) it marks itself.
   */
  asAnswer(m: OutboundMessage): OutboundMessage {
    if (m.priority) return m;
    const toAsker = 'patch' in m.to || 'replyTo' in m.to || ('openId' in m.to && this.askers.has(m.to.openId));
    return toAsker ? { ...m, priority: 'interactive' } : m;
  }

  /** Runs `handle` with `openId` counted as asking (see asAnswer). */
  private async answering<T>(openId: string, handle: () => Promise<T>): Promise<T> {
    this.askers.set(openId, (this.askers.get(openId) ?? 0) + 1);
    try {
      return await handle();
    } finally {
      const left = this.askers.get(openId)! - 1;
      if (left) this.askers.set(openId, left);
      else this.askers.delete(openId);
    }
  }

  private suggest(name: string): string | undefined {
    let best: { alias: string; d: number } | undefined;
    for (const c of this.table.commands)
      for (const alias of c.names) {
        const d = editDistance(name.toLowerCase(), alias.toLowerCase());
        if (!best || d < best.d) best = { alias, d };
      }
    return best && best.d <= Math.max(1, Math.floor(best.alias.length / 3)) ? best.alias : undefined;
  }

  private replier(event: InboundMessage) {
    let n = 0;
    // A reply reaches the sender of a direct message, or the whole group.
    const receiver = event.chatType === 'p2p' ? { openId: event.senderOpenId } : { chatId: event.chatId };
    // Keyed by the inbound message: a re-delivered message can never be answered twice.
    return (r: Reply) =>
      this.deps.send(this.asAnswer({ dedupeKey: `reply:${event.messageId}:${n++}`, to: { replyTo: event.messageId, receiver }, purpose: 'reply', ...r }));
  }

  // Each entry point runs its handler as the answer to whoever sent the event (see asAnswer).
  handleMessage(event: InboundMessage): Promise<void> {
    return this.answering(event.senderOpenId, () => this.onMessage(event));
  }

  handleMenu(event: MenuClick): Promise<void> {
    return this.answering(event.operatorOpenId, () => this.onMenu(event));
  }

  handleCard(event: CardAction): Promise<CardReply> {
    return this.answering(event.operatorOpenId, () => this.onCard(event));
  }

  private async onMessage(event: InboundMessage): Promise<void> {
    const reply = this.replier(event);
    // In a group the bot only answers when addressed, so it never talks over people.
    if (event.chatType === 'group' && !event.mentionsBot) return;
    try {
      const type = handledAs(event);
      const direct = event.chatType === 'p2p' ? this.table.direct.get(type) : undefined;
      if (direct) {
        const person = await this.deps.findPerson(event.senderOpenId);
        const admitted = await this.admit(direct, person);
        if (!admitted.ok) await reply({ text: bilingual(admitted.refusal) });
        else await direct.handler({ event, person: person!, campaign: admitted.campaign!, reply: async (r) => void (await reply(r)) });
        return;
      }
      if (type !== 'text') {
        const kind = UNSUPPORTED_TYPES[type] ?? '这类';
        await reply({
          text: `暂时无法处理${kind}消息。请发送文字命令，例如 /进度；输入 /帮助 查看全部命令。\nThis kind of message is not supported yet; try /progress or /help.`,
        });
        return;
      }
      const text = (event.text ?? '').trim();
      const slashed = /^[/／]\s*(\S+)\s*([\s\S]*)$/.exec(text);
      if (slashed) {
        await this.runCommand(`/${slashed[1]}`, slashed[2] ?? '', event, reply);
        return;
      }
      // A command word without the slash ("进度", "help 我"), the whole message being the command and its
      // arguments. Understood in a direct chat, which is all for the bot; in a group, where "@走访助手 名单
      // 上的张三转学了" is said to people too, the slash is still asked for.
      const bare = /^(\S+)\s*([\s\S]*)$/.exec(text);
      if (bare && this.table.find(`/${bare[1]}`)) {
        if (event.chatType === 'p2p') await this.runCommand(`/${bare[1]}`, bare[2] ?? '', event, reply);
        else await reply({ text: `在群里请带上斜杠：/${bare[1]}\nIn a group, commands need the slash: /${bare[1]}` });
        return;
      }
      await reply({
        text: '你好！我是走访助手。输入 /进度 查看自己的进度，输入 /帮助 查看全部命令。\nHi! Type /progress for your progress or /help for all commands.',
      });
    } catch (e) {
      await this.funnel(e, { where: 'message', messageId: event.messageId }, (msg) => reply({ text: msg }));
    }
  }

  private async runCommand(name: string, args: string, event: InboundMessage, reply: (r: Reply) => Promise<unknown>) {
    const spec = this.table.find(name);
    const person = await this.deps.findPerson(event.senderOpenId);
    if (!spec) {
      const s = this.suggest(name);
      await reply({
        text: `没有 ${name} 这个命令。${s ? `你是不是想输入 ${s}？` : ''}输入 /帮助 查看全部命令。\nUnknown command ${name}.${s ? ` Did you mean ${s}?` : ''} Type /help for the list.`,
      });
      return;
    }
    const admitted = await this.admit(spec, person, spec.names[0]);
    if (!admitted.ok) {
      await reply({ text: bilingual(admitted.refusal) });
      return;
    }
    // Asked in a group, answers go to the asker's direct chat: a progress card names students and their
    // categories, a form shows a family's address, and whatever the bot posts there everyone reads.
    const answer = event.chatType === 'group' && !spec.answersInGroup && person?.openId ? this.privateReplier(event, person.openId, reply) : reply;
    // Narrowed by `admit`: a handler that needs a person or a campaign only runs with one.
    await spec.handler({ event, person: person!, campaign: admitted.campaign!, args: args.trim(), reply: async (r) => void (await answer(r)) });
  }

  private privateReplier(event: InboundMessage, openId: string, groupReply: (r: Reply) => Promise<unknown>) {
    let n = 0;
    return async (r: Reply) => {
      await this.deps.send(this.asAnswer({ dedupeKey: `private-reply:${event.messageId}:${n}`, to: { openId }, purpose: 'reply.private', ...r }));
      if (n++ === 0) await groupReply({ text: SENT_PRIVATELY });
    };
  }

  private async onMenu(event: MenuClick): Promise<void> {
    const name = this.table.menus.get(event.menuKey)?.command;
    if (!name) {
      this.deps.log.warn({ menuKey: event.menuKey }, 'menu: unknown key');
      return;
    }
    // A menu click has no message to reply under, so answers go to the person's direct chat.
    let n = 0;
    const reply = (r: Reply) =>
      this.deps.send(this.asAnswer({ dedupeKey: `menu:${event.key}:${n++}`, to: { openId: event.operatorOpenId }, purpose: 'reply', ...r }));
    const asMessage: InboundMessage = {
      kind: 'message',
      key: event.key,
      messageId: event.key,
      chatId: '',
      chatType: 'p2p',
      senderOpenId: event.operatorOpenId,
      msgType: 'text',
      mentionsBot: true,
    };
    try {
      await this.runCommand(name, '', asMessage, reply);
    } catch (e) {
      await this.funnel(e, { where: 'menu', menuKey: event.menuKey }, (msg) => reply({ text: msg }));
    }
  }

  private async onCard(event: CardAction): Promise<CardReply> {
    const name = typeof event.value.action === 'string' ? event.value.action : '';
    const entry = this.table.actions.get(name);
    if (!entry) return toast('error', STALE_CARD.zh, STALE_CARD.en);
    const parsed = entry.schema.safeParse(event.value);
    if (!parsed.success) {
      this.deps.log.warn({ action: name }, 'card: value does not match its schema');
      return toast('error', STALE_CARD.zh, STALE_CARD.en);
    }
    try {
      const person = await this.deps.findPerson(event.operatorOpenId);
      if (!person) return toast('error', NOT_IN_ROSTER.zh, NOT_IN_ROSTER.en);
      const admitted = await this.admit(entry, person);
      if (!admitted.ok) return toast('error', admitted.refusal.zh, admitted.refusal.en);
      const answer = await entry.handler({ event, person, campaign: admitted.campaign!, value: parsed.data, form: event.formValue });
      // A card Feishu would refuse leaves the teacher with error 200673 and the old card ("卡片回传交互回调"): log it and say so.
      const over = answer.card && cardOverLimit(answer.card.data);
      if (over) throw new Error(`card answer to ${name} is too big for Feishu: ${over}`);
      return answer;
    } catch (e) {
      let answer: CardReply = {};
      await this.funnel(e, { where: 'card', action: name }, async (msg) => {
        answer = toast('error', msg);
      });
      return answer;
    }
  }

  /**
   * The one place a route's options are checked, in this order: admin-only,
   * on the roster, a current campaign. What the handler may then rely on is
   * what its context's type promises.
   */
  private async admit(o: RouteOptions, person: Person | null, what?: string): Promise<Admission> {
    if (o.adminOnly && !isAdmin(person)) return { ok: false, refusal: adminOnly(what) };
    if (o.needs && !person) return { ok: false, refusal: NOT_IN_ROSTER };
    if (o.needs !== 'campaign') return { ok: true };
    const campaign = await this.deps.currentCampaign();
    return campaign ? { ok: true, campaign } : { ok: false, refusal: NO_CAMPAIGN };
  }

  /** The one place errors become answers: user errors are shown as they are, others logged and apologised for. */
  private async funnel(e: unknown, where: Record<string, unknown>, answer: (msg: string) => Promise<unknown>) {
    if (e instanceof UserFacingError) {
      await answer(e.message);
      return;
    }
    this.deps.log.error({ ...where, err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, 'handler failed');
    await answer(GENERIC_FAILURE);
  }
}
