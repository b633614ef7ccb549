import http from 'node:http';
import https from 'node:https';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { axios } from './sdk.js';

const { AxiosError, AxiosHeaders } = axios;

/** What the SDK passes to its HTTP instance's `request` (SDK 1.74: url, method, data, params, headers, paramsSerializer, …). */
type SdkRequest = AxiosRequestConfig & { $return_headers?: boolean };

/**
 * Under this key of a call's headers, a function to call once the call's
 * request has been written out (a send's, for the rate limiter: see
 * AppSlot.run): from then on it may have reached Feishu. The SDK hands a
 * call's headers on as they are given; a symbol key is one no HTTP layer
 * writes out.
 */
export const WRITTEN_OUT: unique symbol = Symbol('zoufang: request written out');

/** The function a call's headers carry under WRITTEN_OUT, if any. */
const writtenOutOf = (headers: unknown): (() => void) | undefined => {
  const said = (headers as { [WRITTEN_OUT]?: unknown } | undefined)?.[WRITTEN_OUT];
  return typeof said === 'function' ? (said as () => void) : undefined;
};

/** Environment variables that send requests through a proxy (axios reads them; node:http does not). */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

/** A body sent as JSON: a plain object or nothing, and no other type named (an upload's object goes as a form). */
const isJsonBody = (data: unknown, headers: unknown) => {
  const type = Object.entries((headers ?? {}) as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  if (type !== undefined && !String(type).includes('json')) return false;
  if (data === undefined || data === null) return true;
  if (typeof data !== 'object') return false;
  const proto = Object.getPrototypeOf(data) as object | null;
  return proto === Object.prototype || proto === null;
};

/**
 * The HTTP instance the SDK makes its calls with. A call with a JSON body and
 * a JSON answer — a send, a reply, a card update, the token: nearly every
 * call the bot makes — goes out through node:http directly: through axios,
 * each cost about 0.4 ms more CPU than the call itself (its configuration
 * merged anew, the proxy looked up in the environment, a redirect-following
 * wrapper), paid on every answer the bot sends. What the SDK and
 * FeishuApiError read of an answer or a failure keeps axios's shape: the body
 * on success, an AxiosError with `response` (status, body, headers) for an
 * HTTP error, with the connection's code for no answer, ECONNABORTED past the
 * timeout. A download (a stream), an upload (a form), and every call when the
 * environment names a proxy, go through `axios` as before.
 */
export class JsonHttp {
  private readonly viaAxios: boolean;

  constructor(
    private readonly axios: AxiosInstance,
    private readonly timeoutMs: number,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.viaAxios = PROXY_VARIABLES.some((k) => env[k]);
  }

  /** The answer's body, as the bot's axios instance gives it (its response interceptor). */
  request<T = unknown>(config: SdkRequest): Promise<T> {
    if (this.viaAxios || config.responseType !== undefined || !isJsonBody(config.data, config.headers) || !config.url) {
      // axios does not tell when its request is written: said as it begins, the nearest it can be.
      writtenOutOf(config.headers)?.();
      return this.axios.request(config) as Promise<T>;
    }
    return this.json<T>(config);
  }

  private json<T>(config: SdkRequest): Promise<T> {
    const method = (config.method ?? 'get').toUpperCase();
    const url = withParams(config.url!, config.params, config.paramsSerializer);
    const body = config.data === undefined || config.data === null ? undefined : Buffer.from(JSON.stringify(config.data), 'utf8');
    const headers: Record<string, string | number> = { Accept: 'application/json, text/plain, */*' };
    for (const [k, v] of Object.entries((config.headers ?? {}) as Record<string, unknown>)) if (v !== undefined && v !== null) headers[k] = String(v);
    if (body) {
      // As 调用 API asks of every server API call: UTF-8, said so in the header (its examples send this value).
      headers['Content-Type'] = 'application/json; charset=utf-8';
      headers['Content-Length'] = body.length;
    }
    const transport = url.startsWith('https:') ? https : http;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        f();
      };
      const req = transport.request(url, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish(() => reject(AxiosError.from(e, undefined, config as never, req))));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data: unknown = text;
          try {
            data = text ? JSON.parse(text) : text;
          } catch {
            // Not JSON (a gateway's HTML page): the text, as axios leaves it.
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return finish(() => resolve(data as T));
          const response = { data, status, statusText: res.statusMessage ?? '', headers: AxiosHeaders.from(res.headers as never), config, request: req };
          const code = status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST;
          finish(() => reject(new AxiosError(`Request failed with status code ${status}`, code, config as never, req, response as never)));
        });
      });
      // The whole call, as axios's timeout: a send that hangs becomes a retry.
      const timer = setTimeout(() => {
        finish(() => reject(new AxiosError(`timeout of ${this.timeoutMs}ms exceeded`, AxiosError.ECONNABORTED, config as never, req)));
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (e) => finish(() => reject(AxiosError.from(e, undefined, config as never, req))));
      const said = writtenOutOf(config.headers);
      if (said) req.once('finish', said);
      req.end(body);
    });
  }
}

/** A query value any serializer writes as it is: nothing in it to encode. */
const PLAIN = /^[\w.~-]*$/;

/**
 * The URL with its query, as axios builds it: the SDK's own serializer when it
 * gives one, except for a query of plain words (a send's `receive_id_type=open_id`),
 * which it would write unchanged: qs sets up its options anew on every call.
 */
function withParams(url: string, params: unknown, serializer: AxiosRequestConfig['paramsSerializer']): string {
  if (!params || typeof params !== 'object') return url;
  let query: string;
  const entries = Object.entries(params);
  if (entries.every(([k, v]) => PLAIN.test(k) && (typeof v === 'string' || typeof v === 'number') && PLAIN.test(String(v))))
    query = entries.map(([k, v]) => `${k}=${v}`).join('&');
  else if (typeof serializer === 'function') query = serializer(params as Record<string, unknown>);
  else {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) search.append(k, String(v));
    query = search.toString();
  }
  if (!query) return url;
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  return `${base}${base.includes('?') ? '&' : '?'}${query}`;
}
