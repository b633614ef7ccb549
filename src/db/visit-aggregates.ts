import type { Statement } from 'better-sqlite3';
import type { Db } from './index.js';
import { versionOf } from './versioned-cache.js';
import type { TermFirsts } from '../domain/digest.js';

/**
 * What the schedule rules ask of a campaign's visits, answered by SQLite with
 * GROUP BY over exactly the rows of the span asked (the index
 * records_visit_day_idx walks a campaign's visits by day), never by reading
 * every visit into JavaScript: a district's digest reads a few thousand
 * aggregate rows where it read 100,000 visits. Each statement is prepared once
 * per database connection.
 */

/** Local dates, both ends included, and the filing cut-off (统计截至) as epoch ms. */
export interface VisitSpan {
  start: string;
  end: string;
  filedBy?: Date;
}

/** People (or targets) by a range of ids, both ends included: a page read in the order of their ids. */
export interface PersonIds {
  from: number;
  to: number;
}

/** A person's first visit to a target in a span. */
export interface FirstVisitRow {
  personId: number;
  targetId: number;
  targetKind: string;
  className: string | null;
  occurredOn: string;
}

/** A target's first visits in a span: at all, in person, at the enterprise (null: none of that way). */
export interface TargetFirstRow {
  targetId: number;
  firstOn: string;
  inPersonOn: string | null;
  enterpriseOn: string | null;
}

/** A target's visits in a span as /进度 judges a class: the first day, whether any was in person, everyone they count for. */
export interface TargetVisitors {
  targetId: number;
  firstOn: string;
  inPerson: boolean;
  visitorIds: number[];
}

/**
 * An in-person visit filed without a photo, where the campaign asks for one
 * (访问时的记录、拍照). A photo still downloading counts (it is on its way), one
 * that failed for good does not. Only the author can attach one (photos go to
 * the sender's own records), so the gap is theirs.
 */
export interface VisitWithoutPhoto {
  recordId: number;
  authorId: number;
  targetId: number;
  occurredOn: string;
}

/** The visits of a span, those in person, and the distinct targets visited. */
export interface SpanTally {
  visits: number;
  inPerson: number;
  targets: number;
}

/** In-person visits without a photo, and the authors they belong to. */
export interface PhotoGapTotals {
  gaps: number;
  authors: number;
}

const NEVER = Number.MAX_SAFE_INTEGER;

/** Visits with their target (of the same campaign), and, joined where asked, everyone each counts for. */
// Named, because the planner otherwise may start from targets and read every visit row through records_subject_idx.
const VISITS = 'FROM records r INDEXED BY records_visit_day_idx JOIN targets t ON t.id = r.subject_id AND t.campaign_id = r.campaign_id';
const VISITORS = 'JOIN record_visitors rv ON rv.record_id = r.id';
/** Of the campaign, in the span, filed by the cut-off. */
const IN_SPAN = "r.campaign_id = @campaign AND r.form = 'visit' AND r.occurred_on BETWEEN @start AND @end AND r.submitted_at <= @filedBy";
// The unary + keeps person_id out of the index search: otherwise SQLite probes (record, person) once per person listed,
// a thousand probes per visit for a whole staff (820 ms for a month's count), where the record's one or two visitors suffice.
const ANY_VISITOR_OF = 'EXISTS (SELECT 1 FROM record_visitors v WHERE v.record_id = r.id AND +v.person_id IN (SELECT value FROM json_each(@people)))';
/**
 * A few people's visits of the span, read from their own by day through the person index (each visitor row keeps its
 * record's day, migration 0025) rather than through every visit of the span, or every visit of theirs.
 */
const BY_VISITOR =
  'FROM record_visitors rv INDEXED BY record_visitors_person_day_idx CROSS JOIN records r INDEXED BY records_visit_row_idx CROSS JOIN targets t';
/** Joins BY_VISITOR's rows of the span's days: the visitor's record, and its target of the same campaign. */
const OF_VISITOR = 'rv.occurred_on BETWEEN @start AND @end AND r.id = rv.record_id AND t.id = r.subject_id AND t.campaign_id = r.campaign_id';
/** A FirstVisitRow, grouped by person and target. */
const FIRST = 'rv.person_id AS personId, r.subject_id AS targetId, t.kind AS targetKind, t.class_name AS className, MIN(r.occurred_on) AS occurredOn';

/**
 * Up to this many people, their own visits (read by person) are fewer than the
 * span's (a district's department is a dozen of 1,000 teachers); beyond, the
 * span's visits are read by day.
 */
const FEW_PEOPLE = 100;

/**
 * Up to this many visits, a span's are read by day whoever is asked about: a
 * week's few thousand are one stretch of the day index, where a department's
 * own visits are each looked up in the table wherever it keeps them.
 */
const SHORT_SPAN = 3000;

/** The visit's target was held by its visitor at @heldAt. */
const HELD = `EXISTS (
  SELECT 1 FROM assignments a
  WHERE a.campaign_id = @campaign AND a.subject_type = 'target' AND a.subject_id = r.subject_id AND a.person_id = rv.person_id
    AND a.started_at <= @heldAt AND (a.ended_at IS NULL OR a.ended_at > @heldAt))`;

/** First visits of a page of people (@fromId..@toId), `also` narrowing which visits count. */
const firstVisitsOfPage = (also: string) => `
  SELECT ${FIRST}
  ${VISITS} ${VISITORS}
  WHERE ${IN_SPAN} AND rv.person_id BETWEEN @fromId AND @toId ${also}
  GROUP BY rv.person_id, r.subject_id`;

/** First visits of one person (@person), from their own visits of the span, not through the span's thousands (/进度). */
const firstVisitsOfOne = (also: string) => `
  SELECT ${FIRST}
  ${BY_VISITOR}
  WHERE rv.person_id = @person AND ${OF_VISITOR} AND ${IN_SPAN} ${also}
  GROUP BY r.subject_id`;

const json = (xs: readonly unknown[]) => JSON.stringify(xs);

function statements(db: Db) {
  const p = (sql: string) => db.$client.prepare(sql);
  return {
    firstVisitsOf: p(firstVisitsOfPage('')),
    firstVisitsOfOne: p(firstVisitsOfOne('')),
    heldFirstVisitsOf: p(firstVisitsOfPage(`AND ${HELD}`)),
    heldFirstVisitsOfOne: p(firstVisitsOfOne(`AND ${HELD}`)),
    targetsReached: p(`
      SELECT rv.person_id AS personId, t.kind AS kind, COUNT(DISTINCT r.subject_id) AS n
      ${VISITS} ${VISITORS}
      WHERE ${IN_SPAN}
      GROUP BY rv.person_id, t.kind`),
    visitsCount: p(`SELECT COUNT(*) AS n ${VISITS} WHERE ${IN_SPAN}`),
    visitsByPerson: p(`
      SELECT rv.person_id AS personId, COUNT(*) AS n
      ${VISITS} ${VISITORS}
      WHERE ${IN_SPAN}
      GROUP BY rv.person_id`),
    visitsByAnyOf: p(`
      SELECT COUNT(*) AS n ${VISITS}
      WHERE ${IN_SPAN} AND t.kind IN (SELECT value FROM json_each(@kinds)) AND ${ANY_VISITOR_OF}`),
    // A department's few: from their own visits through the person index, not through every visit of the span.
    visitsByFewOf: p(`
      SELECT COUNT(DISTINCT r.id) AS n
      ${BY_VISITOR}
      WHERE rv.person_id IN (SELECT value FROM json_each(@people)) AND ${OF_VISITOR}
        AND ${IN_SPAN} AND t.kind IN (SELECT value FROM json_each(@kinds))`),
    // The index alone, no target rows: the caller knows the targets it judges. By target, so that a page of targets
    // reads its own visits only and groups them as they come; by day, every page would read and sort the whole span.
    targetFirsts: p(`
      SELECT r.subject_id AS targetId, MIN(r.occurred_on) AS firstOn,
        MIN(CASE WHEN r.visit_mode = 'in-person' THEN r.occurred_on END) AS inPersonOn,
        MIN(CASE WHEN r.visit_place = 'enterprise' THEN r.occurred_on END) AS enterpriseOn
      FROM records r INDEXED BY records_visit_target_idx
      WHERE ${IN_SPAN} AND r.subject_id BETWEEN @fromId AND @toId
      GROUP BY r.subject_id`),
    // Through the targets asked (a quota's few hundred) and their visits in the target index, each visit's one or two
    // visitors looked up by its record: never the records' rows, which a department's own visits read all over the file.
    targetFirstsAmong: p(`
      SELECT r.subject_id AS targetId, MIN(r.occurred_on) AS firstOn, NULL AS inPersonOn, NULL AS enterpriseOn
      FROM records r INDEXED BY records_visit_target_idx
      WHERE ${IN_SPAN} AND r.subject_id IN (SELECT value FROM json_each(@targets)) AND ${ANY_VISITOR_OF}
      GROUP BY r.subject_id`),
    // A row per target, its visitors gathered by SQLite: a class's term is ~450 visits, which read into JavaScript a row
    // per visit and visitor cost four times the grouping. Both are runs of an index per target, the visits' in the
    // target index and their visitors' by the target and day each visitor row keeps (migration 0026): joined by record,
    // each visitor row was a page of its own to read: 1.2 ms of a head teacher's /进度 in the bot, 0.8 so. (A
    // visit's target is one of its campaign's, as the targets asked for are.)
    visitorsOf: p(`
      SELECT r.subject_id AS targetId, MIN(r.occurred_on) AS firstOn, MAX(r.visit_mode = 'in-person') AS inPerson,
        (SELECT group_concat(DISTINCT rv.person_id) FROM record_visitors rv INDEXED BY record_visitors_target_day_idx
          WHERE rv.target_id = r.subject_id AND rv.occurred_on BETWEEN @start AND @end) AS visitorIds
      FROM records r INDEXED BY records_visit_target_idx
      WHERE r.campaign_id = @campaign AND r.form = 'visit' AND r.subject_id IN (SELECT value FROM json_each(@targets))
        AND r.occurred_on BETWEEN @start AND @end
      GROUP BY r.subject_id`),
    spanTally: p(`
      SELECT COUNT(*) AS visits, COALESCE(SUM(r.visit_mode = 'in-person'), 0) AS inPerson, COUNT(DISTINCT r.subject_id) AS targets
      ${VISITS}
      WHERE ${IN_SPAN}`),
    photoGapsByAuthor: p(`
      SELECT r.author_id AS authorId, COUNT(*) AS n
      FROM records r INDEXED BY records_in_person_idx
      WHERE r.campaign_id = @campaign AND r.form = 'visit' AND r.visit_mode = 'in-person' AND r.occurred_on <= @end AND r.submitted_at <= @filedBy
        AND r.author_id BETWEEN @fromId AND @toId
        AND NOT EXISTS (SELECT 1 FROM photos ph WHERE ph.record_id = r.id AND ph.status <> 'failed' AND ph.received_at <= @filedBy)
      GROUP BY r.author_id
      ORDER BY MIN(r.occurred_on || printf('%012d', r.id))`),
    // The digest's line: how many gaps and whose, nothing to order them by.
    photoGapTotals: p(`
      SELECT COUNT(*) AS gaps, COUNT(DISTINCT r.author_id) AS authors
      FROM records r INDEXED BY records_in_person_idx
      WHERE r.campaign_id = @campaign AND r.form = 'visit' AND r.visit_mode = 'in-person' AND r.occurred_on <= @end AND r.submitted_at <= @filedBy
        AND r.author_id BETWEEN @fromId AND @toId
        AND NOT EXISTS (SELECT 1 FROM photos ph WHERE ph.record_id = r.id AND ph.status <> 'failed' AND ph.received_at <= @filedBy)`),
    // One author (/进度): the first of their gaps as the triggers keep them (migration 0027), in the index's order (a
    // day's by when they were filed): a few rows of one stretch of the index, where the visits themselves had each
    // to be looked up among the photos. How many there are is what migration 0019's triggers count (photo_gap_counts).
    photoGapsOf: p(`
      SELECT g.record_id AS recordId, g.author_id AS authorId, g.subject_id AS targetId, g.occurred_on AS occurredOn
      FROM photo_gaps g INDEXED BY photo_gaps_author_order_idx
      WHERE g.campaign_id = @campaign AND g.author_id = @author
      ORDER BY g.occurred_on, g.submitted_at, g.subject_id, g.record_id
      LIMIT @limit`),
    photoGapCountOf: p('SELECT gaps FROM photo_gap_counts WHERE campaign_id = @campaign AND author_id = @author'),
    // Registering a span fills it from the visits filed so far (trigger visit_first_spans_fill): once per term.
    keepFirstsOf: p('INSERT OR IGNORE INTO visit_first_spans (campaign_id, start, "end") VALUES (@campaign, @start, @end)'),
    keepsFirstsOf: p('SELECT 1 AS kept FROM visit_first_spans WHERE campaign_id = @campaign AND start = @start AND "end" = @end'),
    datedWithin: p(`
      SELECT 1 AS n FROM records r INDEXED BY records_visit_day_idx
      WHERE r.campaign_id = @campaign AND r.form = 'visit' AND r.occurred_on > @after AND r.occurred_on <= @end LIMIT 1`),
    // A term's kept first visits in the order of their targets, a page after a target id, each a row of values: a
    // district's ten thousand, read as arrays rather than objects.
    keptFirsts: p(`
      SELECT target_id, first_on, in_person_on, enterprise_on FROM visit_firsts
      WHERE campaign_id = @campaign AND span_start = @start AND span_end = @end AND target_id > @after
      ORDER BY target_id LIMIT @limit`).raw(),
    // The targets whose kept first visits moved past a `firsts` counter (visit_firsts_seq_idx): a Monday's few, not the term's.
    firstsMovedSince: p(`
      SELECT target_id FROM visit_firsts INDEXED BY visit_firsts_seq_idx
      WHERE campaign_id = @campaign AND span_start = @start AND span_end = @end AND seq > @after`).pluck(),
    // The kept first visits of a few classes' targets, by their ids, in their order.
    keptFirstsAmong: p(`
      SELECT target_id, first_on, in_person_on, enterprise_on FROM visit_firsts
      WHERE campaign_id = @campaign AND span_start = @start AND span_end = @end AND target_id IN (SELECT value FROM json_each(@targets))
      ORDER BY target_id`).raw(),
    // What the triggers of migration 0019 keep of the in-person visits without a photo, per author.
    keptPhotoGapTotals: p(`SELECT COALESCE(SUM(gaps), 0) AS gaps, COUNT(*) AS authors FROM photo_gap_counts WHERE campaign_id = @campaign AND gaps > 0`),
    openTargetsOf: p(`
      SELECT id, kind, class_name AS className FROM targets
      WHERE campaign_id = @campaign AND status = 'open' AND kind IN (SELECT value FROM json_each(@kinds)) AND id > @after
      ORDER BY id LIMIT @limit`),
  };
}

const prepared = new WeakMap<object, ReturnType<typeof statements>>();

export class VisitAggregates {
  private readonly s: ReturnType<typeof statements>;
  private readonly client: Db['$client'];

  constructor(db: Db) {
    this.client = db.$client;
    let s = prepared.get(db.$client);
    if (!s) prepared.set(db.$client, (s = statements(db)));
    this.s = s;
  }

  private static params(campaign: string, span: VisitSpan) {
    return { campaign, start: span.start, end: span.end, filedBy: span.filedBy?.getTime() ?? NEVER };
  }

  /**
   * The first visit of each person with an id in `ids` (a page of people, in
   * the order of their ids) to each target in the span: what quotas count
   * (distinct people, and by which day).
   */
  firstVisitsOf(campaign: string, span: VisitSpan, ids: PersonIds): FirstVisitRow[] {
    return this.firstsOf(this.s.firstVisitsOfOne, this.s.firstVisitsOf, VisitAggregates.params(campaign, span), ids);
  }

  /** The same, of the targets each person held at `heldAt` (now when absent): seed 000's claimed targets. */
  heldFirstVisitsOf(campaign: string, span: VisitSpan, ids: PersonIds, heldAt?: Date): FirstVisitRow[] {
    const params = { ...VisitAggregates.params(campaign, span), heldAt: heldAt?.getTime() ?? NEVER - 1 };
    return this.firstsOf(this.s.heldFirstVisitsOfOne, this.s.heldFirstVisitsOf, params, ids);
  }

  /** One person through their own visits, a page of people through the span's. */
  private firstsOf(one: Statement, page: Statement, params: Record<string, unknown>, ids: PersonIds): FirstVisitRow[] {
    return (ids.from === ids.to ? one.all({ ...params, person: ids.from }) : page.all({ ...params, fromId: ids.from, toId: ids.to })) as FirstVisitRow[];
  }

  /** Per person and target kind, the distinct targets they visited in the span. */
  targetsReached(campaign: string, span: VisitSpan): Array<{ personId: number; kind: string; n: number }> {
    return this.s.targetsReached.all(VisitAggregates.params(campaign, span)) as Array<{ personId: number; kind: string; n: number }>;
  }

  visitsCount(campaign: string, span: VisitSpan): number {
    return (this.s.visitsCount.get(VisitAggregates.params(campaign, span)) as { n: number }).n;
  }

  /** Visits per person who made them (author or co-visitor). */
  visitsByPerson(campaign: string, span: VisitSpan): Map<number, number> {
    const rows = this.s.visitsByPerson.all(VisitAggregates.params(campaign, span)) as Array<{ personId: number; n: number }>;
    return new Map(rows.map((r) => [r.personId, r.n]));
  }

  /** Visits to targets of `kinds` with any of `personIds` among the visitors. */
  visitsByAnyOf(campaign: string, span: VisitSpan, kinds: readonly string[], personIds: readonly number[]): number {
    const params = VisitAggregates.params(campaign, span);
    const few = personIds.length <= FEW_PEOPLE && this.visitsCount(campaign, span) > SHORT_SPAN;
    return ((few ? this.s.visitsByFewOf : this.s.visitsByAnyOf).get({ ...params, kinds: json(kinds), people: json(personIds) }) as { n: number }).n;
  }

  /**
   * Each target visited in the span, with its first visit at all, in person and
   * at the enterprise; only those with an id in `ids` when given (a slice of a district's).
   */
  targetFirsts(campaign: string, span: VisitSpan, ids: PersonIds = { from: 0, to: NEVER }): TargetFirstRow[] {
    return this.s.targetFirsts.all({ ...VisitAggregates.params(campaign, span), fromId: ids.from, toId: ids.to }) as TargetFirstRow[];
  }

  /**
   * Whether the first visits the triggers keep over the whole of `term`
   * (visit_firsts) answer for `span`, the term up to a day in it: nothing
   * filed after the cut-off, no visit of the term dated after the span's end.
   * Registers the term when they do (its insert fills it from the visits filed
   * so far, once); where they do not (a digest's cut-off in the past), the
   * visits are to be read.
   */
  keepsFirstsOf(campaign: string, term: { start: string; end: string }, span: VisitSpan): boolean {
    if (span.start !== term.start || span.end > term.end || !this.keptSaysTheSame(campaign, { end: span.end, filedBy: span.filedBy, upTo: term.end }))
      return false;
    const params = { campaign, start: term.start, end: term.end };
    // Read first: a /汇总 writes nothing (and waits for no other writer) once its term is kept.
    if (!this.s.keepsFirstsOf.get(params)) this.s.keepFirstsOf.run(params);
    return true;
  }

  /**
   * The first visits of each target the triggers keep over `term` (a term
   * keepsFirstsOf registered), in the order of their targets, `size` targets a
   * page: each page is read when the one before has been taken, so a caller
   * can give the event loop a turn between.
   */
  *keptFirsts(campaign: string, term: { start: string; end: string }, size: number): Generator<TermFirsts[]> {
    for (let after = 0; ; ) {
      const page = this.s.keptFirsts.all({ campaign, start: term.start, end: term.end, after, limit: size }) as TermFirsts[];
      if (page.length) yield page;
      if (page.length < size) return;
      after = page.at(-1)![0];
    }
  }

  /** The targets whose kept first visits over `term` were written since the `firsts` counter stood at `after`. */
  firstsMovedSince(campaign: string, term: { start: string; end: string }, after: number): number[] {
    return this.s.firstsMovedSince.all({ campaign, start: term.start, end: term.end, after }) as number[];
  }

  /** The kept first visits over `term` of the targets `ids` (a few classes'), in the order of their ids. */
  keptFirstsAmong(campaign: string, term: { start: string; end: string }, ids: readonly number[]): TermFirsts[] {
    return this.s.keptFirstsAmong.all({ campaign, start: term.start, end: term.end, targets: json(ids) }) as TermFirsts[];
  }

  /**
   * photoGapTotals of every author at once, from the gaps the triggers keep
   * (photo_gaps), where they say the same: nothing filed or received after the
   * cut-off, no visit dated after `end`. Undefined where they would not.
   */
  keptPhotoGapTotals(campaign: string, span: Partial<Omit<VisitSpan, 'start'>>): PhotoGapTotals | undefined {
    if (!this.keptSaysTheSame(campaign, { end: span.end ?? '9999-12-31', filedBy: span.filedBy, upTo: '9999-12-31' })) return undefined;
    return this.s.keptPhotoGapTotals.get({ campaign }) as PhotoGapTotals;
  }

  /**
   * Whether what the triggers keep over every visit filed so far answers for
   * the visits up to `end` filed by the cut-off: nothing was filed (or a photo
   * received) after it, and no visit is dated after `end` up to `upTo`.
   */
  private keptSaysTheSame(campaign: string, span: { end: string; filedBy?: Date; upTo: string }): boolean {
    const visits = versionOf(this.client, 'visits');
    const latest = visits ? (visits.latest ?? 0) : NEVER;
    return (span.filedBy?.getTime() ?? NEVER) >= latest && !this.s.datedWithin.get({ campaign, after: span.end, end: span.upTo });
  }

  /** Each of `targetIds` visited in the span by any of `personIds`, with the first such visit. */
  targetFirstsAmong(campaign: string, span: VisitSpan, targetIds: readonly number[], personIds: readonly number[]): TargetFirstRow[] {
    return this.s.targetFirstsAmong.all({ ...VisitAggregates.params(campaign, span), targets: json(targetIds), people: json(personIds) }) as TargetFirstRow[];
  }

  /** Each of these targets (a class's students) visited in `within` (its ends included), with everyone its visits count for (authors and co-visitors). */
  visitorsOf(campaign: string, targetIds: readonly number[], within: { start: string; end: string }): TargetVisitors[] {
    const rows = this.s.visitorsOf.all({ campaign, targets: json(targetIds), start: within.start, end: within.end }) as Array<{
      targetId: number;
      firstOn: string;
      inPerson: number;
      visitorIds: string | null;
    }>;
    return rows.map((r) => ({
      targetId: r.targetId,
      firstOn: r.firstOn,
      inPerson: r.inPerson === 1,
      visitorIds: r.visitorIds ? r.visitorIds.split(',').map(Number) : [],
    }));
  }

  spanTally(campaign: string, span: VisitSpan): SpanTally {
    return this.s.spanTally.get(VisitAggregates.params(campaign, span)) as SpanTally;
  }

  /**
   * In-person visits by `end` (filed by the cut-off) still without a photo
   * (received by then), per author, in the order of each author's first such visit.
   */
  photoGapsByAuthor(campaign: string, span: Partial<Omit<VisitSpan, 'start'>>): Map<number, number> {
    const rows = this.s.photoGapsByAuthor.all(photoGapParams(campaign, span, { from: 0, to: NEVER })) as Array<{ authorId: number; n: number }>;
    return new Map(rows.map((r) => [r.authorId, r.n]));
  }

  /** The same of the authors with an id in `ids`, summed: the gaps, and the authors who have any. */
  photoGapTotals(campaign: string, span: Partial<Omit<VisitSpan, 'start'>>, ids: PersonIds): PhotoGapTotals {
    return this.s.photoGapTotals.get(photoGapParams(campaign, span, ids)) as PhotoGapTotals;
  }

  /** Up to `limit` open targets of `kinds` with an id past `after`, in the order of their ids. */
  openTargetsOf(campaign: string, kinds: readonly string[], after: number, limit: number): Array<{ id: number; kind: string; className: string | null }> {
    return this.s.openTargetsOf.all({ campaign, kinds: json(kinds), after, limit }) as Array<{ id: number; kind: string; className: string | null }>;
  }

  /** How many in-person visits of an author are still without a photo, and the oldest `limit` of them. */
  photoGapsOf(campaign: string, authorId: number, limit: number): { count: number; oldest: VisitWithoutPhoto[] } {
    const count = (this.s.photoGapCountOf.get({ campaign, author: authorId }) as { gaps: number } | undefined)?.gaps ?? 0;
    return { count, oldest: count ? (this.s.photoGapsOf.all({ campaign, author: authorId, limit }) as VisitWithoutPhoto[]) : [] };
  }
}

/** The parameters of the photo-gap statements: a campaign's in-person visits by `end`, filed by the cut-off, of authors in `ids`. */
const photoGapParams = (campaign: string, span: Partial<Omit<VisitSpan, 'start'>>, ids: PersonIds) => ({
  campaign,
  end: span.end ?? '9999-12-31',
  filedBy: span.filedBy?.getTime() ?? NEVER,
  fromId: ids.from,
  toId: ids.to,
});
