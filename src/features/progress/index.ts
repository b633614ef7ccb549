import type { Router } from '../../bot/router.js';
import { NOT_IN_ROSTER, bilingual } from '../../bot/router.js';
import { renderCard } from '../../feishu/card-templates.js';
import { formatDeadline, localMidnight } from '../../domain/time.js';
import { currentWeek, localLabel, reportWeeks } from '../../domain/weeks.js';
import { inArray } from 'drizzle-orm';
import { AssignmentRepo } from '../../db/assignments.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { dorms, type Person } from '../../db/schema.js';
import { callbackButton } from '../../feishu/card-templates.js';
import { heldLine } from '../claiming/index.js';
import { ClaimRepo } from '../claiming/repo.js';
import { currentCampaign, type FeatureDeps } from '../deps.js';
import { openWeekButton } from '../zone-report/cards.js';
import type { ZoneReportRepo } from '../zone-report/repo.js';

/** How many "fill in week N" buttons one card offers; the rest are named in text. */
const MAX_BUTTONS = 4;

/**
 * /进度 · /progress — the sender's own obligations: this week's zone report and
 * the weeks before it, with buttons to fill what is missing.
 */
export function progressFeature(deps: FeatureDeps, zoneReports: ZoneReportRepo) {
  const claims = new ClaimRepo(deps.db);
  const holdings = new AssignmentRepo(deps.db);

  /** The dorms a teacher cares for and the targets they claimed, in the campaign running now. */
  async function assignmentSections(person: Person, all: ActiveCampaign[]): Promise<object[]> {
    const c = currentCampaign(all, deps.clock.now());
    if (!c) return [];
    const { def } = c;
    const out: object[] = [];
    const dormIds = await holdings.heldBy(def.id, 'dorm', person.id);
    if (dormIds.length) {
      const rooms = deps.db.select().from(dorms).where(inArray(dorms.id, dormIds)).all();
      const lines = [];
      for (const d of rooms) {
        const others = (await holdings.holders('dorm', d.id)).filter((p) => p.id !== person.id).map((p) => p.name);
        lines.push(`${d.building}${d.room}${d.headcount ? `（${d.headcount} 人）` : ''}${others.length ? `，与 ${others.join('、')} 老师一起` : ''}`);
      }
      out.push({ tag: 'markdown', content: `**关爱宿舍**\n${lines.join('\n')}` }, { tag: 'hr' });
    }
    if (def.claiming.enabled && person.roles.includes(def.claiming.role)) {
      const held = await claims.heldBy(def.id, person.id);
      const left = def.claiming.quota - held.length;
      out.push({
        tag: 'markdown',
        content: `**走访对象** · 已认领 **${held.length}/${def.claiming.quota}**${left > 0 ? `，<font color='orange'>还需认领 ${left} 位</font>` : ''}${held.length ? `\n${held.map((t) => `- ${heldLine(def, t)}`).join('\n')}` : ''}`,
      });
      if (left > 0) out.push(callbackButton('去认领', { action: 'claim.page', campaignId: def.id, offset: 0 }, 'primary'));
      out.push({ tag: 'hr' });
    }
    return out;
  }

  function register(router: Router) {
    router.command({
      names: ['/进度', '/progress'],
      summary: '查看我的进度 / my progress',
      async handler({ person, reply }) {
        if (!person) return reply({ text: bilingual(NOT_IN_ROSTER) });
        const now = deps.clock.now();
        const zones = await zoneReports.zonesOwnedBy(person.id);
        const reports = await zoneReports.reportsFor(zones.map((z) => z.id));
        const sections: object[] = [];
        let behind = 0;
        let campaignLine = '';
        const all = await deps.campaigns.all();
        const campaigns = new Map(all.map((c) => [c.row.id, c]));
        for (const zone of zones) {
          const campaign = campaigns.get(zone.campaignId);
          if (!campaign) continue;
          const { def } = campaign;
          const tz = def.timezone;
          campaignLine = def.name;
          const weeks = reportWeeks(def).filter((w) => w.start <= now);
          const current = currentWeek(def, now);
          const filed = new Map(reports.filter((r) => r.zoneId === zone.id).map((r) => [r.weekNo, r]));
          const missed = weeks.filter((w) => !filed.has(w.weekNo) && w.dueAt <= now);
          const lateCount = [...filed.values()].filter((r) => r.late).length;
          behind += missed.length;
          const lines = [`**环境责任区报表** · ${zone.name}${zone.linkedClass ? `（联系班级 ${zone.linkedClass}）` : ''}`];
          if (!current) {
            lines.push(now < localMidnight(def.window.start, tz).toDate() ? '活动尚未开始。' : '活动周期内的报表周已结束。');
          } else {
            const r = filed.get(current.weekNo);
            lines.push(
              r
                ? `本周 ${localLabel(current, tz)}：✅ 已提交${r.late ? '（补交）' : ''}`
                : now < current.pushAt
                  ? `本周 ${localLabel(current, tz)}：报表将于 ${formatDeadline(current.pushAt, tz)} 发给你`
                  : `本周 ${localLabel(current, tz)}：⏳ 未提交，截止 ${formatDeadline(current.dueAt, tz)}`,
            );
          }
          lines.push(
            `本学期累计：已提交 **${filed.size}/${weeks.length}** 周${lateCount ? `（其中补交 ${lateCount} 周）` : ''}${missed.length ? `，<font color='red'>未交 ${missed.length} 周：${missed.map((w) => `第${w.weekNo}周`).join('、')}</font>` : ''}`,
          );
          sections.push({ tag: 'markdown', content: lines.join('\n') });
          const toFill = [...(current && !filed.has(current.weekNo) && now >= current.pushAt ? [current] : []), ...missed.reverse()];
          const buttons = toFill.slice(0, MAX_BUTTONS).map((w) =>
            openWeekButton({ def, zone, owner: person, week: w }, w === current ? `填写第${w.weekNo}周` : `补交第${w.weekNo}周`),
          );
          if (buttons.length)
            sections.push({ tag: 'column_set', flex_mode: 'flow', columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [b] })) });
          sections.push({ tag: 'hr' });
        }
        sections.push(...(await assignmentSections(person, all)));
        if (!sections.length) sections.push({ tag: 'markdown', content: '你目前没有需要填写的任务。/ Nothing is assigned to you yet.' });
        else if ((sections.at(-1) as { tag?: string }).tag === 'hr') sections.pop();
        await reply({
          card: renderCard('progress', {
            name: person.name,
            campaignLine: campaignLine || '走访助手',
            headerColor: behind ? 'orange' : 'green',
            sections,
          }),
        });
      },
    });
    router.menu('progress', '/进度');
  }
  return { register };
}
