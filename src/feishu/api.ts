import * as lark from '@larksuiteoapi/node-sdk';
import axios, { type AxiosInstance } from 'axios';
import type { Logger } from '../logger.js';
import { sdkLogger } from '../logger.js';
import { FeishuApiError, TOKEN_CODES } from './errors.js';

/**
 * The SDK's tenant-token cache is process-wide and never drops a token that
 * Feishu rejected (FEISHU.md §0.5). We give each client its own cache and clear
 * it when Feishu answers 99991663/99991661, so the next try fetches a new token.
 */
export class TokenCache {
  private readonly entries = new Map<string, { value: unknown; expire: number }>();
  // The SDK types keys with the boxed Symbol.
  async get(key: string | Symbol, opts?: { namespace?: string }) {
    const e = this.entries.get(`${opts?.namespace ?? ''}:${String(key)}`);
    if (!e || e.expire <= Date.now()) return undefined;
    return e.value;
  }
  async set(key: string | Symbol, value: unknown, expire?: number, opts?: { namespace?: string }) {
    this.entries.set(`${opts?.namespace ?? ''}:${String(key)}`, { value, expire: expire ?? Infinity });
    return true;
  }
  clear(): void {
    this.entries.clear();
  }
}

/** Same response contract as the SDK's default instance, plus a timeout so a hung call becomes a retry. */
function httpInstance(timeoutMs: number): AxiosInstance {
  const inst = axios.create({ timeout: timeoutMs });
  inst.interceptors.response.use((resp) =>
    (resp.config as { $return_headers?: boolean }).$return_headers ? ({ data: resp.data, headers: resp.headers } as never) : resp.data,
  );
  return inst;
}

export interface FeishuApiOptions {
  appId: string;
  appSecret: string;
  baseUrl: string;
  logger: Logger;
  timeoutMs?: number;
}

export type ReceiveIdType = 'open_id' | 'chat_id';

/** `image` for images (also those inside posts); `file` for files, audio and video (FEISHU.md §4.4). */
export type ResourceType = 'image' | 'file';

/** What Feishu's file upload accepts as `file_type`; anything else (a .zip) is `stream` (FEISHU.md §5.5). */
export type UploadFileType = 'opus' | 'mp4' | 'pdf' | 'doc' | 'xls' | 'ppt' | 'stream';

/** Feishu takes files up to 30 MB (FEISHU.md §5.5). */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;

/** Feishu serves resources up to 100 MB (FEISHU.md §4.4). */
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

/** The outbound calls the bot makes, each turning every failure into a FeishuApiError. */
export class FeishuApi {
  readonly client: lark.Client;
  private readonly cache = new TokenCache();

  constructor(readonly opts: FeishuApiOptions) {
    this.client = new lark.Client({
      appId: opts.appId,
      appSecret: opts.appSecret,
      domain: opts.baseUrl,
      cache: this.cache,
      httpInstance: httpInstance(opts.timeoutMs ?? 10_000) as never,
      logger: sdkLogger(opts.logger),
    });
  }

  private async call<T extends { code?: number; msg?: string }>(fn: () => Promise<T>): Promise<T> {
    let res: T;
    try {
      res = await fn();
    } catch (e) {
      throw this.noteTokenProblem(FeishuApiError.from(e));
    }
    // HTTP 200 with a non-zero code resolves normally in the SDK (FEISHU.md §0.7).
    if (res && typeof res.code === 'number' && res.code !== 0) throw this.noteTokenProblem(FeishuApiError.fromResponse(200, res));
    return res;
  }

  private noteTokenProblem(err: FeishuApiError): FeishuApiError {
    if (TOKEN_CODES.has(err.code)) this.cache.clear();
    return err;
  }

  async send(receiveIdType: ReceiveIdType, receiveId: string, body: MessageBody): Promise<string> {
    const res = await this.call(() =>
      this.client.im.v1.message.create({
        params: { receive_id_type: receiveIdType },
        data: { receive_id: receiveId, msg_type: body.msgType, content: body.content, uuid: body.uuid },
      }),
    );
    return res.data?.message_id ?? '';
  }

  async reply(messageId: string, body: MessageBody): Promise<string> {
    const res = await this.call(() =>
      this.client.im.v1.message.reply({
        path: { message_id: messageId },
        data: { msg_type: body.msgType, content: body.content, uuid: body.uuid },
      }),
    );
    return res.data?.message_id ?? '';
  }

  /** https://open.feishu.cn/document/server-docs/im-v1/message-card/patch — only within 14 days of sending. */
  async patchCard(messageId: string, content: string): Promise<void> {
    await this.call(() => this.client.im.v1.message.patch({ path: { message_id: messageId }, data: { content } }));
  }

  /**
   * The bytes of an image or file a user sent the bot.
   * https://open.feishu.cn/document/server-docs/im-v1/message/get-2 — the bot must be in the
   * message's chat; errors 234003 (key not in the message), 234004 (app not in the chat),
   * 234037 (over 100 MB), 234043 (stickers, cards, merged forwards) are permanent.
   */
  async downloadResource(messageId: string, key: string, type: ResourceType): Promise<Buffer> {
    const idleMs = this.opts.timeoutMs ?? 10_000;
    let res: { getReadableStream(): NodeJS.ReadableStream; headers?: Record<string, unknown> };
    try {
      res = (await this.client.im.v1.messageResource.get({ path: { message_id: messageId, file_key: key }, params: { type } })) as never;
    } catch (e) {
      throw this.noteTokenProblem(FeishuApiError.from(await withErrorBody(e, idleMs)));
    }
    let bytes: Buffer;
    try {
      bytes = await readAll(res.getReadableStream(), MAX_RESOURCE_BYTES, idleMs);
    } catch (e) {
      throw FeishuApiError.from(e);
    }
    // HTTP 200 with a JSON `{code != 0}` body is an error too (FEISHU.md §0.7).
    const contentType = String(res.headers?.['content-type'] ?? '');
    if (contentType.includes('application/json') && bytes.length < 64 * 1024) {
      let body: { code?: unknown } | undefined;
      try {
        body = JSON.parse(bytes.toString('utf8')) as { code?: unknown };
      } catch {
        body = undefined;
      }
      if (body && typeof body.code === 'number' && body.code !== 0) throw this.noteTokenProblem(FeishuApiError.fromResponse(200, body, res.headers ?? {}));
    }
    return bytes;
  }

  /**
   * Uploads a file to send as a `file` message; returns its file_key.
   * https://open.feishu.cn/document/server-docs/im-v1/file/create — at most 30 MB and not
   * empty (234006, 234010). The SDK resolves to the inner `data` or null (FEISHU.md §5.5).
   */
  async uploadFile(fileName: string, bytes: Buffer, fileType: UploadFileType): Promise<string> {
    let res: { file_key?: string } | null;
    try {
      res = await this.client.im.v1.file.create({ data: { file_type: fileType, file_name: fileName, file: bytes } });
    } catch (e) {
      throw this.noteTokenProblem(FeishuApiError.from(e));
    }
    if (!res?.file_key) throw new FeishuApiError(-1, 'file upload answered without a file_key', 200, null, false);
    return res.file_key;
  }

  /** The bot's own open_id, to recognise @mentions of it in groups. */
  async botOpenId(): Promise<string | undefined> {
    const res = await this.call(() =>
      this.client.request<{ code?: number; msg?: string; bot?: { open_id?: string } }>({ url: '/open-apis/bot/v3/info', method: 'GET' }),
    );
    return res.bot?.open_id;
  }

  /**
   * open_ids for mobiles and emails, at most 50 of each per call.
   * https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id — a number or
   * address without a match (or outside the app's contact scope) comes back without `user_id`.
   */
  async openIdsByContact(q: { mobiles?: string[]; emails?: string[] }): Promise<Array<{ mobile?: string; email?: string; openId?: string }>> {
    const res = await this.call(() =>
      this.client.contact.v3.user.batchGetId({
        params: { user_id_type: 'open_id' },
        data: { mobiles: q.mobiles?.length ? q.mobiles : undefined, emails: q.emails?.length ? q.emails : undefined, include_resigned: false },
      }),
    );
    return (res.data?.user_list ?? []).map((u) => ({ mobile: u.mobile, email: u.email, openId: u.user_id || undefined }));
  }
}
