import { and, asc, eq, gte, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { visitPlanPeople, visitPlans, type VisitPlan } from '../../db/schema.js';

/** A plan's people: the visitor who planned it, then the co-visitors. */
export const planPeople = (p: Pick<VisitPlan, 'visitorId' | 'coVisitorIds'>): number[] => [p.visitorId, ...p.coVisitorIds.filter((id) => id !== p.visitorId)];

/** Planned visits: stored first, whatever the calendar does; closed by the record filed for them. */
export class PlanRepo {
  /** Every visit submit closes plans with it: built and compiled once, not on each submit. */
  private readonly closing;
  /** Every /进度 lists the asker's open plans: built once too. */
  private readonly open;

  constructor(private readonly db: Db) {
    this.open = openPlansOf(db).prepare();
    this.closing = closingPlans(db).prepare();
  }

  /** A new plan; the same card saved again (its submission key) answers the plan it made. */
  create(p: Pick<VisitPlan, 'campaignId' | 'targetId' | 'visitorId' | 'coVisitorIds' | 'mode' | 'startsAt' | 'note' | 'submissionKey'>, at: Date): VisitPlan {
    const made = this.db
      .insert(visitPlans)
      .values({ ...p, updatedAt: at })
      .onConflictDoNothing({ target: visitPlans.submissionKey })
      .returning()
      .get();
    return made ?? this.db.select().from(visitPlans).where(eq(visitPlans.submissionKey, p.submissionKey!)).get()!;
  }

  get(id: number): VisitPlan | undefined {
    return this.db.select().from(visitPlans).where(eq(visitPlans.id, id)).get();
  }

  /** Whether the person goes on the plan (its visitor or a co-visitor). */
  static goesOn(p: VisitPlan, personId: number): boolean {
    return planPeople(p).includes(personId);
  }

  /** The person's plans still to happen or to be recorded, soonest first. */
  openFor(campaignId: string, personId: number): VisitPlan[] {
    return this.open.all({ campaignId, personId }).map((r) => r.plan);
  }

  /** Every open plan of a campaign starting before `before` (the jobs' candidates). */
  plannedBefore(campaignId: string, before: Date): VisitPlan[] {
    return this.db
      .select()
      .from(visitPlans)
      .where(and(eq(visitPlans.campaignId, campaignId), eq(visitPlans.status, 'planned'), lt(visitPlans.startsAt, before)))
      .orderBy(asc(visitPlans.startsAt))
      .all();
  }

  /** A new time: the event must follow (a new revision). */
  reschedule(id: number, startsAt: Date, at: Date): VisitPlan {
    return this.db
      .update(visitPlans)
      .set({ startsAt, revision: sql`${visitPlans.revision} + 1`, updatedAt: at })
      .where(and(eq(visitPlans.id, id), eq(visitPlans.status, 'planned')))
      .returning()
      .get();
  }

  cancel(id: number, at: Date): VisitPlan {
    return this.db
      .update(visitPlans)
      .set({ status: 'cancelled', revision: sql`${visitPlans.revision} + 1`, updatedAt: at })
      .where(and(eq(visitPlans.id, id), eq(visitPlans.status, 'planned')))
      .returning()
      .get();
  }

  /** Plans whose calendar event does not yet show their latest revision. */
  lagging(): VisitPlan[] {
    return this.db
      .select()
      .from(visitPlans)
      .where(and(ne(visitPlans.status, 'done'), sql`${visitPlans.calendarRevision} < ${visitPlans.revision}`))
      .all();
  }

  /** The event now shows `revision` (or, for a cancelled plan, is gone). */
  calendarSynced(id: number, o: { calendarId: string | null; eventId: string | null; revision: number }): void {
    this.db
      .update(visitPlans)
      .set({ calendarId: o.calendarId, eventId: o.eventId, calendarRevision: o.revision, calendarError: null })
      .where(eq(visitPlans.id, id))
      .run();
  }

  /** The event exists (created), whether or not its attendees are in yet: a retry must not create a second one. */
  eventCreated(id: number, calendarId: string, eventId: string): void {
    this.db.update(visitPlans).set({ calendarId, eventId }).where(eq(visitPlans.id, id)).run();
  }

  calendarFailed(id: number, error: string): void {
    this.db.update(visitPlans).set({ calendarError: error }).where(eq(visitPlans.id, id)).run();
  }

  /**
   * A record filed about the target closes the plan it was opened from, and any
   * other open plan of its visitors for that target on or before the visit's day
   * (the plan happened, the record came in another way).
   */
  closeWith(o: { planId?: number; targetId: number; personIds: number[]; before: Date; recordId: number }, at: Date): number {
    return this.closing.all({
      planId: o.planId ?? null,
      targetId: o.targetId,
      personIds: JSON.stringify(o.personIds),
      before: o.before.getTime(),
      recordId: o.recordId,
      at: at.getTime(),
    }).length;
  }

  /** Plans (open or carried out, not cancelled) starting in [from, to), per mode. */
  countsByMode(campaignId: string, from: Date, to: Date): Map<string, number> {
    const rows = this.db
      .select({ mode: visitPlans.mode, n: sql<number>`count(*)` })
      .from(visitPlans)
      .where(and(eq(visitPlans.campaignId, campaignId), ne(visitPlans.status, 'cancelled'), gte(visitPlans.startsAt, from), lt(visitPlans.startsAt, to)))
      .groupBy(visitPlans.mode)
      .all();
    return new Map(rows.map((r) => [r.mode, r.n]));
  }
}

/**
 * The update a visit submit closes plans with. It finds them through visit_plans_target_idx (a target's plans are a
 * handful): without it SQLite read every plan of every campaign on each submit.
 */
export function closingPlans(db: Db) {
  return db
    .update(visitPlans)
    .set({ status: 'done', recordId: sql`${sql.placeholder('recordId')}`, updatedAt: sql`${sql.placeholder('at')}` })
    .where(
      and(
        eq(visitPlans.status, 'planned'),
        eq(visitPlans.targetId, sql.placeholder('targetId')),
        or(
          eq(visitPlans.id, sql.placeholder('planId')),
          and(
            sql`${visitPlans.visitorId} in (select value from json_each(${sql.placeholder('personIds')}))`,
            lt(visitPlans.startsAt, sql.placeholder('before')),
          ),
        ),
      ),
    )
    .returning({ id: visitPlans.id });
}

/**
 * A person's open plans in a campaign, theirs as visitor or co-visitor, soonest first: from their own rows of
 * visit_plan_people (a person's plans are a few). The unary + keeps SQLite from starting at the campaign's open plans
 * instead, every one of them.
 */
export function openPlansOf(db: Db) {
  return db
    .select({ plan: visitPlans })
    .from(visitPlanPeople)
    .innerJoin(visitPlans, eq(visitPlans.id, visitPlanPeople.planId))
    .where(
      and(
        eq(visitPlanPeople.personId, sql.placeholder('personId')),
        sql`+${visitPlans.campaignId} = ${sql.placeholder('campaignId')}`,
        sql`+${visitPlans.status} = 'planned'`,
      ),
    )
    .orderBy(asc(visitPlans.startsAt));
}
