import { and, eq, gte, lte } from 'drizzle-orm';
import type { Db } from './index.js';
import { leaves, people, type Leave, type Person } from './schema.js';

/** Leaves and substitutions, entered by an admin. */
export class LeaveRepo {
  constructor(private readonly db: Db) {}

  async add(l: { personId: number; startOn: string; endOn: string; substituteId: number | null; createdBy: number }): Promise<Leave> {
    return this.db.insert(leaves).values(l).returning().get();
  }

  async remove(id: number): Promise<Leave | null> {
    return this.db.delete(leaves).where(eq(leaves.id, id)).returning().get() ?? null;
  }

  /** Leaves still running or to come on `today`. */
  async current(today: string): Promise<Leave[]> {
    return this.db.select().from(leaves).where(gte(leaves.endOn, today)).orderBy(leaves.startOn).all();
  }

  /** A person's leave that shares a day with `start`–`end`. */
  async overlapping(personId: number, start: string, end: string): Promise<Leave | null> {
    return (
      this.db
        .select()
        .from(leaves)
        .where(and(eq(leaves.personId, personId), lte(leaves.startOn, end), gte(leaves.endOn, start)))
        .get() ?? null
    );
  }

  /** The leave a person is on, on a date. */
  on(personId: number, date: string): Promise<Leave | null> {
    return this.overlapping(personId, date, date);
  }

  /**
   * Who receives a duty of `person` on `date`: the person, or while they are
   * away their substitute, or nobody when no one stands in.
   */
  async recipientOf(person: Person, date: string): Promise<Person | null> {
    const away = await this.on(person.id, date);
    if (!away) return person;
    return away.substituteId === null ? null : (this.db.select().from(people).where(eq(people.id, away.substituteId)).get() ?? null);
  }

  /** Whether `substituteId` stands in for `personId` on any day of a span. */
  async standsInFor(substituteId: number, personId: number, start: string, end: string): Promise<boolean> {
    return !!this.db
      .select({ id: leaves.id })
      .from(leaves)
      .where(and(eq(leaves.substituteId, substituteId), eq(leaves.personId, personId), lte(leaves.startOn, end), gte(leaves.endOn, start)))
      .get();
  }
}
