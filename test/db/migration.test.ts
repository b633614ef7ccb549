import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, openDatabase, type Db } from '../../src/db/index.js';
import { and, eq, Placeholder } from 'drizzle-orm';
import { assignments, ledgerItems, recordRevisions, records, visitPlans, zones } from '../../src/db/schema.js';
import { tmpDbFile } from '../helpers/harness.js';
import { VisitAggregates } from '../../src/db/visit-aggregates.js';
import { remindersSent, remindersSentSince } from '../../src/features/digest/index.js';
import { holdingsOf } from '../../src/db/assignments.js';
import { closingPlans, openPlansOf, PlanRepo } from '../../src/features/planning/repo.js';

/** A database made by release `upTo` (its first `upTo` migrations only), open for writing rows the old way. */
function oldDatabase(upTo: number): { file: string; old: Database.Database } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-mig-'));
  fs.mkdirSync(path.join(folder, 'meta'));
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8'));
  const entries = journal.entries.slice(0, upTo);
  for (const e of entries) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(folder, `${e.tag}.sql`));
  fs.writeFileSync(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));
  const file = tmpDbFile();
  const old = new Database(file);
  old.pragma('foreign_keys = ON');
  migrate(drizzle(old), { migrationsFolder: folder });
  return { file, old };
}

/** Campaign c, teachers 1 and 2, and students numbered from 1 in its targets: where the visit tables' migration tests start. */
const campaignWithStudents = (...names: string[]) => `
  INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '活动', 'Asia/Shanghai', '2026-03-01', '2026-12-31', '{}');
  INSERT INTO people (id, name, roles) VALUES (1, '王建国', '[]'), (2, '李秀英', '[]');
  INSERT INTO targets (id, campaign_id, natural_key, kind, name, updated_at) VALUES
    ${names.map((name, i) => `(${i + 1}, 'c', 'student:${i + 1}:${name}', 'student-family', '${name}', 1)`).join(', ')};`;

const zoneReportRecords = (db: ReturnType<typeof openDatabase>) => db.select().from(records).where(eq(records.form, 'zone-report')).orderBy(records.id).all();

/** A database made by an earlier release, upgraded by today's code, keeps every row. */
describe('migrations', () => {
  it('carries zone owners into assignments and keeps zone reports when the zones table is rebuilt', () => {
    const { file, old } = oldDatabase(1);
    old.exec(`
      INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '旧活动', 'Asia/Shanghai', '2026-03-15', '2026-08-31', '{}');
      INSERT INTO people (id, name, roles) VALUES (1, '王建国', '["cadre"]'), (2, '李秀英', '["cadre"]');
      INSERT INTO zones (id, campaign_id, name, owner_id) VALUES (1, 'c', '田径场', 1), (2, 'c', '食堂', 2), (3, 'c', '无人区', NULL);
      INSERT INTO zone_reports (zone_id, week_no, reporter_id, overall_state, student_talks, problems, remarks, submitted_at, late, updated_at)
        VALUES (1, 1, 1, '整洁', '谈了两位', '', '', 1, 0, 1), (2, 1, 2, '良好', '谈了一位', '', '', 1, 0, 1);
    `);
    old.close();

    const db = openDatabase(file);
    expect(zoneReportRecords(db).map((r) => [r.subjectId, r.periodKey])).toEqual([
      [1, 'w1'],
      [2, 'w1'],
    ]);
    expect(
      db
        .select({ name: zones.name })
        .from(zones)
        .orderBy(zones.id)
        .all()
        .map((z) => z.name),
    ).toEqual(['田径场', '食堂', '无人区']);
    expect(
      db
        .select({ zone: assignments.subjectId, person: assignments.personId, type: assignments.subjectType, ended: assignments.endedAt })
        .from(assignments)
        .all(),
    ).toEqual([
      { zone: 1, person: 1, type: 'zone', ended: null },
      { zone: 2, person: 2, type: 'zone', ended: null },
    ]);
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    db.$client.close();
  });

  it('moves zone reports into records with every revision, the late flag and the ledger items they raised', () => {
    // The release before zone reports became records.
    const { file, old } = oldDatabase(10);
    const at = (iso: string) => new Date(iso).getTime();
    old.exec(`
      INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '活动', 'Asia/Shanghai', '2026-11-01', '2027-01-31', '{}');
      INSERT INTO people (id, name, roles) VALUES (1, '王建国', '["cadre"]'), (2, '李秀英', '["cadre"]');
      INSERT INTO zones (id, campaign_id, name) VALUES (1, 'c', '田径场'), (2, 'c', '食堂');
      INSERT INTO zone_reports (id, zone_id, week_no, reporter_id, overall_state, student_talks, problems, remarks, submitted_at, late, revision, updated_at) VALUES
        (7, 1, 1, 1, '整洁', '谈了两位', '灯管已报修', '', ${at('2026-11-13T17:30:00Z')}, 0, 2, ${at('2026-11-14T01:00:00Z')}),
        (8, 2, 1, 2, '良好', '谈了一位', '', '雨天', ${at('2026-11-16T02:00:00Z')}, 1, 1, ${at('2026-11-16T02:00:00Z')});
      INSERT INTO record_revisions (record_type, record_id, revision, data, author_id, recorded_at) VALUES
        ('zone_report', 7, 1, '{"overallState":"整洁","studentTalks":"谈了两位","problems":"灯管损坏","remarks":""}', 1, ${at('2026-11-13T17:30:00Z')}),
        ('zone_report', 7, 2, '{"overallState":"整洁","studentTalks":"谈了两位","problems":"灯管已报修","remarks":""}', 1, ${at('2026-11-14T01:00:00Z')}),
        ('zone_report', 8, 1, '{"overallState":"良好","studentTalks":"谈了一位","problems":"","remarks":"雨天"}', 2, ${at('2026-11-16T02:00:00Z')});
      INSERT INTO ledger_items (campaign_id, source, raised_by, text, category, owner_id, created_by, status, created_at, updated_at) VALUES
        ('c', 'zone-report', 'teacher', '田径场（第1周）：灯管损坏', 'zone', 1, 1, 'open', ${at('2026-11-13T17:30:00Z')}, ${at('2026-11-13T17:30:00Z')});
    `);
    old.close();

    const db = openDatabase(file);
    const [field, canteen] = zoneReportRecords(db);
    expect(field).toMatchObject({
      campaignId: 'c',
      subjectType: 'zone',
      subjectId: 1,
      periodKey: 'w1',
      authorId: 1,
      late: false,
      revision: 2,
      // 01:30 on 11/14 in Beijing: the day it was filed there.
      occurredOn: '2026-11-14',
      data: { overall_state: '整洁', student_talks: '谈了两位', problems: '灯管已报修', remarks: '' },
      submittedAt: new Date('2026-11-13T17:30:00Z'),
      updatedAt: new Date('2026-11-14T01:00:00Z'),
    });
    expect(canteen).toMatchObject({ subjectId: 2, periodKey: 'w1', authorId: 2, late: true, revision: 1, data: { remarks: '雨天' } });

    const history = (id: number) =>
      db
        .select()
        .from(recordRevisions)
        .where(and(eq(recordRevisions.recordType, 'zone-report'), eq(recordRevisions.recordId, id)))
        .orderBy(recordRevisions.revision)
        .all();
    expect(history(field!.id).map((r) => [r.revision, (r.data as { problems: string }).problems, r.authorId])).toEqual([
      [1, '灯管损坏', 1],
      [2, '灯管已报修', 1],
    ]);
    expect(history(canteen!.id).map((r) => r.data)).toEqual([
      { occurredOn: '2026-11-16', overall_state: '良好', student_talks: '谈了一位', problems: '', remarks: '雨天', coVisitorIds: [] },
    ]);
    expect(db.select().from(recordRevisions).where(eq(recordRevisions.recordType, 'zone_report')).all()).toEqual([]);
    // The item the first version raised now belongs to its report.
    expect(db.select({ recordId: ledgerItems.recordId }).from(ledgerItems).all()).toEqual([{ recordId: field!.id }]);
    expect(db.$client.prepare(`SELECT name FROM sqlite_master WHERE name = 'zone_reports'`).all()).toEqual([]);
    db.$client.close();
  });

  it("fills each campaign's terms with the first visit to each target, and the visits without a photo, when it adds them (0019)", () => {
    const { file, old } = oldDatabase(19);
    const definition = JSON.stringify({
      window: { start: '2026-03-01', end: '2026-12-31' },
      terms: [
        { name: '春季学期', start: '2026-02-20', end: '2026-07-10' },
        { name: '秋季学期', start: '2026-09-01', end: '2027-01-20' },
      ],
    });
    old
      .prepare(
        "INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '活动', 'Asia/Shanghai', '2026-03-01', '2026-12-31', ?)",
      )
      .run(definition);
    old.exec(`
      INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('w', '无学期', 'Asia/Shanghai', '2026-09-01', '2026-12-31', '{"window":{"start":"2026-09-01","end":"2026-12-31"},"terms":[]}');
      INSERT INTO people (id, name, roles) VALUES (1, '王建国', '[]');
      INSERT INTO records (campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at, visit_mode, visit_place) VALUES
        ('c', 'visit', 'target', 7, 1, '2026-03-02', '{}', 1, 0, 1, 'phone', 'home'),
        ('c', 'visit', 'target', 7, 1, '2026-04-10', '{}', 1, 0, 1, 'in-person', 'home'),
        ('c', 'visit', 'target', 7, 1, '2026-09-15', '{}', 1, 0, 1, 'in-person', 'enterprise'),
        ('c', 'visit', 'target', 8, 1, '2026-08-01', '{}', 1, 0, 1, 'in-person', 'home'),
        ('c', 'suggestion', 'target', 9, 1, '2026-10-01', '{}', 1, 0, 1, NULL, NULL),
        ('w', 'visit', 'target', 9, 1, '2026-10-02', '{}', 1, 0, 1, 'phone', 'home');
      INSERT INTO photos (person_id, record_id, message_id, image_key, status, received_at) VALUES (1, 2, 'om_1', 'img', 'done', 1), (1, 3, 'om_2', 'img', 'failed', 1);
    `);
    old.close();
    const db = openDatabase(file);
    // Terms clipped to the campaign's window; a campaign without terms is one term, its window; a visit in the summer is in none.
    expect(
      db.$client
        .prepare(
          'SELECT campaign_id, span_start, span_end, target_id, first_on, in_person_on, enterprise_on FROM visit_firsts ORDER BY campaign_id, span_start, target_id',
        )
        .all(),
    ).toEqual([
      {
        campaign_id: 'c',
        span_start: '2026-03-01',
        span_end: '2026-07-10',
        target_id: 7,
        first_on: '2026-03-02',
        in_person_on: '2026-04-10',
        enterprise_on: null,
      },
      {
        campaign_id: 'c',
        span_start: '2026-09-01',
        span_end: '2026-12-31',
        target_id: 7,
        first_on: '2026-09-15',
        in_person_on: '2026-09-15',
        enterprise_on: '2026-09-15',
      },
      { campaign_id: 'w', span_start: '2026-09-01', span_end: '2026-12-31', target_id: 9, first_on: '2026-10-02', in_person_on: null, enterprise_on: null },
    ]);
    // Of the three home visits, the one with a photo is no gap; the one whose photo failed is.
    expect(db.$client.prepare('SELECT campaign_id, author_id, gaps FROM photo_gap_counts').all()).toEqual([{ campaign_id: 'c', author_id: 1, gaps: 2 }]);
    db.$client.close();
  });

  it('counts the visits of each target kind a target has, from the latest filed, when it adds the counters (0023)', () => {
    const { file, old } = oldDatabase(23);
    old.exec(`
      INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '活动', 'Asia/Shanghai', '2026-03-01', '2026-12-31', '{"window":{"start":"2026-03-01","end":"2026-12-31"},"terms":[]}');
      INSERT INTO people (id, name, roles) VALUES (1, '王建国', '[]');
      INSERT INTO targets (id, campaign_id, natural_key, kind, name, updated_at) VALUES
        (1, 'c', 'parent-committee:家委甲', 'parent-committee', '家委甲', 1),
        (2, 'c', 'parent-committee:家委乙', 'parent-committee', '家委乙', 1),
        (3, 'c', 'student:1:赵一', 'student-family', '赵一', 1),
        (4, 'c', 'office-teacher:孙三', 'office-teacher', '孙三', 1);
      INSERT INTO records (campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at) VALUES
        ('c', 'visit', 'target', 1, 1, '2026-09-02', '{}', 500, 0, 500),
        ('c', 'visit', 'target', 2, 1, '2026-09-03', '{}', 900, 0, 900),
        ('c', 'visit', 'target', 3, 1, '2026-09-04', '{}', 300, 0, 300),
        ('c', 'suggestion', 'target', 3, 1, '2026-09-05', '{}', 2000, 0, 2000);
    `);
    old.close();
    const db = openDatabase(file);
    // A kind nobody visited yet has its row too; a suggestion is no visit.
    expect(db.$client.prepare("SELECT name, version, latest FROM data_versions WHERE name LIKE 'visits:%' ORDER BY name").all()).toEqual([
      { name: 'visits:office-teacher', version: 0, latest: 0 },
      { name: 'visits:parent-committee', version: 0, latest: 900 },
      { name: 'visits:student-family', version: 0, latest: 300 },
    ]);
    db.$client.close();
  });

  it("gives every visitor of a visit filed before it the visit's day, and one teacher's month reads by it (0025)", () => {
    const { file, old } = oldDatabase(25);
    old.exec(`
      ${campaignWithStudents('赵一')}
      INSERT INTO records (id, campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at) VALUES
        (1, 'c', 'visit', 'target', 1, 1, '2026-09-18', '{}', 1, 0, 1),
        (2, 'c', 'visit', 'target', 1, 2, '2026-10-08', '{}', 1, 0, 1);
      INSERT INTO record_visitors (record_id, person_id, role) VALUES (1, 1, 'author'), (1, 2, 'co-visitor'), (2, 2, 'author');
    `);
    old.close();
    const db = openDatabase(file);
    expect(db.$client.prepare('SELECT record_id, person_id, occurred_on FROM record_visitors ORDER BY record_id, person_id').all()).toEqual([
      { record_id: 1, person_id: 1, occurred_on: '2026-09-18' },
      { record_id: 1, person_id: 2, occurred_on: '2026-09-18' },
      { record_id: 2, person_id: 2, occurred_on: '2026-10-08' },
    ]);
    const september = new VisitAggregates(db).firstVisitsOf('c', { start: '2026-09-01', end: '2026-09-30' }, { from: 2, to: 2 });
    expect(september.map((r) => [r.personId, r.targetId, r.occurredOn])).toEqual([[2, 1, '2026-09-18']]);
    db.$client.close();
  });

  it("gives every visitor of a visit filed before it the visit's target, none to another form's, and a class reads its visitors by it (0026)", () => {
    const { file, old } = oldDatabase(26);
    old.exec(`
      ${campaignWithStudents('赵一', '钱二')}
      INSERT INTO records (id, campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at, visit_mode) VALUES
        (1, 'c', 'visit', 'target', 1, 1, '2026-09-18', '{}', 1, 0, 1, 'in-person'),
        (2, 'c', 'visit', 'target', 2, 2, '2026-10-08', '{}', 1, 0, 1, 'phone'),
        (3, 'c', 'dorm', 'dorm', 1, 2, '2026-10-09', '{}', 1, 0, 1, NULL);
      INSERT INTO record_visitors (record_id, person_id, role) VALUES (1, 1, 'author'), (1, 2, 'co-visitor'), (2, 2, 'author'), (3, 2, 'author');
    `);
    old.close();
    const db = openDatabase(file);
    expect(db.$client.prepare('SELECT record_id, person_id, target_id FROM record_visitors ORDER BY record_id, person_id').all()).toEqual([
      { record_id: 1, person_id: 1, target_id: 1 },
      { record_id: 1, person_id: 2, target_id: 1 },
      { record_id: 2, person_id: 2, target_id: 2 },
      { record_id: 3, person_id: 2, target_id: null },
    ]);
    const term = new VisitAggregates(db).visitorsOf('c', [1, 2], { start: '2026-09-01', end: '2026-12-31' });
    expect(term.map((r) => [r.targetId, r.inPerson, [...r.visitorIds].sort()])).toEqual([
      [1, true, [1, 2]],
      [2, false, [2]],
    ]);
    db.$client.close();
  });
  it("keeps each photo gap's day, filing and target, and names an author's oldest gaps in that order through edits (0027)", () => {
    const { file, old } = oldDatabase(27);
    old.exec(`
      ${campaignWithStudents('赵一', '钱二', '孙三')}
      INSERT INTO records (id, campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at, visit_mode) VALUES
        (1, 'c', 'visit', 'target', 1, 1, '2026-09-18', '{}', 100, 0, 1, 'in-person'),
        (2, 'c', 'visit', 'target', 2, 1, '2026-09-18', '{}', 200, 0, 1, 'in-person'),
        (3, 'c', 'visit', 'target', 3, 1, '2026-09-10', '{}', 300, 0, 1, 'in-person'),
        (4, 'c', 'visit', 'target', 3, 1, '2026-09-01', '{}', 400, 0, 1, 'phone'),
        (5, 'c', 'visit', 'target', 3, 2, '2026-10-08', '{}', 500, 0, 1, 'in-person');
      INSERT INTO photos (person_id, record_id, message_id, image_key, status, received_at) VALUES
        (1, 2, 'om_1', 'img_1', 'failed', 1), (1, 3, 'om_2', 'img_2', 'done', 1);
    `);
    old.close();
    const db = openDatabase(file);
    const c = db.$client;
    // The visit with a photo and the phone call are no gaps; the one whose photo failed is.
    expect(c.prepare('SELECT record_id, author_id, occurred_on, submitted_at, subject_id FROM photo_gaps ORDER BY record_id').all()).toEqual([
      { record_id: 1, author_id: 1, occurred_on: '2026-09-18', submitted_at: 100, subject_id: 1 },
      { record_id: 2, author_id: 1, occurred_on: '2026-09-18', submitted_at: 200, subject_id: 2 },
      { record_id: 5, author_id: 2, occurred_on: '2026-10-08', submitted_at: 500, subject_id: 3 },
    ]);
    expect(c.prepare('SELECT author_id, gaps FROM photo_gap_counts ORDER BY author_id').all()).toEqual([
      { author_id: 1, gaps: 2 },
      { author_id: 2, gaps: 1 },
    ]);
    const aggregates = new VisitAggregates(db);
    const oldest = () => aggregates.photoGapsOf('c', 1, 5).oldest.map((g) => g.recordId);
    expect(oldest()).toEqual([1, 2]);
    // Filed again, the first of the day's two comes second; moved to the day after, the second comes last again.
    c.prepare('UPDATE records SET submitted_at = 300 WHERE id = 1').run();
    expect(oldest()).toEqual([2, 1]);
    c.prepare("UPDATE records SET occurred_on = '2026-09-19' WHERE id = 2").run();
    expect(oldest()).toEqual([1, 2]);
    // A photo arriving closes a gap; the count follows.
    c.prepare("INSERT INTO photos (person_id, record_id, message_id, image_key, status, received_at) VALUES (1, 1, 'om_3', 'img_3', 'pending', 2)").run();
    expect(aggregates.photoGapsOf('c', 1, 5)).toEqual({ count: 1, oldest: [{ recordId: 2, authorId: 1, targetId: 2, occurredOn: '2026-09-19' }] });
    db.$client.close();
  });
});

describe('indexes', () => {
  /** SQLite's plan for a query as drizzle builds it, a line a step: its placeholders bound to `values`, or else to null. */
  const planOf = (db: Db, query: { toSQL(): { sql: string; params: unknown[] } }, values?: unknown[]): string[] => {
    const { sql: text, params } = query.toSQL();
    return db.$client
      .prepare(`EXPLAIN QUERY PLAN ${text}`)
      .all(...(values ?? params.map((v) => (v instanceof Placeholder ? null : v))))
      .map((r) => (r as { detail: string }).detail);
  };

  it("finds the digest's reminded people through outbox_sent_idx, not by reading every message the term has sent (0022)", () => {
    const db = openDatabase(tmpDbFile());
    const plan = planOf(db, remindersSent(db, 'c', new Date('2026-11-02T00:00:00+08:00'), new Date('2026-11-16T09:00:00+08:00')));
    expect(plan).toContainEqual(expect.stringMatching(/^SEARCH outbox USING INDEX outbox_sent_idx \(status=\? AND purpose=\? AND sent_at>\? AND sent_at<\?\)/));
    db.$client.close();
  });

  it('tallies the reminders sent since a day from outbox_sent_idx alone, no message row read (0022)', () => {
    const db = openDatabase(tmpDbFile());
    const plan = planOf(db, remindersSentSince(db, new Date('2026-11-02T00:00:00+08:00')));
    expect(plan).toEqual([expect.stringMatching(/^SEARCH outbox USING COVERING INDEX outbox_sent_idx \(status=\? AND purpose=\? AND sent_at>\?\)/)]);
    db.$client.close();
  });

  it("reads what a person holds from assignments_person_idx alone, not from each assignment's row (0028)", () => {
    const db = openDatabase(tmpDbFile());
    const plan = planOf(db, holdingsOf(db), ['c', 'target', 1]);
    expect(plan).toEqual([
      expect.stringMatching(
        /^SEARCH assignments USING COVERING INDEX assignments_person_idx \(person_id=\? AND subject_type=\? AND ended_at=\? AND campaign_id=\?\)/,
      ),
    ]);
    db.$client.close();
  });

  it("closes a target's open plans found through visit_plans_target_idx, not by reading every plan (0029)", () => {
    const db = openDatabase(tmpDbFile());
    const plan = planOf(db, closingPlans(db));
    expect(plan).toContainEqual(expect.stringMatching(/^SEARCH visit_plans USING INDEX visit_plans_target_idx \(target_id=\? AND status=\?\)/));
    expect(plan).not.toContainEqual(expect.stringMatching(/^SCAN visit_plans/));
    db.$client.close();
  });

  it("lists a person's open plans from their own rows of visit_plan_people, not the campaign's open plans (0030)", () => {
    const db = openDatabase(tmpDbFile());
    const plan = planOf(db, openPlansOf(db));
    expect(plan[0]).toMatch(/^SEARCH visit_plan_people USING (COVERING )?INDEX sqlite_autoindex_visit_plan_people_1 \(person_id=\?\)/);
    expect(plan).toContainEqual(expect.stringMatching(/^SEARCH visit_plans USING INTEGER PRIMARY KEY \(rowid=\?\)/));
    db.$client.close();
  });

  it("keeps each plan's visitor and co-visitors in visit_plan_people through a change of co-visitors and the plan's deletion (0030)", () => {
    const db = openDatabase(tmpDbFile());
    // Only the plans matter here: no campaign, target or people rows behind them.
    db.$client.pragma('foreign_keys = OFF');
    const plans = new PlanRepo(db);
    const at = new Date('2026-11-16T09:00:00+08:00');
    const made = plans.create(
      { campaignId: 'c', targetId: 1, visitorId: 10, coVisitorIds: [11, 12], mode: 'in-person', startsAt: at, note: null, submissionKey: 'k' },
      at,
    );
    const openOf = (person: number) => plans.openFor('c', person).map((p) => p.id);
    expect([openOf(10), openOf(11), openOf(12), openOf(13)]).toEqual([[made.id], [made.id], [made.id], []]);
    db.update(visitPlans)
      .set({ coVisitorIds: [13] })
      .where(eq(visitPlans.id, made.id))
      .run();
    expect([openOf(10), openOf(11), openOf(12), openOf(13)]).toEqual([[made.id], [], [], [made.id]]);
    expect(plans.openFor('other', 10)).toEqual([]);
    db.$client.pragma('foreign_keys = ON');
    db.delete(visitPlans).where(eq(visitPlans.id, made.id)).run();
    expect(db.$client.prepare('SELECT count(*) AS n FROM visit_plan_people').get()).toEqual({ n: 0 });
    db.$client.close();
  });
});
