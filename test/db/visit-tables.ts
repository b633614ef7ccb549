import { openDatabase } from '../../src/db/index.js';
import { tmpDbFile } from '../helpers/harness.js';

/**
 * A database for the tests of what the triggers keep of the visits: the
 * campaigns named (no definition: terms are registered by hand) and three
 * teachers, 1 to 3. Targets and visits are each test's own.
 */
export function visitDatabase(campaigns: readonly string[]) {
  const db = openDatabase(tmpDbFile());
  const c = db.$client;
  const campaign = c.prepare(
    "INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES (?, ?, 'Asia/Shanghai', '2026-03-01', '2027-01-20', '{}')",
  );
  for (const id of campaigns) campaign.run(id, id);
  c.prepare("INSERT INTO people (id, name, roles) VALUES (1, '王建国', '[]'), (2, '李秀英', '[]'), (3, '刘芳', '[]')").run();
  return db;
}

/** A fixed pseudo-random walk from `seed`, so that a failing one replays: each call a whole number below `n`. */
export function replayable(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    // The high bits: an LCG's low ones repeat with a short period.
    return Math.floor(state / 65536) % n;
  };
}
