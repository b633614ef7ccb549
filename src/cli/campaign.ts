import fs from 'node:fs/promises';
import { openDatabase } from '../db/index.js';
import { CampaignRepo } from '../db/repos.js';
import type { CampaignDefinition } from '../domain/campaign.js';
import { loadCampaignFile } from '../domain/campaign-file.js';
import { uncoveredYears } from '../domain/calendar.js';
import { PRESETS, UnknownPresetError, findPreset, presetDefinition } from '../domain/presets.js';
import type { Io } from '../ops/io.js';
import { CliError, command, group, type OptionSpec } from './command.js';

/** `zoufang campaign presets|init|load|list`. */

const presetNames = PRESETS.map((p) => `${p.name}（${p.aliases[0]}）`).join('，');

export const PRESET_OPTION = {
  type: 'string',
  value: '<名称>',
  help: `预设的名称或别名：${presetNames} / a preset's name or alias`,
} as const satisfies OptionSpec;
export const YEAR_OPTION = { type: 'string', value: 'YYYY', help: '年份，默认今年 / the year (default: this year)' } as const satisfies OptionSpec;

export function presetNamed(name: string) {
  const p = findPreset(name);
  if (!p) throw new CliError(new UnknownPresetError(name).message);
  return p;
}

export function yearOf(text: string | undefined, now: Date): number {
  if (text === undefined) return now.getFullYear();
  if (!/^\d{4}$/.test(text)) throw new CliError(`--year 应为四位年份，例如 2027 / --year must be a year: ${text}`);
  return Number(text);
}

async function save(databasePath: string, def: CampaignDefinition, io: Io): Promise<number> {
  const db = openDatabase(databasePath);
  let loaded: number[];
  try {
    const repo = new CampaignRepo(db);
    await repo.save(def);
    loaded = repo.loadedYears().map((y) => y.year);
  } finally {
    db.$client.close();
  }
  io.out(`活动已保存 / campaign saved: ${def.id} ${def.name}（${def.window.start} ~ ${def.window.end}）`);
  for (const y of uncoveredYears(def, loaded)) {
    io.out(
      `注意：节假日数据尚未包含 ${y} 年（国务院通常在上一年 11 月公布），公布后可用 zoufang calendar load <文件.json> 载入 / holiday data for ${y} is not published yet`,
    );
  }
  if (!def.branchChatId) io.out('提示：未设置党支部群（--branch-chat 或 BRANCH_CHAT_ID），群消息将不会发出 / no branch group set');
  return 0;
}

export const campaignCommand = group('campaign', '活动 / campaigns', [
  command({
    name: 'presets',
    summary: '列出内置预设 / list the built-in presets',
    run: (_args, { io }) => {
      for (const p of PRESETS) io.out(`${p.name}\t${p.aliases.join(' / ')}\t${p.title}（${p.source}）`);
      return 0;
    },
  }),
  command({
    name: 'init',
    summary: '按预设建立活动 / create a campaign from a preset',
    options: {
      preset: { ...PRESET_OPTION, required: true },
      year: { ...YEAR_OPTION, help: "活动年份，默认今年 / the campaign's year (default: this year)" },
      id: { type: 'string', value: 'ID', help: '活动编号，默认由预设和年份组成 / the campaign id (default: preset and year)' },
      'branch-chat': { type: 'string', value: 'oc_…', help: '党支部群的 chat_id，默认 BRANCH_CHAT_ID / the branch group (default: BRANCH_CHAT_ID)' },
      'term-meeting': { type: 'string', value: 'YYYY-MM-DD', help: '学期总结会日期 / the day of the term meeting' },
      out: { type: 'string', value: '文件.json', help: '同时写出活动配置，可编辑后用 campaign load 载入 / also write the definition, to edit and load' },
    },
    run: async (args, { io, clock, config }) => {
      const p = presetNamed(args.preset);
      const def = presetDefinition(p.name, {
        year: yearOf(args.year, clock.now()),
        id: args.id,
        branchChatId: args['branch-chat'] ?? config().branchChatId,
        termMeeting: args['term-meeting'],
      });
      if (args.out) {
        await fs.writeFile(args.out, `${JSON.stringify(def, null, 2)}\n`);
        io.out(`已写出活动配置，可编辑后用 campaign load 载入 / definition written: ${args.out}`);
      }
      return save(config().databasePath, def, io);
    },
  }),
  command({
    name: 'load',
    summary: '载入或更新活动配置 / load or update a campaign definition',
    positionals: [{ name: 'file', label: '文件.json' }],
    run: async (args, { io, config }) => save(config().databasePath, await loadCampaignFile(args.file), io),
  }),
  command({
    name: 'list',
    summary: '列出活动 / list campaigns',
    run: async (_args, { io, config }) => {
      const db = openDatabase(config().databasePath);
      try {
        const all = await new CampaignRepo(db).all();
        if (!all.length) io.out('还没有活动 / no campaigns yet');
        for (const c of all) io.out(`${c.def.id}\t${c.def.name}\t${c.def.window.start} ~ ${c.def.window.end}${c.def.preset ? `\t预设 ${c.def.preset}` : ''}`);
        return 0;
      } finally {
        db.$client.close();
      }
    },
  }),
]);
