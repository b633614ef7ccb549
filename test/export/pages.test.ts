import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { streamingWorkbook, writeFormPages, writeSheet, type SheetSpec } from '../../src/export/sheet.js';
import { formPagesOf, pageBreakRows, readWorkbook } from './fixtures.js';

/**
 * The print sheets as a printer sees them: a story longer than a page is not
 * cut off (Excel stops a row at 409 points), and a table row is as tall as
 * its wrapped text, since no spreadsheet program fits it when opening a file.
 */

const STORY = `${'那天傍晚，我们走进孩子的家，祖母端来一碗热汤，说起孩子小时候的事。'.repeat(60)}\n后来孩子在周记里写：老师来过我家。`;

const spec: SheetSpec = {
  name: '感人故事',
  title: '期末走访汇报会 · 感人故事',
  subtitle: '测试学校 & 分校 · 2026-11-09 至 2027-01-22',
  landscape: false,
  columns: [{ header: '教师' }, { header: '题目' }, { header: '正文', kind: 'long' }, { header: '提交时间', kind: 'datetime' }],
  rows: [
    ['刘芳', '一碗热汤', STORY, new Date('2026-11-18T10:00:00Z')],
    ['黄志强', '空白', '', null],
  ],
};

async function written(write: (wb: Awaited<ReturnType<typeof streamingWorkbook>>) => Promise<void>): Promise<Buffer> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-pages-')), 'pages.xlsx');
  const wb = await streamingWorkbook(file);
  await write(wb);
  await wb.commit();
  return fs.readFileSync(file);
}

describe('the print sheets', () => {
  it('continue a story longer than a row can hold under the same label, every word kept, one record per page', async () => {
    const xlsx = await written((wb) => writeFormPages(wb, spec, '感人故事（打印）'));
    const ws = (await readWorkbook(xlsx)).getWorksheet('感人故事（打印）')!;

    expect(formPagesOf(ws, spec.title)).toEqual([
      { 教师: '刘芳', 题目: '一碗热汤', 正文: STORY, 提交时间: '2026-11-18 10:00' },
      { 教师: '黄志强', 题目: '空白', 正文: '', 提交时间: '' },
    ]);
    const labels = [...Array(ws.actualRowCount).keys()].map((i) => String(ws.getRow(i + 1).getCell(1).value));
    expect(labels.filter((l) => l === '正文（续）').length).toBeGreaterThanOrEqual(2);
    for (let r = 1; r <= ws.actualRowCount; r++) expect(ws.getRow(r).height ?? 0).toBeLessThanOrEqual(409);
    // The empty story still leaves room to write.
    expect(ws.getRow(labels.lastIndexOf('正文') + 1).height).toBeGreaterThan(20);
    expect(await pageBreakRows(xlsx, '感人故事（打印）')).toEqual([labels.lastIndexOf(spec.title)]);
    // The campaign's name in the page header, its '&' printed as itself.
    expect(ws.headerFooter.oddHeader).toBe('&L&8测试学校 && 分校 · 2026-11-09 至 2027-01-22');
  });

  it('give a table row the height its wrapped text needs', async () => {
    const xlsx = await written((wb) => writeSheet(wb, spec));
    const ws = (await readWorkbook(xlsx)).getWorksheet('感人故事')!;
    expect(ws.getRow(4).height).toBe(409); // the story fills the tallest row Excel allows
    expect(ws.getRow(5).height ?? 15).toBeLessThanOrEqual(15); // a one-line row keeps the default
  });
});
