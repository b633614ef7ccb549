/**
 * Plain HTTP calls to the Open Platform for `setup` and `doctor`. They look at
 * exactly what Feishu answers (HTTP status, code, message, Date header), which
 * the SDK would hide behind its token cache and error wrapping.
 */

export interface ApiAnswer {
  httpStatus: number;
  /** Feishu's code; -1 when the request got no answer. */
  code: number;
  msg: string;
  // biome-ignore lint/suspicious/noExplicitAny: a Feishu answer of any shape, read field by field by the checks
  body: Record<string, any>;
  /** The server's Date header, for the clock check. */
  date?: Date;
  /** Set when nothing answered (refused, timed out, DNS). */
  networkError?: string;
}

const TIMEOUT_MS = 10_000;

export async function request(url: string, init: { method?: string; token?: string; json?: unknown; form?: FormData } = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  let resp: Response;
  try {
    resp = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    return { httpStatus: 0, code: -1, msg: '', body: {}, networkError: err.cause?.code ?? err.cause?.message ?? err.message };
  }
  const text = await resp.text();
  // biome-ignore lint/suspicious/noExplicitAny: as above
  let body: Record<string, any> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') body = parsed as typeof body;
  } catch {
    /* not JSON: keep the status */
  }
  const date = resp.headers.get('date');
  return {
    httpStatus: resp.status,
    code: typeof body.code === 'number' ? body.code : resp.ok ? 0 : -resp.status,
    msg: typeof body.msg === 'string' ? body.msg : text.slice(0, 200),
    body,
    date: date ? new Date(date) : undefined,
  };
}

/** POST /open-apis/auth/v3/tenant_access_token/internal (官方文档「自建应用获取 tenant_access_token」). */
export async function tenantToken(baseUrl: string, appId: string, appSecret: string): Promise<ApiAnswer & { token?: string }> {
  const a = await request(`${baseUrl}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', json: { app_id: appId, app_secret: appSecret } });
  const token = typeof a.body.tenant_access_token === 'string' ? a.body.tenant_access_token : undefined;
  return { ...a, token };
}

/** The developer-console page of an app, for the links in instructions. */
export function consoleUrl(baseUrl: string, appId: string, page: 'auth' | 'event' | 'bot' | 'version' | 'baseinfo' | 'safe'): string {
  const host = baseUrl.includes('larksuite.com') ? 'https://open.larksuite.com' : 'https://open.feishu.cn';
  return `${host}/app/${appId}/${page}`;
}
