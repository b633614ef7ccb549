import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A running bot leaves `<database>.running` beside its database, so `zoufang
 * restore` can tell that the file is in use. SQLite itself cannot say whether an
 * idle connection is open, and restoring under a live bot would lose whatever it
 * writes next. The file is removed on a graceful stop; after a crash it names a
 * process that no longer exists and is ignored.
 */

export interface RunLock {
  pid: number;
  hostname: string;
  startedAt: string;
}

export const runLockFile = (databasePath: string) => `${path.resolve(databasePath)}.running`;

/** Marks the database as used by this process; returns the release function. */
export function claimRunLock(databasePath: string): () => void {
  const file = runLockFile(databasePath);
  const lock: RunLock = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  fs.writeFileSync(file, `${JSON.stringify(lock)}\n`);
  return () => {
    try {
      const current = JSON.parse(fs.readFileSync(file, 'utf8')) as RunLock;
      if (current.pid === lock.pid && current.hostname === lock.hostname) fs.rmSync(file, { force: true });
    } catch {
      /* already gone */
    }
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/**
 * The bot using this database, if any: `sure` when it is a live process on this
 * machine; not sure when the lock was written on another host (another container),
 * where this process cannot check.
 */
export function runningBot(databasePath: string): (RunLock & { sure: boolean; file: string }) | null {
  const file = runLockFile(databasePath);
  let lock: RunLock;
  try {
    lock = JSON.parse(fs.readFileSync(file, 'utf8')) as RunLock;
  } catch {
    return null;
  }
  if (lock.hostname !== os.hostname()) return { ...lock, sure: false, file };
  if (lock.pid === process.pid || !alive(lock.pid)) return null;
  return { ...lock, sure: true, file };
}
