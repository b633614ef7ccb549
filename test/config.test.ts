import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('configuration', () => {
  it('runs in sandbox mode with no credentials and sensible defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ mode: 'sandbox', lark: null, transport: 'ws', port: 3000, databasePath: './data/zoufang.db', logLevel: 'info' });
  });

  it('reads real credentials and maps the domain names', () => {
    const c = loadConfig({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_DOMAIN: 'lark' });
    expect(c.mode).toBe('feishu');
    expect(c.lark?.baseUrl).toBe('https://open.larksuite.com');
    expect(loadConfig({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's' }).lark?.baseUrl).toBe('https://open.feishu.cn');
    expect(loadConfig({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_DOMAIN: 'http://127.0.0.1:9/' }).lark?.baseUrl).toBe(
      'http://127.0.0.1:9',
    );
  });

  it('lists every problem at once, by variable name', () => {
    const p = problems({ LARK_APP_ID: 'abc', PORT: 'eighty', LARK_TRANSPORT: 'smoke', LOG_LEVEL: 'loud', BRANCH_CHAT_ID: 'group-1' });
    expect(p.map((x) => x.split(':')[0])).toEqual(expect.arrayContaining(['LARK_APP_ID', 'PORT', 'LARK_TRANSPORT', 'LOG_LEVEL', 'BRANCH_CHAT_ID']));
    expect(p.find((x) => x.startsWith('LARK_TRANSPORT'))).toContain('ws 或 webhook');
  });

  it('lets the sandbox send card clicks in "card" frames, and names a bad value', () => {
    expect(loadConfig({}).sandboxCardFrames).toBe('event');
    expect(loadConfig({ SANDBOX_CARD_FRAMES: 'card' }).sandboxCardFrames).toBe('card');
    expect(problems({ SANDBOX_CARD_FRAMES: 'cards' })).toEqual([expect.stringMatching(/^SANDBOX_CARD_FRAMES: 只能是 event 或 card/)]);
  });

  it('refuses webhook mode without its keys (security never fails open)', () => {
    const p = problems({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_TRANSPORT: 'webhook' });
    expect(p).toEqual([expect.stringMatching(/^LARK_ENCRYPT_KEY: webhook 模式必填/), expect.stringMatching(/^LARK_VERIFICATION_TOKEN: webhook 模式必填/)]);
  });

  it('requires the secret with the id, and treats blank variables as unset', () => {
    expect(problems({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718' })).toEqual([expect.stringMatching(/^LARK_APP_SECRET/)]);
    expect(loadConfig({ LARK_APP_ID: '  ', LARK_APP_SECRET: '' }).mode).toBe('sandbox');
  });
});
