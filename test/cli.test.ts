import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { openDatabase } from '../src/db/index.js';
import { CampaignRepo } from '../src/db/repos.js';
import { calendarYears, outbox, people, zones } from '../src/db/schema.js';
import { schoolDay } from '../src/domain/calendar.js';
import type { Io } from '../src/ops/io.js';
import { demoCampaign } from '../src/demo/seed.js';
import { reportWeeks } from '../src/domain/weeks.js';
import { tmpDbFile } from './helpers/harness.js';
import { startArgs } from '../bench/children.js';

const run = promisify(execFile);
const zoufang = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['bin/zoufang.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

// Each call starts a fresh Node process that loads the compiled CLI: a second or more apiece on a busy CI machine.
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
    expect(
      check
        .select()
        .from(outbox)
        .all()
        .filter((r) => r.purpose === 'zone-report.push'),
    ).toHaveLength(4);
    check.$client.close();
  });

  it("seeds a preset's demo as the sandbox starts it: seed 002 with its classes' head teachers and deputies", async () => {
    const file = tmpDbFile();
    const r = await zoufang(['seed-demo', '--preset', '三大一实干'], { DATABASE_PATH: file });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('“三大一实干”活动');
    const db = openDatabase(file);
    const everyone = db.select().from(people).all();
    const led = new Set(everyone.map((p) => p.classLed).filter(Boolean));
    expect(led.size).toBeGreaterThan(10);
    expect(new Set(everyone.map((p) => p.classDeputy).filter(Boolean))).toEqual(led);
    db.$client.close();
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

/** runCli in this process, with what it printed on each stream. */
async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')) };
  return { code: await runCli(args, env, { io }), out, err };
}

// Every command of the README's "Command line" table.
const COMMANDS = [
  'migrate',
  'campaign presets',
  'campaign init',
  'campaign load',
  'campaign list',
  'calendar load',
  'template',
  'import',
  'roster status',
  'demo-roster',
  'seed-demo',
  'seed-district',
  'export',
  'setup',
  'doctor',
  'backup',
  'restore',
  'outbox held',
  'outbox release',
  'outbox drop',
  'job list',
  'job run',
  'help',
];

describe('zoufang calendar load', { timeout: 90_000 }, () => {
  it('stores a year the holiday dataset lacks so the campaign sees it; a bad file names every problem and stores nothing', async () => {
    const env = { DATABASE_PATH: tmpDbFile() };
    const init = await cli(['campaign', 'init', '--preset', '微行动', '--year', '2099', '--id', 'far'], env);
    expect(init.out.join('\n')).toContain('节假日数据尚未包含 2099 年');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoufang-calendar-'));
    const write = (name: string, data: unknown) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, JSON.stringify(data));
      return file;
    };
    const stored = () => {
      const db = openDatabase(env.DATABASE_PATH);
      try {
        return db.select().from(calendarYears).all();
      } finally {
        db.$client.close();
      }
    };

    const bad = write('bad.json', {
      year: 2099,
      holidays: [
        { date: '2098-12-31', name: '元旦' },
        { date: '2099-02-30', name: '春节' },
        { date: '2099-10-01', name: '国庆节' },
      ],
      workdays: ['2099-10-01', '10/12/2099'],
    });
    const refused = await cli(['calendar', 'load', bad], env);
    expect(refused.code).toBe(65);
    const problems = refused.err.join('\n');
    expect(problems).toContain('未载入任何内容');
    expect(problems).toMatch(/holidays\.0\.date: 2098-12-31 不在 2099 年/);
    expect(problems).toMatch(/holidays\.1\.date: 没有这一天/);
    expect(problems).toMatch(/workdays\.0\.date: 2099-10-01 既是假日又是调休上班日/);
    expect(problems).toMatch(/workdays\.1\.date: 日期格式应为 YYYY-MM-DD/);
    expect(stored()).toEqual([]);

    const good = write('2099.json', {
      year: 2099,
      holidays: [
        { date: '2099-10-01', name: '国庆节' },
        { date: '2099-10-02', name: '国庆节' },
      ],
      workdays: ['2099-10-10'],
    });
    const loaded = await cli(['calendar', 'load', good], env);
    expect(loaded).toMatchObject({ code: 0, err: [] });
    expect(loaded.out).toEqual(['已载入 2099 年节假日 2 天、调休上班 1 天 / loaded 2099: 2 holidays, 1 workdays']);
    expect(stored().map((y) => y.year)).toEqual([2099]);
    // Every reader of the campaign sees the loaded days: a holiday on a Thursday, a worked Saturday.
    const db = openDatabase(env.DATABASE_PATH);
    try {
      const def = (await new CampaignRepo(db).get('far'))!.def;
      expect(schoolDay(def, '2099-10-01')).toMatchObject({ working: false, name: '国庆节' });
      expect(schoolDay(def, '2099-10-10')).toMatchObject({ working: true, name: '调休上班' });
    } finally {
      db.$client.close();
    }
  });
});

describe('one strict command line', { timeout: 90_000 }, () => {
  it('refuses a mistyped option in one line naming it and the usage, and creates nothing', async () => {
    const file = tmpDbFile();
    const r = await zoufang(['campaign', 'init', '--preset', '微行动', '--yaer', '2027'], { DATABASE_PATH: file });
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('不认识的参数 --yaer / unknown option --yaer');
    expect(lines[0]).toContain('用法 / usage: zoufang campaign init --preset <名称> [--year YYYY]');
    // Refused before the configuration is read: no database, so no campaign.
    expect(fs.existsSync(file)).toBe(false);
    // Every command is held to the same parser.
    const others: Array<[string[], string]> = [
      [['export', '--bogus'], '--bogus'],
      [['roster', 'status', '--campain', 'x'], '--campain'],
      [['job', 'list', '--all'], '--all'],
      [['seed-demo', '--force'], '--force'],
      [['outbox', 'held', '-x'], '-x'],
    ];
    for (const [args, option] of others) {
      const refused = await cli(args, { DATABASE_PATH: file });
      expect(refused.code, args.join(' ')).toBe(64);
      expect(refused.err, args.join(' ')).toEqual([expect.stringContaining(`不认识的参数 ${option}`)]);
      expect(refused.err[0]).toContain(`用法 / usage: zoufang ${args[0]}`);
      expect(refused.out).toEqual([]);
    }
  });

  it('refuses missing and extra arguments, and unknown commands, in one line', async () => {
    const env = { DATABASE_PATH: tmpDbFile() };
    const cases: Array<[string[], string]> = [
      [['campaign', 'load'], '缺少 <文件.json>'],
      [['import', 'a.xlsx', 'b.xlsx'], '多余的参数 / unexpected argument: b.xlsx'],
      [['job', 'run'], '缺少 <name>'],
      [['job', 'run', 'digest', '--at'], '--at 需要一个值'],
      [['export', '--district=yes', '--out', 'a.xlsx'], '--district 不带值'],
      [['restore'], '缺少 <文件.db>'],
      [['outbox', 'release'], '缺少 <编号…|all>'],
      [['campaign'], '缺少子命令'],
      [['campaign', 'remove'], '未知的子命令 / unknown subcommand: zoufang campaign remove'],
      [['frobnicate'], '未知命令 / unknown command: frobnicate'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, env);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.err, args.join(' ')).toEqual([expect.stringContaining(message)]);
      expect(r.out).toEqual([]);
    }
  });

  it("prints each command's help, generated from its declaration, and succeeds whatever the configuration", async () => {
    const broken = { DATABASE_PATH: tmpDbFile(), PORT: 'abc' };
    const overview = await cli(['help'], broken);
    expect(overview.code).toBe(0);
    for (const name of COMMANDS) {
      expect(
        overview.out.some((l) => l.startsWith(`  ${name}`)),
        name,
      ).toBe(true);
      const r = await cli([...name.split(' '), '--help'], broken);
      expect(r.code, name).toBe(0);
      expect(r.err, name).toEqual([]);
      expect(r.out[0], name).toMatch(new RegExp(`^用法 / usage: zoufang ${name}( |$)`));
      expect(r.out, name).toContain('  -h, --help                  显示本说明 / show this help');
      // The same text by the help command and the short flag.
      expect((await cli(['help', ...name.split(' ')], broken)).out).toEqual(r.out);
      expect((await cli([...name.split(' '), '-h'], broken)).out).toEqual(r.out);
    }
    const init = (await cli(['campaign', 'init', '--help'], broken)).out.join('\n');
    for (const option of ['--preset <名称>', '--year YYYY', '--id ID', '--branch-chat oc_…', '--term-meeting YYYY-MM-DD', '--out 文件.json'])
      expect(init).toContain(option);
    expect(init).toContain('微行动');
    const group = await cli(['campaign', '--help'], broken);
    expect(group.code).toBe(0);
    expect(group.out.join('\n')).toContain('campaign load <文件.json>');
    const spawned = await zoufang(['job', 'run', '--help'], broken);
    expect(spawned).toMatchObject({ code: 0, stderr: '' });
    expect(spawned.stdout).toContain('用法 / usage: zoufang job run <name> [--at <ISO 时间>]');
  });

  it("prints a job's result lines on stdout and its logs on stderr", async () => {
    const file = tmpDbFile();
    expect((await zoufang(['seed-demo'], { DATABASE_PATH: file })).code).toBe(0);
    const week1 = reportWeeks(demoCampaign(new Date()))[0]!;
    const at = new Date(week1.pushAt.getTime() + 5 * 60_000).toISOString();
    const r = await zoufang(['job', 'run', 'zone-report-push', '--at', at], { DATABASE_PATH: file, LOG_LEVEL: 'info' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'zone-report-push: 新排队 4 条消息 / queued 4 new message(s)',
      '沙盒模式：正在运行的机器人（npm start）会在一秒内发出这些消息。/ sandbox: the running bot delivers them.',
    ]);
    const logs = r.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; job?: string });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'job ran', job: 'zone-report-push' }));
  });

  it('says why a command failed in exactly one line on stderr', async () => {
    const dir = path.dirname(tmpDbFile());
    const definition = path.join(dir, 'campaign.json');
    fs.writeFileSync(definition, '{"id": "x"}');
    const cases: Array<[string[], Record<string, string>, number, string]> = [
      [['migrate'], { DATABASE_PATH: path.join(dir, 'a.db'), PORT: 'abc', LARK_TRANSPORT: 'pigeon' }, 2, '配置有误 / invalid configuration: LARK_TRANSPORT'],
      [['campaign', 'load', definition], { DATABASE_PATH: path.join(dir, 'a.db') }, 1, `活动配置有误 / invalid campaign definition (${definition})`],
      [['job', 'run', 'nightly-magic'], { DATABASE_PATH: path.join(dir, 'a.db') }, 64, '没有名为 nightly-magic 的任务'],
      [['roster', 'status'], { DATABASE_PATH: path.join(dir, 'a.db') }, 64, '还没有活动'],
      // Not a mistake of the operator's: the cause, and where to find more.
      [['migrate'], { DATABASE_PATH: dir }, 1, 'LOG_LEVEL=debug'],
    ];
    for (const [args, env, code, message] of cases) {
      const r = await cli(args, env);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.err, args.join(' ')).toEqual([expect.stringContaining(message)]);
    }
    // The stack only when asked for.
    const debug = await cli(['migrate'], { DATABASE_PATH: dir, LOG_LEVEL: 'debug' });
    expect(debug.code).toBe(1);
    expect(debug.err.length).toBeGreaterThan(1);
    expect(debug.err.slice(1).join('\n')).toMatch(/\n\s+at /);
  });
});

describe('npm start', () => {
  it('refuses to start with a configuration error and lists each problem', async () => {
    const r = await run(process.execPath, startArgs('dist/main.js'), {
      env: { PATH: process.env.PATH ?? '', LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 'x', LARK_TRANSPORT: 'webhook', DATABASE_PATH: tmpDbFile() },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toContain('LARK_ENCRYPT_KEY');
    expect((r as { stderr: string }).stderr).toContain('LARK_VERIFICATION_TOKEN');
  });
});
