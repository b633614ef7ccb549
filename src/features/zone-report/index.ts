import { z } from 'zod';
import type { Router } from '../../bot/router.js';
import { toast, withCard, type CardReply } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import type { Person } from '../../db/schema.js';
import { UserFacingError } from '../../feishu/errors.js';
import { isLate, localLabel, missedWeeks, weekByNo, weekJustDue, weekOpenForFiling } from '../../domain/weeks.js';
import { localDate } from '../../domain/time.js';
import { branchChatOf, type FeatureDeps, type Job, type WeeklyGap, type WeeklyGaps } from '../deps.js';
import { LeaveRepo } from '../reminders/facts.js';
import { dailyTriggers } from '../triggers.js';
import { mayNudge } from '../../domain/reminders.js';
import { zoneReportFormCard, zoneReportReminderCard, zoneReportSubmittedCard, type ZoneCardContext } from './cards.js';
import { validateZoneReport } from './form.js';
import { lines } from '../../records/fields.js';
import { ZoneReportRepo } from './repo.js';

/**
 * The weekly zone report (附件二): pushed to each zone owner at the campaign's
 * push moment, filed and edited from the card, and chased after it falls due.
 */

const cardRef = z.object({
  campaignId: z.string(),
  zoneId: z.number().int().positive(),
  weekNo: z.number().int().positive(),
});

export function zoneReportFeature(deps: FeatureDeps) {
  const repo = new ZoneReportRepo(deps.db);
  const leaves = new LeaveRepo(deps.db);

  /** Who gets an owner's card on a day: the owner, or their substitute while they are away. */
  async function recipient(owner: Person | null, at: Date, tz: string): Promise<Person | null> {
    if (!owner) return null;
    const id = await leaves.recipientOn(owner.id, localDate(at, tz));
    return id === owner.id ? owner : id ? deps.people.byId(id) : null;
  }

  /** Loads and checks what a card refers to; only the zone's owner may act on it. */
  async function resolve(ref: z.infer<typeof cardRef>, person: Person): Promise<ZoneCardContext> {
    const campaign = await deps.campaigns.get(ref.campaignId);
    const zw = await repo.zone(ref.zoneId);
    const week = campaign ? weekByNo(campaign.def, ref.weekNo) : undefined;
    if (!campaign || !zw || zw.zone.campaignId !== campaign.row.id || !week || !zw.owner)
      throw new UserFacingError('这张卡片对应的报表已不存在，请输入 /进度 重新打开。');
    if (zw.owner.id !== person.id && !(await leaves.standsInFor(person.id, zw.owner.id, week.firstDay, week.lastDay)))
      throw new UserFacingError(`这是 ${zw.owner.name} 老师负责的责任区（${zw.zone.name}），只有负责人（或请假期间的代班老师）可以填写。`);
    if (week.start > deps.clock.now()) throw new UserFacingError(`${localLabel(week, campaign.def.timezone)}还没有开始，暂时不能填写。`);
    return { def: campaign.def, zone: zw.zone, owner: zw.owner, week };
  }

  async function open(ctx: ZoneCardContext): Promise<CardReply> {
    const report = await repo.report(ctx.zone.id, ctx.week.weekNo);
    if (report) return withCard(toast('info', '这一周已经提交过了，可以点“修改”更新。', 'Already submitted; use Edit to change it.'), zoneReportSubmittedCard(ctx, report));
    return withCard({}, zoneReportFormCard(ctx, { baseRevision: 0, now: deps.clock.now() }));
  }

  function register(router: Router) {
    router.action('zone-report.open', cardRef.extend({ action: z.literal('zone-report.open') }), async ({ value, person }) =>
      open(await resolve(value, person!)),
    );

    router.action('zone-report.edit', cardRef.extend({ action: z.literal('zone-report.edit') }), async ({ value, person }) => {
      const ctx = await resolve(value, person!);
      const report = await repo.report(ctx.zone.id, ctx.week.weekNo);
      if (!report) return open(ctx);
      return withCard({}, zoneReportFormCard(ctx, { values: report, baseRevision: report.revision, now: deps.clock.now() }));
    });

    router.action(
      'zone-report.submit',
      cardRef.extend({ action: z.literal('zone-report.submit'), baseRevision: z.number().int().min(0).default(0) }),
      async ({ value, person, form }) => {
        const ctx = await resolve(value, person!);
        const now = deps.clock.now();
        const checked = validateZoneReport(form);
        if (!checked.ok) {
          // The card comes back with what was typed and the problems listed; nothing is lost.
          return withCard(
            toast('error', checked.problems.join('；'), 'Please fix the highlighted fields.'),
            zoneReportFormCard(ctx, { values: checked.typed, baseRevision: value.baseRevision, problems: checked.problems, now }),
          );
        }
        const raised = { campaignId: ctx.def.id, texts: lines(checked.fields.problems).map((p) => `${ctx.zone.name}（第${ctx.week.weekNo}周）：${p}`) };
        const outcome = await repo.save(ctx.zone.id, ctx.week.weekNo, person!.id, checked.fields, now, isLate(ctx.week, now), raised);
        const card = zoneReportSubmittedCard(ctx, outcome.report);
        deps.log.info(
          { zoneId: ctx.zone.id, weekNo: ctx.week.weekNo, outcome: outcome.kind, revision: outcome.report.revision, ledger: outcome.ledger.length },
          'zone report saved',
        );
        if (outcome.kind === 'unchanged') return withCard(toast('info', '内容没有变化，已保存过了。', 'No changes; already saved.'), card);
        if (outcome.ledger.length) await deps.announceLedger?.(outcome.ledger);
        const ledgerNote = outcome.ledger.length ? `已列入台账 ${outcome.ledger.length} 项。` : '';
        if (outcome.kind === 'edited') return withCard(toast('success', `修改已保存，原内容保留在修改记录中。${ledgerNote}`, 'Changes saved; history kept.'), card);
        return withCard(
          outcome.report.late
            ? toast('success', `已补交，谢谢！${ledgerNote}`, 'Submitted (late). Thank you!')
            : toast('success', `提交成功，谢谢！${ledgerNote}`, 'Submitted. Thank you!'),
          card,
        );
      },
    );
  }

  const pushJob: Job = {
    name: 'zone-report-push',
    description: '每周推送环境责任区报表卡片 / push the weekly zone-report card to each owner',
    // Daily: a holiday Friday's card goes out on the working day before it.
    triggers: () => dailyTriggers(deps.campaigns, (c) => c.zoneReport.pushAt.time),
    async run(now) {
      let queued = 0;
      for (const campaign of await deps.campaigns.all()) {
        if (!campaign.def.zoneReport.enabled || !mayNudge(campaign.def, now)) continue;
        const week = weekOpenForFiling(campaign.def, now);
        if (!week) continue;
        const zones = await repo.zonesOf(campaign.row.id);
        const filed = await repo.filedZoneIds(zones.map((z) => z.zone.id), week.weekNo);
        for (const { zone, owner } of zones) {
          const to = await recipient(owner, now, campaign.def.timezone);
          if (!owner || !to?.openId || filed.has(zone.id)) continue;
          queued += await deps.send({
            dedupeKey: `zone-report.push:${campaign.row.id}:w${week.weekNo}:z${zone.id}`,
            to: { openId: to.openId },
            purpose: 'zone-report.push',
            card: zoneReportFormCard({ def: campaign.def, zone, owner, week }, { baseRevision: 0, now }),
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
      for (const campaign of await deps.campaigns.all()) {
        if (!campaign.def.zoneReport.enabled || !mayNudge(campaign.def, now)) continue;
        const week = weekJustDue(campaign.def, now);
        if (!week) continue;
        const zones = await repo.zonesOf(campaign.row.id);
        const filed = await repo.filedZoneIds(zones.map((z) => z.zone.id), week.weekNo);
        const missing = zones.filter((z) => z.owner && !filed.has(z.zone.id));
        for (const { zone, owner } of missing) {
          const to = await recipient(owner, now, campaign.def.timezone);
          if (!to?.openId) continue;
          queued += await deps.send({
            dedupeKey: `zone-report.overdue:${campaign.row.id}:w${week.weekNo}:z${zone.id}`,
            to: { openId: to.openId },
            purpose: 'zone-report.overdue',
            card: zoneReportReminderCard({ def: campaign.def, zone, owner: owner!, week }),
          });
        }
        const chatId = branchChatOf(deps, campaign);
        if (chatId) {
          queued += await deps.send({
            dedupeKey: `zone-report.overdue-group:${campaign.row.id}:w${week.weekNo}`,
            to: { chatId },
            purpose: 'zone-report.overdue-group',
            text: overdueGroupText(campaign, localLabel(week, campaign.def.timezone), zones.length, missing.map((m) => m.owner!.name)),
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
    const zones = (await repo.zonesOf(campaign.row.id)).filter((z) => z.owner);
    const reports = await repo.reportsFor(zones.map((z) => z.zone.id));
    const out: WeeklyGap[] = [];
    for (const { zone, owner } of zones) {
      const missed = missedWeeks(def, new Set(reports.filter((r) => r.zoneId === zone.id).map((r) => r.weekNo)), now);
      if (!missed.length) continue;
      const to = await recipient(owner, now, def.timezone);
      if (!to) continue;
      const latest = missed.at(-1)!;
      out.push({
        person: to,
        key: `zone:z${zone.id}:w${latest.weekNo}`,
        line: `环境责任区报表（${zone.name}）未交 ${missed.length} 周：${missed.map((w) => `第${w.weekNo}周`).join('、')}${to.id === owner!.id ? '' : `（代 ${owner!.name}）`}`,
        card: zoneReportReminderCard({ def, zone, owner: owner!, week: latest }),
      });
    }
    return out;
  };

  return { register, jobs: [pushJob, overdueJob], repo, gaps };
}

/** Group messages carry teachers' names and counts only (privacy rule of DOMAIN.md). */
export function overdueGroupText(campaign: ActiveCampaign, weekLabel: string, total: number, names: string[]): string {
  const done = total - names.length;
  if (!names.length) return `【环境责任区报表】${weekLabel}：${total} 个责任区已全部按时提交，谢谢各位老师！`;
  const who = campaign.def.privacy.overdueInGroup === 'names' ? `：${names.join('、')}` : '';
  return `【环境责任区报表】${weekLabel}已截止：已提交 ${done}/${total}，还有 ${names.length} 位老师未提交${who}。已分别私信提醒，请尽快补交。`;
}
