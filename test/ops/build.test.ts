import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups } from '../../src/ops/backup.js';
import { runLockFile } from '../../src/ops/run-lock.js';
import { FeishuStandIn } from '../../src/sandbox/index.js';
import { makeCredentials, waitFor } from '../helpers/harness.js';
import { tmpDir } from './helpers.js';

/**
 * `npm run build` and `npm run start:prod` as a server runs them: the build from
 * scratch in a copy of the checkout, then the compiled CLI and bot, which must
 * find migrations, cards and the simulator's files from dist/.
 */

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
let app: string;

/** Starts the compiled bot; resolves with its output once `ready` is printed. */
function startCompiled(env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', ZOUFANG_ENV_FILE: path.join(app, 'none.env'), ...env },
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += String(c)));
  child.stderr!.on('data', (c) => (output += String(c)));
  return waitFor(() => ready.test(output), `compiled bot to print ${ready}`, 30_000).then(
    () => ({ child, output: () => output }),
    (e: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${e.message}\n${output}`);
    },
  );
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

beforeAll(async () => {
  app = tmpDir('zoufang-build-');
  for (const entry of ['src', 'bin', 'cards', 'migrations', 'package.json', 'tsconfig.json', 'scripts', '.env.example']) {
    fs.cpSync(path.join(ROOT, entry), path.join(app, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
  await run('npm', ['run', 'build'], { cwd: app });
}, 180_000);

describe('npm run build', { timeout: 90_000 }, () => {
  it('compiles a CLI that migrates from dist/ with the shipped migrations', async () => {
    expect(fs.existsSync(path.join(app, 'dist/main.js'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'dist/simulator/public/index.html'))).toBe(true);
    const db = path.join(tmpDir(), 'zoufang.db');
    const r = await run(process.execPath, ['bin/zoufang.js', 'migrate'], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: db, ZOUFANG_ENV_FILE: path.join(app, 'none.env') },
    });
    expect(r.stdout).toContain('数据库已是最新');
  });

  it('writes the bundled bot in characters V8 keeps one byte each (a Chinese pattern would double its source in the heap)', () => {
    const source = fs.readFileSync(path.join(app, 'dist/main.js'), 'utf8');
    expect(source).toContain('bundleRequire');
    expect(source.match(/[^\x00-\xff]/g) ?? []).toEqual([]);
  });

  it('start:prod runs the compiled bot against Feishu (the stand-in): connects, backs up at start, and stops cleanly on SIGTERM', async () => {
    const creds = makeCredentials();
    const standIn = new FeishuStandIn(creds);
    await standIn.start();
    const data = tmpDir();
    try {
      const env = {
        LARK_APP_ID: creds.appId,
        LARK_APP_SECRET: creds.appSecret,
        LARK_DOMAIN: standIn.baseUrl,
        PORT: '0',
        DATABASE_PATH: path.join(data, 'zoufang.db'),
        PHOTO_DIR: path.join(data, 'photos'),
        BACKUP_DIR: path.join(data, 'backups'),
      };
      const bot = await startCompiled(env, /"msg":"bot started"/);
      // The stand-in counts a socket once the client's first ping shows it listens, a moment after the handshake.
      await waitFor(() => standIn.connectedClients() === 1, 'the long connection');
      const url = (
        JSON.parse(
          bot
            .output()
            .split('\n')
            .find((l) => l.includes('"bot started"'))!,
        ) as { url: string }
      ).url;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // The compiled bot runs the build's lighter copy of the SDK (scripts/build.mjs): the same SDK, still naming
      // its own version to Feishu.
      const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@larksuiteoapi/node-sdk/package.json'), 'utf8')) as { version: string };
      expect(fs.existsSync(path.join(app, 'dist/vendor/node-sdk/lib/index.cjs'))).toBe(true);
      expect(standIn.calls().map((c) => c.userAgent)).toContain(`oapi-node-sdk/${sdk.version}`);
      // The daily backup catches up at start, in the background once the bot is healthy.
      await waitFor(() => listBackups(env.BACKUP_DIR).length === 1, 'the start-up backup');
      expect(listBackups(env.BACKUP_DIR)).toHaveLength(1);
      expect(fs.existsSync(runLockFile(env.DATABASE_PATH))).toBe(true);

      bot.child.kill('SIGTERM');
      expect(await exited(bot.child)).toBe(0);
      expect(bot.output()).toContain('"msg":"shutting down"');
      expect(bot.output()).toContain('"msg":"stopped"');
      expect(fs.existsSync(runLockFile(env.DATABASE_PATH))).toBe(false);
    } finally {
      await standIn.stop();
    }
  });

  it('serves the chat simulator from dist/ in sandbox mode', async () => {
    const data = tmpDir();
    const bot = await startCompiled({ PORT: '0', DATABASE_PATH: path.join(data, 'zoufang.db') }, /机器人 \/ bot:\s+\S+\/healthz/);
    try {
      const url = /机器人 \/ bot:\s+(\S+)\/healthz/.exec(bot.output())![1]!;
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect((await fetch(`${url}/sim/static/app.js`)).status).toBe(200);
    } finally {
      bot.child.kill('SIGTERM');
      await exited(bot.child);
    }
  });
});

afterAll(() => {
  if (app) fs.rmSync(app, { recursive: true, force: true });
});
