/**
 * How the stand-in answers over HTTP as Feishu's gateway does: `{code, msg, data}`
 * bodies, errors with a log id, and a record of every call.
 */
import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RecordedCall } from './types.js';

/** A documented Feishu error: the HTTP status, code and msg the platform answers. */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    msg: string,
    readonly note?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(msg);
  }
}

export const MSG = {
  missingToken: 'Missing access token for authorization. Please make a request with token attached.',
  invalidToken: 'Invalid access token for authorization. Please make a request with token attached.',
  badTokenFormat: 'Invalid access token format: a tenant access token starts with "t-".',
  rateLimited: 'request trigger frequency limit',
  imRateLimited: 'The request you send is too frequent, please try again later.',
  notInChat: 'Bot/User can NOT be out of the chat.',
  noAvailability: 'Bot has NO availability to this user.',
  invalidReceiveId: 'The receive_id is invalid.',
  messageNotFound: 'The message is not found, please check the message_id.',
};

export function ok(res: Response, data: unknown = {}): void {
  res.locals['code'] = 0;
  res.status(200).json({ code: 0, msg: 'success', data });
}

export function fail(res: Response, e: ApiError): void {
  res.locals['code'] = e.code;
  if (e.note) res.locals['note'] = e.note;
  for (const [k, v] of Object.entries(e.headers ?? {})) res.setHeader(k, v);
  const logId = String(res.getHeader('x-tt-logid') ?? '');
  res.status(e.httpStatus).json({ code: e.code, msg: e.message, error: { log_id: logId } });
}

/** A route whose thrown errors (ApiError above all) reach the error handler. */
export const route =
  (fn: (req: Request, res: Response) => void | Promise<void>): RequestHandler =>
  async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      await fn(req, res);
    } catch (e) {
      next(e);
    }
  };

/** Records each call when its answer is sent or the client gives up. */
export function callRecorder(now: () => number, record: (call: RecordedCall) => void): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const at = now();
    const method = req.method;
    const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      const call: RecordedCall = {
        at,
        receivedAt: started,
        method,
        path,
        status: aborted ? 0 : res.statusCode,
        code: typeof res.locals['code'] === 'number' ? res.locals['code'] : res.statusCode < 300 ? 0 : -1,
        ms: Math.round((performance.now() - started) * 10) / 10,
        userAgent: req.get('user-agent') ?? '',
      };
      const note = (res.locals['note'] as string | undefined) ?? (aborted ? 'client aborted' : undefined);
      if (note) call.note = note;
      record(call);
    };
    res.on('finish', () => finish(false));
    res.on('close', () => finish(!res.writableFinished));
    next();
  };
}

/** ApiError → Feishu error body; body-parser errors → field validation; the control routes answer plainly. */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (req.path.startsWith('/_sandbox')) {
    res.status(400).json({ error: `请求无效 (bad request): ${(err as Error).message}` });
    return;
  }
  if (err instanceof ApiError) {
    fail(res, err);
    return;
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.too.large') {
    fail(res, new ApiError(400, 234006, 'The file size exceeds the limit.'));
    return;
  }
  if (e.type === 'entity.parse.failed') {
    fail(res, new ApiError(400, 99992402, 'field validation failed: the request body is not valid JSON'));
    return;
  }
  fail(res, new ApiError(500, 1500, `internal error: ${e.message ?? String(err)}`));
}
