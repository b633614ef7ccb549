import { describe, expect, it } from 'vitest';
import type { openDatabase } from '../../src/db/index.js';
import { VisitAggregates, type VisitSpan } from '../../src/db/visit-aggregates.js';
import { replayable, visitDatabase } from './visit-tables.js';

/**
 * Migration 0025 keeps each visitor row's day (its record's occurred_on), so
 * that /进度 reads one teacher's visits of a span by day. Whatever a record
 * goes through — filed with its visitors, re-dated, its visitors moved to
 * another record or written with a wrong day, deleted — one teacher's first
 * visits read by day are those the span's visits say for that teacher.
 */
describe("a visitor's days", () => {
  const spans: Array<VisitSpan & { campaign: string }> = [
    { campaign: 'a', start: '2026-09-01', end: '2026-09-30' },
    { campaign: 'a', start: '2026-10-01', end: '2026-10-31' },
    { campaign: 'a', start: '2026-09-01', end: '2027-01-20' },
    { campaign: 'b', start: '2026-10-01', end: '2026-12-31' },
  ];
  const persons = [1, 2, 3];

  function database() {
    const db = visitDatabase(['a', 'b']);
    const c = db.$client;
    const target = c.prepare(
      "INSERT INTO targets (id, campaign_id, natural_key, kind, name, class_name, updated_at) VALUES (?, ?, ?, 'student-family', ?, ?, 1)",
    );
    for (let id = 1; id <= 6; id++) target.run(id, id <= 4 ? 'a' : 'b', `student:${id}`, `学生${id}`, `班${id % 2}`);
    return db;
  }

  /** One teacher's first visits as /进度 reads them (by day), and as a page of people reads them (through the span's visits). */
  function bothWays(db: ReturnType<typeof openDatabase>) {
    const aggregates = new VisitAggregates(db);
    const byTarget = <T extends { targetId: number }>(rows: T[]) => [...rows].sort((x, y) => x.targetId - y.targetId);
    return spans.flatMap((s) =>
      persons.map((p) => ({
        span: s,
        person: p,
        byDay: byTarget(aggregates.firstVisitsOf(s.campaign, s, { from: p, to: p })),
        bySpan: byTarget(aggregates.firstVisitsOf(s.campaign, s, { from: 1, to: 3 }).filter((r) => r.personId === p)),
      })),
    );
  }

  it("keeps a visit's day on its visitors through filing, re-dating, moves and deletes", () => {
    const db = database();
    const c = db.$client;
    const insert = c.prepare(
      "INSERT INTO records (campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at, visit_mode) VALUES (@campaign, 'visit', 'target', @target, @author, @on, '{}', 1, 0, 1, 'in-person')",
    );
    const visitor = c.prepare('INSERT OR IGNORE INTO record_visitors (record_id, person_id, role) VALUES (?, ?, ?)');
    const next = replayable(25);
    const days = ['2026-09-01', '2026-09-18', '2026-09-30', '2026-10-01', '2026-10-20', '2026-12-31', '2027-01-05'];
    const file = () => {
      const author = 1 + next(3);
      const campaign = next(4) ? 'a' : 'b';
      const id = Number(insert.run({ campaign, target: campaign === 'a' ? 1 + next(4) : 5 + next(2), author, on: days[next(days.length)] }).lastInsertRowid);
      visitor.run(id, author, 'author');
      if (next(2)) visitor.run(id, 1 + ((author + next(2)) % 3), 'co-visitor');
    };
    for (let i = 0; i < 30; i++) file();
    const ids = (sql: string) => (c.prepare(sql).all() as Array<{ id: number }>).map((r) => r.id);
    const seen = new Set<number>();
    for (let step = 0; step < 300; step++) {
      const records = ids('SELECT id FROM records ORDER BY id');
      const id = records[next(records.length)]!;
      const visitors = ids('SELECT rowid AS id FROM record_visitors ORDER BY rowid');
      const row = visitors[next(visitors.length)]!;
      const change = next(6);
      seen.add(change);
      switch (change) {
        case 0:
          file();
          break;
        case 1:
          c.prepare('UPDATE records SET occurred_on = ? WHERE id = ?').run(days[next(days.length)], id);
          break;
        case 2:
          // A visitor row moved to another record (not what the bot does, but nothing may leave a day behind).
          c.prepare('UPDATE OR IGNORE record_visitors SET record_id = ? WHERE rowid = ?').run(id, row);
          break;
        case 3:
          c.prepare('UPDATE record_visitors SET occurred_on = ? WHERE rowid = ?').run(days[next(days.length)], row);
          break;
        case 4:
          c.prepare('INSERT OR IGNORE INTO record_visitors (record_id, person_id, role, occurred_on) VALUES (?, ?, ?, ?)').run(
            id,
            1 + next(3),
            'co-visitor',
            days[next(days.length)],
          );
          break;
        default:
          c.prepare('DELETE FROM records WHERE id = ?').run(id);
      }
      for (const r of bothWays(db)) expect({ span: r.span, person: r.person, rows: r.byDay }).toEqual({ span: r.span, person: r.person, rows: r.bySpan });
    }
    expect(seen.size).toBe(6);
    // And something was read: the walk is not comparing empty lists.
    expect(bothWays(db).filter((r) => r.byDay.length).length).toBeGreaterThan(6);
    c.close();
  });
  it("counts a department's visits of a span from their own by day, as the span's visits say", () => {
    const db = database();
    const c = db.$client;
    c.prepare(
      "INSERT INTO targets (id, campaign_id, natural_key, kind, name, updated_at) VALUES (7, 'a', 'student-leader:钱二', 'student-leader', '钱二', 1)",
    ).run();
    const insert = c.prepare(
      "INSERT INTO records (campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at) VALUES ('a', 'visit', 'target', @target, @author, @on, '{}', 1, 0, 1)",
    );
    const visitor = c.prepare("INSERT INTO record_visitors (record_id, person_id, role) VALUES (?, ?, 'author')");
    const next = replayable(7);
    const days = ['2026-08-31', '2026-09-01', '2026-09-15', '2026-09-30', '2026-10-01'];
    // Past SHORT_SPAN visits in the span, so that a few people's are read from their own (visitsByFewOf).
    c.transaction(() => {
      for (let i = 0; i < 6000; i++) {
        const author = 1 + next(3);
        const id = Number(insert.run({ target: [1, 2, 3, 7][next(4)], author, on: days[next(days.length)] }).lastInsertRowid);
        visitor.run(id, author);
      }
    })();
    const aggregates = new VisitAggregates(db);
    const september = { start: '2026-09-01', end: '2026-09-30' };
    expect(aggregates.visitsCount('a', september)).toBeGreaterThan(3000);
    // More than FEW_PEOPLE named (ids nobody has) reads the span's visits: the same count, by the other way.
    const bySpan = (people: number[]) =>
      aggregates.visitsByAnyOf('a', september, ['student-family'], [...people, ...Array.from({ length: 101 }, (_, i) => 1000 + i)]);
    const byDay = (people: number[]) => aggregates.visitsByAnyOf('a', september, ['student-family'], people);
    const compare = () => {
      for (const people of [[1], [1, 2], [3]]) expect({ people, n: byDay(people) }).toEqual({ people, n: bySpan(people) });
    };
    compare();
    expect(byDay([1, 2])).toBeGreaterThan(1000);
    // Visits moved into and out of the month: their visitors' days go with them.
    c.prepare("UPDATE records SET occurred_on = '2026-09-20' WHERE occurred_on = '2026-10-01' AND id % 3 = 0").run();
    c.prepare("UPDATE records SET occurred_on = '2026-10-02' WHERE occurred_on = '2026-09-01' AND id % 2 = 0").run();
    compare();
    c.close();
  });
});
