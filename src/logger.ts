import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets and personal data are redacted by key wherever
 * they appear, because a log line must never carry a family's phone, address or
 * situation, nor what a teacher typed into a card.
 */
export const REDACTED_KEYS = [
  'appSecret', 'app_secret', 'AppSecret', 'encryptKey', 'verificationToken', 'tenant_access_token',
  'authorization', 'Authorization', 'mobile', 'phone', 'email', 'address',
  'content', 'form_value', 'formValue', 'text', 'fields',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  return pino(
    { level, base: undefined, redact: { paths, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}

/** Adapts our logger to the SDK's logger interface, whose error lines embed raw payloads. */
export function sdkLogger(log: Logger) {
  const fmt = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : '[object]')).join(' ').slice(0, 300);
  return {
    error: (...a: unknown[]) => log.warn({ source: 'lark-sdk' }, fmt(a)),
    warn: (...a: unknown[]) => log.warn({ source: 'lark-sdk' }, fmt(a)),
    info: (...a: unknown[]) => log.debug({ source: 'lark-sdk' }, fmt(a)),
    debug: (...a: unknown[]) => log.trace({ source: 'lark-sdk' }, fmt(a)),
    trace: (...a: unknown[]) => log.trace({ source: 'lark-sdk' }, fmt(a)),
  };
}
