import { openDatabase } from '../db/index.js';
import { people } from '../db/schema.js';
import { DISTRICT_SIZE, seedDistrict } from '../demo/district.js';
import { generateDemoRoster, seedPresetDemo } from '../demo/roster.js';
import { demoLookup, demoPresetCampaign, seedDemo } from '../demo/seed.js';
import { presetDefinition } from '../domain/presets.js';
import { SHEETS, SHEET_KINDS } from '../roster/sheets.js';
import { writeRosterWorkbook } from '../roster/template.js';
import { PRESET_OPTION, YEAR_OPTION, presetNamed, yearOf } from './campaign.js';
import { CliError, command } from './command.js';

/** Synthetic data: the demo roster and cast, and a district-sized database for benchmarks. */

export const demoRosterCommand = command({
  name: 'demo-roster',
  summary: '生成虚构的演示名单 / write a synthetic demo roster',
  options: {
    preset: { ...PRESET_OPTION, help: `${PRESET_OPTION.help}（默认 wei-xingdong）` },
    year: YEAR_OPTION,
    out: { type: 'string', value: '文件.xlsx', help: '写到这个文件，默认 演示名单-<预设>.xlsx / the file to write' },
  },
  run: async (args, { io, clock }) => {
    const p = presetNamed(args.preset ?? 'wei-xingdong');
    const def = presetDefinition(p.name, { year: yearOf(args.year, clock.now()) });
    const out = args.out ?? `演示名单-${p.name}.xlsx`;
    const roster = generateDemoRoster(def);
    await writeRosterWorkbook(out, roster);
    const counts = SHEET_KINDS.map((k) => `${SHEETS[k].title} ${roster[k].length}`).join('，');
    io.out(`已生成虚构的演示名单 / synthetic demo roster written: ${out}（${counts}）`);
    return 0;
  },
});

export const seedDemoCommand = command({
  name: 'seed-demo',
  summary: '写入演示名单和活动 / load the demo roster and campaign',
  options: {
    preset: {
      ...PRESET_OPTION,
      help: `${PRESET_OPTION.help}；给出时写入该预设的演示活动和完整的虚构名单（与沙箱相同）/ the preset's demo campaign and full synthetic roster, as the sandbox starts`,
    },
  },
  run: async (args, { io, clock, config }) => {
    const db = openDatabase(config().databasePath);
    try {
      if (args.preset) {
        const campaign = demoPresetCampaign(presetNamed(args.preset).name, clock.now());
        const roster = await seedPresetDemo(db, campaign, clock.now(), demoLookup);
        io.out(`已写入演示数据 / demo data loaded: ${campaign.name}，${SHEET_KINDS.map((k) => `${SHEETS[k].title} ${roster[k].length}`).join('，')}`);
        return 0;
      }
      const r = await seedDemo(db, clock.now());
      io.out(`已写入演示数据 / demo data loaded: ${r.people} 人, ${r.zones} 个责任区`);
      return 0;
    } finally {
      db.$client.close();
    }
  },
});

function count(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(text)) throw new CliError(`${option} 应为正整数 / ${option} must be a positive whole number: ${text}`);
  return Number(text);
}

export const seedDistrictCommand = command({
  name: 'seed-district',
  summary: '向空数据库写入区级规模的虚构数据（基准测试用）/ fill an empty database with synthetic district-scale data (for benchmarks)',
  options: {
    teachers: { type: 'string', value: 'N', help: `教师人数，默认 ${DISTRICT_SIZE.teachers} / teachers` },
    targets: { type: 'string', value: 'N', help: `走访对象数，默认 ${DISTRICT_SIZE.targets} / targets` },
    records: { type: 'string', value: 'N', help: `记录数，默认 ${DISTRICT_SIZE.records} / records` },
    at: { type: 'string', value: '<ISO 时间>', help: '数据截至的时刻，默认现在 / the moment the data is as of (default: now)' },
  },
  run: async (args, { io, clock, config }) => {
    const at = args.at ? new Date(args.at) : clock.now();
    if (Number.isNaN(at.getTime())) throw new CliError(`--at 不是有效的时间：${args.at}（例如 2026-11-17T10:00:00+08:00）`);
    const size = {
      teachers: count('--teachers', args.teachers, DISTRICT_SIZE.teachers),
      targets: count('--targets', args.targets, DISTRICT_SIZE.targets),
      records: count('--records', args.records, DISTRICT_SIZE.records),
    };
    // An admin, a leader for each department of seed 002's table, and at least one class teacher.
    if (size.teachers < 7)
      throw new CliError(`--teachers 至少为 7（1 位管理员、5 个部门各 1 位领导、至少 1 位班主任）/ --teachers must be at least 7: ${size.teachers}`);
    const { databasePath } = config();
    const db = openDatabase(databasePath);
    try {
      // Synthetic people must never mix with a school's real roster.
      if (db.select({ id: people.id }).from(people).limit(1).get()) {
        throw new CliError(`数据库 ${databasePath} 里已有人员；seed-district 只写入空数据库，请用 DATABASE_PATH 指定一个新文件。/ the database is not empty`);
      }
      const r = await seedDistrict(db, at, size);
      io.out(`已写入区级虚构数据 / district data loaded: ${r.people} 人, ${r.targets} 个走访对象, ${r.records} 条记录, ${r.ledgerItems} 条台账`);
      return 0;
    } finally {
      db.$client.close();
    }
  },
});
