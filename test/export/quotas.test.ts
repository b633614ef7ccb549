import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { CampaignRepo } from '../../src/db/repos.js';
import { parseCampaignDefinition } from '../../src/domain/campaign.js';
import { seedDemo } from '../../src/demo/seed.js';
import { writeSchoolExport } from '../../src/export/workbook.js';
import { cst, tmpDbFile } from '../helpers/harness.js';
import { RECORDS_CAMPAIGN } from '../records/fixtures.js';
import { insertVisits, readWorkbook, rowsOf } from './fixtures.js';

/** The summary's quota columns come from the same rules as the reminders: done / required per period, prorated. */
describe('quota columns in the summary', () => {
  it('shows each month’s visits against the quota for whom it applies, and how many met it per department', async () => {
    // Only 刘芳 is in 财经部. The window opens Monday 9 November: 16 of November's 21 working days, so ceil(3 × 16 / 21) = 3.
    const def = parseCampaignDefinition({
      ...RECORDS_CAMPAIGN,
      quotas: [{ key: 'home-visits', name: '教师家访', who: { department: '财经部' }, targetKinds: ['student-family'], min: 3, period: 'month' }],
    });
    const db = openDatabase(tmpDbFile());
    await seedDemo(db, cst('2026-11-18T10:00:00'), def);
    insertVisits(db, { n: 4, targetCount: 4, author: '刘芳' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-export-'));
    const file = path.join(dir, 'archive.xlsx');
    const campaign = (await new CampaignRepo(db).get(def.id))!;
    await writeSchoolExport(
      db,
      { campaign },
      { workbookFile: file, zipFile: path.join(dir, 'archive.photos.zip'), photoDir: dir, now: cst('2026-12-05T10:00:00') },
    );

    const wb = await readWorkbook(file);
    const teachers = new Map(rowsOf(wb.getWorksheet('汇总（教师）')!).map((r) => [r['姓名'], r]));
    expect(teachers.get('刘芳')).toMatchObject({ '教师家访 11月（≥3）': '4/3', '教师家访 12月（≥3）': '0/3' });
    expect(teachers.get('黄志强')).toMatchObject({ '教师家访 11月（≥3）': '' });
    const departments = new Map(rowsOf(wb.getWorksheet('汇总（部门）')!).map((r) => [r['部门'], r]));
    expect(departments.get('财经部')).toMatchObject({ '教师家访 11月（≥3） 达标人数': 1, '教师家访 12月（≥3） 达标人数': 0 });
    db.$client.close();
  });
});
