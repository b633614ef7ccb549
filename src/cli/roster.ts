import { openDatabase } from '../db/index.js';
import { CampaignRepo } from '../db/repos.js';
import { FeishuApi } from '../feishu/api.js';
import { formatImportReport, importRoster } from '../roster/import.js';
import { RosterFileError, kindForName, readRosterFile } from '../roster/read.js';
import { SHEETS, SHEET_KINDS, type SheetKind } from '../roster/sheets.js';
import { rosterStatus } from '../roster/status.js';
import { templateFileName, writeTemplate } from '../roster/template.js';
import { CliError, command, group, type OptionSpec } from './command.js';

/** `zoufang template`, `zoufang import` and `zoufang roster status`: the roster from a terminal. */

const KINDS = SHEET_KINDS.map((k) => `${k} ${SHEETS[k].title}`).join(' | ');
const CAMPAIGN_OPTION = {
  type: 'string',
  value: 'ID',
  help: '活动编号（只有一个活动时可省略）/ the campaign (may be left out when there is one)',
} as const satisfies OptionSpec;

/** The campaign a command is about: the one named, else the only one stored. */
async function pickCampaign(repo: CampaignRepo, id: string | undefined) {
  const all = await repo.all();
  if (id) {
    const c = all.find((x) => x.def.id === id);
    if (!c) throw new CliError(`没有 id 为 ${id} 的活动。已有 / existing: ${all.map((x) => x.def.id).join(', ') || '（无）'}`);
    return c.def;
  }
  if (all.length === 1) return all[0]!.def;
  if (!all.length) throw new CliError('还没有活动，请先运行 zoufang campaign init --preset <名称> / no campaign yet: run campaign init first');
  throw new CliError(`有多个活动，请用 --campaign 指定：${all.map((x) => x.def.id).join(', ')} / several campaigns: choose one with --campaign`);
}

function sheetKind(text: string): SheetKind {
  const k = kindForName(text);
  if (!k) throw new CliError(`未知的名单类型 ${text}（可用：${SHEET_KINDS.map((x) => `${x} ${SHEETS[x].title}`).join('，')}）/ unknown kind`);
  return k;
}

export const templateCommand = command({
  name: 'template',
  summary: '生成带说明的空白名单模板 / write an empty, documented roster template',
  positionals: [{ name: 'kind', label: 'kind|all', help: `${KINDS} | all 全部 / every sheet` }],
  options: { out: { type: 'string', value: '文件.xlsx', help: '写到这个文件，默认按类型命名 / the file to write (named after the kind by default)' } },
  run: async (args, { io }) => {
    const kind = args.kind === 'all' ? 'all' : sheetKind(args.kind);
    const out = args.out ?? templateFileName(kind);
    if (!out.toLowerCase().endsWith('.xlsx')) throw new CliError('模板只能写成 .xlsx 文件 / templates are .xlsx files');
    await writeTemplate(out, kind);
    io.out(`已生成模板 / template written: ${out}（填写后运行 zoufang import ${out}）`);
    return 0;
  },
});

export const importCommand = command({
  name: 'import',
  summary: '导入名单；有任何错误时不做修改 / import a roster; any error changes nothing',
  positionals: [{ name: 'file', label: '文件.xlsx|.csv' }],
  options: {
    campaign: CAMPAIGN_OPTION,
    kind: { type: 'string', value: 'KIND', help: `工作表或 CSV 的名单类型：${KINDS} / what the sheet or CSV holds` },
    'dry-run': { type: 'boolean', help: '只检查，不做修改 / check only, change nothing' },
  },
  run: async (args, { io, clock, config, log }) => {
    const sheets = await readRosterFile(args.file, args.kind === undefined ? undefined : sheetKind(args.kind)).catch((e: Error) => {
      throw e instanceof RosterFileError ? new CliError(e.message) : e;
    });
    const { databasePath, lark } = config();
    const db = openDatabase(databasePath);
    try {
      const campaign = await pickCampaign(new CampaignRepo(db), args.campaign);
      const api = lark ? new FeishuApi({ ...lark, logger: log() }) : undefined;
      const dryRun = args['dry-run'];
      const report = await importRoster(sheets, { db, campaign, now: clock.now(), dryRun, lookup: api && ((q) => api.openIdsByContact(q)) });
      const text = formatImportReport(report, args.file, dryRun);
      if (report.problems.length) {
        io.err(text);
        return 65; // EX_DATAERR: the file, not the command, needs fixing
      }
      io.out(text);
      return 0;
    } finally {
      db.$client.close();
    }
  },
});

export const rosterCommand = group('roster', '名单 / the roster', [
  command({
    name: 'status',
    summary: '名单与分配情况：未分配的宿舍、责任区，未认满的老师 / what is still unassigned',
    options: { campaign: CAMPAIGN_OPTION },
    run: async (args, { io, config }) => {
      const db = openDatabase(config().databasePath);
      try {
        const campaign = await pickCampaign(new CampaignRepo(db), args.campaign);
        io.out((await rosterStatus(db, campaign)).join('\n'));
        return 0;
      } finally {
        db.$client.close();
      }
    },
  }),
]);
