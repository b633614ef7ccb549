import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { openDatabase } from '../db/index.js';
import { CampaignRepo, PeopleRepo } from '../db/repos.js';
import { currentCampaign } from '../features/deps.js';
import { consoleIo, type Io } from '../ops/io.js';
import { ExportAuditRepo } from './audit.js';
import {
  checkRange,
  describeRequest,
  ExportRequestError,
  parseDay,
  produceExport,
  rowCountsText,
  teacherNamed,
  type ExportRequest,
} from './request.js';

/** `zoufang export …`: the same workbook as /导出, written on the server, with no size limit. */

export const EXPORT_USAGE = `  export [--campaign ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--teacher 姓名] --out 文件.xlsx
                                   导出存档工作簿（附件一至六、汇总），有照片时另写 文件.photos.zip / export the archive
  export --district [--campaign ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] --out 文件.xlsx
                                   区县汇总：各校、各部门的计数，不含个人信息 / counts-only roll-up for the district`;

const VALUE_OPTIONS = ['--campaign', '--from', '--to', '--teacher', '--out'] as const;
type Options = Partial<Record<(typeof VALUE_OPTIONS)[number], string>> & { district: boolean };

function parseOptions(args: string[]): Options {
  const o: Options = { district: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--district') o.district = true;
    else if ((VALUE_OPTIONS as readonly string[]).includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new ExportRequestError(`${a} 需要一个值 / ${a} needs a value`);
      o[a as (typeof VALUE_OPTIONS)[number]] = v;
    } else throw new ExportRequestError(`不认识的参数 ${a} / unknown option ${a}\n用法 / usage:\n${EXPORT_USAGE}`);
  }
  return o;
}

function day(option: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const d = parseDay(text);
  if (!d) throw new ExportRequestError(`${option} 应为日期，例如 2026-11-01 / ${option} must be a date: ${text}`);
  return d;
}

export interface ExportCommandOptions {
  io?: Io;
  now?: Date;
}

export async function exportCommand(config: Config, args: string[], o: ExportCommandOptions = {}): Promise<number> {
  const io = o.io ?? consoleIo;
  const now = o.now ?? systemClock.now();
  let opts: Options;
  let from: string | undefined;
  let to: string | undefined;
  try {
    opts = parseOptions(args);
    if (!opts['--out']) throw new ExportRequestError(`缺少 --out 文件.xlsx / missing --out\n用法 / usage:\n${EXPORT_USAGE}`);
    if (!/\.xlsx$/i.test(opts['--out'])) throw new ExportRequestError(`--out 应为 .xlsx 文件 / --out must name an .xlsx file: ${opts['--out']}`);
    if (!fs.existsSync(path.dirname(path.resolve(opts['--out'])))) throw new ExportRequestError(`目录不存在 / no such directory: ${path.dirname(opts['--out'])}`);
    if (opts.district && opts['--teacher']) throw new ExportRequestError('区县汇总只含计数，不能按教师导出 / --district takes no --teacher');
    from = day('--from', opts['--from']);
    to = day('--to', opts['--to']);
    checkRange(from, to);
  } catch (e) {
    if (!(e instanceof ExportRequestError)) throw e;
    io.err(e.message);
    return 64;
  }

  const db = openDatabase(config.databasePath);
  try {
    let request: ExportRequest;
    try {
      const all = await new CampaignRepo(db).all();
      const named = opts['--campaign'] ? all.find((c) => c.def.id === opts['--campaign']) : undefined;
      if (opts['--campaign'] && !named) {
        throw new ExportRequestError(`没有 id 为 ${opts['--campaign']} 的活动。已有 / existing: ${all.map((c) => c.def.id).join(', ') || '（无）'}`);
      }
      const campaigns = named ? [named] : opts.district ? all : [currentCampaign(all, now)].filter((c) => c !== undefined);
      if (!campaigns.length) throw new ExportRequestError('还没有活动，请先运行 zoufang campaign init / no campaign yet');
      const teacher = opts['--teacher'] ? await teacherNamed(new PeopleRepo(db), opts['--teacher']) : undefined;
      request = { kind: opts.district ? 'district' : 'school', campaigns, from, to, teacher };
    } catch (e) {
      if (!(e instanceof ExportRequestError)) throw e;
      io.err(e.message);
      return 64;
    }

    const audits = new ExportAuditRepo(db);
    const audit = await audits.start({
      actorId: null, channel: 'cli', kind: request.kind, campaignId: request.campaigns.length === 1 ? request.campaigns[0]!.def.id : null,
      fromOn: from, toOn: to, teacherId: request.teacher?.id, at: now,
    });
    try {
      const out = path.resolve(opts['--out']!);
      const produced = await produceExport(db, request, { workbookFile: out, photoDir: config.photoDir, now });
      const files = produced.files.map((f) => ({ name: path.basename(f.path), bytes: f.bytes }));
      await audits.finish(audit.id, { outcome: 'done', rowCounts: produced.rowCounts, files, at: systemClock.now() });
      io.out(`已导出 / exported: ${describeRequest(request)}`);
      for (const f of produced.files) io.out(`  ${f.path}（${(f.bytes / 1024).toFixed(0)} KB）`);
      io.out(`  ${rowCountsText(produced.rowCounts)}`);
      if (produced.photos) io.out(`  照片 ${produced.photos} 张，按教师和记录分文件夹；表中“照片”一列写明所在文件夹 / photos by teacher and record`);
      if (produced.missingPhotos) io.err(`注意：有 ${produced.missingPhotos} 张照片在 ${config.photoDir} 中找不到（恢复备份时未恢复 photos/？）/ ${produced.missingPhotos} photo(s) missing on disk`);
      return 0;
    } catch (e) {
      await audits.finish(audit.id, { outcome: 'failed', error: e instanceof Error ? e.message : String(e), at: systemClock.now() });
      io.err(`导出失败 / export failed: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
  } finally {
    db.$client.close();
  }
}
