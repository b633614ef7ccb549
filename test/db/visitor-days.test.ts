import { describe, expect, it } from 'vitest';
import type { openDatabase } from '../../src/db/index.js';
import { VisitAggregates, type VisitSpan } from '../../src/db/visit-aggregates.js';
import { replayable, visitDatabase } from './visit-tables.js';

/**
 * Migrations 0025 and 0026 keep on each visitor row its visit's day and target
 * (its record's occurred_on and subject_id), so that /进度 reads one teacher's
 * visits of a span by day and a class's visitors by student. Whatever a record
 * goes through — filed with its visitors, re-dated, re-targeted, made another
 * form, its visitors moved to another record or written with a wrong day or
 * target, deleted — what is read so is what the span's visits say.
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
    // Co-visitors besides the three teachers: a student's visitors are not everyone after a few visits.
    const person = c.prepare("INSERT INTO people (id, name, roles) VALUES (?, ?, '[]')");
    for (let id = 4; id <= 12; id++) person.run(id, `老师${id}`);
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

  /** Each student's visitors of a span as the class section of /进度 reads them (by target), and through the visits. */
  function visitorsBothWays(db: ReturnType<typeof openDatabase>) {
    const aggregates = new VisitAggregates(db);
    const throughVisits = db.$client.prepare(`
      SELECT r.subject_id AS targetId, MIN(r.occurred_on) AS firstOn, MAX(r.visit_mode = 'in-person') AS inPerson, group_concat(DISTINCT rv.person_id) AS visitorIds
      FROM records r LEFT JOIN record_visitors rv ON rv.record_id = r.id
      WHERE r.campaign_id = ? AND r.form = 'visit' AND r.subject_id IN (1, 2, 3, 4, 5, 6) AND r.occurred_on BETWEEN ? AND ?
      GROUP BY r.subject_id ORDER BY r.subject_id`);
    const sorted = (ids: string | null) => (ids ? ids.split(',').map(Number) : []).sort((a, b) => a - b);
    return spans.map((s) => ({
      span: s,
      byTarget: aggregates.visitorsOf(s.campaign, [1, 2, 3, 4, 5, 6], s).map((r) => ({ ...r, visitorIds: [...r.visitorIds].sort((a, b) => a - b) })),
      throughVisits: (
        throughVisits.all(s.campaign, s.start, s.end) as Array<{ targetId: number; firstOn: string; inPerson: number; visitorIds: string | null }>
      ).map((r) => ({ targetId: r.targetId, firstOn: r.firstOn, inPerson: r.inPerson === 1, visitorIds: sorted(r.visitorIds) })),
    }));
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
      if (next(2)) visitor.run(id, next(2) ? 1 + ((author + next(2)) % 3) : 4 + next(9), 'co-visitor');
    };
    for (let i = 0; i < 30; i++) file();
    const ids = (sql: string) => (c.prepare(sql).all() as Array<{ id: number }>).map((r) => r.id);
    const seen = new Set<number>();
    for (let step = 0; step < 300; step++) {
      const records = ids('SELECT id FROM records ORDER BY id');
      const id = records[next(records.length)]!;
      const visitors = ids('SELECT rowid AS id FROM record_visitors ORDER BY rowid');
      const row = visitors[next(visitors.length)]!;
      const change = next(9);
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
            1 + next(12),
            'co-visitor',
            days[next(days.length)],
          );
          break;
        case 5:
          // Filed against the wrong student and corrected: the visitors go with the visit to the other one.
          c.prepare("UPDATE records SET subject_id = CASE campaign_id WHEN 'a' THEN ? ELSE ? END WHERE id = ?").run(1 + next(4), 5 + next(2), id);
          break;
        case 6:
          c.prepare('UPDATE record_visitors SET target_id = ? WHERE rowid = ?').run(1 + next(6), row);
          break;
        case 7:
          // No longer a visit (not what the bot does): its visitors are no one's visitors of a student.
          c.prepare("UPDATE records SET form = CASE form WHEN 'visit' THEN 'dorm' ELSE 'visit' END WHERE id = ?").run(id);
          break;
        default:
          c.prepare('DELETE FROM records WHERE id = ?').run(id);
      }
      for (const r of bothWays(db)) expect({ span: r.span, person: r.person, rows: r.byDay }).toEqual({ span: r.span, person: r.person, rows: r.bySpan });
      for (const r of visitorsBothWays(db)) expect({ span: r.span, rows: r.byTarget }).toEqual({ span: r.span, rows: r.throughVisits });
    }
    expect(seen.size).toBe(9);
    // And something was read: the walk is not comparing empty lists.
    expect(bothWays(db).filter((r) => r.byDay.length).length).toBeGreaterThan(6);
    expect(visitorsBothWays(db).filter((r) => r.byTarget.some((t) => t.visitorIds.length > 1)).length).toBeGreaterThan(2);
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
