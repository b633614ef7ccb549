import { and, eq, inArray, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { heldAt } from '../../db/assignments.js';
import { assignments, dorms, leaves, people, records, recordVisitors, targets, type Leave, type Person } from '../../db/schema.js';
import { filedKey, type CampaignFacts, type NamedPerson } from '../../domain/obligations.js';
import type { Availability } from '../../domain/periods.js';
import type { TargetFact, VisitFact } from '../../domain/quotas.js';
import { ClaimRepo } from '../claiming/repo.js';

/**
 * Reads what the schedule rules need from SQLite in a handful of queries per
 * campaign (never one per person), so a district's thousand teachers cost
 * the same number of round trips as a school's thirty.
 */

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

export class ScheduleFacts {
  constructor(private readonly db: Db) {}

  async leaves(): Promise<Leave[]> {
    return this.db.select().from(leaves).orderBy(leaves.startOn).all();
  }

  /** Visits of a campaign (or only those a person counts in, or those filed by `filedBy`), with the target's kind and class. */
  async visits(campaignId: string, personId?: number, filedBy?: Date): Promise<VisitFact[]> {
    const visitsHere = and(
      eq(records.campaignId, campaignId),
      eq(records.form, 'visit'),
      filedBy === undefined ? undefined : lte(records.submittedAt, filedBy),
      personId === undefined
        ? undefined
        : inArray(records.id, this.db.select({ id: recordVisitors.recordId }).from(recordVisitors).where(eq(recordVisitors.personId, personId))),
    );
    const targetsHere =
      personId === undefined
        ? eq(targets.campaignId, campaignId)
        : inArray(targets.id, this.db.select({ id: records.subjectId }).from(records).where(visitsHere));
    const targetOf = new Map(
      this.db
        .select({ id: targets.id, kind: targets.kind, className: targets.className })
        .from(targets)
        .where(targetsHere)
        .all()
        .map((t) => [t.id, t]),
    );
    return this.visitFacts(visitsHere, targetOf);
  }

  /** Visits of some targets only (a class's students): a head teacher's /进度 must not read a district's visits. */
  async visitsTo(campaignId: string, of: TargetFact[]): Promise<VisitFact[]> {
    if (!of.length) return [];
    const here = and(
      eq(records.subjectType, 'target'),
      inArray(
        records.subjectId,
        of.map((t) => t.id),
      ),
      eq(records.campaignId, campaignId),
      eq(records.form, 'visit'),
    );
    return this.visitFacts(here, new Map(of.map((t) => [t.id, t])));
  }

  private visitFacts(visitsHere: SQL | undefined, targetOf: Map<number, TargetFact>): VisitFact[] {
    // Columns only, never the form data, and targets looked up in memory: a district reads 100,000 visits here.
    const rows = this.db
      .select({ id: records.id, targetId: records.subjectId, occurredOn: records.occurredOn, mode: records.visitMode, place: records.visitPlace })
      .from(records)
      .where(visitsHere)
      .all();
    const visitors = new Map<number, number[]>();
    const named = this.db
      .select({ recordId: recordVisitors.recordId, personId: recordVisitors.personId })
      .from(recordVisitors)
      .innerJoin(records, eq(records.id, recordVisitors.recordId))
      .where(visitsHere)
      .all();
    for (const v of named) {
      const list = visitors.get(v.recordId);
      if (list) list.push(v.personId);
      else visitors.set(v.recordId, [v.personId]);
    }
    return rows.flatMap((r) => {
      const t = targetOf.get(r.targetId);
      return t
        ? [
            {
              targetId: r.targetId,
              targetKind: t.kind,
              className: t.className,
              occurredOn: r.occurredOn,
              mode: r.mode ?? '',
              place: r.place ?? '',
              visitorIds: visitors.get(r.id) ?? [],
            },
          ]
        : [];
    });
  }

  async targets(campaignId: string): Promise<TargetFact[]> {
    return this.db
      .select({ id: targets.id, kind: targets.kind, className: targets.className })
      .from(targets)
      .where(and(eq(targets.campaignId, campaignId), eq(targets.status, 'open')))
      .all();
  }

  /**
   * Everything the obligations of a campaign rest on; with `personId`, only that
   * person's part; with `filedBy`, only the records filed by then (a digest's
   * "统计截至" moment).
   */
  async load(c: ActiveCampaign, personId?: number, filedBy?: Date): Promise<CampaignFacts> {
    const campaignId = c.row.id;
    const allLeaves = await this.leaves();
    const everyone = personId === undefined ? this.db.select().from(people).all() : this.db.select().from(people).where(eq(people.id, personId)).all();
    const current = this.db
      .select({ type: assignments.subjectType, subjectId: assignments.subjectId, personId: assignments.personId })
      .from(assignments)
      // A digest's facts are the holdings at its cut-off: a claim or a handover after it does not change it.
      .where(and(eq(assignments.campaignId, campaignId), heldAt(filedBy), personId === undefined ? undefined : eq(assignments.personId, personId)))
      .all();
    const holders = new Map<number, number[]>();
    const claims = new Map<number, number[]>();
    for (const a of current) {
      const into = a.type === 'dorm' ? holders : a.type === 'target' ? claims : undefined;
      if (!into) continue;
      const key = a.type === 'dorm' ? a.subjectId : a.personId;
      into.set(key, [...(into.get(key) ?? []), a.type === 'dorm' ? a.personId : a.subjectId]);
    }
    const dormRows = holders.size
      ? this.db
          .select()
          .from(dorms)
          .where(inArray(dorms.id, [...holders.keys()]))
          .all()
      : [];
    const filed = new Set(
      this.db
        .select({ form: records.form, subjectType: records.subjectType, subjectId: records.subjectId, periodKey: records.periodKey })
        .from(records)
        .where(
          and(
            eq(records.campaignId, campaignId),
            inArray(records.form, ['dorm-record', 'student-day', 'reflection', 'story']),
            filedBy === undefined ? undefined : lte(records.submittedAt, filedBy),
          ),
        )
        .all()
        .map((r) => filedKey(r.form, r.subjectType, r.subjectId, r.periodKey ?? '')),
    );
    return {
      people: everyone.map((p) => namedPerson(p, allLeaves)),
      visits: await this.visits(campaignId, personId, filedBy),
      dorms: dormRows.map((d) => ({ id: d.id, label: `${d.building}${d.room}`, holderIds: holders.get(d.id) ?? [] })),
      claims,
      claimable: c.def.claiming.enabled ? new ClaimRepo(this.db).unclaimedCount(campaignId, filedBy) : 0,
      filed,
    };
  }
}
