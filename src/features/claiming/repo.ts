import { and, asc, count, eq, isNull, notExists, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { currentHolders, heldAt } from '../../db/assignments.js';
import { assignments, people, targets, type Target } from '../../db/schema.js';

/** Unclaimed targets that look the same to a claimer: one class, one kind, one category. */
export interface ClaimGroup {
  className: string | null;
  kind: string;
  category: string | null;
  count: number;
  /** The target a click on this group claims (the oldest registered). */
  firstId: number;
}

export type ClaimOutcome =
  | { kind: 'claimed'; target: Target }
  | { kind: 'taken'; by: string }
  /** A second click on a target the person already holds. */
  | { kind: 'mine' }
  | { kind: 'quota'; held: number }
  | { kind: 'unavailable' };

export interface ClaimFilter {
  category?: string;
  className?: string;
}

/** Nobody holds the target: now, or at `at` (a digest's cut-off, which a later claim must not change). */
const unheld = (targetId: typeof targets.id, at?: Date) =>
  notExists(sql`(SELECT 1 FROM ${assignments} WHERE ${assignments.subjectType} = 'target' AND ${assignments.subjectId} = ${targetId} AND ${heldAt(at)})`);

export class ClaimRepo {
  constructor(private readonly db: Db) {}

  async groups(campaignId: string, filter: ClaimFilter): Promise<ClaimGroup[]> {
    return this.db
      .select({ className: targets.className, kind: targets.kind, category: targets.category, count: count(), firstId: sql<number>`min(${targets.id})` })
      .from(targets)
      .where(
        and(
          eq(targets.campaignId, campaignId),
          eq(targets.status, 'open'),
          unheld(targets.id),
          filter.category ? eq(targets.category, filter.category) : undefined,
          filter.className ? eq(targets.className, filter.className) : undefined,
        ),
      )
      .groupBy(targets.className, targets.kind, targets.category)
      .orderBy(asc(targets.className), asc(targets.category))
      .all();
  }

  /** How many open targets nobody holds (now, or at `at`): what is left to claim. */
  unclaimedCount(campaignId: string, at?: Date): number {
    return this.db
      .select({ n: count() })
      .from(targets)
      .where(and(eq(targets.campaignId, campaignId), eq(targets.status, 'open'), unheld(targets.id, at)))
      .get()!.n;
  }

  /** The targets a person currently holds in the campaign, in the order they were taken. */
  async heldBy(campaignId: string, personId: number): Promise<Target[]> {
    return this.db
      .select({ target: targets })
      .from(assignments)
      .innerJoin(targets, eq(targets.id, assignments.subjectId))
      .where(
        and(eq(assignments.campaignId, campaignId), eq(assignments.subjectType, 'target'), eq(assignments.personId, personId), isNull(assignments.endedAt)),
      )
      .orderBy(asc(assignments.startedAt), asc(assignments.id))
      .all()
      .map((r) => r.target);
  }

  async target(id: number): Promise<Target | null> {
    return this.db.select().from(targets).where(eq(targets.id, id)).get() ?? null;
  }

  /**
   * Claims a target if it is still free and the person is under the quota. The
   * check and the insert are one immediate transaction, and the database's
   * single-owner index backs it, so two simultaneous claims cannot both win.
   */
  async claim(campaignId: string, targetId: number, personId: number, quota: number, at: Date): Promise<ClaimOutcome> {
    try {
      return this.db.transaction(
        (tx): ClaimOutcome => {
          const target = tx
            .select()
            .from(targets)
            .where(and(eq(targets.id, targetId), eq(targets.campaignId, campaignId)))
            .get();
          if (target?.status !== 'open') return { kind: 'unavailable' };
          const holder = currentHolders(tx, 'target', targetId)[0];
          if (holder?.personId === personId) return { kind: 'mine' };
          if (holder) {
            const by = tx.select({ name: people.name }).from(people).where(eq(people.id, holder.personId)).get();
            return { kind: 'taken', by: by ? `${by.name} 老师` : '其他老师' };
          }
          const held = tx
            .select({ n: count() })
            .from(assignments)
            .where(
              and(
                eq(assignments.campaignId, campaignId),
                eq(assignments.subjectType, 'target'),
                eq(assignments.personId, personId),
                isNull(assignments.endedAt),
              ),
            )
            .get()!.n;
          if (held >= quota) return { kind: 'quota', held };
          tx.insert(assignments).values({ campaignId, subjectType: 'target', subjectId: targetId, personId, via: 'claim', startedAt: at }).run();
          return { kind: 'claimed', target };
        },
        { behavior: 'immediate' },
      );
    } catch (e) {
      // Another process won the race between our check and our insert.
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return { kind: 'taken', by: '其他老师' };
      throw e;
    }
  }

  /** Gives a claimed target back; only its current holder can. */
  async release(targetId: number, personId: number, at: Date): Promise<boolean> {
    const r = this.db
      .update(assignments)
      .set({ endedAt: at, endReason: '本人退回' })
      .where(and(eq(assignments.subjectType, 'target'), eq(assignments.subjectId, targetId), eq(assignments.personId, personId), isNull(assignments.endedAt)))
      .run();
    return r.changes > 0;
  }
}

export type NewTarget = Omit<typeof targets.$inferInsert, 'id' | 'campaignId' | 'status' | 'nominatedBy' | 'createdAt' | 'updatedAt'>;

export class NominationRepo {
  constructor(private readonly db: Db) {}

  /** Registers a nomination as `proposed`; null when the target is already on the list. */
  async propose(campaignId: string, t: NewTarget, nominatorId: number, at: Date): Promise<Target | null> {
    return (
      this.db
        .insert(targets)
        .values({ ...t, campaignId, status: 'proposed', nominatedBy: nominatorId, updatedAt: at })
        .onConflictDoNothing({ target: [targets.campaignId, targets.naturalKey] })
        .returning()
        .get() ?? null
    );
  }

  /** An admin's decision; only a still-proposed target changes, so two admins cannot both decide. */
  async decide(targetId: number, status: 'open' | 'withdrawn', at: Date): Promise<Target | null> {
    return (
      this.db
        .update(targets)
        .set({ status, updatedAt: at })
        .where(and(eq(targets.id, targetId), eq(targets.status, 'proposed')))
        .returning()
        .get() ?? null
    );
  }
}
