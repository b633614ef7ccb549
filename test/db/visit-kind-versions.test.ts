import { describe, expect, it } from 'vitest';
import type { openDatabase } from '../../src/db/index.js';
import { versionOf } from '../../src/db/versioned-cache.js';
import { visitDatabase } from './visit-tables.js';

/**
 * Migration 0023's counters, one per target kind (`visits:<kind>`): a visit,
 * its co-visitors, an edit that moves it, a delete raise the counter of its
 * target's kind and no other, so a leaders' quota's first visits are kept
 * while student families are visited.
 */
describe('the visits counted per target kind', () => {
  function database() {
    const db = visitDatabase(['a']);
    const c = db.$client;
    const target = c.prepare("INSERT INTO targets (id, campaign_id, natural_key, kind, name, updated_at) VALUES (?, 'a', ?, ?, ?, 1)");
    target.run(1, 'parent-committee:家委甲', 'parent-committee', '家委甲');
    target.run(2, 'student:1:赵一', 'student-family', '赵一');
    target.run(3, 'student-leader:钱二', 'student-leader', '钱二');
    return db;
  }

  /** Every `visits:<kind>` row, by name. */
  const counters = (db: ReturnType<typeof openDatabase>) =>
    Object.fromEntries(
      (
        db.$client.prepare("SELECT name, version, latest FROM data_versions WHERE name LIKE 'visits:%' ORDER BY name").all() as Array<{
          name: string;
          version: number;
          latest: number;
        }>
      ).map((r) => [r.name, { version: r.version, latest: r.latest }]),
    );

  const fileVisit = (db: ReturnType<typeof openDatabase>, target: number, submittedAt: number, form = 'visit') =>
    Number(
      db.$client
        .prepare(
          "INSERT INTO records (campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at) VALUES ('a', ?, 'target', ?, 1, '2026-11-17', '{}', ?, 0, ?)",
        )
        .run(form, target, submittedAt, submittedAt).lastInsertRowid,
    );

  it('has a row for every kind a target has, made when a target of a new kind comes', () => {
    const db = database();
    expect(counters(db)).toEqual({
      'visits:parent-committee': { version: 0, latest: 0 },
      'visits:student-family': { version: 0, latest: 0 },
      'visits:student-leader': { version: 0, latest: 0 },
    });
    expect(versionOf(db.$client, 'visits:office-teacher')).toBeUndefined();
    db.$client
      .prepare("INSERT INTO targets (id, campaign_id, natural_key, kind, name, updated_at) VALUES (4, 'a', 'office-teacher:孙三', 'office-teacher', '孙三', 1)")
      .run();
    expect(versionOf(db.$client, 'visits:office-teacher')).toEqual({ version: 0, latest: 0 });
    // A target re-kinded: its new kind has a row, and both kinds' visits changed.
    fileVisit(db, 3, 40);
    db.$client.prepare("UPDATE targets SET kind = 'community-figure' WHERE id = 3").run();
    expect(counters(db)['visits:community-figure']).toEqual({ version: 1, latest: 40 });
    expect(counters(db)['visits:student-leader']).toEqual({ version: 2, latest: 40 });
    db.$client.close();
  });

  it("moves with a visit to a target of its kind, and with nothing filed about another kind's", () => {
    const db = database();
    const before = counters(db);
    fileVisit(db, 2, 100);
    fileVisit(db, 2, 101);
    expect(counters(db)).toEqual({ ...before, 'visits:student-family': { version: 2, latest: 101 } });
    fileVisit(db, 1, 102);
    expect(counters(db)).toEqual({ ...before, 'visits:student-family': { version: 2, latest: 101 }, 'visits:parent-committee': { version: 1, latest: 102 } });
    // A suggestion about a target is no visit.
    const now = counters(db);
    fileVisit(db, 1, 103, 'suggestion');
    expect(counters(db)).toEqual(now);
    db.$client.close();
  });

  it('moves with a co-visitor named, changed or removed: they change who visited', () => {
    const db = database();
    const visit = fileVisit(db, 3, 100);
    const family = fileVisit(db, 2, 101);
    const at = (name: string) => counters(db)[name]!.version;
    const leaders = at('visits:student-leader');
    const families = at('visits:student-family');
    const c = db.$client;
    c.prepare("INSERT INTO record_visitors (record_id, person_id, role) VALUES (?, 1, 'author'), (?, 2, 'co-visitor')").run(visit, visit);
    expect(at('visits:student-leader')).toBe(leaders + 2);
    c.prepare('UPDATE record_visitors SET person_id = 3 WHERE record_id = ? AND person_id = 2').run(visit);
    expect(at('visits:student-leader')).toBe(leaders + 3);
    c.prepare('DELETE FROM record_visitors WHERE record_id = ? AND person_id = 3').run(visit);
    expect(at('visits:student-leader')).toBe(leaders + 4);
    expect(at('visits:student-family')).toBe(families);
    // Moved to another visit: both visits' kinds.
    c.prepare('UPDATE record_visitors SET record_id = ? WHERE record_id = ?').run(family, visit);
    expect([at('visits:student-leader'), at('visits:student-family')]).toEqual([leaders + 5, families + 1]);
    c.close();
  });

  it('moves both kinds when a visit is moved to a target of another, and its kind when it is deleted', () => {
    const db = database();
    const visit = fileVisit(db, 2, 100);
    const before = counters(db);
    const c = db.$client;
    // An edit of what no count reads (the text, the card shown): no kind's visits changed.
    c.prepare('UPDATE records SET data = \'{"content":"改"}\', card_message_id = \'om_1\' WHERE id = ?').run(visit);
    expect(counters(db)).toEqual(before);
    c.prepare('UPDATE records SET subject_id = 1, submitted_at = 150 WHERE id = ?').run(visit);
    expect(counters(db)).toEqual({
      ...before,
      'visits:student-family': { version: 2, latest: 150 },
      'visits:parent-committee': { version: 1, latest: 150 },
    });
    // No longer a visit: its kind's visits are one fewer.
    c.prepare("UPDATE records SET form = 'suggestion' WHERE id = ?").run(visit);
    expect(counters(db)['visits:parent-committee']!.version).toBe(2);
    c.prepare("UPDATE records SET form = 'visit' WHERE id = ?").run(visit);
    expect(counters(db)['visits:parent-committee']!.version).toBe(3);
    c.prepare('DELETE FROM records WHERE id = ?').run(visit);
    expect(counters(db)).toEqual({
      ...before,
      'visits:student-family': { version: 2, latest: 150 },
      'visits:parent-committee': { version: 4, latest: 150 },
    });
    c.close();
  });
});
