import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_PEOPLE } from '../../src/demo/seed.js';
import { cst, startHarness, tmpDbFile, waitFor, type Harness } from '../helpers/harness.js';

/** What the database file itself holds, without its WAL: a copy of the file alone, opened on its own. */
function fileAlone(dbFile: string): Database.Database {
  const copy = tmpDbFile();
  fs.copyFileSync(dbFile, copy);
  return new Database(copy, { readonly: true });
}

describe('WAL checkpoints off the event loop', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('copies what the bot commits into the database file while the WAL is still small', async () => {
    h = await startHarness({ at: cst('2026-03-02T10:00:00'), transport: 'webhook' });
    const teacher = DEMO_PEOPLE[1]!.name;
    await h.say(teacher, '/帮助');
    const answered = h.standIn.messagesTo(h.openId(teacher)).at(-1)!;
    // The answer's row is far below the thousand pages at which SQLite would checkpoint inside a commit.
    const inFile = () => {
      try {
        const copy = fileAlone(h!.dbFile);
        const row = copy.prepare("select 1 from outbox where status = 'sent' and feishu_message_id = ?").get(answered.messageId);
        copy.close();
        return !!row;
      } catch {
        return false; // copied in the middle of a checkpoint: look again
      }
    };
    await waitFor(inFile, 'the answer in the database file', 10_000);
    expect(inFile()).toBe(true);
  });
});
