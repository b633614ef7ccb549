import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, formatReport, runBenchmark } from '../../bench/run.js';
import { percentile, rateLimitFloorMs } from '../../bench/stats.js';
import { openDatabase } from '../../src/db/index.js';
import { assignments, people, records, targets } from '../../src/db/schema.js';
import { tmpDbFile } from '../helpers/harness.js';

/*
 * The benchmark's own correctness, at a size that runs in seconds: the seed
 * command, the arithmetic, and one small end-to-end run. Nothing here asserts
 * on how fast anything is — that is what `npm run bench` reports.
 */

const run = promisify(execFile);
const zoufang = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['bin/zoufang.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('benchmark arithmetic', () => {
  it('takes percentiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('puts the rate-limit floor where both windows allow the last message', () => {
    const feishu = { perSecond: 50, perMinute: 1000 };
    expect(rateLimitFloorMs(1, feishu)).toBe(0);
    expect(rateLimitFloorMs(50, feishu)).toBe(0);
    expect(rateLimitFloorMs(51, feishu)).toBe(1000);
    expect(rateLimitFloorMs(1000, feishu)).toBe(19_000);
    // The 1,001st message waits for the minute window, not the second one…
    expect(rateLimitFloorMs(1001, feishu)).toBe(60_000);
    // …and the 1,051st for both: a second after the 1,001st, a minute after the 51st.
    expect(rateLimitFloorMs(1100, feishu)).toBe(61_000);
  });
});

describe('zoufang seed-district', { timeout: 90_000 }, () => {
  it('fills an empty database with a district whose every target has a visitor, and refuses a second time', async () => {
    const file = tmpDbFile();
    const env = { DATABASE_PATH: file };
    const first = await zoufang(['seed-district', '--teachers', '60', '--targets', '400', '--records', '900', '--at', '2026-11-17T10:00:00+08:00'], env);
    expect(first.stdout).toContain('60 人, 400 个走访对象, 900 条记录');
    const db = openDatabase(file);
    const count = (q: { get(): { n: number } | undefined }) => q.get()!.n;
    expect(count(db.select({ n: sql<number>`count(*)` }).from(people))).toBe(60);
    expect(count(db.select({ n: sql<number>`count(*)` }).from(records).where(eq(records.form, 'visit')))).toBe(900);
    const unassigned = db.select({ n: sql<number>`count(*)` }).from(targets).where(sql`${targets.id} not in (select ${assignments.subjectId} from ${assignments} where ${assignments.subjectType} = 'target')`);
    expect(count(unassigned)).toBe(0);
    db.$client.close();

    const again = await zoufang(['seed-district', '--teachers', '60'], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('只写入空数据库');
    const bad = await zoufang(['seed-district', '--records', 'many'], { DATABASE_PATH: tmpDbFile() });
    expect(bad.stderr).toContain('--records 应为正整数');
    const tiny = await zoufang(['seed-district', '--teachers', '1'], { DATABASE_PATH: tmpDbFile() });
    expect(tiny.stderr).toContain('--teachers 至少为 7');
  });
});

describe('npm run bench, in miniature', { timeout: 180_000 }, () => {
  it('measures every row of the table, and the fan-out loses and duplicates nothing', async () => {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-bench-test-'));
    const report = await runBenchmark({
      ...DEFAULT_OPTIONS,
      size: { teachers: 40, targets: 300, records: 800 },
      rates: [10],
      seconds: 1,
      progressSamples: 4,
      digestSamples: 2,
      importRuns: 1,
      workDir,
      log: () => undefined,
    });
    fs.rmSync(workDir, { recursive: true, force: true });

    expect(report.seed).toMatchObject({ people: 40, targets: 300, records: 800 });
    // Mid-month with at most one visit filed this month, every teacher is behind and hears about it.
    expect(report.fanOut.teachers).toBeGreaterThanOrEqual(35);
    expect(report.fanOut.messages).toBeGreaterThanOrEqual(report.fanOut.teachers);
    expect(report.fanOut).toMatchObject({ lost: 0, duplicated: 0, rateLimited: 0 });
    const [submit] = report.cardSubmit;
    expect(submit!.bot.failed).toBe(0);
    expect(submit!.bot.refused).toBe(0);
    expect(submit!.stored).toBeGreaterThan(0);
    expect(report.progress.samples).toBe(4);
    expect(report.digest.samples).toBe(2);
    expect(report.rosterImport.rows).toBeGreaterThan(300);
    expect(report.peakRssMb.bot).toBeGreaterThan(0);

    const table = formatReport(report);
    for (const row of ['card submit @ 10/s', 'reminder fan-out', '/进度 at district scale', 'weekly digest', 'roster import', 'peak resident memory']) expect(table).toContain(row);
  });
});
