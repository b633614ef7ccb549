import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { outbox } from '../../src/db/schema.js';
import { DEMO_BRANCH_CHAT_ID, DEMO_PEOPLE, demoOpenId, seedDemo } from '../../src/demo/seed.js';
import { enqueueOutbound } from '../../src/feishu/outbox.js';
import { FeishuStandIn } from '../../src/sandbox/index.js';
import { TEST_CAMPAIGN, cst, makeCredentials, startHarness, tmpDbFile, waitFor, type Harness } from '../helpers/harness.js';
import { startArgs } from '../../bench/children.js';

/**
 * What happens between the bot and Feishu while things break: the long
 * connection drops again and again during a fan-out, and the bot process is
 * killed (-9) halfway through one. Each message still arrives exactly once.
 */

let h: Harness | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = DEMO_PEOPLE.map((p) => p.name);

/** Each notice of a fan-out, keyed by its text, with how many times it reached a chat. */
function countTexts(standIn: FeishuStandIn, prefix: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const msg of standIn.messages()) {
    const text = msg.msgType === 'text' && msg.sender.kind === 'app' ? String(msg.content.text) : '';
    if (text.startsWith(prefix)) m.set(text, (m.get(text) ?? 0) + 1);
  }
  return m;
}

describe('the long connection drops during a fan-out', () => {
  it('delivers every notice once, and answers every command sent meanwhile once, after Feishu pushes it again', async () => {
    // Feishu re-pushes an unacknowledged event after 15 s, 5 min …; the stand-in does the same, faster.
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00'), standInOptions: { eventRetryDelaysMs: [200, 500, 1000, 2000, 4000, 8000] } });
    const hh = h;
    hh.standIn.faults.set({ slowMs: 40 });
    for (let i = 0; i < 60; i++) {
      await hh.bot.outbox.enqueue({ dedupeKey: `fanout:${i}`, to: { openId: hh.openId(names[i % names.length]!) }, purpose: 'remind.test', text: `提醒 ${i}` });
    }
    const asked = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      if (i % 3 === 0) hh.standIn.dropConnections();
      const name = names[i % names.length]!;
      asked.set(name, (asked.get(name) ?? 0) + 1);
      await hh.standIn.sendText(hh.openId(name), '/进度');
      await sleep(60);
    }
    const progressCards = (name: string) => hh.cardsTo(name).filter((c) => c.content?.header?.title?.content === `我的进度 · ${name}`).length;
    await waitFor(
      async () => {
        await hh.settle();
        return countTexts(hh.standIn, '提醒 ').size === 60 && names.every((n) => progressCards(n) === (asked.get(n) ?? 0));
      },
      'every notice and every answer',
      30_000,
    );
    expect([...countTexts(hh.standIn, '提醒 ').values()].every((n) => n === 1)).toBe(true);
    // Settled: nothing more arrives later.
    await sleep(2500);
    for (const n of names) expect(progressCards(n), n).toBe(asked.get(n) ?? 0);
    expect(
      hh.db
        .select()
        .from(outbox)
        .all()
        .filter((r) => r.purpose === 'remind.test' && r.status !== 'sent'),
    ).toEqual([]);
  }, 60_000);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('kill -9 in the middle of a fan-out', () => {
  it('sends each reminder exactly once across the crash and the restart', async () => {
    const credentials = makeCredentials();
    const standIn = new FeishuStandIn({ ...credentials });
    await standIn.start();
    for (const p of DEMO_PEOPLE) standIn.addUser({ openId: demoOpenId(p.name), name: p.name, mobile: p.mobile });
    standIn.addChat({ chatId: DEMO_BRANCH_CHAT_ID, name: '党支部工作群', memberOpenIds: DEMO_PEOPLE.map((p) => demoOpenId(p.name)) });
    try {
      // A database with a reminder fan-out queued, as the reminders job leaves it, before the bot starts.
      const file = tmpDbFile();
      const db = openDatabase(file);
      await seedDemo(db, new Date(), TEST_CAMPAIGN);
      const total = 120;
      await enqueueOutbound(
        db,
        Array.from({ length: total }, (_, i) => ({
          dedupeKey: `crash:${i}`,
          to: { openId: demoOpenId(names[i % names.length]!) },
          purpose: 'remind.test',
          text: `催办 ${i}`,
        })),
        Date.now(),
      );
      db.$client.close();
      // Every API call takes a while, so the fan-out lasts long enough to be cut.
      standIn.faults.set({ slowMs: 150 });

      const env = {
        PATH: process.env.PATH ?? '',
        LARK_APP_ID: credentials.appId,
        LARK_APP_SECRET: credentials.appSecret,
        LARK_DOMAIN: standIn.baseUrl,
        LARK_TRANSPORT: 'ws',
        DATABASE_PATH: file,
        PHOTO_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-photos-')),
        BACKUP_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-backups-')),
        BACKUP_AT: 'off',
        LOG_LEVEL: 'warn',
        ZOUFANG_ENV_FILE: path.join(os.tmpdir(), 'zoufang-no-such-env-file'),
      };
      const startBot = async () => {
        const child = spawn(process.execPath, startArgs('dist/main.js'), { env: { ...env, PORT: String(await freePort()) }, stdio: 'ignore' });
        children.push(child);
        return child;
      };

      const first = await startBot();
      await waitFor(() => countTexts(standIn, '催办 ').size >= 20, 'the fan-out under way', 30_000);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const before = countTexts(standIn, '催办 ').size;
      expect(before).toBeLessThan(total);

      const second = await startBot();
      await waitFor(() => countTexts(standIn, '催办 ').size === total, 'every reminder after the restart', 30_000);
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));

      const counts = countTexts(standIn, '催办 ');
      expect(counts.size).toBe(total);
      expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      const check = openDatabase(file);
      expect(
        check
          .select()
          .from(outbox)
          .all()
          .filter((r) => r.purpose === 'remind.test' && r.status !== 'sent'),
      ).toEqual([]);
      check.$client.close();
    } finally {
      await standIn.stop();
    }
  }, 90_000);
});
