import type { Db } from '../../db/index.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { versionOf } from '../../db/versioned-cache.js';
import type { VisitAggregates } from '../../db/visit-aggregates.js';
import type { CampaignDefinition } from '../../domain/campaign.js';
import { classCoverageOf, coverageOfClasses, type ClassCoverage, type TermFirsts } from '../../domain/digest.js';
import type { Period } from '../../domain/periods.js';
import { UNCLASSED, type CoverageStanding, type TargetFact } from '../../domain/quotas.js';
import { TARGETS_PAGE } from '../reminders/facts.js';

/**
 * Past this many classes moved since the last read, the term is read again
 * whole, a page at a time with pauses between: a roster's worth of visits
 * imported at once would otherwise be re-counted class by class in one turn.
 */
const CLASSES_MOVED_AT_ONCE = 20;
/** Campaign terms kept at once (a few campaigns running, one term each). */
const TERMS_KEPT = 4;

/** A term's coverage as counted, class by class, and what it was counted from. */
interface Counted {
  def: CampaignDefinition;
  /** The judged targets (kept per version of the targets): another list means another roster. */
  targets: readonly TargetFact[];
  asOf: string;
  /** The `firsts:dropped` counter: a first visit deleted leaves no row to find, so the term is counted again. */
  dropped: number;
  /** The `firsts` counter the counts are up to: the rows written after it are the ones that moved. */
  seen: number;
  /** The judged targets by class, in the order of their ids. */
  classes: Map<string, TargetFact[]>;
  /** Per coverage rule (its key), each class's counts. */
  byRule: Map<string, Map<string, ClassCoverage>>;
}

/** The open targets coverage judges, in the order of their ids, and by id. */
export interface Judged {
  targets: TargetFact[];
  byId: ReadonlyMap<number, TargetFact>;
}

/** The open targets (in the order of their ids, as targetsOf reads them) with their map by id, made once per version of the targets. */
export const judgedOf = (targets: TargetFact[]): Judged => ({ targets, byId: new Map(targets.map((t) => [t.id, t])) });

const classOf = (t: TargetFact) => t.className ?? UNCLASSED;

/**
 * Where each coverage rule of a term stands, from the first visits the
 * triggers keep (visit_firsts), counted per class and kept between digests.
 * Counted whole once (a district's ten thousand targets, some 50 ms with the
 * collections it brings), then moved class by class: each row of visit_firsts
 * carries the `firsts` counter of its last write, so the targets whose first
 * visit moved since the last count are found by the counter, and only their
 * classes are counted again — on a Monday, a family visited for the first time
 * this term moves one class of some forty students.
 */
export class TermCoverage {
  private readonly counted = new Map<string, Promise<Counted>>();

  constructor(
    private readonly db: Db,
    private readonly aggregates: VisitAggregates,
    /** A pause between pages of a whole count, once a slice of the event loop is spent. */
    private readonly pause: () => Promise<void>,
  ) {}

  /** The standings of `c`'s coverage rules over `term` as of `asOf`, from the first visits kept over the whole term (keepsFirstsOf). */
  async standings(c: ActiveCampaign, asOf: string, term: Period, judged: Judged): Promise<CoverageStanding[]> {
    const client = this.db.$client;
    const firsts = versionOf(client, 'firsts')?.version;
    const dropped = versionOf(client, 'firsts:dropped')?.version;
    // Inside a transaction the rows may yet be rolled back, and the counter with them: counted, not kept.
    if (client.inTransaction || firsts === undefined || dropped === undefined)
      return standingsOf(c.def, await this.countWhole(c, asOf, term, judged.targets, 0, 0), asOf);
    const key = `${c.row.id}:${term.start}:${term.end}`;
    const kept = await this.counted.get(key)?.catch(() => undefined);
    const stillSo = kept && kept.def === c.def && kept.targets === judged.targets && kept.asOf === asOf && kept.dropped === dropped && kept.seen <= firsts;
    const counted =
      stillSo && this.move(c, term, kept, judged.byId, firsts) ? kept : await this.keep(key, this.countWhole(c, asOf, term, judged.targets, firsts, dropped));
    return standingsOf(c.def, counted, asOf);
  }

  private keep(key: string, counting: Promise<Counted>): Promise<Counted> {
    if (!this.counted.has(key) && this.counted.size >= TERMS_KEPT) this.counted.clear();
    this.counted.set(key, counting);
    counting.catch(() => {
      if (this.counted.get(key) === counting) this.counted.delete(key);
    });
    return counting;
  }

  /**
   * Counts again the classes of the targets whose first visits moved past
   * `counted.seen`, up to `firsts`; false when too many moved (counted whole
   * instead). Counting a class again is the same count whenever it is done,
   * so a row seen twice does no harm.
   */
  private move(c: ActiveCampaign, term: Period, counted: Counted, byId: Judged['byId'], firsts: number): boolean {
    if (counted.seen === firsts) return true;
    const moved = new Set<string>();
    for (const id of this.aggregates.firstsMovedSince(c.row.id, term, counted.seen)) {
      const t = byId.get(id);
      // A target not judged (closed, or of a kind no rule covers) counts in no class.
      if (t) moved.add(classOf(t));
    }
    if (moved.size > CLASSES_MOVED_AT_ONCE) return false;
    // The moved classes' targets in the order of their ids, and their kept first visits in one read: classCoverageOf
    // walks the two side by side and counts each of those classes whole.
    const members = [...moved].flatMap((className) => counted.classes.get(className)!).sort((a, b) => a.id - b.id);
    const kept = this.aggregates.keptFirstsAmong(
      c.row.id,
      term,
      members.map((t) => t.id),
    );
    const days = { today: counted.asOf, dueOn: term.end };
    for (const rule of c.def.coverage)
      for (const counts of classCoverageOf(rule, members, kept, days)) counted.byRule.get(rule.key)!.set(counts.className, counts);
    counted.seen = firsts;
    return true;
  }

  /** Every class counted from the term's every kept first visit, read a page of targets at a time. */
  private async countWhole(c: ActiveCampaign, asOf: string, term: Period, targets: readonly TargetFact[], seen: number, dropped: number): Promise<Counted> {
    // At once, a district's ten thousand held the event loop some 15 ms, and a garbage collection falling in it as long again.
    const firsts: TermFirsts[] = [];
    for (const page of this.aggregates.keptFirsts(c.row.id, term, TARGETS_PAGE)) {
      for (const f of page) firsts.push(f);
      await this.pause();
    }
    const days = { today: asOf, dueOn: term.end };
    const byRule = new Map<string, Map<string, ClassCoverage>>();
    for (const rule of c.def.coverage) {
      await this.pause();
      byRule.set(rule.key, new Map(classCoverageOf(rule, targets, firsts, days).map((cc) => [cc.className, cc])));
    }
    const classes = new Map<string, TargetFact[]>();
    for (const t of targets) {
      const members = classes.get(classOf(t));
      if (members) members.push(t);
      else classes.set(classOf(t), [t]);
    }
    return { def: c.def, targets, asOf, dropped, seen, classes, byRule };
  }
}

function standingsOf(def: CampaignDefinition, counted: Counted, asOf: string): CoverageStanding[] {
  return def.coverage.map((rule) => coverageOfClasses(def, rule, [...counted.byRule.get(rule.key)!.values()], asOf));
}
