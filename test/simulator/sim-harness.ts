import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createBot, type Bot } from '../../src/app.js';
import { AdjustableClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/index.js';
import { PeopleRepo } from '../../src/db/repos.js';
import { DEMO_BRANCH_CHAT_ID, DEMO_PEOPLE, demoOpenId, seedDemo } from '../../src/demo/seed.js';
import { createLogger } from '../../src/logger.js';
import { FeishuStandIn } from '../../src/sandbox/index.js';
import { createSimulator } from '../../src/simulator/server.js';
import { CHROMIUM } from '../helpers/browser-setup.js';
import { LogSink, makeCredentials, TEST_CAMPAIGN, tmpDbFile, waitFor } from '../helpers/harness.js';

export const ARTIFACTS = path.resolve('test-artifacts/simulator');

/** Headless Debian Chromium (test/helpers/browser-setup.ts sees it installed), with the flags this machine needs (no downloads, no background networking). */
function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A browser with the simulator open as the admin, ready: every page error is
 * collected in `pageErrors`, and a stuck step names its locator well inside a
 * test's own timeout.
 */
export async function openSimulatorPage(sim: SimulatorHarness, viewport: { width: number; height: number }, deviceScaleFactor = 1) {
  const browser = await launchBrowser();
  const page: Page = await browser.newPage({ viewport, deviceScaleFactor, locale: 'zh-CN' });
  const pageErrors: string[] = [];
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${sim.url}/?as=陈立华`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
  return { browser, page, pageErrors };
}

/**
 * What `npm start` builds in sandbox mode, on free ports: the stand-in, the real
 * bot over the long connection, and the simulator mounted on the bot's port —
 * with a frozen sandbox clock the page (and the test) moves.
 */
export async function startSimulator(at: Date) {
  const clock = new AdjustableClock(at, true);
  const credentials = makeCredentials();
  const standIn = new FeishuStandIn({ ...credentials, now: () => clock.now().getTime() });
  await standIn.start();
  const db = openDatabase(tmpDbFile());
  await seedDemo(db, clock.now(), TEST_CAMPAIGN);
  for (const p of DEMO_PEOPLE) standIn.addUser({ openId: demoOpenId(p.name), name: p.name, mobile: p.mobile });
  standIn.addChat({ chatId: DEMO_BRANCH_CHAT_ID, name: '党支部工作群', memberOpenIds: DEMO_PEOPLE.map((p) => demoOpenId(p.name)) });

  const people = new PeopleRepo(db);
  const simulator = createSimulator({
    standIn,
    clock,
    people: async () => (await people.all()).flatMap((p) => (p.openId ? [{ openId: p.openId, name: p.name, roles: p.roles, department: p.department }] : [])),
  });
  const logs = new LogSink();
  const bot: Bot = createBot({
    lark: { ...credentials, baseUrl: standIn.baseUrl, transport: 'ws' },
    db,
    clock,
    log: createLogger('info', logs),
    port: 0,
    host: '127.0.0.1',
    outbox: { backoffBaseMs: 10, pollMs: 30 },
    mount: simulator.mount,
    cronTriggers: false, // the page (and the test) moves the clock and runs the jobs
    catchUpAfterMs: 0,
  });
  simulator.bindBot(bot);
  await bot.start();
  await bot.caughtUp(); // the page's first look is at the bot after its start-up catch-up
  await waitFor(() => standIn.connectedClients() > 0, 'long connection');

  return {
    clock,
    credentials,
    standIn,
    bot,
    db,
    simulator,
    logs,
    url: bot.url,
    openId: demoOpenId,
    async close() {
      simulator.close();
      await bot.stop().catch(() => undefined);
      db.$client.close();
      await standIn.stop();
    },
  };
}

export type SimulatorHarness = Awaited<ReturnType<typeof startSimulator>>;
