import { and, eq, inArray } from 'drizzle-orm';
import type { Routes } from '../../bot/router.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { records } from '../../db/schema.js';
import { campaignDigest, zoneReportDigest, type CampaignDigest, type DigestKind, type WeekCompletion } from '../../domain/digest.js';
import { inSessionDuring } from '../../domain/calendar.js';
import { ledgerDigestCounts } from '../../domain/ledger.js';
import { ONCE_TASK_NAMES } from '../../domain/obligations.js';
import { addDays, minDate, mondayOf, monthsOf, nearestWorkingDay, phasePeriods, type Period } from '../../domain/periods.js';
import { mayNudge } from '../../domain/reminders.js';
import { dayjs, formatLocal, localDate, localMidnight } from '../../domain/time.js';
import { latestWeekPast, localLabel, momentInFollowingWeek, reportWeeks } from '../../domain/weeks.js';
import { oneLine, renderCard, shortName } from '../../feishu/card-templates.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import { branchChatOf } from '../deps.js';
import type { Job } from '../../scheduler/job.js';
import { LedgerRepo } from '../ledger/repo.js';
import { ScheduleFacts } from '../reminders/facts.js';
import { dailyTriggers } from '../triggers.js';
import { ZoneReports } from '../../records/zone-reports.js';
import { defineFeature } from '../feature.js';

/**
 * Digests to the branch group: every week (default Monday 09:00, about the
 * week before), every month, and at the end of each phase. Completion of the
 * zone reports and dorm checks, visits against quota, coverage of the target
 * groups, the once-per-term forms, the ledger, highlights and who is behind —
 * teachers' names and counts only, never anything about a student.
 */

const KIND_TITLES: Record<DigestKind, string> = { weekly: '党支部周报', monthly: '党支部月报', phase: '阶段小结' };
/** A campaign's name comes from its file, unbounded; the subtitle shows its start. */
const CAMPAIGN_NAME_SHOWN = 40;
const pct = (n: number, d: number) => (d ? Math.round((n / d) * 100) : 0);

export const digestFeature = defineFeature({ name: 'digest', at: import.meta.url }, (deps) => {
  const zoneReports = new ZoneReports(deps.db);
  const facts = new ScheduleFacts(deps.db);
  const ledger = new LedgerRepo(deps.db);

  /** Dorm checks filed in the period, against dorms with a caring teacher × weeks begun in it. */
  async function dormChecks(c: ActiveCampaign, p: Period, dormsCared: number) {
    if (!c.def.tasks.dormCheck.enabled) return undefined;
    const mondays: string[] = [];
    for (let d = dayjs(p.start).subtract((dayjs(p.start).day() + 6) % 7, 'day'); d.format('YYYY-MM-DD') <= p.end; d = d.add(7, 'day')) {
      if (d.format('YYYY-MM-DD') >= addDays(p.start, -6)) mondays.push(d.format('YYYY-MM-DD'));
    }
    const checked = deps.db
      .select({ id: records.id })
      .from(records)
      .where(and(eq(records.campaignId, c.row.id), eq(records.form, 'dorm-check'), inArray(records.periodKey, mondays.map((m) => `wk-${m}`))))
      .all().length;
    return { checked, expected: dormsCared * mondays.length };
  }

  /** Zone-report completion over the report weeks that end inside the period. */
  async function zoneCompletion(c: ActiveCampaign, p: Period, asOf: Date) {
    if (!c.def.zoneReport.enabled) return undefined;
    const weeks = reportWeeks(c.def);
    const inPeriod = weeks.filter((w) => w.lastDay >= p.start && w.firstDay <= p.end && w.dueAt <= asOf);
    const last = inPeriod.at(-1);
    if (!last) return undefined;
    const zones = await zoneReports.zonesOf(c.row.id);
    const reports = await zoneReports.reportsFor(zones.map((z) => z.zone.id));
    const d = zoneReportDigest(weeks, last, zones.map((z) => ({ zoneId: z.zone.id, ownerName: z.owner?.name ?? null })), reports);
    const history = d.history.filter((h) => inPeriod.some((w) => w.weekNo === h.weekNo));
    return { ...d, history };
  }

  async function build(c: ActiveCampaign, kind: DigestKind, period: Period, label: string, now: Date) {
    const { def } = c;
    const asOf = minDate(localDate(now, def.timezone), addDays(def.window.end, 1));
    const f = await facts.load(c);
    const from = localMidnight(period.start, def.timezone).toDate();
    const to = localMidnight(addDays(period.end, 1), def.timezone).toDate();
    const digest = campaignDigest({
      def, kind, period, asOf, facts: f, targets: await facts.targets(c.row.id),
      dormChecks: await dormChecks(c, period, f.dorms.length),
      ledger: def.tasks.ledger.enabled ? ledgerDigestCounts(await ledger.ofCampaign(c.row.id), from, to, def.timezone) : undefined,
    });
    return digestCard(c, digest, label, await zoneCompletion(c, period, now), now);
  }

  /** The periods whose digest is due at `now`: the week, month and phase that most recently ended. */
  function duePeriods(c: ActiveCampaign, now: Date): Array<{ kind: DigestKind; period: Period; label: string; key: string }> {
    const { def } = c;
    const out: Array<{ kind: DigestKind; period: Period; label: string; key: string }> = [];
    const week = latestWeekPast(reportWeeks(def), now, (w) => momentInFollowingWeek(def, w, def.digest.weeklyAt));
    // A week wholly in the vacation between terms has no pace to report.
    if (week && inSessionDuring(def, { start: week.firstDay, end: week.lastDay })) out.push({ kind: 'weekly', period: { key: `w${week.weekNo}`, label: localLabel(week, def.timezone), start: week.firstDay, end: week.lastDay }, label: localLabel(week, def.timezone), key: `w${week.weekNo}` });
    // A month's or phase's digest goes out on the first working day after it, at the weekly digest's time.
    const after = (p: Period) => {
      const day = nearestWorkingDay(def, addDays(p.end, 1), 1, addDays(p.end, 30)) ?? addDays(p.end, 1);
      return dayjs.tz(`${day} ${def.digest.weeklyAt.time}`, 'YYYY-MM-DD HH:mm', def.timezone).toDate();
    };
    const latest = (ps: Period[]) => [...ps].reverse().find((p) => after(p) <= now && now < dayjs(after(p)).add(28, 'day').toDate());
    const month = latest(monthsOf(def));
    if (month) out.push({ kind: 'monthly', period: month, label: `${dayjs(month.start).format('YYYY年M月')}`, key: month.key });
    const phase = latest(phasePeriods(def));
    if (phase) out.push({ kind: 'phase', period: phase, label: `「${phase.label}」阶段（${dayjs(phase.start).format('M/D')}–${dayjs(phase.end).format('M/D')}）`, key: phase.key });
    return out;
  }

  const digestJob: Job = {
    name: 'digest',
    description: '向党支部群发送周报、月报和阶段小结（含图表）；手动运行时重发 / weekly, monthly and phase digests to the branch group',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.digest.weeklyAt.time),
    async run(now, opts) {
      const messages: OutboundMessage[] = [];
      for (const c of await deps.campaigns.all()) {
        const chatId = branchChatOf(deps, c);
        if (!chatId || (!opts?.onDemand && !mayNudge(c.def, now))) continue;
        for (const d of duePeriods(c, now)) {
          messages.push({
            // One digest per period: submissions after it do not re-send it. On demand it is sent again, fresh.
            dedupeKey: `digest.${d.kind}:${c.row.id}:${d.key}${opts?.onDemand ? `:again:${Date.now()}` : ''}`,
            to: { chatId },
            purpose: `digest.${d.kind}`,
            card: await build(c, d.kind, d.period, d.label, now),
          });
        }
      }
      return { queued: await deps.send(messages) };
    },
  };

  function register(router: Routes) {
    router.command({
      names: ['/汇总', '/summary'],
      summary: '立即私下查看本周（或上周）汇总 / the digest, privately, now',
      adminOnly: true,
      needs: 'campaign',
      async handler(ctx) {
        const now = deps.clock.now();
        const c = ctx.campaign;
        const today = localDate(now, c.def.timezone);
        if (today < c.def.window.start) return ctx.reply({ text: '目前还没有可以汇总的活动。/ Nothing to summarise yet.' });
        // This week so far, Monday to today; or, asked for 上周, last week whole.
        const lastWeek = /^(上周|last\s*week)$/i.test(ctx.args);
        if (ctx.args && !lastWeek) return ctx.reply({ text: '用法：/汇总 看本周至今，/汇总 上周 看上一周。\nUsage: /summary, or /summary last week.' });
        const thisMonday = mondayOf(today);
        const monday = lastWeek ? addDays(thisMonday, -7) : thisMonday;
        const end = lastWeek ? addDays(thisMonday, -1) : today;
        if (end < c.def.window.start) return ctx.reply({ text: '上一周活动还没有开始。/ The campaign had not started last week.' });
        const period = { key: 'now', label: lastWeek ? '上周' : '本周', start: monday < c.def.window.start ? c.def.window.start : monday, end };
        const label = `${lastWeek ? '上周' : '本周至今'}（${dayjs(period.start).format('M/D')}–${dayjs(end).format('M/D')}）`;
        await ctx.reply({ card: await build(c, 'weekly', period, label, now) });
      },
    });
  }

  return { register, jobs: [digestJob] };
});

export function digestCard(c: ActiveCampaign, d: CampaignDigest, label: string, zone: ReturnType<typeof zoneReportDigest> | undefined, now: Date) {
  const { def } = c;
  const names = def.privacy.overdueInGroup === 'names';
  const period = d.kind === 'weekly' ? '本周' : d.kind === 'monthly' ? '本月' : '本阶段';
  const blocks: string[] = [];
  const chart: Array<{ item: string; percent: number }> = [];

  if (zone) {
    const sum = (k: keyof WeekCompletion) => zone.history.reduce((n, h) => n + (h[k] as number), 0);
    const [onTime, late, missing] = [sum('onTime'), sum('late'), sum('missing')];
    const lines = [
      d.kind === 'weekly'
        ? `**环境责任区报表**：已提交 **${zone.week.onTime + zone.week.late}/${zone.total}**（按时 ${zone.week.onTime}，补交 ${zone.week.late}）`
        : `**环境责任区报表**：${zone.history.length} 周共应交 ${onTime + late + missing} 份，按时 ${onTime}，补交 ${late}，未交 ${missing}`,
    ];
    if (d.kind === 'weekly') lines.push(zone.week.missing ? `未提交 ${zone.week.missing} 人${names ? `：${zone.missingOwners.map(shortName).join('、')}` : ''}` : '全部已提交 👍');
    blocks.push(lines.join('\n'));
    chart.push({ item: '责任区报表', percent: pct(onTime + late, onTime + late + missing) });
  }
  if (d.dormChecks) {
    blocks.push(`**宿舍关爱检查**：${period}已检查 **${d.dormChecks.checked}/${d.dormChecks.expected}** 间次`);
    chart.push({ item: '宿舍检查', percent: pct(d.dormChecks.checked, d.dormChecks.expected) });
  }
  const visitLines = def.tasks.visits.enabled ? [`**走访**：${period}共 **${d.visits}** 次，${d.visitors} 位老师参与`] : [];
  if (d.claimed) {
    visitLines.push(`- 认领对象：已走访 **${d.claimed.visited}/${d.claimed.required}** 位（${pct(d.claimed.visited, d.claimed.required)}%），${d.claimed.people} 位党员教师中进度落后 ${d.claimed.behind} 人`);
    chart.push({ item: '认领对象走访', percent: pct(d.claimed.visited, d.claimed.required) });
  }
  for (const q of d.quotas) {
    const per = q.period === 'month' ? '每月' : q.period === 'week' ? '每周' : '每学期';
    const counted = q.people - q.excused;
    visitLines.push(`- ${q.name}（每人${per}至少 ${q.min} 次）：${period} ${q.visits} 次；当期已达标 ${q.met}/${counted} 人，落后 ${q.behind} 人${q.excused ? `，请假 ${q.excused} 人` : ''}`);
    chart.push({ item: q.name, percent: pct(q.met, counted) });
  }
  if (visitLines.length) blocks.push(visitLines.join('\n'));
  if (d.coverage.length) {
    blocks.push(['**覆盖情况**', ...d.coverage.map((cv) => `- ${cv.name}：${cv.covered}/${cv.total} ${cv.unit}（${pct(cv.covered, cv.total)}%，截至 ${dayjs(cv.dueOn).format('M/D')}）`)].join('\n'));
    for (const cv of d.coverage) chart.push({ item: cv.name, percent: pct(cv.covered, cv.total) });
  }
  const once = d.once.filter((o) => o.total);
  if (once.length) {
    blocks.push(['**期末上交材料**', ...once.map((o) => `- ${ONCE_TASK_NAMES[o.task]}：已交 ${o.done}/${o.total}${o.overdue ? `，逾期 ${o.overdue}` : ''}`)].join('\n'));
    for (const o of once) chart.push({ item: ONCE_TASK_NAMES[o.task].replace(/（.*）/, ''), percent: pct(o.done, o.total) });
  }
  if (d.ledger) {
    const l = d.ledger;
    blocks.push(`**走访台账**：${period}新增 ${l.opened} 项，销号 ${l.closed} 项，目前逾期 ${l.overdue} 项${l.medianDaysToClose === null ? '' : `，销号用时中位数 ${l.medianDaysToClose} 天`}`);
  }
  if (d.behind.length) blocks.push(`**进度落后或逾期**：${d.behind.length} 人${names ? `：${d.behind.map(shortName).join('、')}` : ''}（已分别私信提醒）`);

  const highlights = [
    ...(d.highlights.length ? [`🌟 ${period}走访最多：${d.highlights.map((h) => `${shortName(h.name)} ${h.visits} 次`).join('、')}`] : []),
    ...(zone?.perfectOwners.length ? [`🌟 每周按时提交报表：${zone.perfectOwners.map(shortName).join('、')}`] : []),
  ];
  const filed = zone ? zone.week.onTime + zone.week.late : 0;
  return renderCard('digest', {
    summary: `${KIND_TITLES[d.kind]} ${label}${zone && d.kind === 'weekly' ? `：报表已提交 ${filed}/${zone.total}` : `：走访 ${d.visits} 次`}`,
    title: `${KIND_TITLES[d.kind]} · ${label}`,
    subtitle: `${oneLine(def.name, CAMPAIGN_NAME_SHOWN)} / ${d.kind === 'weekly' ? 'Weekly' : d.kind === 'monthly' ? 'Monthly' : 'Phase'} digest`,
    headerColor: d.behind.length || (zone && zone.week.missing) ? 'orange' : 'green',
    blocks: blocks.map((content) => ({ tag: 'markdown', content })),
    chart: chart.length
      ? [
          {
            tag: 'chart',
            aspect_ratio: '16:9',
            color_theme: 'brand',
            chart_spec: {
              type: 'bar',
              direction: 'horizontal',
              title: { visible: true, text: '完成进度（%）' },
              data: [{ id: 'progress', values: chart }],
              xField: 'percent',
              yField: 'item',
              axes: [{ orient: 'bottom', min: 0, max: 100 }],
              label: { visible: true },
            },
          },
        ]
      : [],
    highlights: highlights.map((content) => ({ tag: 'markdown', content })),
    footer: `统计截至 ${formatLocal(now, def.timezone)} · 迟交不会重发本期汇总 · 管理员可发送 /汇总 随时查看`,
  });
}
