import fs from 'node:fs';
import path from 'node:path';
import { CliError, command } from '../cli/command.js';
import { openDatabase } from '../db/index.js';
import { CampaignRepo, PeopleRepo } from '../db/repos.js';
import { currentCampaign } from '../features/deps.js';
import { ExportAuditRepo } from './audit.js';
import { checkRange, describeRequest, ExportRequestError, parseDay, produceExport, rowCountsText, teacherNamed, type ExportRequest } from './request.js';

/** `zoufang export …`: the same workbook as /导出, written on the server, with no size limit. */

function day(option: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const d = parseDay(text);
  if (!d) throw new ExportRequestError(`${option} 应为日期，例如 2026-11-01 / ${option} must be a date: ${text}`);
  return d;
}

/** The request's own refusals (a bad date, an unknown teacher) are the operator's to fix: exit 64. */
async function asUsage<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw e instanceof ExportRequestError ? new CliError(e.message) : e;
  }
}

export const exportCommand = command({
  name: 'export',
  summary: '导出存档工作簿（附件一至六、汇总）；--district 为区县汇总 / export the archive; --district: the district roll-up',
  options: {
    district: { type: 'boolean', help: '区县汇总：各校、各部门的计数，不含个人信息 / counts per school and department, no one named' },
    campaign: {
      type: 'string',
      value: 'ID',
      help: '活动编号，默认当前活动（区县汇总默认全部）/ the campaign (default: the current one; every one for --district)',
    },
    from: { type: 'string', value: 'YYYY-MM-DD', help: '从这一天起 / from this day' },
    to: { type: 'string', value: 'YYYY-MM-DD', help: '到这一天止 / to this day' },
    teacher: { type: 'string', value: '姓名', help: "只导出这位教师的记录 / only this teacher's records" },
    out: {
      type: 'string',
      value: '文件.xlsx',
      required: true,
      help: '写到这个工作簿，有照片时另写 文件.photos.zip / the workbook; photos go to 文件.photos.zip',
    },
  },
  run: async (args, { io, clock, config }) => {
    const { databasePath, photoDir } = config();
    const now = clock.now();
    const { from, to } = await asUsage(() => {
      if (!/\.xlsx$/i.test(args.out)) throw new ExportRequestError(`--out 应为 .xlsx 文件 / --out must name an .xlsx file: ${args.out}`);
      if (!fs.existsSync(path.dirname(path.resolve(args.out)))) throw new ExportRequestError(`目录不存在 / no such directory: ${path.dirname(args.out)}`);
      if (args.district && args.teacher) throw new ExportRequestError('区县汇总只含计数，不能按教师导出 / --district takes no --teacher');
      const range = { from: day('--from', args.from), to: day('--to', args.to) };
      checkRange(range.from, range.to);
      return range;
    });

    const db = openDatabase(databasePath);
    try {
      const request: ExportRequest = await asUsage(async () => {
        const all = await new CampaignRepo(db).all();
        const named = args.campaign ? all.find((c) => c.def.id === args.campaign) : undefined;
        if (args.campaign && !named) {
          throw new ExportRequestError(`没有 id 为 ${args.campaign} 的活动。已有 / existing: ${all.map((c) => c.def.id).join(', ') || '（无）'}`);
        }
        const campaigns = named ? [named] : args.district ? all : [currentCampaign(all, now)].filter((c) => c !== undefined);
        if (!campaigns.length) throw new ExportRequestError('还没有活动，请先运行 zoufang campaign init / no campaign yet');
        const teacher = args.teacher ? await teacherNamed(new PeopleRepo(db), args.teacher) : undefined;
        return { kind: args.district ? 'district' : 'school', campaigns, from, to, teacher };
      });

      const audits = new ExportAuditRepo(db);
      const audit = await audits.start({
        actorId: null,
        channel: 'cli',
        kind: request.kind,
        campaignId: request.campaigns.length === 1 ? request.campaigns[0]!.def.id : null,
        fromOn: from,
        toOn: to,
        teacherId: request.teacher?.id,
        at: now,
      });
      try {
        const out = path.resolve(args.out);
        const produced = await produceExport(db, request, { workbookFile: out, photoDir, now });
        const files = produced.files.map((f) => ({ name: path.basename(f.path), bytes: f.bytes }));
        await audits.finish(audit.id, { outcome: 'done', rowCounts: produced.rowCounts, files, at: clock.now() });
        io.out(`已导出 / exported: ${describeRequest(request)}`);
        for (const f of produced.files) io.out(`  ${f.path}（${(f.bytes / 1024).toFixed(0)} KB）`);
        io.out(`  ${rowCountsText(produced.rowCounts)}`);
        if (produced.photos) io.out(`  照片 ${produced.photos} 张，按教师和记录分文件夹；表中“照片”一列写明所在文件夹 / photos by teacher and record`);
        if (produced.missingPhotos)
          io.err(
            `注意：有 ${produced.missingPhotos} 张照片在 ${photoDir} 中找不到（恢复备份时未恢复 photos/？）/ ${produced.missingPhotos} photo(s) missing on disk`,
          );
        return 0;
      } catch (e) {
        await audits.finish(audit.id, { outcome: 'failed', error: e instanceof Error ? e.message : String(e), at: clock.now() });
        throw new CliError(`导出失败 / export failed: ${e instanceof Error ? e.message : String(e)}`, 1);
      }
    } finally {
      db.$client.close();
    }
  },
});
