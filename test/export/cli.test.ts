import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { AdjustableClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/index.js';
import { exportAudits, photos, records } from '../../src/db/schema.js';
import { DEMO_PEOPLE } from '../../src/demo/seed.js';
import type { Io } from '../../src/ops/io.js';
import { cst } from '../helpers/harness.js';
import { allText, campaignDb, dataRowCount, insertVisits, picture, readWorkbook, readZip, rowsOf, sheetNames } from './fixtures.js';

/** `zoufang export`: the same workbook written on the server, every bad option named, every run audited. */

function collector(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

async function setup() {
  const { db, file } = await campaignDb();
  insertVisits(db, { n: 12, targetCount: 3, author: '刘芳', coVisitor: '黄志强' });
  // One photo for the first visit, on disk where PHOTO_DIR says.
  const photoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-cli-photos-'));
  const first = db.select().from(records).orderBy(records.id).get()!;
  const bytes = picture('cli');
  fs.mkdirSync(path.join(photoDir, 'aa'));
  fs.writeFileSync(path.join(photoDir, 'aa', 'aa1.jpg'), bytes);
  db.insert(photos)
    .values({
      personId: first.authorId,
      recordId: first.id,
      messageId: 'om_1',
      imageKey: 'img_1',
      status: 'stored',
      path: 'aa/aa1.jpg',
      receivedAt: new Date(),
    })
    .run();
  db.$client.close();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-cli-out-'));
  return { file, photoDir, out, bytes, env: { DATABASE_PATH: file, PHOTO_DIR: photoDir } };
}

const clock = new AdjustableClock(cst('2026-12-01T10:00:00'), true);
const zoufangExport = (env: Record<string, string>, args: string[], o: { io: Io }) => runCli(['export', ...args], env, { ...o, clock });

describe('zoufang export', { timeout: 90_000 }, () => {
  it('refuses bad options with a clear message and exit code 64, writing nothing', async () => {
    const { env, out } = await setup();
    const cases: Array<[string[], string]> = [
      [[], '缺少 --out'],
      [['--out', path.join(out, 'a.csv')], '--out 应为 .xlsx 文件'],
      [['--out', path.join(out, 'no-such-dir', 'a.xlsx')], '目录不存在'],
      [['--from', '2026-02-30', '--out', path.join(out, 'a.xlsx')], '没有 2026-02-30 这一天'],
      [['--from', '11月1日', '--out', path.join(out, 'a.xlsx')], '--from 应为日期'],
      [['--from', '2026-11-30', '--to', '2026-11-01', '--out', path.join(out, 'a.xlsx')], '开始日期 2026-11-30 晚于结束日期 2026-11-01'],
      [['--teacher', '王小二', '--out', path.join(out, 'a.xlsx')], '名单中没有“王小二”'],
      [['--campaign', 'nope', '--out', path.join(out, 'a.xlsx')], '没有 id 为 nope 的活动'],
      [['--district', '--teacher', '刘芳', '--out', path.join(out, 'a.xlsx')], '区县汇总只含计数'],
      [['--bogus', '--out', path.join(out, 'a.xlsx')], '不认识的参数 --bogus'],
      [['--district=yes', '--out', path.join(out, 'a.xlsx')], '--district 不带值'],
      [['--out'], '--out 需要一个值'],
    ];
    for (const [args, message] of cases) {
      const io = collector();
      expect(await zoufangExport(env, args, { io }), args.join(' ')).toBe(64);
      expect(io.err_.join('\n')).toContain(message);
      // One line that says why, nothing on stdout.
      expect(io.err_.join('\n').split('\n'), args.join(' ')).toHaveLength(1);
      expect(io.out_).toEqual([]);
    }
    expect(fs.readdirSync(out)).toEqual([]);
    const db = openDatabase(env.DATABASE_PATH);
    expect(db.select().from(exportAudits).all()).toHaveLength(0);
    db.$client.close();
  });

  it('writes the workbook and the photo zip beside it, narrowed to a teacher and range, and audits it', async () => {
    const { env, out, bytes } = await setup();
    const io = collector();
    const file = path.join(out, '黄志强-11月.xlsx');
    expect(await zoufangExport(env, ['--teacher', '黄志强', '--from', '2026-11-10', '--to', '2026-11-30', '--out', file], { io })).toBe(0);
    expect(io.out_.join('\n')).toContain('已导出 / exported: 测试学校“微”行动 · 2026-11-10 至 2026-11-30 · 教师 黄志强');

    const wb = await readWorkbook(file);
    // Visits fall on 11-09 … 11-17; the one on 11-09 (with the photo) is outside the range.
    const visits = rowsOf(wb.getWorksheet('附件五 走访记录')!);
    expect(visits).toHaveLength(10);
    expect(visits.every((r) => r['同行教师'] === '黄志强' && String(r['走访日期']) >= '2026-11-10')).toBe(true);
    expect(fs.existsSync(path.join(out, '黄志强-11月.photos.zip'))).toBe(false);

    const all = path.join(out, '全部.xlsx');
    expect(await zoufangExport(env, ['--out', all], { io: collector() })).toBe(0);
    const zip = await readZip(fs.readFileSync(path.join(out, '全部.photos.zip')));
    const [name] = [...zip.keys()];
    expect(name).toMatch(/^刘芳\/走访记录 2026-11-09 学生0 #\d+\/1\.jpg$/);
    expect(zip.get(name!)!.equals(bytes)).toBe(true);
    const sheet = rowsOf((await readWorkbook(all)).getWorksheet('附件五 走访记录')!);
    expect(sheet.find((r) => r['走访日期'] === '2026-11-09' && r['学生姓名'] === '学生0')!['照片']).toBe(`1 张：${path.dirname(name!)}/`);

    const db = openDatabase(env.DATABASE_PATH);
    const rows = db.select().from(exportAudits).orderBy(exportAudits.id).all();
    expect(rows).toMatchObject([
      {
        channel: 'cli',
        actorId: null,
        kind: 'school',
        campaignId: 'records-term',
        fromOn: '2026-11-10',
        toOn: '2026-11-30',
        outcome: 'done',
        files: [{ name: '黄志强-11月.xlsx' }],
      },
      { channel: 'cli', outcome: 'done', files: [{ name: '全部.xlsx' }, { name: '全部.photos.zip' }] },
    ]);
    expect(rows[0]!.teacherId).not.toBeNull();
    db.$client.close();
  });

  it('writes the district roll-up: counts per school and department, no one named', async () => {
    const { env, out } = await setup();
    const file = path.join(out, '区县.xlsx');
    expect(await zoufangExport(env, ['--district', '--out', file], { io: collector() })).toBe(0);
    const wb = await readWorkbook(file);
    expect(sheetNames(wb)).toEqual(['各校汇总', '各部门汇总']);
    expect(rowsOf(wb.getWorksheet('各校汇总')!)).toMatchObject([
      { '学校（活动）': '测试学校“微”行动', 人数: DEMO_PEOPLE.length, 走访次数: 12, 走访对象数: 3, 上门走访: 4 },
    ]);
    expect(dataRowCount(wb.getWorksheet('各部门汇总')!)).toBe(6);
    const text = allText(wb);
    for (const s of ['学生0', '家长0', '13900000000', '某路0号', ...DEMO_PEOPLE.map((p) => p.name)]) expect(text).not.toContain(s);
  });

  it('is wired into the zoufang command', async () => {
    const { file } = await setup();
    const r = await promisify(execFile)(process.execPath, ['bin/zoufang.js', 'export', '--bogus'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_PATH: file },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 64, stderr: expect.stringContaining('不认识的参数 --bogus') });
  });
});
