import type * as Lark from '@larksuiteoapi/node-sdk';
import { axios, lark } from './sdk.js';
import type { Logger } from '../logger.js';
import { sdkLogger } from '../logger.js';
import { FeishuApiError, TOKEN_CODES } from './errors.js';
import { JsonHttp, WRITTEN_OUT } from './json-http.js';

/**
 * The tenant token, fetched by us rather than the SDK: the SDK's cache is
 * process-wide and never drops a token Feishu rejected, and every caller that
 * finds it empty fetches its own. Here concurrent callers share one fetch, and
 * a token Feishu rejects (99991663 / 99991661) is dropped once, by whoever
 * notices first (官方文档 "自建应用获取 tenant_access_token").
 */
class TenantToken {
  private current: { value: string; until: number } | null = null;
  private fetching: Promise<string> | null = null;

  constructor(private readonly fetchToken: () => Promise<{ value: string; expireSeconds: number }>) {}

  get(): Promise<string> {
    if (this.current && this.current.until > Date.now()) return Promise.resolve(this.current.value);
    this.fetching ??= this.fetchToken()
      .then(({ value, expireSeconds }) => {
        // As the SDK does: three minutes short of the expiry, for the time the calls spend in flight.
        this.current = { value, until: Date.now() + expireSeconds * 1000 - 180_000 };
        return value;
      })
      .finally(() => {
        this.fetching = null;
      });
    return this.fetching;
  }

  /** Feishu refused `value`; the next get() fetches a new token unless one was fetched already. */
  rejected(value: string): void {
    if (this.current?.value === value) this.current = null;
  }
}

/**
 * Same response contract as the SDK's default instance, plus a timeout so a hung call becomes a retry; calls
 * with a JSON body bypass axios (see JsonHttp).
 */
function httpInstance(timeoutMs: number): JsonHttp {
  const inst = axios.create({ timeout: timeoutMs });
  inst.interceptors.response.use((resp) =>
    (resp.config as { $return_headers?: boolean }).$return_headers ? ({ data: resp.data, headers: resp.headers } as never) : resp.data,
  );
  return new JsonHttp(inst, timeoutMs);
}

/** The per-call option that carries the tenant token. */
type Auth = ReturnType<typeof lark.withTenantToken>;

export interface FeishuApiOptions {
  appId: string;
  appSecret: string;
  baseUrl: string;
  logger: Logger;
  timeoutMs?: number;
}

export type ReceiveIdType = 'open_id' | 'chat_id';

/** `image` for images (also those inside posts); `file` for files, audio and video (「获取消息中的资源文件」). */
export type ResourceType = 'image' | 'file';

/** What Feishu's file upload accepts as `file_type`; anything else (a .zip) is `stream` (「上传文件」). */
export type UploadFileType = 'opus' | 'mp4' | 'pdf' | 'doc' | 'xls' | 'ppt' | 'stream';

/** Feishu takes files up to 30 MB (「上传文件」). */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;

/** Feishu serves resources up to 100 MB (「获取消息中的资源文件」). */
const MAX_RESOURCE_BYTES = 100 * 1024 * 1024;

/** Reads a response stream into memory, giving up when it exceeds `max` bytes or stalls for `idleMs`. */
async function readAll(stream: NodeJS.ReadableStream, max: number, idleMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout;
    const fail = (e: Error) => {
      clearTimeout(timer);
      (stream as { destroy?: (e?: Error) => void }).destroy?.();
      reject(e);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(Object.assign(new Error(`resource download stalled for ${idleMs} ms`), { code: 'ETIMEDOUT' })), idleMs);
    };
    arm();
    stream.on('data', (c: Buffer | string) => {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      size += b.length;
      if (size > max) return fail(new Error(`resource larger than ${max} bytes`));
      chunks.push(b);
      arm();
    });
    stream.on('error', (e: Error) => fail(e));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/**
 * The resource call asks axios for a stream, so an error response's body
 * (`{code, msg}`) is a stream too: read it so the error carries Feishu's code.
 */
async function withErrorBody(e: unknown, idleMs: number): Promise<unknown> {
  const resp = (e as { response?: { data?: unknown } })?.response;
  const data = resp?.data as NodeJS.ReadableStream | undefined;
  if (!resp || !data || typeof data.on !== 'function') return e;
  try {
    const text = (await readAll(data, 64 * 1024, idleMs)).toString('utf8');
    try {
      resp.data = JSON.parse(text);
    } catch {
      resp.data = { msg: text.slice(0, 200) };
    }
  } catch {
    resp.data = {};
  }
  return e;
}

export interface MessageBody {
  msgType: string;
  /** Already JSON-encoded, as Feishu wants it. */
  content: string;
  uuid?: string;
}

/** What the bot puts in a calendar event: a title, a note, an hour, and where (for the attendees only: the event is private). */
export interface CalendarEventBody {
  summary: string;
  description: string;
  start: Date;
  end: Date;
  timezone: string;
  location?: string;
}

const eventData = (e: CalendarEventBody) => ({
  summary: e.summary,
  description: e.description,
  start_time: { timestamp: String(Math.floor(e.start.getTime() / 1000)), timezone: e.timezone },
  end_time: { timestamp: String(Math.floor(e.end.getTime() / 1000)), timezone: e.timezone },
  // Only the attendees see the details of a private event; everyone else sees busy.
  visibility: 'private' as const,
  attendee_ability: 'can_see_others' as const,
  ...(e.location ? { location: { name: e.location } } : {}),
});

/** The outbound calls the bot makes, each turning every failure into a FeishuApiError. */
export class FeishuApi {
  readonly client: Lark.Client;
  private readonly http: JsonHttp;
  private readonly token: TenantToken;

  constructor(readonly opts: FeishuApiOptions) {
    this.http = httpInstance(opts.timeoutMs ?? 10_000);
    this.client = new lark.Client({
      appId: opts.appId,
      appSecret: opts.appSecret,
      domain: opts.baseUrl,
      // Every call carries the token we pass it (lark.withTenantToken); the SDK fetches none itself.
      disableTokenCache: true,
      httpInstance: this.http as never,
      logger: sdkLogger(opts.logger),
    });
    this.token = new TenantToken(async () => {
      const url = `${opts.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`;
      const res = await this.http.request<{ code?: number; msg?: string; tenant_access_token?: string; expire?: number }>({
        url,
        method: 'POST',
        data: { app_id: opts.appId, app_secret: opts.appSecret },
      });
      if (!res?.tenant_access_token) throw FeishuApiError.fromResponse(200, res, {}, false);
      return { value: res.tenant_access_token, expireSeconds: res.expire ?? 7200 };
    });
  }

  /**
   * Runs one call with the tenant token. A token Feishu refuses is replaced and
   * the call made again at once, so an expired token costs the caller no try.
   * `asError` reads a failure before it is classified (a download's body);
   * `writtenOut` (a send's, see AppSlot.run) rides with the call's headers and
   * is called once its request has been written out.
   */
  private async withToken<T>(
    fn: (auth: Auth) => Promise<T>,
    { asError = (e) => e, writtenOut }: { asError?: (e: unknown) => unknown; writtenOut?: () => void } = {},
  ): Promise<T> {
    for (let refreshed = false; ; refreshed = true) {
      let token: string;
      try {
        token = await this.token.get();
      } catch (e) {
        throw FeishuApiError.from(e, { callMade: false });
      }
      let err: FeishuApiError;
      try {
        const auth = lark.withTenantToken(token);
        return await fn(writtenOut ? { ...auth, headers: { ...auth.headers, [WRITTEN_OUT]: writtenOut } } : auth);
      } catch (e) {
        err = FeishuApiError.from(await asError(e));
      }
      if (!TOKEN_CODES.has(err.code)) throw err;
      this.token.rejected(token);
      if (refreshed) throw err;
    }
  }

  private call<T extends { code?: number; msg?: string }>(fn: (auth: Auth) => Promise<T>, writtenOut?: () => void): Promise<T> {
    return this.withToken(
      async (auth) => {
        const res = await fn(auth);
        // HTTP 200 with a non-zero code resolves normally in the SDK.
        if (res && typeof res.code === 'number' && res.code !== 0) throw FeishuApiError.fromResponse(200, res);
        return res;
      },
      { writtenOut },
    );
  }

  /** `writtenOut`, here and for a reply or a card update: called once the request has been written out (see AppSlot.run). */
  async send(receiveIdType: ReceiveIdType, receiveId: string, body: MessageBody, writtenOut?: () => void): Promise<string> {
    const res = await this.call(
      (auth) =>
        this.client.im.v1.message.create(
          {
            params: { receive_id_type: receiveIdType },
            data: { receive_id: receiveId, msg_type: body.msgType, content: body.content, uuid: body.uuid },
          },
          auth,
        ),
      writtenOut,
    );
    return res.data?.message_id ?? '';
  }

  async reply(messageId: string, body: MessageBody, writtenOut?: () => void): Promise<string> {
    const res = await this.call(
      (auth) =>
        this.client.im.v1.message.reply(
          {
            path: { message_id: messageId },
            data: { msg_type: body.msgType, content: body.content, uuid: body.uuid },
          },
          auth,
        ),
      writtenOut,
    );
    return res.data?.message_id ?? '';
  }

  /** https://open.feishu.cn/document/server-docs/im-v1/message-card/patch — only within 14 days of sending. */
  async patchCard(messageId: string, content: string, writtenOut?: () => void): Promise<void> {
    await this.call((auth) => this.client.im.v1.message.patch({ path: { message_id: messageId }, data: { content } }, auth), writtenOut);
  }

  /**
   * The bytes of an image or file a user sent the bot.
   * https://open.feishu.cn/document/server-docs/im-v1/message/get-2 — the bot must be in the
   * message's chat; errors 234003 (key not in the message), 234004 (app not in the chat),
   * 234037 (over 100 MB), 234043 (stickers, cards, merged forwards) are permanent.
   */
  async downloadResource(messageId: string, key: string, type: ResourceType): Promise<Buffer> {
    const idleMs = this.opts.timeoutMs ?? 10_000;
    return this.withToken(
      async (auth) => {
        const res = (await this.client.im.v1.messageResource.get({ path: { message_id: messageId, file_key: key }, params: { type } }, auth)) as {
          getReadableStream(): NodeJS.ReadableStream;
          headers?: Record<string, unknown>;
        };
        let bytes: Buffer;
        try {
          bytes = await readAll(res.getReadableStream(), MAX_RESOURCE_BYTES, idleMs);
        } catch (e) {
          throw FeishuApiError.from(e);
        }
        // HTTP 200 with a JSON `{code != 0}` body is an error too.
        const contentType = String(res.headers?.['content-type'] ?? '');
        if (contentType.includes('application/json') && bytes.length < 64 * 1024) {
          let body: { code?: unknown } | undefined;
          try {
            body = JSON.parse(bytes.toString('utf8')) as { code?: unknown };
          } catch {
            body = undefined;
          }
          if (body && typeof body.code === 'number' && body.code !== 0) throw FeishuApiError.fromResponse(200, body, res.headers ?? {});
        }
        return bytes;
      },
      { asError: (e) => withErrorBody(e, idleMs) },
    );
  }

  /**
   * Uploads a file to send as a `file` message; returns its file_key.
   * https://open.feishu.cn/document/server-docs/im-v1/file/create — at most 30 MB and not
   * empty (234006, 234010). The SDK resolves to the inner `data` or null (SDK 1.74; 「上传图片」「上传文件」).
   */
  async uploadFile(fileName: string, bytes: Buffer, fileType: UploadFileType): Promise<string> {
    const res = await this.withToken((auth) => this.client.im.v1.file.create({ data: { file_type: fileType, file_name: fileName, file: bytes } }, auth));
    if (!res?.file_key) throw new FeishuApiError(-1, 'file upload answered without a file_key', 200, null, false);
    return res.file_key;
  }

  /**
   * The app's own primary calendar, where the bot's events live (查询主日历信息).
   * With the app's identity the app needs the bot ability; the scope is
   * `calendar:calendar` or a read-only calendar scope.
   */
  async primaryCalendarId(): Promise<string> {
    const res = await this.call((auth) => this.client.calendar.v4.calendar.primary({ params: { user_id_type: 'open_id' } }, auth));
    const id = res.data?.calendars?.[0]?.calendar?.calendar_id;
    if (!id) throw new FeishuApiError(-1, 'primary calendar answered without a calendar_id', 200, null, false);
    return id;
  }

  /**
   * Creates an event on a calendar and returns its event_id (创建日程). The
   * idempotency key makes a retried create (its answer lost) one event.
   * Attendees are added separately (添加日程参与人).
   */
  async createEvent(calendarId: string, e: CalendarEventBody, idempotencyKey: string): Promise<string> {
    const res = await this.call((auth) =>
      this.client.calendar.v4.calendarEvent.create(
        { path: { calendar_id: calendarId }, params: { idempotency_key: idempotencyKey }, data: { ...eventData(e), need_notification: true } },
        auth,
      ),
    );
    const id = res.data?.event?.event_id;
    if (!id) throw new FeishuApiError(-1, 'event create answered without an event_id', 200, null, false);
    return id;
  }

  /** Changes an event's time, title or place (更新日程); attendees are told. */
  async patchEvent(calendarId: string, eventId: string, e: CalendarEventBody): Promise<void> {
    await this.call((auth) =>
      this.client.calendar.v4.calendarEvent.patch(
        { path: { calendar_id: calendarId, event_id: eventId }, data: { ...eventData(e), need_notification: true } },
        auth,
      ),
    );
  }

  /** Deletes an event (删除日程); attendees are told. */
  async deleteEvent(calendarId: string, eventId: string): Promise<void> {
    await this.call((auth) =>
      this.client.calendar.v4.calendarEvent.delete({ path: { calendar_id: calendarId, event_id: eventId }, params: { need_notification: 'true' } }, auth),
    );
  }

  /** Invites users (by open_id) to an event (添加日程参与人); inviting someone already invited changes nothing. */
  async addEventAttendees(calendarId: string, eventId: string, openIds: string[]): Promise<void> {
    await this.call((auth) =>
      this.client.calendar.v4.calendarEventAttendee.create(
        {
          path: { calendar_id: calendarId, event_id: eventId },
          params: { user_id_type: 'open_id' },
          data: { attendees: openIds.map((id) => ({ type: 'user' as const, user_id: id })), need_notification: true },
        },
        auth,
      ),
    );
  }

  /** The bot's own open_id, to recognise @mentions of it in groups. */
  async botOpenId(): Promise<string | undefined> {
    const res = await this.call((auth) =>
      this.client.request<{ code?: number; msg?: string; bot?: { open_id?: string } }>({ url: '/open-apis/bot/v3/info', method: 'GET' }, auth),
    );
    return res.bot?.open_id;
  }

  /**
   * open_ids for mobiles and emails, at most 50 of each per call.
   * https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id — a number or
   * address without a match (or outside the app's contact scope) comes back without `user_id`.
   */
  async openIdsByContact(q: { mobiles?: string[]; emails?: string[] }): Promise<Array<{ mobile?: string; email?: string; openId?: string }>> {
    const res = await this.call((auth) =>
      this.client.contact.v3.user.batchGetId(
        {
          params: { user_id_type: 'open_id' },
          data: { mobiles: q.mobiles?.length ? q.mobiles : undefined, emails: q.emails?.length ? q.emails : undefined, include_resigned: false },
        },
        auth,
      ),
    );
    return (res.data?.user_list ?? []).map((u) => ({ mobile: u.mobile, email: u.email, openId: u.user_id || undefined }));
  }
}
