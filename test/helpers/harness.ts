import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createBot, type Bot } from '../../src/app.js';
import { AdjustableClock } from '../../src/clock.js';
import type { Transport } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/db/index.js';
import { inboundEvents } from '../../src/db/schema.js';
import { messageKey } from '../../src/feishu/inbound.js';
import { eq } from 'drizzle-orm';
import { createLogger } from '../../src/logger.js';
import type { RateLimiter } from '../../src/feishu/rate-limiter.js';
import {
  FeishuStandIn,
  sandboxCredentials,
  type CardCallbackResult,
  type SandboxCredentials,
  type StandInOptions,
  type StoredMessage,
} from '../../src/sandbox/index.js';
import { parseCampaignDefinition, type CampaignDefinition } from '../../src/domain/campaign.js';
import { DEMO_BRANCH_CHAT_ID, DEMO_PEOPLE, DEMO_ZONES, demoOpenId, seedDemo } from '../../src/demo/seed.js';
import type { RosterSheet } from '../../src/roster/sheets.js';
import { expect } from 'vitest';
import { recordScan } from './privacy.js';

/** Every log line of the run, so tests can assert on what operators see (and what must never appear). */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
}

export interface HarnessOptions {
  transport: Transport;
  /** Business time the test starts at (the clock is frozen there and moved by the test). */
  at: Date;
  /** Reuse a database file (restart tests). */
  dbFile?: string;
  standIn?: FeishuStandIn;
  /** Options for the stand-in the harness starts (ignored when `standIn` is given). */
  standInOptions?: Partial<StandInOptions>;
  credentials?: Credentials;
  clock?: AdjustableClock;
  apiTimeoutMs?: number;
  /** The campaign to seed instead of TEST_CAMPAIGN (the demo cast is imported into it). */
  campaign?: CampaignDefinition;
  /** Roster sheets for the demo cast other than its own (the same people, in another campaign's departments or roles). */
  cast?: RosterSheet[];
  /** How long a card callback may take before the bot answers it later (see CARD_BUDGET_MS). */
  cardBudgetMs?: number;
  /** The outbox's own rate limiter (tests that fill Feishu's windows with smaller ones). */
  limiter?: RateLimiter;
}

/** The campaign the bot tests run: a term that starts on Monday 2026-11-09 (week 1 = 11/09–11/15). */
export const TEST_CAMPAIGN = parseCampaignDefinition({
  id: 'test-term',
  name: '测试学校“微”行动',
  window: { start: '2026-11-09', end: '2027-01-22' },
  branchChatId: DEMO_BRANCH_CHAT_ID,
});

/** A local (Asia/Shanghai) wall time as an instant. */
export const cst = (local: string) => new Date(`${local}+08:00`);

export type Credentials = SandboxCredentials;
export const makeCredentials = sandboxCredentials;

export const tmpDbFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-test-')), 'zoufang.db');

/** The real bot, on a real SQLite file, talking to the stand-in over real HTTP/WebSocket through the real SDK. */
export async function startHarness(o: HarnessOptions) {
  const clock = o.clock ?? new AdjustableClock(o.at, true);
  const credentials = o.credentials ?? makeCredentials();
  const ownsStandIn = !o.standIn;
  const standIn =
    o.standIn ??
    new FeishuStandIn({
      appId: credentials.appId,
      appSecret: credentials.appSecret,
      encryptKey: credentials.encryptKey,
      verificationToken: credentials.verificationToken,
      now: () => clock.now().getTime(),
      ...o.standInOptions,
    });
  if (ownsStandIn) await standIn.start();
  const dbFile = o.dbFile ?? tmpDbFile();
  const db: Db = openDatabase(dbFile);
  await seedDemo(db, clock.now(), o.campaign ?? TEST_CAMPAIGN, o.cast);
  if (ownsStandIn) {
    for (const p of DEMO_PEOPLE) standIn.addUser({ openId: demoOpenId(p.name), name: p.name, mobile: p.mobile });
    standIn.addChat({ chatId: DEMO_BRANCH_CHAT_ID, name: '党支部工作群', memberOpenIds: DEMO_PEOPLE.map((p) => demoOpenId(p.name)) });
  }
  // Every error or warning toast anyone was given, for the privacy scan: a refusal must not reveal whom it refused about.
  const refusals: string[] = [];
  const onAnswer = ({ answer }: { answer: CardCallbackResult }) => {
    if (answer.toast && (answer.toast.type === 'error' || answer.toast.type === 'warning')) refusals.push(answer.toast.content);
  };
  standIn.on('card-answer', onAnswer);
  const logs = new LogSink();
  const log = createLogger('info', logs);
  // Each harness stores photos in its own directory, so tests never see each other's files.
  const photoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-photos-'));
  const bot: Bot = createBot({
    lark: { ...credentials, baseUrl: standIn.baseUrl, transport: o.transport },
    db,
    clock,
    log,
    port: 0,
    host: '127.0.0.1',
    outbox: { backoffBaseMs: 10, pollMs: 30, limiter: o.limiter },
    apiTimeoutMs: o.apiTimeoutMs,
    cardBudgetMs: o.cardBudgetMs,
    photoDir,
    // The test moves the clock and runs jobs itself.
    cronTriggers: false,
    catchUpAfterMs: 0,
  });
  await bot.start();
  // Tests move the clock and run jobs themselves: the start-up catch-up is over, and its messages out, before the test
  // speaks — an answer would otherwise pass the reminders still queued.
  await bot.settle();
  // As a school would: the request URL is saved in the console, which checks it first.
  if (o.transport === 'webhook') await standIn.configureWebhook(`${bot.url}/webhook/event`);
  else await waitFor(() => standIn.connectedClients() > 0, 'long connection');

  const h = {
    db,
    dbFile,
    clock,
    standIn,
    bot,
    logs,
    credentials,
    photoDir,
    openId: (name: string) => demoOpenId(name),
    /** Zone owners of the demo roster, in zone order. */
    owners: DEMO_ZONES.map((z) => z.owner),
    /** Waits for handlers and the outbox to finish. */
    settle: (timeoutMs?: number) => bot.settle(timeoutMs),
    /** Cards the bot sent to a person's direct chat, newest last. */
    cardsTo: (name: string): StoredMessage[] => standIn.messagesTo(demoOpenId(name)).filter((m) => m.msgType === 'interactive'),
    textsTo: (name: string): string[] =>
      standIn
        .messagesTo(demoOpenId(name))
        .filter((m) => m.msgType === 'text' && m.sender.kind === 'app')
        .map((m) => m.content.text as string),
    groupTexts: (): string[] =>
      standIn
        .messagesIn(DEMO_BRANCH_CHAT_ID)
        .filter((m) => m.msgType === 'text')
        .map((m) => m.content.text as string),
    /** Runs a scheduled job at the current test time and delivers what it queued. */
    async runJob(name: string) {
      const r = await bot.scheduler.run(name, clock.now());
      await bot.settle();
      return r;
    },
    /** `name` clicks the button labelled `label` on the card as it stands now (a form button also submits `formValue`). */
    click(name: string, messageId: string, label: string, formValue?: Record<string, unknown>, via?: 'ws' | 'webhook') {
      const current = standIn.messages().find((m) => m.messageId === messageId);
      if (!current) throw new Error(`no message ${messageId}`);
      return standIn.clickCard({ messageId, operatorOpenId: demoOpenId(name), value: buttonValue(current.content, label), formValue, via });
    },
    async say(name: string, text: string) {
      const { messageId } = await standIn.sendText(demoOpenId(name), text);
      // On a busy machine a long connection's push can time out before the bot has read it; the bot takes it all the
      // same, or Feishu pushes it again (「使用长连接接收事件」: an event not handled within 3 s is pushed again):
      // settling before it has been taken would find the bot idle.
      const taken = () =>
        db
          .select()
          .from(inboundEvents)
          .where(eq(inboundEvents.eventKey, messageKey(messageId)))
          .get() !== undefined;
      await waitFor(taken, `the bot to take "${text}"`, 30_000);
      await bot.settle();
    },
    async stopBot() {
      await bot.stop();
      db.$client.close();
    },
    async close() {
      await bot.stop().catch(() => undefined);
      try {
        db.$client.close();
      } catch {
        /* already closed */
      }
      standIn.off('card-answer', onAnswer);
      if (ownsStandIn) await standIn.stop();
      // Everything this test's bot logged or told a group, scanned for what must stay private.
      const groupTexts = standIn
        .messages()
        .filter((m) => m.chatType === 'group' && m.sender.kind === 'app')
        .map((m) => (m.msgType === 'interactive' ? cardText(m.content) : JSON.stringify(m.content)));
      recordScan({ testFile: expect.getState().testPath ?? 'unknown', logLines: logs.lines, groupTexts, refusals, dbFile });
    },
  };
  return h;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

export async function waitFor(cond: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Plain text of every text-bearing node of a card, for assertions that read like what a teacher sees. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (typeof o.content === 'string') out.push(o.content);
      if (typeof o.default_value === 'string' && o.default_value) out.push(o.default_value);
      for (const [k, v] of Object.entries(o)) if (k !== 'content' && k !== 'value') walk(v);
    }
  };
  walk(card);
  return out.join('\n');
}

/** Every button of a card that sends a callback, with its label and value, in card order. */
export function cardButtons(card: unknown): Array<{ label: string; value: Record<string, unknown> }> {
  const out: Array<{ label: string; value: Record<string, unknown> }> = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, any>;
      const value = o.tag === 'button' ? o.behaviors?.find((b: any) => b.type === 'callback')?.value : undefined;
      if (value) out.push({ label: String(o.text?.content ?? ''), value });
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
}

/** Finds the callback value of the first button whose label contains `label`. */
export function buttonValue(card: unknown, label: string): Record<string, unknown> {
  let found: Record<string, unknown> | undefined;
  const walk = (n: unknown) => {
    if (found) return;
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, any>;
      if (o.tag === 'button' && String(o.text?.content ?? '').includes(label)) {
        found = o.behaviors?.find((b: any) => b.type === 'callback')?.value;
        return;
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  if (!found) throw new Error(`no button labelled ${label}`);
  return found;
}
