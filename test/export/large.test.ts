import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CampaignRepo, PeopleRepo } from '../../src/db/repos.js';
import { produceExport } from '../../src/export/request.js';
import { cst } from '../helpers/harness.js';
import { campaignDb, dataRowCount, insertVisits, readWorkbook, rowsOf } from './fixtures.js';

/** A district-sized term: ten thousand visit records export completely, as a table and as printed forms. */

describe('a large export', { timeout: 180_000 }, () => {
  it('writes all 10,000 visit records, and the summary counts every one', async () => {
    const { db } = await campaignDb();
    insertVisits(db, { n: 10_000, targetCount: 400, author: '刘芳', coVisitor: '黄志强' });
    const campaign = (await new CampaignRepo(db).get('records-term'))!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-large-'));
    const workbookFile = path.join(dir, 'large.xlsx');

    const produced = await produceExport(db, { kind: 'school', campaigns: [campaign] }, { workbookFile, photoDir: dir, now: cst('2026-12-01T10:00:00') });
    expect(produced.rowCounts['附件五 走访记录']).toBe(10_000);
    expect(produced.files.map((f) => f.kind)).toEqual(['workbook']);

    const wb = await readWorkbook(workbookFile);
    const visits = wb.getWorksheet('附件五 走访记录')!;
    expect(dataRowCount(visits)).toBe(10_000);
    const rows = rowsOf(visits);
    expect(rows[0]).toMatchObject({ 家访教师: '刘芳', 同行教师: '黄志强', 走访日期: '2026-11-09', 学生姓名: '学生0', 家长姓名: '家长0' });
    expect(rows.at(-1)).toMatchObject({ '家（企）访内容': expect.stringMatching(/^第 \d+ 次走访的内容$/) });
    expect(new Set(rows.map((r) => r['家（企）访内容'])).size).toBe(10_000);
    // And printed: one form per visit.
    const printed = wb.getWorksheet('附件五 走访记录（打印）')!;
    let forms = 0;
    printed.eachRow((row) => (forms += row.getCell(1).value === visits.getCell('A1').value ? 1 : 0));
    expect(forms).toBe(10_000);

    const byTeacher = rowsOf(wb.getWorksheet('汇总（教师）')!);
    const liu = byTeacher.find((r) => r['姓名'] === '刘芳')!;
    const huang = byTeacher.find((r) => r['姓名'] === '黄志强')!;
    expect(liu).toMatchObject({ 走访次数: 10_000, 走访对象数: 400, 上门走访: 3334 });
    expect(huang).toMatchObject({ 走访次数: 10_000, 走访对象数: 400 });
    expect(byTeacher).toHaveLength((await new PeopleRepo(db).all()).length);
    db.$client.close();
  });
});
