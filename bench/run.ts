/**
 * `npm run bench`: what a district-sized deployment costs, measured side by side
 * with a yardstick in the same run on the same machine. Prints a table and
 * writes it as JSON (bench/results/latest.json unless --out says otherwise).
 *
 *   npm run bench                                  # district scale: 1,000 teachers, 10,000 targets, 100,000 records
 *   npm run bench -- --teachers 100 --targets 1000 --records 5000 --rates 20,50 --seconds 3
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { and, eq, isNull, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { AdjustableClock } from '../src/clock.js';
import { openDatabase } from '../src/db/index.js';
import { CampaignRepo } from '../src/db/repos.js';
import { assignments, outbox, people, records, targets } from '../src/db/schema.js';
import {
  DISTRICT_BRANCH_CHAT_ID,
  DISTRICT_CAMPAIGN_ID,
  DISTRICT_SIZE,
  districtCampaign,
  districtLookup,
  seedDistrict,
  type DistrictSize,
  type DistrictSummary,
} from '../src/demo/district.js';
import { localDate } from '../src/domain/time.js';
import { FEISHU_SAFE_LIMITS } from '../src/feishu/rate-limiter.js';
import { readRosterFile } from '../src/roster/read.js';
import { newSubmissionKey } from '../src/records/submission-key.js';
import { importRoster } from '../src/roster/import.js';
import { writeRosterWorkbook } from '../src/roster/template.js';
import { FeishuStandIn, sandboxCredentials, type RecordedCall, type StoredMessage } from '../src/sandbox/index.js';
import { buildForBench, startChild, type Child } from './children.js';
import { offerLoad } from './offered-load.js';
import type { PhaseFigures } from './probe.js';
import { median, percentile, perOp, rateLimitFloorMs, round } from './stats.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BenchOptions {
  size: DistrictSize;
  /** Card-submit rates, requests per second. */
  rates: number[];
  /** How long each rate is held. */
  seconds: number;
  /** /进度 asked by this many different teachers, one after another. */
  progressSamples: number;
  /** …after this many other teachers asked it first (and /帮助 the same). */
  warmUps: number;
  /** /汇总 (the weekly digest, on demand) asked this many times. */
  digestSamples: number;
  /** Each import and exceljs read is repeated this often; the median is reported. */
  importRuns: number;
  /** /帮助 sent by different teachers while a fan-out runs, at most this many… */
  commandSamples: number;
  /** …one every this many ms until the fan-out is sent. */
  commandIntervalMs: number;
  /** The bot's timeout for a Feishu call (its own default is 10 s); the fault run's slow answers come after it. */
  apiTimeoutMs: number;
  /** Business time of the run: a Tuesday mid-month inside seed 002's window, so everyone is behind pace. */
  at: Date;
  workDir: string;
  log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<BenchOptions, 'workDir'> = {
  size: DISTRICT_SIZE,
  rates: [50, 200, 500],
  seconds: 10,
  progressSamples: 300,
  warmUps: 150,
  digestSamples: 20,
  importRuns: 3,
  commandSamples: 100,
  commandIntervalMs: 200,
  apiTimeoutMs: 10_000,
  at: new Date('2026-11-17T10:00:00+08:00'),
};

export interface CardSubmitRow {
  rate: number;
  bot: LatencyFigures;
  echo: LatencyFigures;
  /** bot p50 ÷ echo p50, bot p99 ÷ echo p99. */
  ratioP50: number;
  ratioP99: number;
  /** Visit records the bot stored from this rate's submits (one per accepted request). */
  stored: number;
  /** What each process used while serving this rate; an operation is a request sent. */
  botCost: PhaseCost;
  echoCost: PhaseCost;
}

/** What a child process used during one row (bench/probe.ts), per operation of that row. */
export interface PhaseCost extends PhaseFigures {
  ops: number;
  /** cpuMs ÷ ops. */
  cpuMsPerOp: number | undefined;
}

export const costOf = (f: PhaseFigures, ops: number): PhaseCost => ({ ...f, ops, cpuMsPerOp: perOp(f.cpuMs, ops) });

export interface FanOutFigures {
  messages: number;
  teachers: number;
  wallSeconds: number;
  /** The shortest possible under Feishu's published limits (50/s, 1,000/min per app). */
  feishuFloorSeconds: number;
  /** The shortest possible under the bot's own, deliberately lower limits. */
  ownFloorSeconds: number;
  lost: number;
  duplicated: number;
  /** Sends the stand-in refused for rate limiting (the bot's limiter should keep this at 0); injected 429s are not counted. */
  rateLimited: number;
  /** An operation is a message sent (reminders, plus the answers to commands sent meanwhile). */
  bot: PhaseCost;
}

/** The faults the stand-in actually answered with during the fault run, in % of its /open-apis calls. */
export interface InjectedFaults {
  calls: number;
  http5xxPct: number;
  http429Pct: number;
  pastTimeoutPct: number;
  /** How the mix was made with the stand-in's faults (the 429s and slow answers are approximated). */
  how: string;
}

/** One goal of issue #20's table, judged from this run's figures. */
export interface GoalCheck {
  /** The table row it belongs to. */
  row: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  /** Requests answered with a 200 a second, from the first arrival to the last answer. */
  achieved: number;
  sent: number;
  /** Answers that were not 2xx, plus connection errors and timeouts (10 s). */
  failed: number;
  /** 200s whose body was an error toast (the bot refused the submit). */
  refused: number;
}

/** Percentiles of asks (timingFigures). */
export interface AskFigures {
  samples: number;
  /** The bot's own time (AskTiming.bot). */
  p50: number;
  p99: number;
  /** The round trip through the stand-in (AskTiming.roundTrip). */
  roundTrip: { p50: number; p99: number };
}

/** One command asked by many teachers in turn: the latencies of the measured asks, and the very first ask after the bot started. */
export interface CommandFigures extends AskFigures {
  /**
   * The warm-up's first ask: for the first command asked after start (/进度), the bot's first ask of all, its code
   * compiled and its pages read for the first time; for /帮助, asked after it, its own first.
   */
  firstMs: number;
  /** The warm-up's asks, by other teachers, before those measured: how the bot answers while its code still warms. */
  warmUp: AskFigures;
  bot: PhaseCost;
}

export interface BenchReport {
  when: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  size: DistrictSize;
  seed: { seconds: number; people: number; targets: number; records: number; ledgerItems: number };
  /** From spawning the bot to its first healthy /healthz, seconds. */
  coldStart: { emptySeconds: number; existingSeconds: number };
  /** The start-up catch-up: from spawning the bot until what it queued is delivered; an operation is a message. */
  startup: { messages: number; seconds: number; bot: PhaseCost };
  cardSubmit: CardSubmitRow[];
  fanOut: FanOutFigures;
  /** The same fan-out, another day, with the stand-in failing as issue #20 asks (30 % 5xx, 10 % 429, 5 % past the timeout). */
  faultedFanOut: FanOutFigures & { faults: InjectedFaults };
  /** /帮助 from teachers while a (fault-free) fan-out is being sent: from the message to the answer. */
  commandsDuringFanOut: { commands: number; unanswered: number; p50: number; p99: number; fanOut: FanOutFigures };
  /**
   * /进度, and as its yardstick /帮助 from the same teachers on the same path (webhook in, the outbox, the stand-in's
   * send): an answer that reads nothing, what any command costs before its own work.
   */
  progress: CommandFigures & { help: CommandFigures };
  digest: AskFigures & { bot: PhaseCost };
  /** CPU per row in the bench process itself: the import next to exceljs merely reading. */
  rosterImport: {
    rows: number;
    importSeconds: number;
    exceljsReadSeconds: number;
    ratio: number;
    importCpuMsPerRow: number | undefined;
    exceljsReadCpuMsPerRow: number | undefined;
  };
  peakRssMb: { bot: number | undefined; echo: number | undefined };
  goals: GoalCheck[];
}

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs: number, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Resolves with the first message the bot sends into `chatId` after now (of the kind `wanted` accepts). */
function nextAppMessage(
  standIn: FeishuStandIn,
  chatId: string,
  wanted: (m: StoredMessage) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<StoredMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      standIn.off('message', on);
      reject(new Error(`no answer in ${chatId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: StoredMessage) => {
      if (m.chatId !== chatId || m.sender.kind !== 'app' || !wanted(m)) return;
      clearTimeout(timer);
      standIn.off('message', on);
      resolve(m);
    };
    standIn.on('message', on);
  });
}

/** How long an ask took, in ms. */
interface AskTiming {
  /**
   * The bot's own time: from the event leaving the platform (encrypted and signed, its bytes about to be written)
   * to the arrival of the bot's first call carrying an answer. What the platform does before and after — storing the
   * user's message, encrypting and signing the event, storing and showing the answer — is Feishu's part, and here
   * runs in the bench's own process beside the stand-in's 1,000 users and every message sent in the run.
   */
  bot: number;
  /** From the user sending to the answer shown in their chat: the bot's time and the platform's on both sides. */
  roundTrip: number;
}

/** Sends `text` as the user and times the bot's answer (see AskTiming). */
async function askAndTime(standIn: FeishuStandIn, openId: string, text: string): Promise<AskTiming> {
  const answered = nextAppMessage(standIn, standIn.p2pChatId(openId));
  let pushedAt: number | undefined;
  const onPush = (p: { at: number }) => void (pushedAt ??= p.at);
  let onCall: (c: RecordedCall) => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  // A call is recorded once the stand-in has answered it, just after the message it carried was stored.
  const answerCall = new Promise<RecordedCall>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answering call for ${openId} within 60 s`)), 60_000);
    onCall = (c) => {
      if (pushedAt === undefined || c.receivedAt < pushedAt || !c.path.startsWith('/open-apis/im/')) return;
      clearTimeout(timer);
      resolve(c);
    };
  });
  standIn.on('push', onPush);
  standIn.on('call', onCall);
  try {
    const t0 = performance.now();
    await standIn.sendText(openId, text);
    await answered;
    const roundTrip = performance.now() - t0;
    const call = await answerCall;
    return { bot: call.receivedAt - pushedAt!, roundTrip };
  } finally {
    clearTimeout(timer);
    standIn.off('push', onPush);
    standIn.off('call', onCall);
  }
}

/** Percentiles of asks: of the bot's own time, and of the round trip beside it. */
function timingFigures(asks: AskTiming[]): AskFigures {
  const bot = asks.map((a) => a.bot);
  const roundTrip = asks.map((a) => a.roundTrip);
  return {
    samples: asks.length,
    p50: round(median(bot)),
    p99: round(percentile(bot, 99)),
    roundTrip: { p50: round(median(roundTrip)), p99: round(percentile(roundTrip, 99)) },
  };
}

async function timeRosterImport(o: BenchOptions, rows: DistrictSummary['roster'], log: (s: string) => void): Promise<BenchReport['rosterImport']> {
  const def = districtCampaign(o.at);
  const file = path.join(o.workDir, 'district-roster.xlsx');
  await writeRosterWorkbook(file, rows);
  const rowCount = rows.classes.length + rows.members.length + rows.targets.length;
  log(`roster workbook: ${rowCount} rows (${rows.targets.length} targets) → ${file}`);
  const reads: number[] = [];
  const imports: number[] = [];
  const cpu = { read: 0, import: 0 };
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  for (let i = 0; i < o.importRuns; i++) {
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    await new ExcelJS.Workbook().xlsx.readFile(file);
    reads.push(performance.now() - t0);
    cpu.read += cpuMs(c0);

    const dbFile = path.join(o.workDir, `import-${i}.db`);
    const db = openDatabase(dbFile);
    await new CampaignRepo(db).save(def);
    t0 = performance.now();
    c0 = process.cpuUsage();
    const report = await importRoster(await readRosterFile(file), { db, campaign: def, now: o.at, lookup: districtLookup });
    imports.push(performance.now() - t0);
    cpu.import += cpuMs(c0);
    db.$client.close();
    fs.rmSync(dbFile, { force: true });
    if (!report.applied) throw new Error(`the district workbook did not import: ${report.problems.length} problems`);
  }
  const importSeconds = median(imports) / 1000;
  const exceljsReadSeconds = median(reads) / 1000;
  return {
    rows: rowCount,
    importSeconds: round(importSeconds, 2),
    exceljsReadSeconds: round(exceljsReadSeconds, 2),
    ratio: round(importSeconds / exceljsReadSeconds, 1),
    importCpuMsPerRow: perOp(cpu.import, rowCount * o.importRuns),
    exceljsReadCpuMsPerRow: perOp(cpu.read, rowCount * o.importRuns),
  };
}

/** A stream of signed, encrypted visit submissions, each a new visit by a teacher to one of their own targets. */
function visitSubmissions(standIn: FeishuStandIn, pairs: Array<{ openId: string; targetId: number }>, visitedOn: string) {
  let i = 0;
  return () => {
    const { openId, targetId } = pairs[i++ % pairs.length]!;
    const envelope = standIn.cardActionEnvelope({
      messageId: `om_bench${randomBytes(12).toString('hex')}`,
      chatId: standIn.p2pChatId(openId),
      operatorOpenId: openId,
      // The key a visit card the bot made a moment ago would carry.
      value: { action: 'visit.submit', campaignId: DISTRICT_CAMPAIGN_ID, targetId, submissionKey: newSubmissionKey(new Date()) },
      formValue: {
        visitedOn,
        mode: 'in-person',
        place: 'home',
        coVisitors: [],
        summary: '学生在校表现稳定。',
        situation: '家庭和睦。',
        purpose: '了解学生在家情况。',
        content: '与家长交流了孩子近期的学习和生活。',
        reflection: '',
        q_satisfaction: '5',
        'q_study-at-home': '较好',
        q_concerns: ['学业'],
        q_suggestions: '',
        opinions: '',
        followUp: 'none',
        leader: '',
        followUpNote: '',
        noGifts: 'yes',
      },
    });
    return standIn.signedWebhookRequest(JSON.stringify(envelope));
  };
}

async function load(url: string, rate: number, seconds: number, next: () => { headers: Record<string, string>; body: string }): Promise<LatencyFigures> {
  const r = await offerLoad(`${url}/webhook/event`, { rate, seconds, timeoutMs: 10_000 }, next, /"type":"error"/);
  return {
    p50: round(median(r.latencies)),
    p99: round(percentile(r.latencies, 99)),
    achieved: round(r.served, 0),
    sent: r.sent,
    failed: r.failed,
    refused: r.refused,
  };
}

const DAY_MS = 86_400_000;
/** The /进度 row's pace: one teacher's ask every 25 ms at the most, under Feishu's 50 sends a second. */
const PROGRESS_ASK_EVERY_MS = 25;
/** What /帮助 answers begins with; a reminder card in the same chat is not an answer. */
const HELP_ANSWER = '走访助手可以做这些事';

/**
 * The fault mix of issue #20: 30 % 5xx, 10 % 429, 5 % answers past the timeout.
 * The stand-in injects 5xx at a rate, but 429s and slow answers only as "the
 * next N calls"; until it takes a rate for those too, every 10th and every 20th
 * /open-apis call it answers arms the next call. A call answered 429 or slowly
 * never reaches the 5xx draw, hence its rate of 0.3 / (1 − 0.1 − 0.05).
 */
const FAULT_MIX = { errorRate5xx: 0.3 / 0.85, rateLimitEvery: 10, slowEvery: 20 };

/**
 * Reads the database file and its WAL once, so that the row after it finds them in the kernel's file cache, as on a
 * server with memory to spare. This machine's kernel pages out file pages left untouched for a minute (DAMON reclaim:
 * pageout of regions idle for 12 aggregation intervals of 5 s), and a page SQLite then reads comes back from the host
 * (0.6 ms at the median, 45 ms at p99): without this, a run read 7 MB from storage during /进度 and /帮助 and 94 MB
 * during the card submits, and the rows measured those reads more than the bot. Every timed row lasts well under the
 * minute; what the bot still reads from storage during a row is in its figures (storageReadKb).
 */
function keepFileCached(file: string): void {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const f of [file, `${file}-wal`]) {
    if (!fs.existsSync(f)) continue;
    const fd = fs.openSync(f, 'r');
    try {
      while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Resolves when `url`/healthz answers 200. */
async function healthy(url: string): Promise<void> {
  await waitUntil(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, 'a healthy /healthz', 120_000, 20);
}

export async function runBenchmark(o: BenchOptions): Promise<BenchReport> {
  const log = o.log ?? ((s: string) => console.error(`· ${s}`));
  fs.mkdirSync(o.workDir, { recursive: true });

  // ── the district ──
  const dbFile = path.join(o.workDir, 'district.db');
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
  let t0 = performance.now();
  const seedDb = openDatabase(dbFile);
  const seeded = await seedDistrict(seedDb, o.at, o.size);
  seedDb.$client.close();
  const seedSeconds = (performance.now() - t0) / 1000;
  log(`district seeded in ${round(seedSeconds)} s: ${seeded.people} people, ${seeded.targets} targets, ${seeded.records} records`);

  const rosterImport = await timeRosterImport(o, seeded.roster, log);
  log(`roster import ${rosterImport.importSeconds} s, exceljs read ${rosterImport.exceljsReadSeconds} s`);

  // ── the platform and the bot ──
  const clock = new AdjustableClock(o.at);
  const c = sandboxCredentials();
  const standIn = new FeishuStandIn({ ...c, now: () => clock.now().getTime() });
  await standIn.start();
  const db = openDatabase(dbFile);
  const everyone = db.select({ openId: people.openId, name: people.name, mobile: people.mobile }).from(people).all();
  for (const p of everyone) if (p.openId) standIn.addUser({ openId: p.openId, name: p.name, mobile: p.mobile ?? undefined });
  standIn.addChat({
    chatId: DISTRICT_BRANCH_CHAT_ID,
    name: '区党工委工作群',
    memberOpenIds: everyone.flatMap((p) => (p.openId ? [p.openId] : [])).slice(0, 5000),
  });

  let bot: Child | undefined;
  let echo: Child | undefined;
  const botConfig = (file: string) => ({
    ZOUFANG_BENCH_BOT: JSON.stringify({ dbFile: file, baseUrl: standIn.baseUrl, ...c, at: o.at.getTime(), apiTimeoutMs: o.apiTimeoutMs }),
  });
  try {
    // ── cold start: spawn to a healthy /healthz, on an empty database and on the district ──
    // npm start first checks that dist/ is up to date (and compiles when a source changed): the check is timed
    // with each start, the compilation, which only an edit or a fresh checkout needs, is reported apart.
    t0 = performance.now();
    buildForBench();
    log(`dist/ brought up to date in ${round((performance.now() - t0) / 1000, 2)} s`);
    t0 = performance.now();
    buildForBench();
    const empty = await startChild('bot', botConfig(path.join(o.workDir, 'empty.db')));
    await healthy(empty.url);
    const emptySeconds = round((performance.now() - t0) / 1000, 2);
    await empty.stop();

    t0 = performance.now();
    buildForBench();
    bot = await startChild('bot', botConfig(dbFile));
    await healthy(bot.url);
    const coldStart = { emptySeconds, existingSeconds: round((performance.now() - t0) / 1000, 2) };
    log(`cold start to a healthy /healthz: empty database ${coldStart.emptySeconds} s, the district's ${coldStart.existingSeconds} s`);
    standIn.setWebhook(`${bot.url}/webhook/event`);
    /**
     * When each message call reached the stand-in (wall clock), from the start-up catch-up on: every call of the last
     * minute counts against the per-minute limit, answers to /进度 and /汇总 and a fault run's retries as much as a
     * fan-out's sends.
     */
    const messageCalls: number[] = [];
    standIn.on('call', (call: RecordedCall) => {
      if (call.path.startsWith('/open-apis/im/')) messageCalls.push(performance.now());
    });
    /**
     * Waits for the last sends to leave Feishu's per-minute window if `expected` more would not fit beside them:
     * a row measures the bot, not what an earlier row left in the window.
     */
    const clearWindowFor = async (expected: number) => {
      const lastMinute = messageCalls.filter((at) => at > performance.now() - 60_000);
      const windowClear = (lastMinute.at(-1) ?? 0) + 61_000 - performance.now();
      if (windowClear > 0 && lastMinute.length + expected > FEISHU_SAFE_LIMITS.appPerMinute - (FEISHU_SAFE_LIMITS.answerReserve?.perMinute ?? 0)) {
        log(`waiting ${round(windowClear / 1000, 1)} s for the last sends to leave the per-minute window`);
        await sleep(windowClear);
      }
    };
    // Start-up runs every job once (catch-up) in the background once healthy; let it finish and what it queued go out before measuring.
    type Health = { outboxBacklog: number; catchUp: 'running' | 'done' };
    // A kept-alive connection that the bot, busy, closed meanwhile fails a fetch: it is asked again on a new one.
    const health = async (): Promise<Health> =>
      (await (await fetch(`${bot!.url}/healthz`).catch(() => fetch(`${bot!.url}/healthz`, { keepalive: false }))).json()) as Health;
    const backlog = async () => (await health()).outboxBacklog;
    await waitUntil(
      async () => {
        const h = await health().catch(() => undefined);
        return h?.catchUp === 'done' && h.outboxBacklog === 0;
      },
      'the start-up jobs to run and deliver',
      300_000,
    );
    const startupMessages = standIn.messages().length;
    const startup = { messages: startupMessages, seconds: round((performance.now() - t0) / 1000, 1), bot: costOf(await bot.phase(), startupMessages) };
    log(`bot up at ${bot.url}; start-up jobs delivered ${startupMessages} messages in ${startup.seconds} s`);
    // ── /进度 at district scale ──
    const teachers = everyone.filter((p) => p.openId && p.openId !== seeded.adminOpenId);
    const step = Math.max(1, Math.floor(teachers.length / o.progressSamples));
    const sampled = teachers.filter((_, j) => j % step === 0).slice(0, o.progressSamples);
    // Other teachers than those measured, so that the warm-up reads none of the measured ones' rows ahead of them.
    const warmUps = teachers.filter((t) => !sampled.includes(t)).slice(0, o.warmUps);
    /** Asks each of `who` `text` in turn, one every PROGRESS_ASK_EVERY_MS at most, and times the answers. */
    const askEach = async (who: typeof teachers, text: string) => {
      const times: AskTiming[] = [];
      for (const t of who) {
        const asked = performance.now();
        times.push(await askAndTime(standIn, t.openId!, text));
        // Feishu sends at most 50 messages a second for an app (发送消息): asked back to back in 15 ms each, the teachers
        // would measure that limit (an answer now and then waiting out the second), not the bot. So 40 a second at most.
        await sleep(Math.max(0, PROGRESS_ASK_EVERY_MS - (performance.now() - asked)));
      }
      return times;
    };
    /**
     * The first asks after a start compile the command's code and run it unoptimised (the first ~10 took 2–4 times
     * the later ones), and after the catch-up /进度 stays slower for about 150 asks (asked in the reverse order, the slow
     * asks stayed at the start, not with the teachers who had asked first; asks 100–150 had a median 5.0 ms, the later
     * ones 4.0–4.2). A bot runs for weeks, so the row measures it warm, after `warmUps` asks by other teachers, and
     * reports the warm-up's asks and the very first ask apart. The bot's cost is of the measured asks.
     */
    const askTeachers = async (text: string): Promise<CommandFigures> => {
      keepFileCached(dbFile);
      const warm = await askEach(warmUps, text);
      await bot!.phase();
      const asks = await askEach(sampled, text);
      const cost = costOf(await bot!.phase(), asks.length);
      return { ...timingFigures(asks), firstMs: round(warm[0]?.bot ?? Number.NaN), warmUp: timingFigures(warm), bot: cost };
    };
    // The catch-up has just sent its 1,600 messages: the answers below would otherwise wait for room in its minute.
    await clearWindowFor(2 * (sampled.length + warmUps.length));
    const progress = await askTeachers('/进度');
    const help = await askTeachers('/帮助');
    log(
      `/进度 ×${progress.samples}: the bot's time p50 ${progress.p50} ms, p99 ${progress.p99} ms (round trip ${progress.roundTrip.p50} · ${progress.roundTrip.p99}; first after start ${progress.firstMs} ms; ${progress.bot.storageReadKb ?? '?'} KB read from storage); /帮助 on the same path p50 ${help.p50} ms, p99 ${help.p99} ms (round trip ${help.roundTrip.p50} · ${help.roundTrip.p99})`,
    );

    // ── the weekly digest, on demand (/汇总) ──
    /** Teachers with one of their own families, and today's date: who files the visit records below. */
    const pairs = db
      .select({ openId: people.openId, targetId: targets.id })
      .from(assignments)
      .innerJoin(people, eq(people.id, assignments.personId))
      .innerJoin(targets, eq(targets.id, assignments.subjectId))
      .where(and(eq(assignments.subjectType, 'target'), isNull(assignments.endedAt), eq(targets.kind, 'student-family')))
      .all()
      .flatMap((p) => (p.openId ? [{ openId: p.openId, targetId: p.targetId }] : []));
    const visitedOn = localDate(clock.now(), districtCampaign(o.at).timezone);
    // On a school day visits are filed between two asks: each ask follows a new visit record, so that no sample is
    // answered from figures the bot kept since the one before (what it keeps holds only until a visit is filed).
    const fileVisit = visitSubmissions(standIn, pairs, visitedOn);
    const digest: AskTiming[] = [];
    // Each ask is answered with the digest and the themes card, beside the minute's /进度 and /帮助 answers.
    await clearWindowFor(2 * o.digestSamples);
    keepFileCached(dbFile);
    await bot.phase();
    const themesCard = (m: StoredMessage) => JSON.stringify(m.content).includes('家长和师生反映最多的');
    for (let i = 0; i < o.digestSamples; i++) {
      // The month's themes follow the digest card: the next ask waits for them (or 5 s, if the month has none), and then
      // for Feishu's per-receiver second (5 messages a second to one person, 4 by our limits, and every ask brings two):
      // asked back to back, the admin's samples would measure that limit and each other's trailing work, not the digest.
      const filed = await fetch(`${bot.url}/webhook/event`, { method: 'POST', ...fileVisit() });
      if (!filed.ok) throw new Error(`bench: a visit record before /汇总 was refused (${filed.status})`);
      const themes = nextAppMessage(standIn, standIn.p2pChatId(seeded.adminOpenId), themesCard, 5_000).catch(() => undefined);
      digest.push(await askAndTime(standIn, seeded.adminOpenId, '/汇总'));
      await themes;
      await sleep(1000);
    }
    const digestCost = costOf(await bot.phase(), digest.length);
    log(
      `/汇总 ×${digest.length}: p50 ${round(median(digest.map((d) => d.bot)))} ms, event loop held up to ${digestCost.loopMaxMs} ms; each: ${digest.map((d) => Math.round(d.bot)).join(' ')}`,
    );

    // ── reminder fan-outs: the admin chases everyone behind (/催办) ──
    let commander = 0;
    /**
     * One /催办 and everything it sends. A chase reaches a teacher at most once a
     * day, so each fan-out after the first runs on the next business day (bot and
     * stand-in alike). Meanwhile, if asked, teachers send /帮助 and wait for the answer.
     */
    const chase = async (how: { nextDay: boolean; commands: number; faults: boolean }) => {
      // The floor assumes a clear per-minute window. A chase sends a teacher one or two messages; under faults each
      // takes about two calls.
      await clearWindowFor(2 * teachers.length * (how.faults ? 2 : 1));
      if (how.nextDay) {
        clock.advance(DAY_MS);
        await bot!.advanceClock(DAY_MS);
      }
      const callsBefore = standIn.calls().length;
      const outboxBefore = db
        .select({ id: sql<number>`coalesce(max(${outbox.id}), 0)` })
        .from(outbox)
        .get()!.id;
      const confirmation = nextAppMessage(standIn, standIn.p2pChatId(seeded.adminOpenId), (m) => m.msgType === 'text', 600_000);
      // Collected as they arrive: snapshotting every stored message on each poll would load the stand-in being measured.
      const arrivals: Array<{ m: StoredMessage; at: number }> = [];
      const asked = new Map<string, number>();
      const answered: number[] = [];
      const collect = (m: StoredMessage) => {
        if (m.sender.kind !== 'app' || m.chatType !== 'p2p') return;
        const at = performance.now();
        arrivals.push({ m, at });
        const since = asked.get(m.chatId);
        if (since !== undefined && m.msgType === 'text' && String(m.content.text).startsWith(HELP_ANSWER)) {
          asked.delete(m.chatId);
          answered.push(at - since);
        }
      };
      let seen = 0;
      const inject = (call: RecordedCall) => {
        if (!call.path.startsWith('/open-apis/')) return;
        seen++;
        if (seen % FAULT_MIX.rateLimitEvery === FAULT_MIX.rateLimitEvery / 2) standIn.faults.set({ rateLimitNext: 1 });
        if (seen % FAULT_MIX.slowEvery === 0) standIn.faults.set({ slowMs: o.apiTimeoutMs + 1000, slowNext: 1 });
      };
      standIn.on('message', collect);
      if (how.faults) {
        standIn.faults.set({ errorRate5xx: FAULT_MIX.errorRate5xx });
        standIn.on('call', inject);
      }
      await bot!.phase();
      const start = performance.now();
      await standIn.sendText(seeded.adminOpenId, '/催办');
      // The admin is told once the chase is queued, and that answer may itself wait behind the chase:
      // the /帮助 are asked as soon as there is something to wait behind.
      let told = false;
      const toldText = confirmation.then((m) => {
        told = true;
        return String(m.content.text);
      });
      void toldText.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      await waitUntil(async () => told || (await backlog()) > 0, 'the chase to be queued', 60_000, 20);
      let commands = 0;
      while (commands < how.commands && (await backlog()) > 0) {
        const t = teachers[commander++ % teachers.length]!;
        asked.set(standIn.p2pChatId(t.openId!), performance.now());
        await standIn.sendText(t.openId!, '/帮助');
        commands++;
        await sleep(o.commandIntervalMs);
      }
      const confirmText = await toldText;
      const queued = Number(/共 (\d+) 条/.exec(confirmText)?.[1] ?? 0);
      const teachersChased = Number(/已向 (\d+) 位老师/.exec(confirmText)?.[1] ?? 0);
      // Done is when nothing is left to send, delivered or not.
      await waitUntil(async () => (await backlog()) === 0, 'the chase to be sent', 600_000, 200);
      const cost = await bot!.phase();
      if (how.faults) {
        standIn.off('call', inject);
        standIn.faults.clear();
      }
      await sleep(1000); // anything sent twice would arrive now
      standIn.off('message', collect);
      // Each chase reminder is an outbox row with Feishu's idempotency uuid; the stand-in keeps the uuid it was sent with.
      const chaseUuids = new Set(
        db
          .select({ uuid: outbox.uuid })
          .from(outbox)
          .where(and(sql`${outbox.id} > ${outboxBefore}`, sql`${outbox.dedupeKey} like 'remind.chase:%'`))
          .all()
          .map((r) => r.uuid),
      );
      const sent = arrivals.filter(({ m }) => m.uuid !== undefined && chaseUuids.has(m.uuid));
      const arrived = new Set(sent.map(({ m }) => m.uuid));
      // A duplicate is what a teacher would see twice: the same card in the same chat.
      const shown = new Set(sent.map(({ m }) => `${m.chatId}|${JSON.stringify(m.content)}`));
      const calls = standIn.calls().slice(callsBefore);
      const injected429 = (x: RecordedCall) => x.note === 'fault: rateLimitNext';
      const fanOut: FanOutFigures = {
        messages: queued,
        teachers: teachersChased,
        wallSeconds: round((Math.max(start, ...sent.map((x) => x.at)) - start) / 1000, 1),
        feishuFloorSeconds: round(rateLimitFloorMs(queued, { perSecond: 50, perMinute: 1000 }) / 1000, 1),
        ownFloorSeconds: round(rateLimitFloorMs(queued, { perSecond: FEISHU_SAFE_LIMITS.appPerSecond, perMinute: FEISHU_SAFE_LIMITS.appPerMinute }) / 1000, 1),
        lost: [...chaseUuids].filter((u) => !arrived.has(u)).length,
        duplicated: sent.length - shown.size,
        rateLimited: calls.filter((x) => (x.code === 99991400 || x.code === 230020) && !injected429(x)).length,
        bot: costOf(cost, queued + answered.length),
      };
      const apiCalls = calls.filter((x) => x.path.startsWith('/open-apis/'));
      const pct = (f: (x: RecordedCall) => boolean) => round((100 * apiCalls.filter(f).length) / Math.max(1, apiCalls.length), 1);
      const faults: InjectedFaults = {
        calls: apiCalls.length,
        http5xxPct: pct((x) => x.status >= 500),
        http429Pct: pct(injected429),
        pastTimeoutPct: pct((x) => x.status === 0),
        how: `errorRate5xx ${round(FAULT_MIX.errorRate5xx, 3)}; rateLimitNext 1 armed after every ${FAULT_MIX.rateLimitEvery}th call, slowMs ${o.apiTimeoutMs + 1000} with slowNext 1 after every ${FAULT_MIX.slowEvery}th (approximation: the stand-in has no rate for 429s or slow answers)`,
      };
      return { fanOut, faults, commands, unanswered: asked.size, answered };
    };

    const plain = await chase({ nextDay: false, commands: 0, faults: false });
    const fanOut = plain.fanOut;
    log(`fan-out: ${fanOut.messages} messages to ${fanOut.teachers} teachers in ${fanOut.wallSeconds} s`);

    const busy = await chase({ nextDay: true, commands: o.commandSamples, faults: false });
    const commandsDuringFanOut = {
      commands: busy.commands,
      unanswered: busy.unanswered,
      p50: round(median(busy.answered)),
      p99: round(percentile(busy.answered, 99)),
      fanOut: busy.fanOut,
    };
    log(
      `/帮助 ×${busy.commands} during a fan-out of ${busy.fanOut.messages}: p50 ${commandsDuringFanOut.p50} ms, p99 ${commandsDuringFanOut.p99} ms, ${busy.unanswered} unanswered`,
    );

    const faulted = await chase({ nextDay: true, commands: 0, faults: true });
    const faultedFanOut = { ...faulted.fanOut, faults: faulted.faults };
    log(
      `fan-out under faults: ${faultedFanOut.messages} messages in ${faultedFanOut.wallSeconds} s (${faulted.faults.calls} calls: ${faulted.faults.http5xxPct} % 5xx, ${faulted.faults.http429Pct} % 429, ${faulted.faults.pastTimeoutPct} % past the timeout)`,
    );

    // ── card-submit latency, next to a bare express echo ──
    echo = await startChild('echo');
    const visits = () => db.select({ n: sql<number>`count(*)` }).from(records).where(eq(records.form, 'visit')).get()!.n;
    const cardSubmit: CardSubmitRow[] = [];
    for (const rate of o.rates) {
      const storedBefore = visits();
      keepFileCached(dbFile);
      await bot.phase();
      const botFigures = await load(bot.url, rate, o.seconds, visitSubmissions(standIn, pairs, visitedOn));
      const botCost = costOf(await bot.phase(), botFigures.sent);
      const stored = visits() - storedBefore;
      await echo.phase();
      const echoFigures = await load(echo.url, rate, o.seconds, visitSubmissions(standIn, pairs, visitedOn));
      const echoCost = costOf(await echo.phase(), echoFigures.sent);
      cardSubmit.push({
        rate,
        bot: botFigures,
        echo: echoFigures,
        ratioP50: round(botFigures.p50 / echoFigures.p50, 1),
        ratioP99: round(botFigures.p99 / echoFigures.p99, 1),
        stored,
        botCost,
        echoCost,
      });
      log(
        `card submit @${rate}/s: bot p50 ${botFigures.p50} ms p99 ${botFigures.p99} ms, ${botCost.cpuMsPerOp} CPU ms/request, ${botCost.storageReadKb ?? '?'} KB read from storage; echo p50 ${echoFigures.p50} ms p99 ${echoFigures.p99} ms, ${echoCost.cpuMsPerOp} CPU ms/request`,
      );
    }

    db.$client.close();
    const botRss = await bot.stop();
    bot = undefined;
    const echoRss = await echo.stop();
    echo = undefined;
    const report: Omit<BenchReport, 'goals'> = {
      when: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '',
        memoryGb: round(os.totalmem() / 2 ** 30, 1),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      size: o.size,
      seed: { seconds: round(seedSeconds, 1), people: seeded.people, targets: seeded.targets, records: seeded.records, ledgerItems: seeded.ledgerItems },
      coldStart,
      startup,
      cardSubmit,
      fanOut,
      faultedFanOut,
      commandsDuringFanOut,
      progress: { ...progress, help },
      digest: { ...timingFigures(digest), bot: digestCost },
      rosterImport,
      peakRssMb: { bot: botRss && round(botRss / 1024, 0), echo: echoRss && round(echoRss / 1024, 0) },
    };
    return { ...report, goals: goalsOf(report) };
  } finally {
    await bot?.stop();
    await echo?.stop();
    await standIn.stop();
    try {
      db.$client.close();
    } catch {
      /* closed above */
    }
  }
}

/** Issue #20's submit goals: keep up with an offered 500/s, and at an offered 200/s answer within 3 × the echo's p99. */
const SUSTAINED_SUBMITS = 500;
const COMPARED_SUBMITS = 200;

/** Issue #20's goals, each judged from the figures of this run alone. */
export function goalsOf(r: Omit<BenchReport, 'goals'>): GoalCheck[] {
  const goals: GoalCheck[] = [];
  const add = (row: string, goal: string, measured: string, met: boolean) => goals.push({ row, goal, measured, met });
  for (const c of r.cardSubmit) {
    if (c.rate >= SUSTAINED_SUBMITS) {
      // The arrivals are random, their count a little off the offered rate's (±1.4 % at 500/s for ten seconds); "sustained" allows 5 % and no failures.
      add(
        `card submit @ ${c.rate}/s`,
        `≥ ${SUSTAINED_SUBMITS}/s served, none failed`,
        `${c.bot.achieved}/s, ${c.bot.failed} failed`,
        c.bot.achieved >= 0.95 * SUSTAINED_SUBMITS && c.bot.failed === 0,
      );
    } else if (c.rate === COMPARED_SUBMITS) {
      add(`card submit @ ${c.rate}/s`, 'p99 ≤ 3 × echo p99', `${c.bot.p99} ms vs ${c.echo.p99} ms`, c.bot.p99 <= 3 * c.echo.p99);
    }
  }
  const f = r.faultedFanOut;
  add(
    'reminder fan-out under faults',
    `≤ 2 × floor (${round(2 * f.feishuFloorSeconds, 1)} s), none lost or twice`,
    `${f.wallSeconds} s, lost ${f.lost}, duplicated ${f.duplicated}`,
    f.wallSeconds <= 2 * f.feishuFloorSeconds && f.lost === 0 && f.duplicated === 0,
  );
  const a = r.commandsDuringFanOut;
  add('command answers during a fan-out', 'p99 ≤ 1 s, all answered', `p99 ${a.p99} ms, ${a.unanswered} unanswered`, a.p99 <= 1000 && a.unanswered === 0);
  add('/进度', 'p99 ≤ 10 ms', `p99 ${r.progress.p99} ms`, r.progress.p99 <= 10);
  add(
    'weekly digest',
    'p99 ≤ 100 ms, event loop held ≤ 50 ms',
    `p99 ${r.digest.p99} ms, held ${r.digest.bot.loopMaxMs} ms`,
    r.digest.p99 <= 100 && r.digest.bot.loopMaxMs <= 50,
  );
  add('cold start', '≤ 2 s with an existing database', `${r.coldStart.existingSeconds} s`, r.coldStart.existingSeconds <= 2);
  add('peak resident memory', '≤ 150 MB, start-up included', `${r.peakRssMb.bot ?? '–'} MB`, r.peakRssMb.bot !== undefined && r.peakRssMb.bot <= 150);
  return goals;
}

/** The report as the table the README shows. */
export function formatReport(r: BenchReport): string {
  const n = (x: number | undefined) => (x === undefined ? '–' : x.toLocaleString('en-US'));
  const goal = (row: string) => {
    const g = r.goals.find((x) => x.row === row);
    return g ? `${g.met ? '✓' : '✗'} ${g.goal}` : '';
  };
  const cpu = (bot: PhaseCost, echo?: PhaseCost) => `${n(bot.cpuMsPerOp)}${echo ? ` · ${n(echo.cpuMsPerOp)}` : ''}`;
  const loop = (bot: PhaseCost) => `${bot.loopMaxMs} ms (p99 ${bot.loopP99Ms})`;
  const rss = (bot: PhaseCost, echo?: PhaseCost) => `${bot.rssPeakMb}${echo ? ` · ${echo.rssPeakMb}` : ''} MB`;
  const costCells = (bot: PhaseCost, echo?: PhaseCost) => `${cpu(bot, echo)} | ${loop(bot)} | ${rss(bot, echo)}`;
  const fanOutCells = (f: FanOutFigures) =>
    `${f.wallSeconds} s | floor ${f.feishuFloorSeconds} s at Feishu's limits, ${f.ownFloorSeconds} s at ours | ×${round(f.wallSeconds / f.feishuFloorSeconds, 1)} · ×${round(f.wallSeconds / f.ownFloorSeconds, 1)} | ${costCells(f.bot)}`;
  const fanOutCounts = (f: FanOutFigures) =>
    `${n(f.messages)} messages to ${n(f.teachers)} teachers (lost ${f.lost}, duplicated ${f.duplicated}, rate-limited ${f.rateLimited})`;
  const { faults } = r.faultedFanOut;
  const lines = [
    `Zoufang benchmark — ${r.when.slice(0, 10)} · ${r.machine.cpus} × ${r.machine.cpuModel} · ${r.machine.memoryGb} GB · Node ${r.machine.node}`,
    `District: ${n(r.seed.people)} teachers, ${n(r.seed.targets)} targets, ${n(r.seed.records)} records, ${n(r.seed.ledgerItems)} ledger items (seeded in ${r.seed.seconds} s)`,
    '',
    '| measure | Zoufang | yardstick | ratio | CPU ms/op (bot · yardstick) | event loop held, max (p99) | peak RSS (bot · yardstick) | goal |',
    '|---|---|---|---|---|---|---|---|',
    `| cold start to a healthy /healthz | district database ${r.coldStart.existingSeconds} s | empty database ${r.coldStart.emptySeconds} s | | | | | ${goal('cold start')} |`,
    `| start-up catch-up: ${n(r.startup.messages)} messages | ${r.startup.seconds} s | | | ${costCells(r.startup.bot)} | |`,
    ...r.cardSubmit.map(
      (c) =>
        `| card submit @ ${c.rate}/s (achieved ${c.bot.achieved}/s, ${n(c.stored)} visits stored, ${c.bot.failed} failed, ${c.bot.refused} refused) | p50 ${c.bot.p50} ms · p99 ${c.bot.p99} ms | express echo p50 ${c.echo.p50} ms · p99 ${c.echo.p99} ms | ×${c.ratioP50} · ×${c.ratioP99} | ${costCells(c.botCost, c.echoCost)} | ${goal(`card submit @ ${c.rate}/s`)} |`,
    ),
    `| reminder fan-out: ${fanOutCounts(r.fanOut)} | ${fanOutCells(r.fanOut)} | |`,
    `| reminder fan-out under faults: ${fanOutCounts(r.faultedFanOut)}; of ${n(faults.calls)} calls ${faults.http5xxPct} % 5xx, ${faults.http429Pct} % 429, ${faults.pastTimeoutPct} % past the timeout | ${fanOutCells(r.faultedFanOut)} | ${goal('reminder fan-out under faults')} |`,
    `| command answers during a fan-out: ${r.commandsDuringFanOut.commands} × /帮助 while ${n(r.commandsDuringFanOut.fanOut.messages)} reminders go out (${r.commandsDuringFanOut.unanswered} unanswered) | p50 ${r.commandsDuringFanOut.p50} ms · p99 ${r.commandsDuringFanOut.p99} ms | | | ${costCells(r.commandsDuringFanOut.fanOut.bot)} | ${goal('command answers during a fan-out')} |`,
    `| /进度 at district scale (${r.progress.samples} teachers, after ${r.progress.warmUp.samples} others asked, p50 ${r.progress.warmUp.p50} ms · p99 ${r.progress.warmUp.p99} ms; the first ask after start ${r.progress.firstMs} ms): the bot's time, push to answer call (round trip through the stand-in) | p50 ${r.progress.p50} ms · p99 ${r.progress.p99} ms (${r.progress.roundTrip.p50} · ${r.progress.roundTrip.p99}) | /帮助 on the same path p50 ${r.progress.help.p50} ms · p99 ${r.progress.help.p99} ms (${r.progress.help.roundTrip.p50} · ${r.progress.help.roundTrip.p99}; its first ask ${r.progress.help.firstMs} ms) | ×${round(r.progress.p50 / r.progress.help.p50, 1)} · ×${round(r.progress.p99 / r.progress.help.p99, 1)} | ${cpu(r.progress.bot, r.progress.help.bot)} | ${loop(r.progress.bot)} | ${rss(r.progress.bot)} | ${goal('/进度')} |`,
    `| weekly digest (/汇总) at district scale (${r.digest.samples} runs): the bot's time (round trip) | p50 ${r.digest.p50} ms · p99 ${r.digest.p99} ms (${r.digest.roundTrip.p50} · ${r.digest.roundTrip.p99}) | | | ${costCells(r.digest.bot)} | ${goal('weekly digest')} |`,
    `| roster import, ${n(r.rosterImport.rows)}-row workbook | ${r.rosterImport.importSeconds} s | exceljs read ${r.rosterImport.exceljsReadSeconds} s | ×${r.rosterImport.ratio} | per row: ${n(r.rosterImport.importCpuMsPerRow)} · exceljs ${n(r.rosterImport.exceljsReadCpuMsPerRow)} | | | |`,
    `| peak resident memory at district scale | bot ${n(r.peakRssMb.bot)} MB | express echo ${n(r.peakRssMb.echo)} MB | | | | | ${goal('peak resident memory')} |`,
  ];
  return lines.join('\n');
}

function parseArgs(argv: string[]): { options: Partial<BenchOptions>; out: string } {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, fallback: number) => {
    const v = value(flag);
    if (v === undefined) return fallback;
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new Error(`${flag} 需要一个正数 / needs a positive number, got "${v}"`);
    return x;
  };
  const d = DEFAULT_OPTIONS;
  const rates = value('--rates')?.split(',').map(Number) ?? d.rates;
  if (rates.some((x) => !Number.isFinite(x) || x <= 0)) throw new Error(`--rates 需要逗号分隔的正数 / needs comma-separated positive numbers`);
  return {
    options: {
      size: { teachers: num('--teachers', d.size.teachers), targets: num('--targets', d.size.targets), records: num('--records', d.size.records) },
      rates,
      seconds: num('--seconds', d.seconds),
      progressSamples: num('--progress-samples', d.progressSamples),
      warmUps: num('--warm-ups', d.warmUps),
      digestSamples: num('--digest-samples', d.digestSamples),
      importRuns: num('--import-runs', d.importRuns),
      commandSamples: num('--command-samples', d.commandSamples),
    },
    out: value('--out') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json'),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { options, out } = parseArgs(process.argv.slice(2));
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-bench-'));
    const report = await runBenchmark({ ...DEFAULT_OPTIONS, ...options, workDir });
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(formatReport(report));
    console.log(`\n(JSON: ${path.relative(process.cwd(), out)})`);
    process.exit(0);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
