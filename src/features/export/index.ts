import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CommandContext, Routes } from '../../bot/router.js';
import type { ActiveCampaign } from '../../db/repos.js';
import type { Person } from '../../db/schema.js';
import { errorKind, FeishuApiError, UserFacingError } from '../../feishu/errors.js';
import { ExportAuditRepo } from '../../export/audit.js';
import {
  checkRange,
  describeRequest,
  exportFileName,
  ExportRequestError,
  parseDay,
  parseMonth,
  produceExport,
  rowCountsText,
  teacherNamed,
  type ExportRequest,
  type Produced,
} from '../../export/request.js';
import type { FilePort } from '../deps.js';
import { defineFeature } from '../feature.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * /导出 /export: the branch secretary's archive, produced in the background
 * and sent privately as files through Feishu's file API. Admins only; every
 * export, finished or not, is in the audit log.
 */

const USAGE = [
  '用法 / usage：',
  '/导出 — 本次活动全部记录 / everything',
  '/导出 2026-11-01 2026-11-30 — 某段时间 / a date range（只写一个日期：从那天起 / one date: from that day on）',
  '/导出 2026-11 — 某个月 / one month',
  '/导出 张伟 — 某位教师 / one teacher（可与日期同用 / may be combined with dates）',
  '/导出 区县 — 给区教育局的汇总，只含计数 / the counts-only roll-up for the district office',
].join('\n');

const DISTRICT_WORDS = new Set(['区县', 'district']);
const UPLOAD_ATTEMPTS = 3;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export const exportFeature = defineFeature({ name: 'export', at: import.meta.url }, (deps) => {
  const audits = new ExportAuditRepo(deps.db);
  /** Admins with an export under way: one at a time each, so a double tap makes one. */
  const busy = new Set<number>();

  async function parse(args: string, campaign: ActiveCampaign): Promise<ExportRequest> {
    const all = await deps.campaigns.all();
    const days: string[] = [];
    let district = false;
    let teacher: Person | undefined;
    for (const word of args.split(/\s+/).filter(Boolean)) {
      const d = parseDay(word);
      const month = d ? null : parseMonth(word);
      if (d) days.push(d);
      else if (month) days.push(...month);
      else if (DISTRICT_WORDS.has(word.toLowerCase())) district = true;
      else if (teacher) throw new ExportRequestError(`看不懂“${word}”。\n${USAGE}`);
      else {
        teacher = await teacherNamed(deps.people, word).catch((e: unknown) => {
          throw e instanceof ExportRequestError ? new ExportRequestError(`${e.message}\n${USAGE}`) : e;
        });
      }
    }
    if (days.length > 2) throw new ExportRequestError(`最多写两个日期（开始、结束）。\n${USAGE}`);
    const [from, to] = days;
    checkRange(from, to);
    if (district && teacher) throw new ExportRequestError('区县汇总只含计数，不能按教师导出。/ The district roll-up has no per-teacher view.');
    return district ? { kind: 'district', campaigns: all, from, to } : { kind: 'school', campaigns: [campaign], from, to, teacher };
  }

  async function upload(files: FilePort, file: { path: string; kind: 'workbook' | 'photos' }): Promise<string> {
    const bytes = await fs.readFile(file.path);
    for (let attempt = 1; ; attempt++) {
      try {
        return await files.upload(path.basename(file.path), bytes, file.kind === 'workbook' ? 'xls' : 'stream');
      } catch (e) {
        if (!(e instanceof FeishuApiError) || !e.retryable || attempt >= UPLOAD_ATTEMPTS) throw e;
        await sleep(1000 * attempt);
      }
    }
  }

  /** Produces, uploads and sends the files; returns the closing message. Every outcome is in the audit log. */
  async function produceAndSend(admin: Person & { openId: string }, request: ExportRequest, auditId: number, files: FilePort, photoDir: string, dir: string) {
    const to = { openId: admin.openId };
    // The files and the closing note are what the admin asked for: sent as answers, ahead of bulk, though the
    // command's handler returned before they were made.
    let produced: Produced | undefined;
    try {
      const now = deps.clock.now();
      const workbookFile = path.join(dir, exportFileName(request, now));
      produced = await produceExport(deps.db, request, { workbookFile, photoDir, now });

      const tooBig = produced.files.filter((f) => f.bytes > files.maxBytes);
      const sent: Array<{ name: string; bytes: number }> = [];
      for (const f of produced.files.filter((x) => x.bytes <= files.maxBytes)) {
        const fileKey = await upload(files, f);
        await deps.send({ dedupeKey: `export:${auditId}:${f.kind}`, to, purpose: 'export.file', priority: 'interactive', file: { fileKey } });
        sent.push({ name: path.basename(f.path), bytes: f.bytes });
      }
      await audits.finish(auditId, {
        outcome: tooBig.length ? 'too-large' : 'done',
        rowCounts: produced.rowCounts,
        files: sent,
        error: tooBig.length ? `over the upload limit: ${tooBig.map((f) => `${path.basename(f.path)} ${f.bytes} bytes`).join(', ')}` : undefined,
        at: deps.clock.now(),
      });
      deps.log.info({ auditId, personId: admin.id, kind: request.kind, files: sent.length, withheld: tooBig.length }, 'export sent');
      const lines = [
        sent.length ? `导出完成：${describeRequest(request)}` : `导出未能发送：${describeRequest(request)}`,
        rowCountsText(produced.rowCounts),
        produced.photos && tooBig.every((f) => f.kind !== 'photos')
          ? `照片 ${produced.photos} 张在压缩包中，按教师和记录分文件夹；表中“照片”一列写明所在文件夹。`
          : '',
        produced.missingPhotos ? `注意：有 ${produced.missingPhotos} 张照片在服务器上找不到，未能放入。` : '',
        ...tooBig.map(
          (f) =>
            `${f.kind === 'workbook' ? '工作簿' : '照片压缩包'} ${mb(f.bytes)} MB，超过飞书文件 ${mb(files.maxBytes)} MB 的上限，未能发送。` +
            `请缩小范围（如 /导出 2026-11-01 2026-11-30，或 /导出 教师姓名），或在服务器上运行 zoufang export --out 文件.xlsx（照片包写在工作簿旁边）。`,
        ),
        tooBig.length ? 'The file is over Feishu’s 30 MB limit; narrow the range or use the zoufang export command on the server.' : 'Export ready.',
      ];
      return { key: 'done', text: lines.filter(Boolean).join('\n') };
    } catch (e) {
      const reason = e instanceof FeishuApiError ? `上传到飞书失败（错误码 ${e.code}）` : e instanceof ExportRequestError ? e.message : '生成文件时出错';
      // Messages may name files and folders (a teacher's, a student's): the log keeps the kind of failure only.
      deps.log.error({ auditId, personId: admin.id, error: errorKind(e) }, 'export failed');
      await audits.finish(auditId, {
        outcome: 'failed',
        rowCounts: produced?.rowCounts,
        error: e instanceof Error ? e.message : String(e),
        at: deps.clock.now(),
      });
      return {
        key: 'failed',
        text: `导出失败：${reason}。请稍后再试；如仍失败，可在服务器上运行 zoufang export --out 文件.xlsx。（导出记录 #${auditId}）\nThe export failed; please try again, or run zoufang export on the server.`,
      };
    }
  }

  /** The whole background job: the files, then (with the temporary files gone and the admin free to ask again) the closing message. */
  async function run(admin: Person & { openId: string }, request: ExportRequest, auditId: number, files: FilePort, photoDir: string): Promise<void> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zoufang-export-'));
    let closing: { key: string; text: string };
    try {
      closing = await produceAndSend(admin, request, auditId, files, photoDir, dir);
    } finally {
      // The files hold families' details: they do not stay on the server.
      await fs.rm(dir, { recursive: true, force: true });
      busy.delete(admin.id);
    }
    await deps.send({
      dedupeKey: `export:${auditId}:${closing.key}`,
      to: { openId: admin.openId },
      purpose: 'export.note',
      priority: 'interactive',
      text: closing.text,
    });
  }

  async function handle(c: CommandContext<'campaign', true>): Promise<void> {
    const admin = c.person;
    if (!admin.openId) throw new UserFacingError('你的账号还没有关联飞书，无法私信发送文件。');
    const files = deps.files;
    const photoDir = deps.media?.photoDir;
    if (!files || !photoDir) throw new UserFacingError('这里无法发送文件，请在服务器上运行 zoufang export --out 文件.xlsx。');
    let request: ExportRequest;
    try {
      request = await parse(c.args, c.campaign);
    } catch (e) {
      throw e instanceof ExportRequestError ? new UserFacingError(e.message) : e;
    }
    if (busy.has(admin.id)) throw new UserFacingError('上一次导出还在进行中，完成后会私信发给你。/ Your previous export is still being prepared.');
    busy.add(admin.id);
    const audit = await audits.start({
      actorId: admin.id,
      channel: 'chat',
      kind: request.kind,
      campaignId: request.kind === 'school' ? request.campaigns[0]!.def.id : null,
      fromOn: request.from,
      toOn: request.to,
      teacherId: request.teacher?.id,
      at: deps.clock.now(),
    });
    await c.reply({
      text: `正在准备导出…（${describeRequest(request)}）\n完成后会私信发给你${request.kind === 'school' ? '：工作簿，有照片时另附照片压缩包' : ''}。\nPreparing the export; it will arrive in a direct message.`,
    });
    // The event handler returns now; the workbook is built after it, so other messages are not held up.
    setImmediate(() => {
      run({ ...admin, openId: admin.openId! }, request, audit.id, files, photoDir).catch((e) =>
        deps.log.error({ auditId: audit.id, error: errorKind(e) }, 'export: could not finish'),
      );
    });
  }

  function register(router: Routes) {
    router.command({
      names: ['/导出', '/export'],
      summary:
        '导出存档工作簿（附件一至六、汇总，照片另附压缩包），私信发给你；可加日期范围或教师姓名，如 /导出 2026-11-01 2026-11-30、/导出 张伟；/导出 区县 为只含计数的区县汇总 / export the archive',
      adminOnly: true,
      needs: 'campaign',
      handler: handle,
    });
  }

  return { register };
});
