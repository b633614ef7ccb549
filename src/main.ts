import { SHUTDOWN_DRAIN_MS, createBot } from './app.js';
import { AdjustableClock, systemClock } from './clock.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/index.js';
import { CampaignRepo } from './db/repos.js';
import { loadCampaignFile } from './domain/campaign-file.js';
import { createLogger } from './logger.js';
import { matchStoredPeople } from './roster/import.js';
import { startSandbox } from './sandbox-runtime.js';
import { BackupError, backupBeforeMigrating } from './ops/backup.js';
import { loadEnvFile } from './ops/env-file.js';
import { claimRunLock } from './ops/run-lock.js';

/** Composition root: config → db → (stand-in) → bot → scheduler; graceful shutdown on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    loadEnvFile(process.env);
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  if (config.mode === 'feishu') {
    // Upgrading: new migrations apply below, so the database as it was is saved first.
    try {
      const saved = await backupBeforeMigrating(config.databasePath, config.backup.dir, config.photoDir, systemClock.now());
      if (saved) log.info({ file: saved.file }, 'database backed up before migrating');
    } catch (e) {
      if (!(e instanceof BackupError)) throw e;
      console.error(e.message);
      process.exit(e.exitCode);
    }
  }
  const db = openDatabase(config.databasePath);
  const releaseLock = claimRunLock(config.databasePath);
  // The sandbox clock can be moved by the simulator; with real Feishu it is the wall clock.
  const clock = new AdjustableClock();
  if (config.campaignFile) await new CampaignRepo(db).save(await loadCampaignFile(config.campaignFile));

  const sandbox = config.mode === 'sandbox' ? await startSandbox(config, db, clock) : null;
  const lark = sandbox?.lark ?? config.lark!;
  const bot = createBot({
    lark,
    db,
    clock,
    log,
    port: config.port,
    defaultBranchChatId: config.branchChatId,
    mount: sandbox?.simulator.mount,
    photoDir: config.photoDir,
    // The sandbox's demo data, on a clock the simulator moves, needs no backups.
    backup: config.mode === 'feishu' && config.backup.at ? { dir: config.backup.dir, at: config.backup.at, keep: config.backup.keep } : undefined,
  });
  sandbox?.simulator.bindBot(bot);
  await bot.start();
  if (!sandbox) {
    // People imported before the app had credentials, or added to Feishu since, get their accounts now.
    matchStoredPeople(db, (q) => bot.api.openIdsByContact(q)).then(
      (r) => log.info({ matched: r.matched, unmatched: r.unmatched.length }, 'roster accounts matched'),
      (e: Error) => log.warn({ err: e.message }, 'roster account matching failed; run zoufang import again later'),
    );
  }

  if (sandbox) {
    const s = sandbox.standIn.baseUrl;
    const someone = sandbox.standIn.users()[1] ?? sandbox.standIn.users()[0];
    console.log(`
走访助手已在沙盒模式启动（未配置飞书凭据，使用内置的飞书模拟平台）。
Zoufang is running in sandbox mode against the embedded Feishu stand-in.

  在浏览器里试用 / try it in a browser:  ${bot.url.replace('127.0.0.1', 'localhost')}/

  机器人 / bot:          ${bot.url}/healthz
  模拟平台 / stand-in:   ${s}
  演示名单 / demo users:  curl ${s}/_sandbox/users

试一试 / try it:
  以 ${someone?.name ?? '某位老师'} 的身份发送 /进度:
    curl -s -X POST ${s}/_sandbox/say -H 'content-type: application/json' -d '{"from":"${someone?.openId ?? 'ou_…'}","text":"/进度"}'
  查看机器人发出的消息 / messages the bot sent:
    curl -s ${s}/_sandbox/messages
  点击卡片按钮或提交表单 / click a card button or submit a form:
    curl -s -X POST ${s}/_sandbox/click -H 'content-type: application/json' -d '{"message_id":"om_…","from":"ou_…","value":{…},"form_value":{…}}'
  立即推送本周报表卡片 / push this week's zone-report cards now:
    npm run cli -- job run zone-report-push
`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    // Callbacks in flight finish and the outbox drains for up to SHUTDOWN_DRAIN_MS (what is left is sent at the
    // next start); past that plus a margin something hangs, and exiting beats systemd's SIGKILL.
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DRAIN_MS + 10_000).unref();
    sandbox?.simulator.close(); // ends the pages' event streams so the HTTP server can close
    await bot.stop();
    await sandbox?.standIn.stop();
    db.$client.close();
    releaseLock();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
