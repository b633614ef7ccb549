import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import type { Db } from './index.js';

/**
 * WAL checkpoints off the event loop. Left to itself, SQLite copies the WAL
 * back into the database file inside the commit that takes the WAL past
 * `wal_autocheckpoint` pages (1,000): on a district's database at 200 card
 * submits a second that was a commit every half second holding the event loop
 * 30–150 ms (a thousand page writes and two fsyncs), and every answer queued
 * behind it waited as long. Here a worker thread with a connection of its own
 * runs PASSIVE checkpoints every CHECKPOINT_EVERY_MS: they copy what was
 * committed while the bot goes on reading and writing, never taking its locks.
 *
 * The bot's connection still checkpoints by itself, but only past
 * FALLBACK_AUTOCHECKPOINT_PAGES: under a long burst of writes the WAL restarts
 * from its beginning only once a checkpoint has caught up with the last
 * commit, which a checkpoint running beside the writes may never quite do; the
 * fallback then has little left to copy. Should the worker stop, the bot's
 * connection goes back to SQLite's default.
 */

/** How often the worker checkpoints; a pass with nothing to copy costs next to nothing. */
const CHECKPOINT_EVERY_MS = 200;
/** The bot's own automatic checkpoint, a fallback (pages of 4 KB: about 40 MB of WAL). */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

/** The worker: plain CommonJS, so it runs the same under vitest and the compiled app. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const pass = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (e) {
    parentPort.postMessage({ error: String(e) });
  }
};
const timer = setInterval(pass, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Starts checkpointing the bot's database in a worker thread; nothing to do for a database in memory. */
export function startCheckpointer(db: Db, log: Logger): Checkpointer {
  const sqlite = db.$client;
  if (sqlite.memory || String(sqlite.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') {
    return { stop: async () => {} };
  }
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file: sqlite.name, everyMs: CHECKPOINT_EVERY_MS },
    // It holds one connection and a timer: a few MB, not a second copy of the bot.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  worker.on('message', (m: { error: string }) => log.warn({ err: m.error }, 'checkpointer: checkpoint failed'));
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (!stopping) {
        log.warn('checkpointer: worker stopped; the database checkpoints itself again');
        fallBack();
      }
      resolve();
    });
  });
  worker.on('error', (e) => log.warn({ err: String(e) }, 'checkpointer: worker failed'));
  const fallBack = () => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  };
  sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      fallBack();
      // Unreferenced, the worker would let a stopping process end before it has closed its connection (and before this resolves).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
