import { z } from 'zod';
import type { ActiveCampaign } from '../../db/repos.js';
import type { Person, RecordRow, Zone } from '../../db/schema.js';
import { mayNudge } from '../../domain/reminders.js';
import { formatDue, localDate } from '../../domain/time.js';
import { localLabel, missedWeeks, weekByNo, weekJustDue, weekOpenForFiling, type ReportWeek } from '../../domain/weeks.js';
import { UserFacingError } from '../../feishu/errors.js';
import { lines, text } from '../../records/fields.js';
import type { RecordRepo } from '../../records/repo.js';
import { ZoneReports, asZoneReport, zoneWeekKey } from '../../records/zone-reports.js';
import { branchChatOf, type WeeklyGap, type WeeklyGaps } from '../deps.js';
import type { Job } from '../../scheduler/job.js';
import { LeaveRepo } from '../../db/leaves.js';
import { dailyTriggers } from '../triggers.js';
import type { RecordContext } from './context.js';
import { formFlow, reminderCard, type FormDeps } from './flow.js';

/**
 * 环境责任区报表 (附件二), filed once a week per zone: pushed to each zone's
 * owner (or, while they are away, their substitute) at the campaign's push
 * moment, filed and edited from the card, and chased after it falls due.
 */

/** The paper form's fields, in its order; the input names are the stored keys. */
export const ZONE_REPORT_FIELDS = [
  text('overall_state', '环境责任区总体情况', 'Overall state', { required: true, multiline: true, hint: '卫生、秩序、设施等总体情况' }),
  text('student_talks', '与学生谈话情况', 'Talks with students', { required: true, multiline: true, hint: '和哪些学生谈了什么' }),
  text('problems', '存在问题', 'Problems found', { multiline: true, rows: 2, hint: '没有可留空；每行一条，提交后列入台账跟进' }),
  text('remarks', '备注', 'Remarks', { multiline: true, rows: 2 }),
];

const zoneRef = z.object({ campaignId: z.string(), zoneId: z.number().int().positive(), weekNo: z.number().int().positive() });
type ZoneRef = z.infer<typeof zoneRef>;

const zoneLine = (zone: Zone, owner: Person) => `${zone.name}${zone.linkedClass ? ` · 联系班级 ${zone.linkedClass}` : ''} · ${owner.name}`;

export function zoneReportForm(deps: FormDeps, records: RecordRepo, ctx: RecordContext) {
  const zones = new ZoneReports(deps.db);
  const leaves = new LeaveRepo(deps.db);
  const gone = () => new UserFacingError('这张卡片对应的报表已不存在，请输入 /进度 重新打开。');

  const flow = formFlow(deps, records, {
    at: import.meta.url,
    form: 'zone-report',
    ref: zoneRef,
    async view(ref: ZoneRef, person, stored) {
      const campaign = await deps.campaigns.get(ref.campaignId);
      const zw = await zones.zone(ref.zoneId);
      const week = campaign ? weekByNo(campaign.def, stored ? asZoneReport(stored).weekNo : ref.weekNo) : undefined;
      if (!campaign || !zw?.owner || zw.zone.campaignId !== campaign.row.id || !week) throw gone();
      const { zone, owner } = zw;
      if (!(await ctx.filesFor(person, [owner], { first: week.firstDay, last: week.lastDay })))
        throw new UserFacingError(`这是 ${owner.name} 老师负责的责任区（${zone.name}），只有负责人（或请假期间的代班老师）可以填写。`);
      const tz = campaign.def.timezone;
      if (week.start > deps.clock.now()) throw new UserFacingError(`${localLabel(week, tz)}还没有开始，暂时不能填写。`);
      return {
        campaign,
        subject: { type: 'zone', id: zone.id },
        periodKey: zoneWeekKey(week.weekNo),
        title: `环境责任区报表 · ${localLabel(week, tz)}`,
        subtitle: `${zoneLine(zone, owner)} / Weekly zone report`,
        fields: ZONE_REPORT_FIELDS,
        prefill: {},
        dueAt: week.dueAt,
        context: [],
        issueHeading: `${zone.name}（第${week.weekNo}周）`,
        ref: { campaignId: campaign.row.id, zoneId: zone.id, weekNo: week.weekNo },
      };
    },
    refOf: (r: RecordRow) => ({ campaignId: r.campaignId, zoneId: r.subjectId, weekNo: asZoneReport(r).weekNo }),
    issues: (data, view) => lines(data.problems).map((p) => ({ raisedBy: 'teacher' as const, category: 'zone', text: `${view.issueHeading}：${p}` })),
  });

  /** Who gets an owner's card on a day: the owner, or their substitute while they are away. */
  async function recipient(owner: Person | null, at: Date, tz: string): Promise<Person | null> {
    return owner && leaves.recipientOf(owner, localDate(at, tz));
  }

  function reminder(def: ActiveCampaign['def'], zone: Zone, owner: Person, week: ReportWeek) {
    const tz = def.timezone;
    return reminderCard({
      title: `环境责任区报表提醒 · ${localLabel(week, tz)}`,
      subtitle: `${zoneLine(zone, owner)} / Zone report reminder`,
      message: `${owner.name}老师，你好！**${localLabel(week, tz)}**的环境责任区报表还没有提交（${formatDue(week.dueAt, tz)} 截止）。点下面的按钮就能补上，谢谢！`,
      openValue: flow.openValue({ campaignId: def.id, zoneId: zone.id, weekNo: week.weekNo }),
      overdue: true,
    });
  }

  /**
   * Each campaign with zone reports on, whose week `pick` chooses at `now`, with
   * its owned zones and those that have filed that week: what both weekly jobs walk.
   */
  async function* zoneWeeks(now: Date, pick: (def: ActiveCampaign['def'], now: Date) => ReportWeek | undefined) {
    for (const campaign of await deps.campaigns.all()) {
      if (!campaign.def.zoneReport.enabled || !mayNudge(campaign.def, now)) continue;
      const week = pick(campaign.def, now);
      if (!week) continue;
      const owned = await zones.zonesOf(campaign.row.id);
      const filed = await zones.filedZoneIds(
        owned.map((z) => z.zone.id),
        week.weekNo,
      );
      yield { campaign, week, owned, filed };
    }
  }

  const pushJob: Job = {
    name: 'zone-report-push',
    description: '每周推送环境责任区报表卡片 / push the weekly zone-report card to each owner',
    // Daily: a holiday Friday's card goes out on the working day before it.
    triggers: () => dailyTriggers(deps.campaigns, (c) => c.zoneReport.pushAt.time),
    async run(now) {
      let queued = 0;
      for await (const { campaign, week, owned, filed } of zoneWeeks(now, weekOpenForFiling)) {
        for (const { zone, owner } of owned) {
          const to = await recipient(owner, now, campaign.def.timezone);
          if (!owner || !to?.openId || filed.has(zone.id)) continue;
          queued += await deps.send({
            dedupeKey: `zone-report.push:${campaign.row.id}:w${week.weekNo}:z${zone.id}`,
            to: { openId: to.openId },
            purpose: 'zone-report.push',
            card: await flow.blankCard({ campaignId: campaign.row.id, zoneId: zone.id, weekNo: week.weekNo }, to),
          });
        }
      }
      return { queued };
    },
  };

  const overdueJob: Job = {
    name: 'zone-report-overdue',
    description: '截止后提醒未交者并在党支部群通报 / remind owners who missed the deadline and tell the branch group',
    triggers: () => dailyTriggers(deps.campaigns, (c) => c.zoneReport.dueAt.time),
    async run(now) {
      let queued = 0;
      for await (const { campaign, week, owned, filed } of zoneWeeks(now, weekJustDue)) {
        const missing = owned.filter((z) => z.owner && !filed.has(z.zone.id));
        for (const { zone, owner } of missing) {
          const to = await recipient(owner, now, campaign.def.timezone);
          if (!to?.openId) continue;
          queued += await deps.send({
            dedupeKey: `zone-report.overdue:${campaign.row.id}:w${week.weekNo}:z${zone.id}`,
            to: { openId: to.openId },
            purpose: 'zone-report.overdue',
            card: reminder(campaign.def, zone, owner!, week),
          });
        }
        const chatId = branchChatOf(deps, campaign);
        if (chatId) {
          queued += await deps.send({
            dedupeKey: `zone-report.overdue-group:${campaign.row.id}:w${week.weekNo}`,
            to: { chatId },
            purpose: 'zone-report.overdue-group',
            text: overdueGroupText(
              campaign,
              localLabel(week, campaign.def.timezone),
              owned.length,
              missing.map((m) => m.owner!.name),
            ),
          });
        }
      }
      return { queued };
    },
  };

  /** Every zone's reports past their deadline and not filed this term, as one gap per zone. */
  const gaps: WeeklyGaps = async (campaign, now) => {
    const { def } = campaign;
    if (!def.zoneReport.enabled) return [];
    const owned = (await zones.zonesOf(campaign.row.id)).filter((z) => z.owner);
    const reports = await zones.reportsFor(owned.map((z) => z.zone.id));
    const out: WeeklyGap[] = [];
    for (const { zone, owner } of owned) {
      const missed = missedWeeks(def, new Set(reports.filter((r) => r.zoneId === zone.id).map((r) => r.weekNo)), now);
      if (!missed.length) continue;
      const to = await recipient(owner, now, def.timezone);
      if (!to) continue;
      const latest = missed.at(-1)!;
      out.push({
        person: to,
        key: `zone:z${zone.id}:w${latest.weekNo}`,
        line: `环境责任区报表（${zone.name}）未交 ${missed.length} 周：${missed.map((w) => `第${w.weekNo}周`).join('、')}${to.id === owner!.id ? '' : `（代 ${owner!.name}）`}`,
        card: reminder(def, zone, owner!, latest),
      });
    }
    return out;
  };

  return { flow, jobs: [pushJob, overdueJob], gaps };
}

/** Group messages carry teachers' names and counts only, never anything about a student. */
export function overdueGroupText(campaign: ActiveCampaign, weekLabel: string, total: number, names: string[]): string {
  const done = total - names.length;
  if (!names.length) return `【环境责任区报表】${weekLabel}：${total} 个责任区已全部按时提交，谢谢各位老师！`;
  const who = campaign.def.privacy.overdueInGroup === 'names' ? `：${names.join('、')}` : '';
  return `【环境责任区报表】${weekLabel}已截止：已提交 ${done}/${total}，还有 ${names.length} 位老师未提交${who}。已分别私信提醒，请尽快补交。`;
}
