import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets and personal data are redacted by key wherever
 * they appear, because a log line must never carry a family's phone, address or
 * situation, nor what a teacher typed into a card.
 */
export const REDACTED_KEYS = [
  'appSecret',
  'app_secret',
  'AppSecret',
  'encryptKey',
  'verificationToken',
  'tenant_access_token',
  'authorization',
  'Authorization',
  'mobile',
  'phone',
  'email',
  'address',
  'content',
  'form_value',
  'formValue',
  'text',
  'fields',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino({ level, base: undefined, redact: { paths, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** Adapts our logger to the SDK's logger interface, whose error lines embed raw payloads. */
export function sdkLogger(log: Logger) {
  // Only messages and codes are kept: the SDK's error objects embed request and response bodies.
  const safe = (a: unknown): string => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.message;
    if (Array.isArray(a)) return a.map(safe).join(' ');
    if (a && typeof a === 'object') {
      const o = a as Record<string, unknown>;
      return (
        ['code', 'msg', 'message']
          .filter((k) => o[k] !== undefined)
          .map((k) => `${k}=${String(o[k])}`)
          .join(' ') || '[object]'
      );
    }
    return String(a);
  };
  const fmt = (args: unknown[]) => args.map(safe).join(' ').slice(0, 300);
  return {
    error: (...a: unknown[]) => log.warn({ source: 'lark-sdk' }, fmt(a)),
    warn: (...a: unknown[]) => log.warn({ source: 'lark-sdk' }, fmt(a)),
    info: (...a: unknown[]) => log.debug({ source: 'lark-sdk' }, fmt(a)),
    debug: (...a: unknown[]) => log.trace({ source: 'lark-sdk' }, fmt(a)),
    trace: (...a: unknown[]) => log.trace({ source: 'lark-sdk' }, fmt(a)),
  };
}
