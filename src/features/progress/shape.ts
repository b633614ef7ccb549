import { sql } from 'drizzle-orm';
import { isAdmin } from '../../bot/router.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { VisitAggregates } from '../../db/visit-aggregates.js';
import { targets, type Person } from '../../db/schema.js';
import { discussionOn, phaseLine, phaseOn, takesPartInDiscussion } from '../../domain/shape.js';
import { monthDay } from '../../domain/time.js';
import { buttonRow, callbackButton } from '../../feishu/card-templates.js';
import { RecordRepo } from '../../records/repo.js';
import type { FeatureDeps } from '../deps.js';
import type { Openers } from '../deps.js';
import { targetHeading } from '../forms/visit.js';

/** Visits without a photo named one by one; the rest are counted. */
const PHOTO_GAPS_LISTED = 5;
/** Buttons for the oldest of those named. */
const PHOTO_BUTTONS = 3;

/**
 * The parts of /进度 the campaign's shape decides: the phase it is in, the big
 * discussion while it runs, and in-person visits still without the photo the
 * campaign asks for. Each is its own block, beside the obligations.
 */
export function campaignShapeSections(deps: FeatureDeps, openers: Openers) {
  const records = new RecordRepo(deps.db);
  const aggregates = new VisitAggregates(deps.db);
  // The few targets a /进度 names, by what names them (not their families' details): prepared once.
  const targetsById = deps.db
    .select({ id: targets.id, name: targets.name, className: targets.className, kind: targets.kind })
    .from(targets)
    .where(sql`${targets.id} in (select value from json_each(${sql.placeholder('ids')}))`)
    .prepare();

  /** 当前阶段 and its focus (seed 002: 思想发动, 过程管控, 成果固化). */
  function phase(c: ActiveCampaign, today: string): object[] {
    const p = phaseOn(c.def, today);
    return p ? [{ tag: 'markdown', content: `🧭 当前阶段：${phaseLine(p)}` }] : [];
  }

  /** 献一计 for those it is open to, and the admin's way to the review. */
  async function discussion(c: ActiveCampaign, person: Person, today: string): Promise<object[]> {
    const { def } = c;
    const d = discussionOn(def, today);
    if (!d || !takesPartInDiscussion(def, person.roles)) return [];
    const { all, mine, authors } = await records.tally(def.id, 'suggestion', person.id);
    const span = `${monthDay(d.window.start)}–${monthDay(d.window.end)}`;
    const lines = [
      `**大讨论 · 我为学校发展献一计**（${span}）`,
      d.state === 'before'
        ? `将于 ${monthDay(d.window.start)} 开始。`
        : d.state === 'open'
          ? `进行中，还剩 ${d.daysLeft} 天；你已提出 **${mine}** 条。`
          : `已结束，你提出了 ${mine} 条。`,
    ];
    const admin = isAdmin(person);
    if (admin && d.state !== 'before') lines.push(`全校共收到 **${all}** 条，来自 ${authors} 人。`);
    if (d.state === 'closed' && !mine && !admin) return [];
    const buttons = [
      ...(d.state === 'open' ? [callbackButton('献一计 Suggest', openers.suggestion(def.id), 'primary')] : []),
      ...(admin && all ? [callbackButton(`审阅献计 Review（${all}）`, openers.suggestionList(def.id))] : []),
    ];
    return [{ tag: 'markdown', content: lines.join('\n') }, ...(buttons.length ? [buttonRow(buttons)] : [])];
  }

  /** The person's in-person visits that still lack the photo the campaign requires. */
  async function photoGaps(c: ActiveCampaign, person: Person): Promise<object[]> {
    const { def } = c;
    if (!def.tasks.visits.enabled || !def.tasks.visits.photosRequired) return [];
    const { count, oldest: shown } = aggregates.photoGapsOf(def.id, person.id, PHOTO_GAPS_LISTED);
    if (!count) return [];
    // Only the targets named: the rest of the gaps are counted.
    const byId = new Map(targetsById.all({ ids: JSON.stringify(shown.map((g) => g.targetId)) }).map((t) => [t.id, t]));
    const named = (id: number) => {
      const t = byId.get(id);
      return t ? targetHeading(def, t) : `#${id}`;
    };
    const listed = shown.map((g) => `- ${monthDay(g.occurredOn)} ${named(g.targetId)}`);
    const more = count > PHOTO_GAPS_LISTED ? [`……另有 ${count - PHOTO_GAPS_LISTED} 次`] : [];
    return [
      {
        tag: 'markdown',
        content: [
          `**📷 上门走访缺照片** · <font color='orange'>${count} 次</font>（本活动要求上门走访拍照）`,
          ...listed,
          ...more,
          '点“补照片”打开那次记录，再把照片直接发给我，会附到这条记录上。',
        ].join('\n'),
      },
      buttonRow(shown.slice(0, PHOTO_BUTTONS).map((g) => callbackButton(`补照片 ${monthDay(g.occurredOn)}`, openers.visitRecord(g.recordId)))),
    ];
  }

  return { phase, discussion, photoGaps };
}
