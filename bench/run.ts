/**
 * `npm run bench`: what a district-sized deployment costs, measured side by side
 * with a yardstick in the same run on the same machine. Prints a table and
 * writes it as JSON (bench/results/latest.json unless --out says otherwise).
 *
 *   npm run bench                                  # district scale: 1,000 teachers, 10,000 targets, 100,000 records
 *   npm run bench -- --teachers 100 --targets 1000 --records 5000 --rates 20,50 --seconds 3
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { and, eq, isNull, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { AdjustableClock } from '../src/clock.js';
import { openDatabase } from '../src/db/index.js';
import { CampaignRepo } from '../src/db/repos.js';
import { assignments, outbox, people, records, targets } from '../src/db/schema.js';
import { DISTRICT_BRANCH_CHAT_ID, DISTRICT_CAMPAIGN_ID, DISTRICT_SIZE, districtCampaign, districtLookup, seedDistrict, type DistrictSize, type DistrictSummary } from '../src/demo/district.js';
import { localDate } from '../src/domain/time.js';
import { FEISHU_SAFE_LIMITS } from '../src/feishu/rate-limiter.js';
import { readRosterFile } from '../src/roster/read.js';
import { importRoster } from '../src/roster/import.js';
import { writeRosterWorkbook } from '../src/roster/template.js';
import { FeishuStandIn, sandboxCredentials, type StoredMessage } from '../src/sandbox/index.js';
import { startChild, type Child } from './children.js';
import { median, percentile, rateLimitFloorMs, round } from './stats.js';

export interface BenchOptions {
  size: DistrictSize;
  /** Card-submit rates, requests per second. */
  rates: number[];
  /** How long each rate is held. */
  seconds: number;
  /** /进度 asked by this many different teachers, one after another. */
  progressSamples: number;
  /** /汇总 (the weekly digest, on demand) asked this many times. */
  digestSamples: number;
  /** Each import and exceljs read is repeated this often; the median is reported. */
  importRuns: number;
  /** Business time of the run: a Tuesday mid-month inside seed 002's window, so everyone is behind pace. */
  at: Date;
  workDir: string;
  log?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<BenchOptions, 'workDir'> = {
  size: DISTRICT_SIZE,
  rates: [50, 200, 500],
  seconds: 10,
  progressSamples: 200,
  digestSamples: 20,
  importRuns: 3,
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
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  /** Requests per second actually achieved. */
  achieved: number;
  sent: number;
  /** Answers that were not HTTP 200, plus connection errors and timeouts. */
  failed: number;
  /** 200s whose body was an error toast (the bot refused the submit). */
  refused: number;
}

export interface BenchReport {
  when: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  size: DistrictSize;
  seed: { seconds: number; people: number; targets: number; records: number; ledgerItems: number };
  cardSubmit: CardSubmitRow[];
  fanOut: {
    messages: number;
    teachers: number;
    wallSeconds: number;
    /** The shortest possible under Feishu's published limits (50/s, 1,000/min per app). */
    feishuFloorSeconds: number;
    /** The shortest possible under the bot's own, deliberately lower limits. */
    ownFloorSeconds: number;
    lost: number;
    duplicated: number;
    /** Sends the stand-in refused for rate limiting (the bot's limiter should keep this at 0). */
    rateLimited: number;
  };
  progress: { samples: number; p50: number; p99: number };
  digest: { samples: number; p50: number; p99: number };
  rosterImport: { rows: number; importSeconds: number; exceljsReadSeconds: number; ratio: number };
  peakRssMb: { bot: number | undefined; echo: number | undefined };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs: number, pollMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Resolves with the first message the bot sends into `chatId` after now (of the kind `wanted` accepts). */
function nextAppMessage(standIn: FeishuStandIn, chatId: string, wanted: (m: StoredMessage) => boolean = () => true, timeoutMs = 60_000): Promise<StoredMessage> {
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

/** Sends `text` as the user and measures until the bot's answer is in their chat (ms). */
async function askAndTime(standIn: FeishuStandIn, openId: string, text: string): Promise<number> {
  const answered = nextAppMessage(standIn, standIn.p2pChatId(openId));
  const t0 = performance.now();
  await standIn.sendText(openId, text);
  await answered;
  return performance.now() - t0;
}

async function timeRosterImport(o: BenchOptions, rows: DistrictSummary['roster'], log: (s: string) => void): Promise<BenchReport['rosterImport']> {
  const def = districtCampaign(o.at);
  const file = path.join(o.workDir, 'district-roster.xlsx');
  await writeRosterWorkbook(file, rows);
  const rowCount = rows.classes.length + rows.members.length + rows.targets.length;
  log(`roster workbook: ${rowCount} rows (${rows.targets.length} targets) → ${file}`);
  const reads: number[] = [];
  const imports: number[] = [];
  for (let i = 0; i < o.importRuns; i++) {
    let t0 = performance.now();
    await new ExcelJS.Workbook().xlsx.readFile(file);
    reads.push(performance.now() - t0);

    const dbFile = path.join(o.workDir, `import-${i}.db`);
    const db = openDatabase(dbFile);
    await new CampaignRepo(db).save(def);
    t0 = performance.now();
    const report = await importRoster(await readRosterFile(file), { db, campaign: def, now: o.at, lookup: districtLookup });
    imports.push(performance.now() - t0);
    db.$client.close();
    fs.rmSync(dbFile, { force: true });
    if (!report.applied) throw new Error(`the district workbook did not import: ${report.problems.length} problems`);
  }
  const importSeconds = median(imports) / 1000;
  const exceljsReadSeconds = median(reads) / 1000;
  return { rows: rowCount, importSeconds: round(importSeconds, 2), exceljsReadSeconds: round(exceljsReadSeconds, 2), ratio: round(importSeconds / exceljsReadSeconds, 1) };
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
      value: { action: 'visit.submit', campaignId: DISTRICT_CAMPAIGN_ID, targetId, submissionKey: randomUUID() },
      formValue: {
        visitedOn, mode: 'in-person', place: 'home', coVisitors: [],
        summary: '学生在校表现稳定。', situation: '家庭和睦。', purpose: '了解学生在家情况。', content: '与家长交流了孩子近期的学习和生活。', reflection: '',
        q_satisfaction: '5', 'q_study-at-home': '较好', q_concerns: ['学业'], q_suggestions: '',
        opinions: '', followUp: 'none', leader: '', followUpNote: '', noGifts: 'yes',
      },
    });
    return standIn.signedWebhookRequest(JSON.stringify(envelope));
  };
}

async function load(url: string, rate: number, seconds: number, next: () => { headers: Record<string, string>; body: string }): Promise<LatencyFigures> {
  let refused = 0;
  const result = await autocannon({
    url: `${url}/webhook/event`,
    // Enough connections that the client never waits for a free one at the target rate.
    connections: Math.max(10, Math.ceil(rate / 5)),
    overallRate: rate,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({ ...req, ...next() }),
        onResponse: (status, body) => {
          if (status === 200 && /"type":"error"/.test(body)) refused++;
        },
      },
    ],
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    achieved: round(result.requests.average, 0),
    sent: result.requests.sent,
    failed: result.non2xx + result.errors + result.timeouts,
    refused,
  };
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
  standIn.addChat({ chatId: DISTRICT_BRANCH_CHAT_ID, name: '区党工委工作群', memberOpenIds: everyone.flatMap((p) => (p.openId ? [p.openId] : [])).slice(0, 5000) });

  let bot: Child | undefined;
  let echo: Child | undefined;
  try {
    bot = await startChild('bot', { ZOUFANG_BENCH_BOT: JSON.stringify({ dbFile, baseUrl: standIn.baseUrl, ...c, at: o.at.getTime() }) });
    standIn.setWebhook(`${bot.url}/webhook/event`);
    // Start-up runs every job once (catch-up); let what it queued go out before measuring.
    const backlog = async () => ((await (await fetch(`${bot!.url}/healthz`)).json()) as { outboxBacklog: number }).outboxBacklog;
    await waitUntil(async () => (await backlog()) === 0, 'the start-up jobs to deliver', 300_000);
    const startupDelivered = performance.now();
    const startupMessages = standIn.messages().length;
    log(`bot up at ${bot.url}; start-up jobs delivered ${startupMessages} messages`);

    // ── /进度 at district scale ──
    const teachers = everyone.filter((p) => p.openId && p.openId !== seeded.adminOpenId);
    const step = Math.max(1, Math.floor(teachers.length / o.progressSamples));
    const progress: number[] = [];
    for (let i = 0; i < o.progressSamples && i * step < teachers.length; i++) progress.push(await askAndTime(standIn, teachers[i * step]!.openId!, '/进度'));
    log(`/进度 ×${progress.length}: p50 ${round(median(progress))} ms`);

    // ── the weekly digest, on demand (/汇总) ──
    const digest: number[] = [];
    for (let i = 0; i < o.digestSamples; i++) digest.push(await askAndTime(standIn, seeded.adminOpenId, '/汇总'));
    log(`/汇总 ×${digest.length}: p50 ${round(median(digest))} ms`);

    // ── reminder fan-out: the admin chases everyone behind (/催办) ──
    // The start-up burst still counts against the per-minute limit for a minute; the floor assumes a clear window.
    // (A chase sends a teacher one or two messages, so a small district fits beside its start-up burst.)
    const windowClear = startupDelivered + 61_000 - performance.now();
    if (windowClear > 0 && startupMessages + 2 * teachers.length > FEISHU_SAFE_LIMITS.appPerMinute) {
      log(`waiting ${round(windowClear / 1000, 1)} s for the start-up sends to leave the per-minute window`);
      await sleep(windowClear);
    }
    const callsBefore = standIn.calls().length;
    const confirmation = nextAppMessage(standIn, standIn.p2pChatId(seeded.adminOpenId), (m) => m.msgType === 'text');
    // Collected as they arrive: snapshotting every stored message on each poll would load the stand-in being measured.
    const arrivals: Array<{ m: StoredMessage; at: number }> = [];
    const collect = (m: StoredMessage) => {
      if (m.sender.kind === 'app' && m.chatType === 'p2p') arrivals.push({ m, at: performance.now() });
    };
    standIn.on('message', collect);
    t0 = performance.now();
    await standIn.sendText(seeded.adminOpenId, '/催办');
    const confirmText = String((await confirmation).content.text);
    const queued = Number(/共 (\d+) 条/.exec(confirmText)?.[1] ?? 0);
    const teachersChased = Number(/已向 (\d+) 位老师/.exec(confirmText)?.[1] ?? 0);
    // The chase is in the outbox before the admin is told; done is when nothing is left to send, delivered or not.
    await waitUntil(async () => (await backlog()) === 0, 'the chase to be sent', 600_000, 200);
    await sleep(1000); // anything sent twice would arrive now
    standIn.off('message', collect);
    // Each chase reminder is an outbox row with Feishu's idempotency uuid; the stand-in keeps the uuid it was sent with.
    const chaseUuids = new Set(db.select({ uuid: outbox.uuid }).from(outbox).where(sql`${outbox.dedupeKey} like 'remind.chase:%'`).all().map((r) => r.uuid));
    const chase = arrivals.filter(({ m }) => m.uuid !== undefined && chaseUuids.has(m.uuid));
    const arrived = new Set(chase.map(({ m }) => m.uuid));
    // A duplicate is what a teacher would see twice: the same card in the same chat.
    const shown = new Set(chase.map(({ m }) => `${m.chatId}|${JSON.stringify(m.content)}`));
    const wallSeconds = round((Math.max(t0, ...chase.map((x) => x.at)) - t0) / 1000, 1);
    const fanOut: BenchReport['fanOut'] = {
      messages: queued,
      teachers: teachersChased,
      wallSeconds,
      feishuFloorSeconds: round(rateLimitFloorMs(queued, { perSecond: 50, perMinute: 1000 }) / 1000, 1),
      ownFloorSeconds: round(rateLimitFloorMs(queued, { perSecond: FEISHU_SAFE_LIMITS.appPerSecond, perMinute: FEISHU_SAFE_LIMITS.appPerMinute }) / 1000, 1),
      lost: [...chaseUuids].filter((u) => !arrived.has(u)).length,
      duplicated: chase.length - shown.size,
      rateLimited: standIn.calls().slice(callsBefore).filter((x) => x.code === 99991400 || x.code === 230020).length,
    };
    log(`fan-out: ${fanOut.messages} messages to ${fanOut.teachers} teachers in ${fanOut.wallSeconds} s`);

    // ── card-submit latency, next to a bare express echo ──
    echo = await startChild('echo');
    const pairs = db
      .select({ openId: people.openId, targetId: targets.id })
      .from(assignments)
      .innerJoin(people, eq(people.id, assignments.personId))
      .innerJoin(targets, eq(targets.id, assignments.subjectId))
      .where(and(eq(assignments.subjectType, 'target'), isNull(assignments.endedAt), eq(targets.kind, 'student-family')))
      .all()
      .flatMap((p) => (p.openId ? [{ openId: p.openId, targetId: p.targetId }] : []));
    const visitedOn = localDate(clock.now(), districtCampaign(o.at).timezone);
    const visits = () => db.select({ n: sql<number>`count(*)` }).from(records).where(eq(records.form, 'visit')).get()!.n;
    const cardSubmit: CardSubmitRow[] = [];
    for (const rate of o.rates) {
      const storedBefore = visits();
      const botFigures = await load(bot.url, rate, o.seconds, visitSubmissions(standIn, pairs, visitedOn));
      const stored = visits() - storedBefore;
      const echoFigures = await load(echo.url, rate, o.seconds, visitSubmissions(standIn, pairs, visitedOn));
      cardSubmit.push({ rate, bot: botFigures, echo: echoFigures, ratioP50: round(botFigures.p50 / echoFigures.p50, 1), ratioP99: round(botFigures.p99 / echoFigures.p99, 1), stored });
      log(`card submit @${rate}/s: bot p50 ${botFigures.p50} ms p99 ${botFigures.p99} ms; echo p50 ${echoFigures.p50} ms p99 ${echoFigures.p99} ms`);
    }

    db.$client.close();
    const botRss = await bot.stop();
    bot = undefined;
    const echoRss = await echo.stop();
    echo = undefined;
    return {
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memoryGb: round(os.totalmem() / 2 ** 30, 1), node: process.version, platform: `${os.platform()} ${os.release()}` },
      size: o.size,
      seed: { seconds: round(seedSeconds, 1), people: seeded.people, targets: seeded.targets, records: seeded.records, ledgerItems: seeded.ledgerItems },
      cardSubmit,
      fanOut,
      progress: { samples: progress.length, p50: round(median(progress)), p99: round(percentile(progress, 99)) },
      digest: { samples: digest.length, p50: round(median(digest)), p99: round(percentile(digest, 99)) },
      rosterImport,
      peakRssMb: { bot: botRss && round(botRss / 1024, 0), echo: echoRss && round(echoRss / 1024, 0) },
    };
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

/** The report as the table the README shows. */
export function formatReport(r: BenchReport): string {
  const n = (x: number | undefined) => (x === undefined ? '–' : x.toLocaleString('en-US'));
  const lines = [
    `Zoufang benchmark — ${r.when.slice(0, 10)} · ${r.machine.cpus} × ${r.machine.cpuModel} · ${r.machine.memoryGb} GB · Node ${r.machine.node}`,
    `District: ${n(r.seed.people)} teachers, ${n(r.seed.targets)} targets, ${n(r.seed.records)} records, ${n(r.seed.ledgerItems)} ledger items (seeded in ${r.seed.seconds} s)`,
    '',
    '| measure | Zoufang | yardstick | ratio |',
    '|---|---|---|---|',
    ...r.cardSubmit.map(
      (c) =>
        `| card submit @ ${c.rate}/s (achieved ${c.bot.achieved}/s, ${n(c.stored)} visits stored, ${c.bot.failed} failed, ${c.bot.refused} refused) | p50 ${c.bot.p50} ms · p99 ${c.bot.p99} ms | express echo p50 ${c.echo.p50} ms · p99 ${c.echo.p99} ms | ×${c.ratioP50} · ×${c.ratioP99} |`,
    ),
    `| reminder fan-out: ${n(r.fanOut.messages)} messages to ${n(r.fanOut.teachers)} teachers (lost ${r.fanOut.lost}, duplicated ${r.fanOut.duplicated}, rate-limited ${r.fanOut.rateLimited}) | ${r.fanOut.wallSeconds} s | floor ${r.fanOut.feishuFloorSeconds} s at Feishu's limits, ${r.fanOut.ownFloorSeconds} s at ours | ×${round(r.fanOut.wallSeconds / r.fanOut.feishuFloorSeconds, 1)} · ×${round(r.fanOut.wallSeconds / r.fanOut.ownFloorSeconds, 1)} |`,
    `| /进度 at district scale (${r.progress.samples} teachers) | p50 ${r.progress.p50} ms · p99 ${r.progress.p99} ms | | |`,
    `| weekly digest (/汇总) at district scale (${r.digest.samples} runs) | p50 ${r.digest.p50} ms · p99 ${r.digest.p99} ms | | |`,
    `| roster import, ${n(r.rosterImport.rows)}-row workbook | ${r.rosterImport.importSeconds} s | exceljs read ${r.rosterImport.exceljsReadSeconds} s | ×${r.rosterImport.ratio} |`,
    `| peak resident memory at district scale | bot ${n(r.peakRssMb.bot)} MB | express echo ${n(r.peakRssMb.echo)} MB | |`,
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
      digestSamples: num('--digest-samples', d.digestSamples),
      importRuns: num('--import-runs', d.importRuns),
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
