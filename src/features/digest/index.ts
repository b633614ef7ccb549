import type { Router } from '../../bot/router.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { renderCard } from '../../feishu/card-templates.js';
import { zoneReportDigest, type ZoneReportDigest } from '../../domain/digest.js';
import { formatLocal } from '../../domain/time.js';
import { latestWeekPast, localLabel, momentInFollowingWeek, reportWeeks, type ReportWeek } from '../../domain/weeks.js';
import { branchChatOf, type FeatureDeps, type Job } from '../deps.js';
import { weeklyTriggers } from '../triggers.js';
import type { ZoneReportRepo } from '../zone-report/repo.js';

/**
 * The weekly digest to the branch group: completion of the week's zone
 * reports with a chart of the term so far, highlights and who is behind —
 * teachers' names and counts only, never anything about a student.
 */
export function digestFeature(deps: FeatureDeps, zoneReports: ZoneReportRepo) {
  async function build(campaign: ActiveCampaign, week: ReportWeek, now: Date) {
    const { def } = campaign;
    const zones = await zoneReports.zonesOf(campaign.row.id);
    const reports = await zoneReports.reportsFor(zones.map((z) => z.zone.id));
    const stats = zoneReportDigest(
      reportWeeks(def),
      week,
      zones.map((z) => ({ zoneId: z.zone.id, ownerName: z.owner?.name ?? null })),
      reports,
    );
    return digestCard(campaign, week, stats, now);
  }

  /** The week a digest is about at `now`: the latest week whose digest moment has passed. */
  const digestWeek = (c: ActiveCampaign, now: Date) =>
    latestWeekPast(reportWeeks(c.def), now, (w) => momentInFollowingWeek(c.def, w, c.def.digest.weeklyAt));

  const weeklyDigest: Job = {
    name: 'weekly-digest',
    description: '每周一向党支部群发送周报（含图表）/ weekly digest with a chart to the branch group',
    triggers: () => weeklyTriggers(deps.campaigns, (d) => d.digest.weeklyAt),
    async run(now) {
      let queued = 0;
      for (const campaign of await deps.campaigns.all()) {
        const chatId = branchChatOf(deps, campaign);
        const week = digestWeek(campaign, now);
        if (!chatId || !week) continue;
        queued += await deps.send({
          // One digest per week: submissions after it do not re-send it.
          dedupeKey: `digest.weekly:${campaign.row.id}:w${week.weekNo}`,
          to: { chatId },
          purpose: 'digest.weekly',
          card: await build(campaign, week, now),
        });
      }
      return { queued };
    },
  };

  function register(router: Router) {
    router.command({
      names: ['/汇总', '/summary'],
      summary: '立即私下查看本周汇总 / the digest, privately, now',
      adminOnly: true,
      async handler({ reply }) {
        const now = deps.clock.now();
        let sent = 0;
        for (const campaign of await deps.campaigns.all()) {
          const weeks = reportWeeks(campaign.def).filter((w) => w.pushAt <= now);
          const week = weeks[weeks.length - 1];
          if (!week) continue;
          await reply({ card: await build(campaign, week, now) });
          sent++;
        }
        if (!sent) await reply({ text: '目前还没有可以汇总的报表周。/ Nothing to summarise yet.' });
      },
    });
    router.menu('summary', '/汇总');
  }

  return { register, jobs: [weeklyDigest] };
}

export function digestCard(campaign: ActiveCampaign, week: ReportWeek, s: ZoneReportDigest, now: Date) {
  const { def } = campaign;
  const label = localLabel(week, def.timezone);
  const filed = s.week.onTime + s.week.late;
  const names = def.privacy.overdueInGroup === 'names';
  const zoneLine = [
    `**环境责任区报表**：已提交 **${filed}/${s.total}**（按时 ${s.week.onTime}，补交 ${s.week.late}）`,
    s.week.missing ? `未提交 ${s.week.missing} 人${names ? `：${s.missingOwners.join('、')}` : ''}` : '全部已提交 👍',
  ].join('\n');
  const values = s.history.flatMap((h) => [
    { week: `第${h.weekNo}周`, status: '按时', count: h.onTime },
    { week: `第${h.weekNo}周`, status: '补交', count: h.late },
    { week: `第${h.weekNo}周`, status: '未交', count: h.missing },
  ]);
  return renderCard('weekly-digest', {
    summary: `党支部周报 ${label}：报表已提交 ${filed}/${s.total}`,
    weekLabel: label,
    campaignName: def.name,
    headerColor: s.week.missing ? 'orange' : 'green',
    zoneLine,
    chartSpec: {
      type: 'bar',
      title: { visible: true, text: '环境责任区报表提交情况' },
      data: [{ id: 'completion', values }],
      xField: 'week',
      yField: 'count',
      seriesField: 'status',
      stack: true,
      legends: { visible: true, orient: 'bottom' },
      color: ['#34c724', '#ff8800', '#d9d9d9'],
    },
    highlights: s.perfectOwners.length
      ? [{ tag: 'markdown', content: `🌟 每周按时提交：${s.perfectOwners.join('、')}（共 ${s.history.length} 周）` }]
      : [],
    footer: `统计截至 ${formatLocal(now, def.timezone)} · 迟交不会重发本周报 · 管理员可发送 /汇总 随时查看`,
  });
}
