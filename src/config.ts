import { z } from 'zod';
import { PRESETS, findPreset } from './domain/presets.js';

/**
 * Configuration comes from the environment only. `loadConfig` validates every
 * variable at once and throws a ConfigError listing each problem by variable name,
 * so an operator fixes the whole .env in one go. Nothing here runs at import time.
 */

export const FEISHU_BASE_URL = 'https://open.feishu.cn';
export const LARK_BASE_URL = 'https://open.larksuite.com';

/** The Open Platform base URL that LARK_DOMAIN names: feishu, lark, or a URL of its own. */
export const larkBaseUrl = (domain: string): string => (domain === 'feishu' ? FEISHU_BASE_URL : domain === 'lark' ? LARK_BASE_URL : domain.replace(/\/+$/, ''));

const nonEmpty = z.string().trim().min(1, '不能为空 / must not be empty');

const envSchema = z
  .object({
    LARK_APP_ID: z
      .string()
      .trim()
      .regex(/^cli_[0-9a-zA-Z]{16}$/, '应形如 cli_ 加 16 位字符 / must look like cli_ followed by 16 characters')
      .optional(),
    LARK_APP_SECRET: nonEmpty.optional(),
    LARK_DOMAIN: z
      .string()
      .trim()
      .default('feishu')
      .transform(larkBaseUrl)
      .pipe(z.url({ message: '应为 feishu、lark 或一个 http(s) 地址 / must be feishu, lark or an http(s) URL' })),
    LARK_TRANSPORT: z.enum(['ws', 'webhook'], { message: '只能是 ws 或 webhook / must be ws or webhook' }).default('ws'),
    LARK_ENCRYPT_KEY: nonEmpty.optional(),
    LARK_VERIFICATION_TOKEN: nonEmpty.optional(),
    PORT: z.coerce
      .number({ message: '应为端口号 / must be a port number' })
      .int('应为整数 / must be an integer')
      .min(0)
      .max(65535, '应在 0–65535 之间 / must be between 0 and 65535')
      .default(3000),
    DATABASE_PATH: nonEmpty.default('./data/zoufang.db'),
    PHOTO_DIR: nonEmpty.default('data/photos'),
    CAMPAIGN_FILE: nonEmpty.optional(),
    SANDBOX_PRESET: nonEmpty
      .default('wei-xingdong')
      .refine((v) => findPreset(v) !== undefined, { message: `未知预设 / unknown preset (${PRESETS.map((p) => p.name).join(', ')})` }),
    SANDBOX_CARD_FRAMES: z.enum(['event', 'card'], { message: '只能是 event 或 card / must be event or card' }).default('event'),
    BRANCH_CHAT_ID: z
      .string()
      .trim()
      .regex(/^oc_\w+$/, '应形如 oc_xxx（群的 chat_id）/ must be a chat id like oc_xxx')
      .optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BACKUP_DIR: nonEmpty.default('data/backups'),
    BACKUP_AT: z
      .string()
      .trim()
      .default('02:30')
      .refine((v) => v === 'off' || /^([01]\d|2[0-3]):[0-5]\d$/.test(v), { message: '应为 HH:MM（北京时间）或 off / must be HH:MM (Beijing time) or off' }),
    BACKUP_KEEP: z.coerce
      .number({ message: '应为数字 / must be a number' })
      .int('应为整数 / must be an integer')
      .min(1, '至少保留 1 份 / keep at least 1')
      .default(14),
  })
  .superRefine((env, ctx) => {
    const hasId = env.LARK_APP_ID !== undefined;
    const hasSecret = env.LARK_APP_SECRET !== undefined;
    if (hasId && !hasSecret)
      ctx.addIssue({ code: 'custom', path: ['LARK_APP_SECRET'], message: '设置了 LARK_APP_ID 时必填 / required when LARK_APP_ID is set' });
    if (hasSecret && !hasId)
      ctx.addIssue({ code: 'custom', path: ['LARK_APP_ID'], message: '设置了 LARK_APP_SECRET 时必填 / required when LARK_APP_SECRET is set' });
    // Webhook mode without its keys would accept forged requests: refuse to start.
    if (hasId && env.LARK_TRANSPORT === 'webhook') {
      for (const key of ['LARK_ENCRYPT_KEY', 'LARK_VERIFICATION_TOKEN'] as const) {
        if (env[key] === undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'webhook 模式必填（用于校验飞书请求）/ required in webhook mode to verify Feishu requests' });
      }
    }
  });

export type Transport = 'ws' | 'webhook';

export interface LarkConfig {
  appId: string;
  appSecret: string;
  baseUrl: string;
  transport: Transport;
  encryptKey?: string;
  verificationToken?: string;
}

export interface Config {
  /** `sandbox`: no credentials, the bot runs against the embedded Feishu stand-in. */
  mode: 'feishu' | 'sandbox';
  lark: LarkConfig | null;
  transport: Transport;
  port: number;
  databasePath: string;
  /** Where photos sent to the bot are kept, by content hash. */
  photoDir: string;
  campaignFile?: string;
  /** The preset the sandbox demo runs (seed 000 or 002). */
  sandboxPreset: string;
  /** The frame type the sandbox's stand-in pushes card clicks in on the long connection (Feishu uses both). */
  sandboxCardFrames: 'event' | 'card';
  branchChatId?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Scheduled backups of the database and photos (feishu mode); `at` null = switched off. */
  backup: { dir: string; at: string | null; keep: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置有误 / invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Treat blank variables (KEY= in .env) as unset, as operators expect.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? 'env')}: ${i.message}`));
  }
  const e = parsed.data;
  const lark: LarkConfig | null =
    e.LARK_APP_ID && e.LARK_APP_SECRET
      ? {
          appId: e.LARK_APP_ID,
          appSecret: e.LARK_APP_SECRET,
          baseUrl: e.LARK_DOMAIN,
          transport: e.LARK_TRANSPORT,
          encryptKey: e.LARK_ENCRYPT_KEY,
          verificationToken: e.LARK_VERIFICATION_TOKEN,
        }
      : null;
  return {
    mode: lark ? 'feishu' : 'sandbox',
    lark,
    transport: e.LARK_TRANSPORT,
    port: e.PORT,
    databasePath: e.DATABASE_PATH,
    photoDir: e.PHOTO_DIR,
    campaignFile: e.CAMPAIGN_FILE,
    sandboxPreset: e.SANDBOX_PRESET,
    sandboxCardFrames: e.SANDBOX_CARD_FRAMES,
    branchChatId: e.BRANCH_CHAT_ID,
    logLevel: e.LOG_LEVEL,
    backup: { dir: e.BACKUP_DIR, at: e.BACKUP_AT === 'off' ? null : e.BACKUP_AT, keep: e.BACKUP_KEEP },
  };
}
