import { and, asc, between, eq, gt, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../../db/index.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { heldAt } from '../../db/assignments.js';
import { assignments, dorms, leaves, people, records, targets, type Leave, type Person } from '../../db/schema.js';
import { VersionedCache } from '../../db/versioned-cache.js';
import { VisitAggregates, type FirstVisitRow, type PersonIds, type TargetFirstRow, type VisitSpan } from '../../db/visit-aggregates.js';
import { memoPer } from '../../domain/memo.js';
import { filedKey, type CampaignFacts, type NamedPerson } from '../../domain/obligations.js';
import type { Availability, Period } from '../../domain/periods.js';
import type { TargetFact, VisitFact } from '../../domain/quotas.js';
import { ClaimRepo } from '../claiming/repo.js';
import { breathe } from '../../breathe.js';

/**
 * Reads what the schedule rules need from SQLite: people a page at a time,
 * and of their visits only aggregates over the periods judged (each person's
 * first visit to each target in a quota's month, in the term for claims) —
 * so a district's thousand teachers and 100,000 visits never sit in memory at
 * once, and every query is a handful per page, never one per person.
 */

/** People per page: a page's facts are a few thousand small rows whatever the district's size. */
export const PEOPLE_PAGE = 200;

/** Targets read per turn of the event loop. */
export const TARGETS_PAGE = 2500;

/**
 * Every id, in consecutive ranges of about `size` of `ids` each: the last
 * range is open-ended, so nobody with an id outside `ids` is left out.
 */
export function idPages(ids: readonly number[], size = PEOPLE_PAGE): PersonIds[] {
  const sorted = [...ids].sort((a, b) => a - b);
  const out: PersonIds[] = [];
  for (let i = 0; i < sorted.length || !out.length; i += size) {
    const next = sorted[i + size];
    out.push({ from: out.length ? sorted[i]! : 0, to: next === undefined ? Number.MAX_SAFE_INTEGER : next - 1 });
  }
  return out;
}

export const availabilityOf = (p: Pick<Person, 'id' | 'joinedOn'>, all: Leave[]): Availability => ({
  joinedOn: p.joinedOn,
  leaves: all.filter((l) => l.personId === p.id).map((l) => ({ start: l.startOn, end: l.endOn })),
});

export const namedPerson = (p: Person, all: Leave[]): NamedPerson => ({
  id: p.id,
  name: p.name,
  roles: p.roles,
  department: p.department,
  availability: availabilityOf(p, all),
});

/** What the facts are judged over: the periods of the visits, the term of claims, the cut-off (统计截至). */
export interface FactsScope {
  /** Each person's first visit to each target within each of these (`obligationSpans`). */
  spans: readonly Period[];
  /** The term claims are judged over, when the campaign has claiming. */
  claimsTerm?: Period;
  /** Only records filed by then, holdings at then. */
  filedBy?: Date;
}

/** A page's facts, with the people it names (its own and the dorms' holders): their rows and whether they are there. */
export interface PeopleFacts extends CampaignFacts {
  persons: Map<number, Person>;
  availability: Map<number, Availability>;
}

const uniqueSpans = (spans: readonly Period[]) => [...new Map(spans.map((p) => [`${p.start}:${p.end}`, p])).values()];

/** A visit fact from an aggregate row: the one person it is counted for. */
const visitOf = (r: FirstVisitRow): VisitFact => ({
  targetId: r.targetId,
  targetKind: r.targetKind,
  className: r.className,
  occurredOn: r.occurredOn,
  mode: '',
  place: '',
  visitorIds: [r.personId],
});

/**
 * The first visits of the targets a rule judges as facts the coverage
 * rules read: the first at all, and the first in person and at the enterprise
 * where those came later.
 */
export function firstVisitFacts(rows: readonly TargetFirstRow[], targetOf: ReadonlyMap<number, TargetFact>, visitorIds: number[] = []): VisitFact[] {
  const out: VisitFact[] = [];
  // One loop, no closure made per row: a district's term has ten thousand targets.
  for (const r of rows) {
    const t = targetOf.get(r.targetId);
    if (!t) continue;
    out.push(targetVisit(t, r.firstOn, '', '', visitorIds));
    if (r.inPersonOn) out.push(targetVisit(t, r.inPersonOn, 'in-person', '', visitorIds));
    if (r.enterpriseOn) out.push(targetVisit(t, r.enterpriseOn, '', 'enterprise', visitorIds));
  }
  return out;
}

const targetVisit = (t: TargetFact, occurredOn: string, mode: string, place: string, visitorIds: number[]): VisitFact => ({
  targetId: t.id,
  targetKind: t.kind,
  className: t.className,
  occurredOn,
  mode,
  place,
  visitorIds,
});

/** Per person, the distinct targets of `kinds` they reached, from counts per person and kind (a target has one kind). */
export function reachedOf(rows: ReadonlyArray<{ personId: number; kind: string; n: number }>, kinds: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of rows) if (kinds.includes(r.kind)) out.set(r.personId, (out.get(r.personId) ?? 0) + r.n);
  return out;
}

/** ScheduleFacts' prepared reads, per connection and shape, shared by every instance on the connection. */
const preparedReads = memoPer<Db, string, unknown>();

export class ScheduleFacts {
  readonly aggregates: VisitAggregates;

  private readonly roster: VersionedCache<'all', Person[]>;

  constructor(private readonly db: Db) {
    this.aggregates = new VisitAggregates(db);
    this.roster = new VersionedCache(db, 'people', 1);
  }

  /**
   * Visits of some targets only (a class's students) in a period (its term): a head teacher's /进度 must not read a
   * district's visits. One fact per target visited, all its visits in one (what a class's standing asks of them):
   * the first day, in person when any was, and everyone they count for.
   */
  async visitsTo(campaignId: string, of: TargetFact[], within: Period): Promise<VisitFact[]> {
    if (!of.length) return [];
    const targetOf = new Map(of.map((t) => [t.id, t]));
    return this.aggregates
      .visitorsOf(
        campaignId,
        of.map((t) => t.id),
        within,
      )
      .map((r) => targetVisit(targetOf.get(r.targetId)!, r.firstOn, r.inPerson ? 'in-person' : '', '', r.visitorIds));
  }

  async targets(campaignId: string): Promise<TargetFact[]> {
    return this.db
      .select({ id: targets.id, kind: targets.kind, className: targets.className })
      .from(targets)
      .where(and(eq(targets.campaignId, campaignId), eq(targets.status, 'open')))
      .all();
  }

  /** The open targets of `kinds` only: coverage reads its own kind, not a district's every target. */
  async targetsOf(campaignId: string, kinds: readonly string[]): Promise<TargetFact[]> {
    const out: TargetFact[] = [];
    // A page at a time, a pause after each: a district has ten thousand targets.
    for (let after = 0; kinds.length; await breathe()) {
      const page = this.aggregates.openTargetsOf(campaignId, kinds, after, TARGETS_PAGE);
      out.push(...page);
      if (page.length < TARGETS_PAGE) break;
      after = page.at(-1)!.id;
    }
    return out;
  }

  /** The campaign's facts, a page of people at a time (in the order of their ids); the first page carries the dorms. */
  async *pages(c: ActiveCampaign, scope: FactsScope, size = PEOPLE_PAGE): AsyncGenerator<PeopleFacts> {
    let after = 0;
    for (let first = true; ; first = false) {
      const page = this.db.select().from(people).where(gt(people.id, after)).orderBy(asc(people.id)).limit(size).all();
      if (!page.length && !first) return;
      yield await this.factsOf(c, scope, page, first ? 'all' : 'none');
      if (page.length < size) return;
      after = page.at(-1)!.id;
    }
  }

  /** One person's part (the asker of /进度, already read): their obligations, the dorms they care for. */
  async personal(c: ActiveCampaign, person: Person, scope: FactsScope): Promise<PeopleFacts> {
    return this.factsOf(c, scope, [person], 'theirs');
  }

  /**
   * Everyone at once, for what reads the whole campaign anyway (a digest, an
   * export): one pass over the spans' visits. The roster is kept until someone
   * on it changes: a district's thousand people, and a visit filed between two
   * /汇总 changes none of them.
   */
  async everyone(c: ActiveCampaign, scope: FactsScope): Promise<PeopleFacts> {
    return this.factsOf(
      c,
      scope,
      this.roster.get('all', () => this.db.select().from(people).all()),
      'all',
    );
  }

  /**
   * factsOf's reads, each prepared once per connection and shape (which
   * holdings, whether up to a cut-off, with dorms or not) and run with the
   * campaign, the range of people and the lists as values: drizzle building the
   * same five queries for every /进度 cost more than SQLite running them.
   */
  private read<T>(shape: string, build: () => T): T {
    return preparedReads(this.db, shape, build) as T;
  }

  /**
   * What the obligations of `everyone` rest on; dorms: every dorm with a
   * caring teacher, those of these people only, or none (a later page).
   */
  private async factsOf(c: ActiveCampaign, scope: FactsScope, everyone: Person[], dormScope: 'all' | 'theirs' | 'none'): Promise<PeopleFacts> {
    const campaignId = c.row.id;
    const { filedBy } = scope;
    const ids = everyone.map((p) => p.id);
    // `everyone` is every person with an id in its range (a page, one person, or all), so their rows are read by
    // the range, not by a list of a thousand ids that drizzle and SQLite would build and compile on every call.
    const range = ids.length ? { from: Math.min(...ids), to: Math.max(...ids) } : { from: 1, to: 0 };
    const $ = sql.placeholder;
    const theirs = (personId: SQLiteColumn) => between(personId, $('from'), $('to'));
    const among = (id: SQLiteColumn, list: string) => sql`${id} in (select value from json_each(${$(list)}))`;
    // Times go in as the epoch ms they are stored as: a placeholder's value is not converted.
    const values = { campaign: campaignId, from: range.from, to: range.to, at: filedBy?.getTime() ?? null };
    const cutOff = filedBy === undefined ? 'now' : 'then';
    // Claims only where the campaign has claiming: elsewhere the targets' holders are no one's obligation.
    const types = [...(dormScope === 'none' ? [] : (['dorm'] as const)), ...(c.def.claiming.enabled ? (['target'] as const) : [])];
    const current = types.length
      ? this.read(`holdings:${dormScope === 'all'}:${types.join()}:${cutOff}`, () =>
          this.db
            .select({ type: assignments.subjectType, subjectId: assignments.subjectId, personId: assignments.personId })
            .from(assignments)
            // A digest's facts are the holdings at its cut-off: a claim or a handover after it does not change it.
            .where(
              and(
                eq(assignments.campaignId, $('campaign')),
                heldAt(filedBy === undefined ? undefined : $('at')),
                inArray(assignments.subjectType, types),
                dormScope === 'all' ? or(theirs(assignments.personId), eq(assignments.subjectType, 'dorm')) : theirs(assignments.personId),
              ),
            )
            .prepare(),
        ).all(values)
      : [];
    const holders = new Map<number, number[]>();
    const claims = new Map<number, number[]>();
    const here = new Set(ids);
    const add = (into: Map<number, number[]>, key: number, id: number) => {
      const list = into.get(key);
      if (list) list.push(id);
      else into.set(key, [id]);
    };
    for (const a of current) {
      if (a.type === 'dorm') add(holders, a.subjectId, a.personId);
      else if (here.has(a.personId)) add(claims, a.personId, a.subjectId);
    }
    // The dorms' holders on other pages are named in their reminders and escalations too.
    const persons = new Map(everyone.map((p) => [p.id, p]));
    const others = JSON.stringify([...new Set([...holders.values()].flat())].filter((id) => !persons.has(id)));
    const dormIds = JSON.stringify([...holders.keys()]);
    if (others !== '[]')
      for (const p of this.read('others', () => this.db.select().from(people).where(among(people.id, 'others')).prepare()).all({ others }))
        persons.set(p.id, p);
    // The others' leaves only when there are others: an OR with an empty list would still cost the range its index.
    const theirLeaves = this.read(`leaves:${others !== '[]'}`, () =>
      this.db
        .select()
        .from(leaves)
        .where(others !== '[]' ? or(theirs(leaves.personId), among(leaves.personId, 'others')) : theirs(leaves.personId))
        .orderBy(leaves.startOn)
        .prepare(),
    ).all({ ...values, others });
    const dormRows = holders.size
      ? this.read('dorms', () => this.db.select().from(dorms).where(among(dorms.id, 'dorms')).prepare()).all({ dorms: dormIds })
      : [];
    const filed = new Set(
      this.read(`filed:${dormRows.length > 0}:${cutOff}`, () => {
        const theirRecords: SQL | undefined = and(eq(records.subjectType, 'person'), theirs(records.subjectId));
        return this.db
          .select({ form: records.form, subjectType: records.subjectType, subjectId: records.subjectId, periodKey: records.periodKey })
          .from(records)
          .where(
            and(
              eq(records.campaignId, $('campaign')),
              inArray(records.form, ['dorm-record', 'student-day', 'reflection', 'story']),
              dormRows.length ? or(theirRecords, and(eq(records.subjectType, 'dorm'), among(records.subjectId, 'dorms'))) : theirRecords,
              filedBy === undefined ? undefined : lte(records.submittedAt, $('at')),
            ),
          )
          .prepare();
      })
        .all({ ...values, dorms: dormIds })
        .map((r) => filedKey(r.form, r.subjectType, r.subjectId, r.periodKey ?? '')),
    );
    const span = (p: Period): VisitSpan => ({ start: p.start, end: p.end, filedBy });
    const reads = ids.length
      ? [
          ...uniqueSpans(scope.spans).map((p) => () => this.aggregates.firstVisitsOf(campaignId, span(p), range)),
          ...(scope.claimsTerm && c.def.claiming.enabled ? [() => this.aggregates.heldFirstVisitsOf(campaignId, span(scope.claimsTerm!), range, filedBy)] : []),
        ]
      : [];
    const visits: VisitFact[] = [];
    for (const [k, read] of reads.entries()) {
      // A page's span is read through the span's every visit (some 50 ms for a district's month): a turn between
      // spans, or /谁没交 and the catch-up held the event loop for a page's two months and more at once (200 ms).
      if (k && ids.length > 1) await breathe();
      for (const row of read()) visits.push(visitOf(row));
    }
    return {
      persons,
      availability: new Map([...persons.values()].map((p) => [p.id, availabilityOf(p, theirLeaves)])),
      people: everyone.map((p) => namedPerson(p, theirLeaves)),
      visits,
      dorms: dormRows.map((d) => ({ id: d.id, label: `${d.building}${d.room}`, holderIds: holders.get(d.id) ?? [] })),
      claims,
      claimable: c.def.claiming.enabled ? new ClaimRepo(this.db).unclaimedCount(campaignId, filedBy) : 0,
      filed,
    };
  }
}
