import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { sql } from 'drizzle-orm';
import type { Clock } from './clock.js';
import type { LarkConfig } from './config.js';
import { startCheckpointer, type Checkpointer } from './db/checkpointer.js';
import type { Db } from './db/index.js';
import { CampaignRepo, PeopleRepo } from './db/repos.js';
import { Router } from './bot/router.js';
import { FeishuApi, MAX_UPLOAD_BYTES } from './feishu/api.js';
import { eventKeysJob } from './feishu/event-keys.js';
import { Intake, isWebhookRequest, webhookHandler } from './feishu/inbound.js';
import { LongConnection } from './feishu/long-connection.js';
import { LATE_UPDATE_WINDOW_MS, Outbox, type OutboxOptions } from './feishu/outbox.js';
import { deliveryNotices } from './features/delivery/index.js';
import type { Logger } from './logger.js';
import { currentCampaign, type FeatureDeps } from './features/deps.js';
import { assemble, type AnyFeature, type RouteListing } from './features/feature.js';
import { reassignFeature } from './features/assignments/index.js';
import { claimingFeature } from './features/claiming/index.js';
import { calendarFeature } from './features/calendar/index.js';
import { digestFeature } from './features/digest/index.js';
import { helpFeature } from './features/help/index.js';
import { photosFeature } from './features/photos/index.js';
import { ledgerFeature } from './features/ledger/index.js';
import { progressFeature } from './features/progress/index.js';
import { formsFeature } from './features/forms/index.js';
import { remindersFeature } from './features/reminders/index.js';
import { leaveFeature } from './features/leave/index.js';
import { exportFeature } from './features/export/index.js';
import { planningFeature } from './features/planning/index.js';
import { themesFeature } from './features/themes/index.js';
import { Scheduler } from './scheduler/index.js';
import { backupJob, type BackupJobOptions } from './ops/backup.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BotOptions {
  lark: LarkConfig;
  db: Db;
  clock: Clock;
  log: Logger;
  /** HTTP port for /healthz and, in webhook mode, /webhook/event. 0 picks a free port. */
  port: number;
  host?: string;
  defaultBranchChatId?: string;
  outbox?: OutboxOptions;
  /** Budget for answering a card callback inside the request (tests shrink it). */
  cardBudgetMs?: number;
  /** Per-call timeout for Feishu API requests; a call that hangs longer is retried. */
  apiTimeoutMs?: number;
  /** Extra routes mounted on the bot's HTTP server (the sandbox simulator page). */
  mount?: (app: express.Express) => void;
  /** Where photos sent to the bot are stored (PHOTO_DIR); default `photos/` beside the database file. */
  photoDir?: string;
  /** Scheduled backups of the database and photos (BACKUP_DIR, BACKUP_AT); none when absent. */
  backup?: BackupJobOptions;
  /**
   * Whether jobs also fire on the wall clock (default yes). Tests that move a
   * frozen clock turn it off: a trigger at a real 09:00 would run a job at a
   * moment the test did not choose. Jobs still catch up at start.
   */
  cronTriggers?: boolean;
  /** How long the start-up catch-up waits for a first /healthz (default CATCH_UP_AFTER_MS); tests start it at once. */
  catchUpAfterMs?: number;
}

/** Photos beside the database by default, so one directory holds all the data (a temp dir for an in-memory database). */
function defaultPhotoDir(db: Db): string {
  const file = (db.$client as { name?: string }).name;
  return file && file !== ':memory:' ? path.join(path.dirname(path.resolve(file)), 'photos') : path.join(os.tmpdir(), 'zoufang-photos');
}

/** The start-up catch-up begins at the first healthy /healthz, or this long after start without one. */
const CATCH_UP_AFTER_MS = 3_000;

/** How long a stop waits for queued sends; the systemd unit's TimeoutStopSec allows for it. */
export const SHUTDOWN_DRAIN_MS = 10_000;

/** Every feature, one line each, in the order /帮助 lists their commands; what each needs and provides is its own to say. */
export const FEATURES: readonly AnyFeature[] = [
  digestFeature,
  progressFeature,
  claimingFeature,
  planningFeature,
  reassignFeature,
  formsFeature,
  ledgerFeature,
  remindersFeature,
  leaveFeature,
  helpFeature,
  photosFeature,
  exportFeature,
  calendarFeature,
  themesFeature,
];

/**
 * Every route and job the running bot registers, built without running it
 * (`zoufang routes`): nothing is sent, downloaded or uploaded, so the ports
 * that would are stand-ins that refuse, there so that every feature registers.
 */
export function routesOf(deps: Omit<FeatureDeps, 'media' | 'files'>): RouteListing {
  const refuse = () => Promise.reject(new Error('routes only lists; nothing is sent'));
  const features = assemble(FEATURES, { ...deps, media: { download: refuse, photoDir: os.tmpdir() }, files: { upload: refuse, maxBytes: 0 } });
  const router = new Router({ log: deps.log, findPerson: async () => null, currentCampaign: async () => undefined, send: refuse });
  features.register(router);
  return features.listing(router);
}

/**
 * The composition of the running bot: storage, the Feishu edge (inbound
 * transport + outbox), features and the scheduler. `main.ts` and the tests
 * build it the same way; only the clock and the Feishu base URL differ.
 */
export function createBot(o: BotOptions) {
  const { db, clock, log } = o;
  const api = new FeishuApi({ appId: o.lark.appId, appSecret: o.lark.appSecret, baseUrl: o.lark.baseUrl, logger: log, timeoutMs: o.apiTimeoutMs });
  const people = new PeopleRepo(db);
  const notices = deliveryNotices({ people, log, send: (m) => outbox.enqueue(m) });
  const outbox = new Outbox(db, api, log, { stampNow: () => clock.now().getTime(), onUndeliverable: notices, ...o.outbox });
  const campaigns = new CampaignRepo(db);
  const deps: FeatureDeps = {
    db,
    clock,
    log,
    people,
    campaigns,
    send: (m) => outbox.enqueue(Array.isArray(m) ? m.map((x) => router.asAnswer(x)) : router.asAnswer(m)),
    defaultBranchChatId: o.defaultBranchChatId,
    media: { download: (messageId, key, type) => api.downloadResource(messageId, key, type), photoDir: o.photoDir ?? defaultPhotoDir(db) },
    files: { upload: (name, bytes, type) => api.uploadFile(name, bytes, type), maxBytes: MAX_UPLOAD_BYTES },
    calendar: api,
  };
  const router = new Router({
    log,
    findPerson: (id) => people.byOpenId(id),
    currentCampaign: async () => currentCampaign(await campaigns.all(), clock.now()),
    send: (m) => outbox.enqueue(m),
  });
  const features = assemble(FEATURES, deps);
  features.register(router);
  const jobs = [...features.jobs, eventKeysJob(db, log)];
  if (o.backup) jobs.push(backupJob({ ...o.backup, db, log, photoDir: deps.media!.photoDir }));
  const scheduler = new Scheduler(jobs, clock, log, { cronTriggers: o.cronTriggers ?? true, warm: features.warm });
  let botOpenId: string | undefined;

  const intake = new Intake({
    db,
    log,
    // Keys are kept and forgotten by the bot's clock (eventKeysJob), the simulator's business time included.
    now: () => clock.now().getTime(),
    encryptKey: o.lark.encryptKey,
    cardBudgetMs: o.cardBudgetMs,
    botOpenId: () => botOpenId,
    handlers: {
      onMessage: (e) => router.handleMessage(e),
      onCard: (e) => router.handleCard(e),
      onMenu: (e) => router.handleMenu(e),
      onLateCardReply: async (e, reply) => {
        if (!e.messageId || !reply.card) return;
        const card = reply.card.data;
        // Messages the outbox does not know are patched as usual.
        const sentAt = await outbox.sentAt(e.messageId);
        if (sentAt && clock.now().getTime() - sentAt.getTime() > LATE_UPDATE_WINDOW_MS) {
          await outbox.enqueue({ dedupeKey: `fresh-card:${e.key}`, to: { openId: e.operatorOpenId }, purpose: 'card.fresh', priority: 'interactive', card });
        } else {
          await outbox.enqueue({ dedupeKey: `late-card:${e.key}`, to: { patch: e.messageId }, purpose: 'card.late-update', priority: 'interactive', card });
        }
      },
    },
  });

  const app = express();
  app.disable('x-powered-by');
  let ws: LongConnection | null = null;
  app.get('/healthz', async (_req, res) => {
    let database = 'ok';
    try {
      db.run(sql`select 1`);
    } catch {
      database = 'error';
    }
    const transport = o.lark.transport === 'ws' ? { kind: 'ws', state: ws?.getConnectionStatus?.().state ?? 'idle' } : { kind: 'webhook', state: 'listening' };
    const healthy = database === 'ok' && (transport.kind === 'webhook' || transport.state === 'connected');
    res.status(healthy ? 200 : 503).json({
      status: healthy ? 'ok' : 'degraded',
      database,
      transport,
      outboxBacklog: await outbox.backlog(),
      outboxUnconfirmed: await outbox.unconfirmed(),
      catchUp: catchingUp ? 'running' : 'done',
    });
    if (healthy) setImmediate(healthSeen);
  });
  let webhook: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  if (o.lark.transport === 'webhook') {
    if (!o.lark.encryptKey || !o.lark.verificationToken) throw new Error('webhook transport needs LARK_ENCRYPT_KEY and LARK_VERIFICATION_TOKEN');
    // Freshness is judged on the bot's clock: the wall clock in production, the sandbox's own in the simulator.
    webhook = webhookHandler({ intake, log, encryptKey: o.lark.encryptKey, verificationToken: o.lark.verificationToken, now: () => clock.now().getTime() });
  }
  o.mount?.(app);

  // Events and card callbacks go straight to the webhook (see webhookHandler); everything else to express.
  const server = http.createServer((req, res) => (webhook && isWebhookRequest(req) ? webhook(req, res) : app(req, res)));
  let url = '';
  let caughtUp: Promise<void> = Promise.resolve();
  let catchingUp = false;
  let healthSeen = () => {};
  let checkpoints: Checkpointer | undefined;

  async function start(): Promise<void> {
    checkpoints = startCheckpointer(db, log);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    url = `http://127.0.0.1:${addr.port}`;
    botOpenId = await api.botOpenId().catch((e) => {
      log.warn({ err: String(e) }, "could not read the bot's own open_id; group @mentions will be accepted loosely");
      return undefined;
    });
    if (o.lark.transport === 'ws') {
      // Not the SDK's WSClient alone: it drops card clicks delivered as "card" frames.
      ws = new LongConnection({ appId: o.lark.appId, appSecret: o.lark.appSecret, domain: o.lark.baseUrl, log, autoReconnect: true });
      await ws.start({ eventDispatcher: intake.dispatcher });
    }
    outbox.start();
    await scheduler.start();
    log.info({ url, transport: o.lark.transport }, 'bot started');
    // Healthy from here. What was missed while the bot was down is caught up in the background, job by job, once
    // the supervisor has seen the bot healthy (its first /healthz) or CATCH_UP_AFTER_MS have passed: a job may hold
    // the event loop for a while on a district's database, and a start is judged by that health check.
    catchingUp = true;
    caughtUp = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, o.catchUpAfterMs ?? CATCH_UP_AFTER_MS);
      healthSeen = () => {
        clearTimeout(timer);
        resolve();
      };
    })
      .then(() => scheduler.catchUp())
      .finally(() => {
        catchingUp = false;
      });
  }

  /** Graceful: stop taking events, finish callbacks and handlers in flight, then the sends they queued. */
  async function stop(): Promise<void> {
    await intake.close();
    await scheduler.stop();
    healthSeen(); // a catch-up still waiting to begin ends at once: the scheduler is stopped
    await caughtUp;
    // Deliver what is queued, but never hold a shutdown hostage: the rest stays in the outbox for the next start.
    await Promise.race([outbox.drain().catch(() => undefined), new Promise((r) => setTimeout(r, SHUTDOWN_DRAIN_MS).unref())]);
    await outbox.stop();
    ws?.close({ force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections?.();
    await checkpoints?.stop();
  }

  return {
    start,
    stop,
    get url() {
      return url;
    },
    /** The start-up catch-up (every job once), which start() leaves running in the background. */
    caughtUp: () => caughtUp,
    /** Waits until the start-up catch-up and every event received so far are handled and their messages delivered. */
    async settle(timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      await caughtUp;
      await intake.idle();
      await outbox.drain();
      // Retries wait out their backoff; keep going until nothing is pending.
      while ((await outbox.backlog()) > 0 && Date.now() < deadline) {
        await sleep(15);
        await outbox.drain();
      }
    },
    api,
    outbox,
    scheduler,
    router,
    /** Every route and job, with the file that registered it (the simulator's routes page). */
    routes: () => features.listing(router),
    intake,
    repos: { people, campaigns },
  };
}

export type Bot = ReturnType<typeof createBot>;
