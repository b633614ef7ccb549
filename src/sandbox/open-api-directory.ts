/**
 * The Open API's directory: user ids by mobile or email ("通过手机号或邮箱获取用户
 * ID"), the bot's groups ("获取用户或机器人所在的群列表"), a group's members
 * ("获取群成员列表") and the bot's own info ("获取机器人信息").
 */
import type express from 'express';
import type { Request, Response } from 'express';
import type { StandInContext } from './context.js';
import { ApiError, ok, route } from './http.js';
import type { PlatformState } from './store.js';
import { isObject, queryString } from './util.js';

const ID_TYPES = ['open_id', 'user_id', 'union_id'];

export class DirectoryApi {
  private readonly state: PlatformState;

  constructor(private readonly ctx: StandInContext) {
    this.state = ctx.state;
  }

  mount(app: express.Express): void {
    app.post(
      '/open-apis/contact/v3/users/batch_get_id',
      route((req, res) => this.batchGetId(req, res)),
    );
    app.get(
      '/open-apis/im/v1/chats',
      route((req, res) => this.listChats(req, res)),
    );
    app.get(
      '/open-apis/im/v1/chats/:chat_id/members',
      route((req, res) => this.chatMembers(req, res)),
    );
    app.get(
      '/open-apis/bot/v3/info',
      route((req, res) => this.botInfo(req, res)),
    );
  }

  private batchGetId(req: Request, res: Response): void {
    const idType = queryString(req, 'user_id_type') ?? 'open_id';
    if (!ID_TYPES.includes(idType)) {
      throw new ApiError(400, 99992402, 'field validation failed: user_id_type must be open_id, user_id or union_id');
    }
    const body = isObject(req.body) ? req.body : {};
    const list = (key: string): string[] => {
      const v = body[key];
      if (v === undefined) return [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
        throw new ApiError(400, 99992402, `field validation failed: ${key} must be an array of strings`);
      }
      if (v.length > 50) throw new ApiError(400, 99992402, `field validation failed: at most 50 ${key} per request`);
      return v as string[];
    };
    const mobiles = list('mobiles');
    const emails = list('emails');
    if (mobiles.length + emails.length === 0) {
      throw new ApiError(400, 99992402, 'field validation failed: give at least one of mobiles, emails');
    }
    // Mainland numbers may be written with or without +86.
    const normMobile = (m: string) => m.replace(/[\s-]/g, '').replace(/^\+86/, '');
    const status = { is_frozen: false, is_resigned: false, is_activated: true, is_exited: false, is_unjoin: false };
    const users = this.state.userRecords();
    const userList: Array<Record<string, unknown>> = [];
    for (const mobile of mobiles) {
      const u = users.find((x) => x.mobile !== undefined && normMobile(x.mobile) === normMobile(mobile));
      userList.push(u ? { user_id: this.state.idOf(u.openId, idType), mobile, status } : { mobile });
    }
    for (const email of emails) {
      const u = users.find((x) => x.email !== undefined && x.email.toLowerCase() === email.toLowerCase());
      userList.push(u ? { user_id: this.state.idOf(u.openId, idType), email, status } : { email });
    }
    ok(res, { user_list: userList });
  }

  private chatMembers(req: Request, res: Response): void {
    const chatId = String(req.params['chat_id']);
    const chat = this.state.chat(chatId);
    // Error codes as 获取群成员列表 documents them.
    if (!chat) throw new ApiError(400, 232006, 'Your request specifies a chat_id which is invalid.');
    if (chat.tenantKey) throw new ApiError(400, 232010, 'Operator and chat can NOT be in different tenants.');
    if (!chat.botIn) throw new ApiError(400, 232011, 'Operator can NOT be out of the chat.');
    const idType = queryString(req, 'member_id_type') ?? 'open_id';
    if (!ID_TYPES.includes(idType)) {
      throw new ApiError(400, 99992402, 'field validation failed: member_id_type must be open_id, user_id or union_id');
    }
    // Bots are never listed.
    const members = chat.memberOpenIds;
    const { slice, page_token, has_more } = pageOf(req, members);
    const items = slice.map((openId) => ({
      member_id_type: idType,
      member_id: this.state.idOf(openId, idType),
      name: this.state.user(openId)?.name ?? '',
      tenant_key: this.state.tenantKey,
    }));
    ok(res, { items, page_token, has_more, member_total: members.length });
  }

  /** Groups the bot is in (p2p chats are never listed). */
  private listChats(req: Request, res: Response): void {
    const groups = this.state.chatRecords().filter((c) => c.type === 'group' && c.botIn && !c.tenantKey);
    const { slice, page_token, has_more } = pageOf(req, groups);
    const items = slice.map((c) => ({
      chat_id: c.chatId,
      name: c.name,
      avatar: '',
      description: '',
      owner_id: c.memberOpenIds[0] ?? '',
      owner_id_type: 'open_id',
      external: false,
      tenant_key: this.state.tenantKey,
      chat_status: 'normal',
    }));
    ok(res, { items, page_token, has_more });
  }

  private botInfo(_req: Request, res: Response): void {
    res.locals['code'] = 0;
    // This endpoint answers with `bot` at the top level, not under `data`.
    res.json({
      code: 0,
      msg: 'ok',
      bot: { activate_status: 2, app_name: this.ctx.opts.appName, avatar_url: '', ip_white_list: [], open_id: this.state.botOpenId },
    });
  }
}

/** One page of `all` by the request's page_size (1–100, default 20) and page_token (the stand-in's own offset). */
function pageOf<T>(req: Request, all: T[]): { slice: T[]; page_token: string; has_more: boolean } {
  const sizeText = queryString(req, 'page_size');
  const pageSize = sizeText === undefined ? 20 : Number(sizeText);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
    throw new ApiError(400, 99992402, 'field validation failed: page_size must be an integer from 1 to 100');
  }
  const tokenText = queryString(req, 'page_token');
  let offset = 0;
  if (tokenText) {
    const m = /^off:(\d+)$/.exec(Buffer.from(tokenText, 'base64url').toString('utf8'));
    if (!m) throw new ApiError(400, 99992402, 'field validation failed: invalid page_token');
    offset = Number(m[1]);
  }
  const slice = all.slice(offset, offset + pageSize);
  const nextOffset = offset + slice.length;
  const hasMore = nextOffset < all.length;
  return { slice, page_token: hasMore ? Buffer.from(`off:${nextOffset}`).toString('base64url') : '', has_more: hasMore };
}
