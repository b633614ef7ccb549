import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/index.js';
import { outbox, people, zones } from '../src/db/schema.js';
import { demoCampaign } from '../src/demo/seed.js';
import { reportWeeks } from '../src/domain/weeks.js';
import { tmpDbFile } from './helpers/harness.js';

const run = promisify(execFile);
const zoufang = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['bin/zoufang.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

// Each call starts a fresh Node process that compiles the CLI through tsx: seconds apiece on a busy CI machine.
describe('zoufang CLI', { timeout: 90_000 }, () => {
  it('migrates, seeds the demo idempotently, and runs a job as if it were a given moment', async () => {
    const file = tmpDbFile();
    const env = { DATABASE_PATH: file };
    expect((await zoufang(['migrate'], env)).stdout).toContain('数据库已是最新');
    expect((await zoufang(['seed-demo'], env)).code).toBe(0);
    expect((await zoufang(['seed-demo'], env)).code).toBe(0);
    const db = openDatabase(file);
    expect(db.select().from(people).all()).toHaveLength(6);
    expect(db.select().from(zones).all()).toHaveLength(4);
    db.$client.close();

    // Re-send the demo term's first Friday push from the command line.
    const week1 = reportWeeks(demoCampaign(new Date()))[0]!;
    const at = new Date(week1.pushAt.getTime() + 5 * 60_000).toISOString();
    const first = await zoufang(['job', 'run', 'zone-report-push', '--at', at], env);
    expect(first.stdout).toContain('新排队 4 条消息');
    expect(first.stdout).toContain('沙盒模式');
    const again = await zoufang(['job', 'run', 'zone-report-push', '--at', at], env);
    expect(again.stdout).toContain('新排队 0 条消息');
    const check = openDatabase(file);
    expect(check.select().from(outbox).all().filter((r) => r.purpose === 'zone-report.push')).toHaveLength(4);
    check.$client.close();
  });

  it('help and --help print the usage and succeed, even with a broken configuration', async () => {
    for (const ask of ['help', '--help']) {
      const r = await zoufang([ask], { DATABASE_PATH: tmpDbFile(), PORT: 'abc' });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('用法 / usage: zoufang <command>');
      expect(r.stdout).toContain('job run <name>');
      expect(r.stderr).toBe('');
    }
  });

  it('explains bad input with a non-zero exit', async () => {
    const env = { DATABASE_PATH: tmpDbFile() };
    const unknownJob = await zoufang(['job', 'run', 'nightly-magic'], env);
    expect(unknownJob.code).toBe(64);
    expect(unknownJob.stderr).toContain('没有名为 nightly-magic 的任务');
    const badTime = await zoufang(['job', 'run', 'zone-report-push', '--at', 'next friday'], env);
    expect(badTime.stderr).toContain('--at 不是有效的时间');
    const badConfig = await zoufang(['migrate'], { ...env, PORT: 'abc', LARK_TRANSPORT: 'pigeon' });
    expect(badConfig.code).not.toBe(0);
    expect(badConfig.stderr).toContain('PORT');
    expect(badConfig.stderr).toContain('LARK_TRANSPORT');
  });
});

describe('npm start', () => {
  it('refuses to start with a configuration error and lists each problem', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 'x', LARK_TRANSPORT: 'webhook', DATABASE_PATH: tmpDbFile() },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toContain('LARK_ENCRYPT_KEY');
    expect((r as { stderr: string }).stderr).toContain('LARK_VERIFICATION_TOKEN');
  });
});
