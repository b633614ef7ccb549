import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { SHEETS, SHEET_KINDS } from '../../src/roster/sheets.js';
import { counts, problemLine, tmpDir, validRoster, writeBadWorkbook, VALID_ASSIGNMENTS } from './fixtures.js';

/**
 * The admin's path from a terminal: create the campaign from a preset, get the
 * template, fill it in, import a file with mistakes (exit 65, every problem on
 * stderr), fix it, import it, and import it again (nothing changes).
 */

const run = promisify(execFile);
const zoufang = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['bin/zoufang.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

/** Fills the template's sheets below their header rows, as a secretary would in Excel. */
async function fillTemplate(template: string, out: string): Promise<void> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(template);
  const rows = validRoster();
  for (const kind of SHEET_KINDS) {
    const ws = wb.getWorksheet(SHEETS[kind].title)!;
    for (const r of rows[kind]) ws.addRow(SHEETS[kind].columns.map((c) => r[c.key] ?? ''));
  }
  await wb.xlsx.writeFile(out);
}

describe('zoufang import', () => {
  it('refuses a bad file with every row-level problem (exit 65), imports the corrected one, and re-imports as unchanged', async () => {
    const dir = tmpDir();
    const dbFile = path.join(dir, 'zoufang.db');
    const env = { DATABASE_PATH: dbFile };

    const init = await zoufang(['campaign', 'init', '--preset', '微行动', '--year', '2026'], env);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('活动已保存 / campaign saved: wei-xingdong-2026 “微”行动（2026）（2026-03-15 ~ 2026-08-31）');

    const template = path.join(dir, '名单模板.xlsx');
    const t = await zoufang(['template', 'all', '--out', template], env);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(`已生成模板 / template written: ${template}`);
    expect(fs.existsSync(template)).toBe(true);

    const bad = path.join(dir, 'bad.xlsx');
    const expected = await writeBadWorkbook(bad);
    const refused = await zoufang(['import', bad], env);
    expect(refused.code).toBe(65);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`✗ 发现 ${expected.length} 处问题，未做任何修改`);
    for (const p of expected) expect(refused.stderr, `${p.sheet} row ${p.row}`).toContain(`${problemLine(bad, p)}`);
    const check = openDatabase(dbFile);
    expect(counts(check)).toEqual({ school_classes: 0, people: 0, dorms: 0, zones: 0, targets: 0, assignments: 0 });
    check.$client.close();

    const good = path.join(dir, 'good.xlsx');
    await fillTemplate(template, good);
    const dry = await zoufang(['import', good, '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('✓ 检查通过（演练模式，未做任何修改）');

    const imported = await zoufang(['import', good], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('  成员：新增 9，更新 0，未变 0');
    expect(imported.stdout).toContain(`  分配 / assignments：新增 ${VALID_ASSIGNMENTS}，结束 0`);
    // No Feishu credentials in the environment: people are stored and matched later.
    expect(imported.stdout).toContain('未配置飞书凭据');

    const again = await zoufang(['import', good], env);
    expect(again.code, again.stderr).toBe(0);
    for (const [title, n] of [
      ['班级', 3],
      ['成员', 9],
      ['宿舍', 3],
      ['责任区', 1],
      ['走访对象', 3],
    ] as const) {
      expect(again.stdout).toContain(`  ${title}：新增 0，更新 0，未变 ${n}`);
    }
    expect(again.stdout).toContain('  分配 / assignments：新增 0，结束 0');
    const after = openDatabase(dbFile);
    expect(counts(after)).toEqual({ school_classes: 3, people: 9, dorms: 3, zones: 1, targets: 3, assignments: VALID_ASSIGNMENTS });
    after.$client.close();
  }, 60_000);
});
