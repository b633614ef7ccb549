import { and, eq, lte } from 'drizzle-orm';
import { breathe } from '../../breathe.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { type DigestKind, periodWord } from '../../domain/digest.js';
import type { CampaignFacts } from '../../domain/obligations.js';
import type { Period } from '../../domain/periods.js';
import {
  discussionLine,
  discussionSummary,
  phaseAchievementLines,
  phaseAchievements,
  phaseLine,
  phaseMonthKey,
  phaseMonths,
  phaseOn,
  type Phase,
  type PhaseVisits,
} from '../../domain/shape.js';
import { VisitAggregates, type PhotoGapTotals } from '../../db/visit-aggregates.js';
import { VersionedCache } from '../../db/versioned-cache.js';
import { records } from '../../db/schema.js';
import { idPages, reachedOf } from '../reminders/facts.js';
import type { FeatureDeps } from '../deps.js';
import type { DigestSection } from './index.js';

/** What the campaign's shape adds to a digest: lines under the headline, and folded sections after the usual ones. */
export interface ShapeLines {
  lead: string[];
  sections: DigestSection[];
  /** A phase digest says what the whole phase achieved, so the last month's quota standings are not repeated. */
  phaseSummary: boolean;
}

/**
 * The phase and its focus (or, at a phase's end, what it achieved), the big
 * discussion while its window overlaps the period, and the in-person visits
 * still without a photo — counts only, as everything the group reads.
 */
export function campaignShapeDigest(deps: Pick<FeatureDeps, 'db'>) {
  const aggregates = new VisitAggregates(deps.db);

  /** A phase's visits, filed by the cut-off, and the people each reached in each of its months. */
  async function phaseVisits(c: ActiveCampaign, phase: Phase, cutoff: Date): Promise<PhaseVisits> {
    const id = c.row.id;
    const span = (p: { start: string; end: string }) => ({ start: p.start, end: p.end, filedBy: cutoff });
    const reached = new Map<string, Map<number, number>>();
    const byMonth = new Map<string, Array<{ personId: number; kind: string; n: number }>>();
    for (const q of c.def.quotas)
      for (const m of phaseMonths(c.def, q, phase)) {
        let rows = byMonth.get(m.key);
        if (!rows) {
          byMonth.set(m.key, (rows = aggregates.targetsReached(id, span(m))));
          // A month of a district's visits at a time, with a pause between: replies go out meanwhile.
          await breathe();
        }
        reached.set(phaseMonthKey(q, m), reachedOf(rows, q.targetKinds));
      }
    return { ...aggregates.spanTally(id, span(phase)), visitors: aggregates.visitsByPerson(id, span(phase)).size, reached };
  }

  /**
   * The in-person visits by `asOf` without a photo, and their authors: as the
   * triggers keep them where they answer (a digest taken now), else counted
   * over every such visit of the campaign a page of authors a turn, kept
   * until a record, a visitor, a photo or a target changes.
   */
  const gapTotals = new VersionedCache<string, Promise<PhotoGapTotals>>(deps.db, 'visits', 10);
  function photoGaps(c: ActiveCampaign, asOf: string, cutoff: Date, facts: CampaignFacts): Promise<PhotoGapTotals> {
    const kept = aggregates.keptPhotoGapTotals(c.def.id, { end: asOf, filedBy: cutoff });
    if (kept) return Promise.resolve(kept);
    const ids = facts.people.map((p) => p.id);
    return gapTotals.get(
      `${c.def.id}:${asOf}`,
      async () => {
        const sum: PhotoGapTotals = { gaps: 0, authors: 0 };
        for (const page of idPages(ids)) {
          await breathe();
          const t = aggregates.photoGapTotals(c.def.id, { end: asOf, filedBy: cutoff }, page);
          sum.gaps += t.gaps;
          sum.authors += t.authors;
        }
        return sum;
      },
      cutoff,
    );
  }

  return async function lines(c: ActiveCampaign, kind: DigestKind, period: Period, asOf: string, cutoff: Date, facts: CampaignFacts): Promise<ShapeLines> {
    const { def } = c;
    const lead: string[] = [];
    const sections: DigestSection[] = [];
    const ended = kind === 'phase' ? def.phases.find((p) => `phase-${p.key}` === period.key) : undefined;
    if (ended) lead.push(phaseAchievementLines(phaseAchievements(def, ended, facts.people, await phaseVisits(c, ended, cutoff))).join('\n'));
    else {
      const p = phaseOn(def, period.end < asOf ? period.end : asOf);
      if (p) lead.push(`🧭 当前阶段：${phaseLine(p)}`);
    }
    // Suggestions filed by the cut-off, like every other figure of the digest: who and when, never their texts.
    const suggestions = deps.db
      .select({ authorId: records.authorId, occurredOn: records.occurredOn })
      .from(records)
      .where(and(eq(records.campaignId, def.id), eq(records.form, 'suggestion'), lte(records.submittedAt, cutoff)))
      .all();
    const discussion = discussionSummary(def, suggestions, facts.people, period);
    if (discussion) sections.push({ title: '大讨论 · 献一计', lines: [discussionLine(discussion, periodWord(kind, period))] });
    if (def.tasks.visits.enabled && def.tasks.visits.photosRequired) {
      const { gaps, authors } = await photoGaps(c, asOf, cutoff, facts);
      if (gaps)
        sections.push({
          title: `📷 上门走访缺照片 · ${gaps} 次`,
          lines: [`${gaps} 次上门走访还没有照片，涉及 ${authors} 位老师（已在各自的 /进度 中列出）`],
        });
    }
    return { lead, sections, phaseSummary: !!ended };
  };
}
