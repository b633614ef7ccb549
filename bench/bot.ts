/**
 * The bot under measurement, in a process of its own so that its memory and
 * CPU are its own. Built exactly as `npm start` builds it (createBot), on the
 * webhook transport, with the clock set to the benchmark's business time.
 * Prints {"url"} once listening; on SIGTERM stops gracefully and prints
 * {"maxRssKb"} — the peak resident memory of the whole run. Reports its own
 * CPU, event-loop delay and memory per phase over IPC (bench/probe.ts), and
 * moves its business clock on the parent's word.
 */
import { createBot } from '../src/app.js';
import { AdjustableClock } from '../src/clock.js';
import { openDatabase } from '../src/db/index.js';
import { createLogger } from '../src/logger.js';
import { servePhases } from './probe.js';

export interface BenchBotConfig {
  dbFile: string;
  baseUrl: string;
  appId: string;
  appSecret: string;
  encryptKey: string;
  verificationToken: string;
  /** Business time the clock starts at (ms); it then runs with the wall clock. */
  at: number;
  /** How long a Feishu call may take before it counts as failed and is retried. */
  apiTimeoutMs: number;
}

const cfg = JSON.parse(process.env.ZOUFANG_BENCH_BOT ?? '') as BenchBotConfig;
const clock = new AdjustableClock(new Date(cfg.at));
servePhases((ms) => clock.advance(ms));
const db = openDatabase(cfg.dbFile);
const bot = createBot({
  lark: {
    appId: cfg.appId,
    appSecret: cfg.appSecret,
    encryptKey: cfg.encryptKey,
    verificationToken: cfg.verificationToken,
    baseUrl: cfg.baseUrl,
    transport: 'webhook',
  },
  db,
  clock,
  apiTimeoutMs: cfg.apiTimeoutMs,
  // Warnings and errors only, to stderr: the parent reads stdout.
  log: createLogger('warn', process.stderr),
  port: 0,
  host: '127.0.0.1',
  // Business time is not the wall clock here: a real 09:00 must not add sends to a measurement.
  cronTriggers: false,
});
await bot.start();
process.stdout.write(`${JSON.stringify({ url: bot.url })}\n`);

process.once('SIGTERM', async () => {
  await bot.stop();
  db.$client.close();
  process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
});
