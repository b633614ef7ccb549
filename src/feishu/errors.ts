/**
 * Errors at the Feishu edge. A FeishuApiError carries what an operator needs
 * (code, HTTP status, log id) and whether trying again can help.
 * Codes: https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code
 */

/** Codes worth retrying: rate limits, busy, and token problems fixed by fetching a new token. */
const RETRYABLE_CODES = new Set([
  99991400, // gateway rate limit
  230020, // IM rate limit (per user / per chat)
  99991663, // tenant token invalid or expired
  99991661, // token missing
  1, // system busy
  11232, // webhook-bot peak-time limit
]);

export const TOKEN_CODES = new Set([99991663, 99991661]);

export class FeishuApiError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly httpStatus: number | null,
    readonly logId: string | null,
    readonly retryable: boolean,
    /** Seconds the gateway asked us to wait (x-ogw-ratelimit-reset), when given. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`Feishu API error ${code}: ${msg}${httpStatus ? ` (HTTP ${httpStatus})` : ''}${logId ? ` log_id=${logId}` : ''}`);
    this.name = 'FeishuApiError';
  }

  static fromResponse(httpStatus: number, body: unknown, headers: Record<string, unknown> = {}): FeishuApiError {
    const b = (body && typeof body === 'object' ? body : {}) as { code?: unknown; msg?: unknown };
    const code = typeof b.code === 'number' ? b.code : -httpStatus;
    const logId = typeof headers['x-tt-logid'] === 'string' ? (headers['x-tt-logid'] as string) : null;
    const reset = Number(headers['x-ogw-ratelimit-reset']);
    const retryable = httpStatus >= 500 || httpStatus === 429 || RETRYABLE_CODES.has(code);
    return new FeishuApiError(code, String(b.msg ?? 'unknown'), httpStatus, logId, retryable, Number.isFinite(reset) ? reset : null);
  }

  /** Anything the SDK/axios threw: an HTTP error response, a timeout, a refused connection. */
  static from(e: unknown): FeishuApiError {
    if (e instanceof FeishuApiError) return e;
    const ax = e as { response?: { status: number; data: unknown; headers?: Record<string, unknown> }; code?: string; message?: string };
    if (ax?.response) return FeishuApiError.fromResponse(ax.response.status, ax.response.data, ax.response.headers ?? {});
    // No response at all: network failure, timeout, or the SDK failing to get a token. All transient.
    return new FeishuApiError(-1, ax?.code ?? ax?.message ?? String(e), null, null, true);
  }
}

/** An error whose message is meant for the user who caused it (shown as a toast or reply). */
export class UserFacingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserFacingError';
  }
}
