import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, openDatabase } from '../../src/db/index.js';
import { assignments, zoneReports, zones } from '../../src/db/schema.js';
import { tmpDbFile } from '../helpers/harness.js';

/** A database made by the first release, upgraded by today's code, keeps every row. */
describe('migrations', () => {
  it('carries zone owners into assignments and keeps zone reports when the zones table is rebuilt', () => {
    // The first release's migrations only.
    const first = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-mig-'));
    fs.mkdirSync(path.join(first, 'meta'));
    fs.copyFileSync(path.join(MIGRATIONS_DIR, '0000_init.sql'), path.join(first, '0000_init.sql'));
    const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8'));
    fs.writeFileSync(path.join(first, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }));

    const file = tmpDbFile();
    const old = new Database(file);
    old.pragma('foreign_keys = ON');
    migrate(drizzle(old), { migrationsFolder: first });
    old.exec(`
      INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '旧活动', 'Asia/Shanghai', '2026-03-15', '2026-08-31', '{}');
      INSERT INTO people (id, name, roles) VALUES (1, '王建国', '["cadre"]'), (2, '李秀英', '["cadre"]');
      INSERT INTO zones (id, campaign_id, name, owner_id) VALUES (1, 'c', '田径场', 1), (2, 'c', '食堂', 2), (3, 'c', '无人区', NULL);
      INSERT INTO zone_reports (zone_id, week_no, reporter_id, overall_state, student_talks, problems, remarks, submitted_at, late, updated_at)
        VALUES (1, 1, 1, '整洁', '谈了两位', '', '', 1, 0, 1), (2, 1, 2, '良好', '谈了一位', '', '', 1, 0, 1);
    `);
    old.close();

    const db = openDatabase(file);
    expect(db.select().from(zoneReports).all()).toHaveLength(2);
    expect(db.select({ name: zones.name }).from(zones).orderBy(zones.id).all().map((z) => z.name)).toEqual(['田径场', '食堂', '无人区']);
    expect(db.select({ zone: assignments.subjectId, person: assignments.personId, type: assignments.subjectType, ended: assignments.endedAt }).from(assignments).all()).toEqual([
      { zone: 1, person: 1, type: 'zone', ended: null },
      { zone: 2, person: 2, type: 'zone', ended: null },
    ]);
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    db.$client.close();
  });
});
