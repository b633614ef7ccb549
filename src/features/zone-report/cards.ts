import { callbackButton, labelledText, renderCard, textTag } from '../../feishu/card-templates.js';
import type { CampaignDefinition } from '../../domain/campaign.js';
import { formatDeadline, formatLocal } from '../../domain/time.js';
import { localLabel, type ReportWeek } from '../../domain/weeks.js';
import type { Person, Zone, ZoneReport } from '../../db/schema.js';
import { ZONE_REPORT_FIELDS, type ZoneReportFields } from './form.js';

export interface ZoneCardContext {
  def: CampaignDefinition;
  zone: Zone;
  owner: Person;
  week: ReportWeek;
}

const zoneLine = (c: ZoneCardContext) =>
  `${c.zone.name}${c.zone.linkedClass ? ` · 联系班级 ${c.zone.linkedClass}` : ''} · ${c.owner.name}`;

export const actionValue = (action: string, c: ZoneCardContext, extra: Record<string, unknown> = {}) => ({
  action,
  campaignId: c.def.id,
  zoneId: c.zone.id,
  weekNo: c.week.weekNo,
  ...extra,
});

const EMPTY: ZoneReportFields = { overallState: '', studentTalks: '', problems: '', remarks: '' };

export function zoneReportFormCard(
  c: ZoneCardContext,
  opts: { values?: Partial<ZoneReportFields>; baseRevision: number; problems?: string[]; now: Date },
) {
  const v = { ...EMPTY, ...opts.values };
  const tz = c.def.timezone;
  const overdue = opts.now >= c.week.dueAt;
  const editing = opts.baseRevision > 0;
  const intro = editing
    ? `修改第 ${c.week.weekNo} 周的报表，保存后会保留修改记录。`
    : overdue
      ? `这一周的报表已过截止时间（${formatDeadline(c.week.dueAt, tz)}），现在提交会记为**补交**。`
      : `请在 **${formatDeadline(c.week.dueAt, tz)}** 前提交。带 * 的为必填项。`;
  return renderCard('zone-report-form', {
    weekLabel: localLabel(c.week, tz),
    zoneLine: zoneLine(c),
    headerColor: opts.problems?.length ? 'red' : overdue ? 'orange' : 'blue',
    tags: editing ? [textTag('修改中', 'blue')] : overdue ? [textTag('补交', 'orange')] : [],
    intro,
    problems: opts.problems?.length
      ? [{ tag: 'markdown', content: `<font color='red'>请修改后再提交：</font>\n${opts.problems.map((p) => `- ${p}`).join('\n')}` }]
      : [],
    overallState: v.overallState,
    studentTalks: v.studentTalks,
    problemsText: v.problems,
    remarks: v.remarks,
    submitText: editing ? '保存修改 Save' : '提交 Submit',
    submitValue: actionValue('zone-report.submit', c, { baseRevision: opts.baseRevision }),
  });
}

export function zoneReportSubmittedCard(c: ZoneCardContext, report: ZoneReport) {
  const tz = c.def.timezone;
  const tags = [report.late ? textTag('补交', 'orange') : textTag('已提交', 'green')];
  if (report.revision > 1) tags.push(textTag('已修改', 'blue'));
  const values: Record<string, string> = {
    overallState: report.overallState,
    studentTalks: report.studentTalks,
    problems: report.problems,
    remarks: report.remarks,
  };
  const footer = [
    `提交于 ${formatLocal(report.submittedAt, tz)}${report.late ? '（超过截止时间）' : ''}`,
    report.revision > 1 ? `第 ${report.revision} 版，最后修改于 ${formatLocal(report.updatedAt, tz)}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return renderCard('zone-report-submitted', {
    weekLabel: localLabel(c.week, tz),
    zoneLine: zoneLine(c),
    headerColor: report.late ? 'orange' : 'green',
    tags,
    fieldBlocks: ZONE_REPORT_FIELDS.flatMap((f) => labelledText(f.label, values[f.key] ?? '')),
    footer,
    editValue: actionValue('zone-report.edit', c),
  });
}

export function zoneReportReminderCard(c: ZoneCardContext) {
  const tz = c.def.timezone;
  const message = `${c.owner.name}老师，你好！**${localLabel(c.week, tz)}**的环境责任区报表还没有提交（截止 ${formatDeadline(c.week.dueAt, tz)}）。点下面的按钮就能补上，谢谢！`;
  return renderCard('zone-report-reminder', {
    summary: `第${c.week.weekNo}周环境责任区报表还未提交`,
    weekLabel: localLabel(c.week, tz),
    zoneLine: zoneLine(c),
    message,
    openValue: actionValue('zone-report.open', c),
  });
}

export const openWeekButton = (c: ZoneCardContext, label: string) => callbackButton(label, actionValue('zone-report.open', c), 'primary');
