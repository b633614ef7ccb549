import * as lark from '@larksuiteoapi/node-sdk';
import { FeishuStandIn, type StandInOptions } from '../../src/sandbox/stand-in.js';

export const APP_ID = 'cli_a1b2c3d4e5f60718';
export const APP_SECRET = 'sandbox-secret';
export const ENCRYPT_KEY = 'sandbox-encrypt-key';
export const VERIFICATION_TOKEN = 'sandbox-verification-token';

export const ALICE = { openId: 'ou_alice0000000000000000000000000001', name: '张老师', mobile: '13800000001', email: 'alice@school.example' };
export const BOB = { openId: 'ou_bob000000000000000000000000000002', name: '李老师', mobile: '+8613800000002' };

export const silentLogger = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

export async function startStandIn(extra: Partial<StandInOptions> = {}): Promise<FeishuStandIn> {
  const s = new FeishuStandIn({
    appId: APP_ID,
    appSecret: APP_SECRET,
    encryptKey: ENCRYPT_KEY,
    verificationToken: VERIFICATION_TOKEN,
    ...extra,
  });
  s.addUser(ALICE);
  s.addUser(BOB);
  await s.start();
  return s;
}

/** A real SDK client with its own token cache, so tests do not share tokens. */
export function sdkClient(s: FeishuStandIn, appSecret = APP_SECRET): lark.Client {
  return new lark.Client({
    appId: APP_ID,
    appSecret,
    domain: s.baseUrl,
    cache: new lark.DefaultCache(),
    logger: silentLogger,
  });
}

/** Run a promise that is expected to reject with an AxiosError; return the Feishu body and status. */
export async function apiError(p: Promise<unknown>): Promise<{ status: number; code: number; msg: string; headers: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { response?: { status: number; data: { code: number; msg: string }; headers: Record<string, string> } };
    if (!err.response) throw e;
    return { status: err.response.status, code: err.response.data.code, msg: err.response.data.msg, headers: err.response.headers };
  }
  throw new Error('expected the call to fail');
}

export function textContent(text: string): string {
  return JSON.stringify({ text });
}

export function waitFor<T>(fn: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = fn();
      if (v !== undefined && v !== false) return resolve(v);
      if (Date.now() - start > timeoutMs) return reject(new Error('waitFor timed out'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/** A tiny PNG (1×1). */
export const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
