/**
 * Errors at the Feishu edge. A FeishuApiError carries what an operator needs
 * (code, HTTP status, log id), whether trying again can help, and whether the
 * call may have taken effect although it failed.
 * Codes: 官方文档 "通用错误码", "发送消息".
 */

/** The gateway's rate limit and IM's per user / per chat one ("频控策略"). */
export const GATEWAY_RATE_LIMITED = 99991400;
const IM_RATE_LIMITED = 230020;

/** Codes worth retrying: rate limits, busy, and token problems fixed by fetching a new token. */
const RETRYABLE_CODES = new Set([
  GATEWAY_RATE_LIMITED,
  IM_RATE_LIMITED, // per user / per chat
  230049, // the message is still being sent
  232096, // uploads temporarily write-stopped
  99991663, // tenant token invalid or expired
  99991661, // token missing
  1, // system busy
  11232, // webhook-bot peak-time limit
]);

export const TOKEN_CODES = new Set([99991663, 99991661]);

/** The tenant's data-loss-prevention audit refused the content (a plain phone number, an email address …). */
export const DLP_REJECTED = 230028;

/** Card content could not be built; the builder's own code and message follow `ext=` in `msg`. */
const CARD_BUILD_FAILED = 230099;

/**
 * The card builder's error inside a 230099 `msg`, e.g. "Failed to create card
 * content, ext=ErrCode: 11310; ErrMsg: card action is lock; ErrorValue: ; ".
 */
export function cardBuildError(msg: string): { code: number; msg: string } | null {
  // Other fields (ErrPath, ErrorValue) may stand between or around the two.
  const code = /ErrCode:\s*(\d+)/i.exec(msg);
  return code ? { code: Number(code[1]), msg: (/ErrMsg:\s*([^;]*)/i.exec(msg)?.[1] ?? '').trim() } : null;
}

/**
 * A 2.0 card being interacted with cannot be updated just then (sub-code 11310
 * "card action is lock"); the other 11310, "element exceeds the limit", is for good.
 */
function cardActionLocked(code: number, msg: string): boolean {
  if (code !== CARD_BUILD_FAILED) return false;
  const inner = cardBuildError(msg);
  return (inner?.code ?? 11310) === 11310 && /card action is lock/i.test(inner?.msg ?? msg);
}

export class FeishuApiError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly httpStatus: number | null,
    readonly logId: string | null,
    readonly retryable: boolean,
    /** Seconds the gateway asked us to wait (x-ogw-ratelimit-reset), when given. */
    readonly retryAfterSeconds: number | null = null,
    /**
     * True when the call may have been carried out although it failed: no answer
     * (timeout, dropped connection) or a server error. False for a definite
     * refusal (a rate limit, a token problem, a business error), which did nothing.
     */
    readonly mayHaveTakenEffect = false,
  ) {
    super(`Feishu API error ${code}: ${msg}${httpStatus ? ` (HTTP ${httpStatus})` : ''}${logId ? ` log_id=${logId}` : ''}`);
    this.name = 'FeishuApiError';
  }

  /**
   * Refused for a rate limit: the gateway's (HTTP 429, 99991400) or the 5 per
   * second per user or group (230020) ("频控策略"; "发送消息"). Feishu answered
   * and did nothing.
   */
  get rateLimited(): boolean {
    return this.httpStatus === 429 || this.code === GATEWAY_RATE_LIMITED || this.code === IM_RATE_LIMITED;
  }

  /** `callMade`: false when the answer is the token endpoint's, so the call itself never went out. */
  static fromResponse(httpStatus: number, body: unknown, headers: Record<string, unknown> = {}, callMade = true): FeishuApiError {
    const b = (body && typeof body === 'object' ? body : {}) as { code?: unknown; msg?: unknown };
    const code = typeof b.code === 'number' ? b.code : -httpStatus;
    const msg = String(b.msg ?? 'unknown');
    const logId = typeof headers['x-tt-logid'] === 'string' ? (headers['x-tt-logid'] as string) : null;
    const reset = Number(headers['x-ogw-ratelimit-reset']);
    const retryable = httpStatus >= 500 || httpStatus === 429 || RETRYABLE_CODES.has(code) || cardActionLocked(code, msg);
    return new FeishuApiError(code, msg, httpStatus, logId, retryable, Number.isFinite(reset) ? reset : null, callMade && httpStatus >= 500);
  }

  /**
   * Anything the SDK/axios threw: an HTTP error response, a timeout, a refused
   * connection. `callMade: false` when it was the token request that failed,
   * so the call itself never went out.
   */
  static from(e: unknown, o: { callMade?: boolean } = {}): FeishuApiError {
    if (e instanceof FeishuApiError) return e;
    const callMade = o.callMade ?? true;
    const ax = e as { response?: { status: number; data: unknown; headers?: Record<string, unknown> }; code?: string; message?: string };
    if (ax?.response) return FeishuApiError.fromResponse(ax.response.status, ax.response.data, ax.response.headers ?? {}, callMade);
    // No answer at all: network failure or timeout. Transient.
    return new FeishuApiError(-1, ax?.code ?? ax?.message ?? String(e), null, null, true, null, callMade);
  }
}

/** An error whose message is meant for the user who caused it (shown as a toast or reply). */
export class UserFacingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserFacingError';
  }
}

/** What failed, for a log line, without the error's message (it may quote a file name or what someone typed): a Feishu code, a system error code, or the error's class. */
export const errorKind = (e: unknown) =>
  e instanceof FeishuApiError ? `feishu ${e.code}` : ((e as NodeJS.ErrnoException)?.code ?? (e instanceof Error ? e.name : typeof e));
