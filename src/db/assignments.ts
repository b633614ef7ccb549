import { and, eq, gt, isNull, lte, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Db, Tx } from './index.js';
import { assignments, people, type Assignment, type Person, type SubjectType } from './schema.js';

/**
 * Who currently holds a dorm, zone or target, and the history of who held it.
 * Changes end the current rows and start new ones, never overwrite them, so a
 * substitution during leave can be traced afterwards.
 */

type Conn = Db | Tx;

export interface AssignmentChange {
  started: number;
  ended: number;
}

export interface AssignmentMeta {
  via: Assignment['via'];
  at: Date;
  by?: number | null;
  /** Why the previous holders stopped (e.g. 病假代班). */
  reason?: string;
}

/** An assignment in force now (not ended), or at `at`: begun by then and not ended by then. */
export const heldAt = (at?: Date | Placeholder): SQL =>
  at === undefined ? isNull(assignments.endedAt) : and(lte(assignments.startedAt, at), or(isNull(assignments.endedAt), gt(assignments.endedAt, at)))!;

export function currentHolders(conn: Conn, subjectType: SubjectType, subjectId: number): Assignment[] {
  return conn
    .select()
    .from(assignments)
    .where(and(eq(assignments.subjectType, subjectType), eq(assignments.subjectId, subjectId), isNull(assignments.endedAt)))
    .all();
}

/** Every current assignment of a campaign's subjects of one type, by subject: a bulk import reads them once, not per row. */
export function currentHoldersByCampaign(conn: Conn, campaignId: string, subjectType: SubjectType): Map<number, Assignment[]> {
  const bySubject = new Map<number, Assignment[]>();
  for (const a of conn
    .select()
    .from(assignments)
    .where(and(eq(assignments.campaignId, campaignId), eq(assignments.subjectType, subjectType), isNull(assignments.endedAt)))
    .all()) {
    const list = bySubject.get(a.subjectId);
    if (list) list.push(a);
    else bySubject.set(a.subjectId, [a]);
  }
  return bySubject;
}

/**
 * Makes `personIds` the current holders: others are ended, missing ones started.
 * Run inside the caller's transaction so the check and the change are one step.
 */
export function setHolders(
  conn: Conn,
  campaignId: string,
  subjectType: SubjectType,
  subjectId: number,
  personIds: number[],
  meta: AssignmentMeta,
  current: Assignment[] = currentHolders(conn, subjectType, subjectId),
): AssignmentChange {
  const change: AssignmentChange = { started: 0, ended: 0 };
  for (const a of current) {
    if (personIds.includes(a.personId)) continue;
    conn
      .update(assignments)
      .set({ endedAt: meta.at, endReason: meta.reason ?? null })
      .where(eq(assignments.id, a.id))
      .run();
    change.ended++;
  }
  const missing = personIds.filter((personId) => !current.some((a) => a.personId === personId));
  change.started = startHoldings(
    conn,
    campaignId,
    subjectType,
    missing.map((personId) => ({ subjectId, personId })),
    meta,
  );
  return change;
}

/** Starts holdings of subjects that have none yet (a bulk import's new targets), in one INSERT; returns how many. */
export function startHoldings(
  conn: Conn,
  campaignId: string,
  subjectType: SubjectType,
  holds: Array<{ subjectId: number; personId: number }>,
  meta: AssignmentMeta,
): number {
  if (!holds.length) return 0;
  conn
    .insert(assignments)
    .values(holds.map((h) => ({ campaignId, subjectType, ...h, via: meta.via, assignedBy: meta.by ?? null, startedAt: meta.at })))
    .run();
  return holds.length;
}

/** The subjects of a type a person holds now in a campaign (AssignmentRepo.heldBy), read from assignments_person_idx alone. */
export function holdingsOf(db: Db) {
  return db
    .select({ id: assignments.subjectId })
    .from(assignments)
    .where(
      and(
        eq(assignments.campaignId, sql.placeholder('campaignId')),
        eq(assignments.subjectType, sql.placeholder('subjectType')),
        eq(assignments.personId, sql.placeholder('personId')),
        heldAt(),
      ),
    );
}

export class AssignmentRepo {
  /** Asked on every form opened or submitted: prepared once. */
  private readonly currentHolders;
  /** Asked twice by every /进度 (dorms, targets): prepared once. */
  private readonly held;

  constructor(private readonly db: Db) {
    this.held = holdingsOf(db).prepare();
    this.currentHolders = db
      .select({ person: people })
      .from(assignments)
      .innerJoin(people, eq(people.id, assignments.personId))
      .where(
        and(eq(assignments.subjectType, sql.placeholder('subjectType')), eq(assignments.subjectId, sql.placeholder('subjectId')), isNull(assignments.endedAt)),
      )
      .prepare();
  }

  async holders(subjectType: SubjectType, subjectId: number): Promise<Person[]> {
    return this.currentHolders.all({ subjectType, subjectId }).map((r) => r.person);
  }

  /** Subjects of a type that the person currently holds in the campaign. */
  async heldBy(campaignId: string, subjectType: SubjectType, personId: number): Promise<number[]> {
    return this.held.all({ campaignId, subjectType, personId }).map((r) => r.id);
  }

  /** Everyone who has held the subject, oldest first, with their names. */
  async history(subjectType: SubjectType, subjectId: number): Promise<Array<Assignment & { personName: string }>> {
    return this.db
      .select({ a: assignments, personName: people.name })
      .from(assignments)
      .innerJoin(people, eq(people.id, assignments.personId))
      .where(and(eq(assignments.subjectType, subjectType), eq(assignments.subjectId, subjectId)))
      .orderBy(assignments.startedAt, assignments.id)
      .all()
      .map((r) => ({ ...r.a, personName: r.personName }));
  }
}
