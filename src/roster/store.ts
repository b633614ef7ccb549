import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { currentHoldersByCampaign, setHolders, startHoldings, type AssignmentChange } from '../db/assignments.js';
import { assignments, dorms, people, schoolClasses, targets, zones } from '../db/schema.js';
import type { SheetKind } from './sheets.js';
import type { PersonRef, RosterPlan, StoredRoster } from './validate.js';

/** Reads what validation compares against, and writes a validated plan in one transaction. */

export async function storedRoster(db: Db, campaignId: string): Promise<StoredRoster> {
  const visitors = db
    .select({ key: targets.naturalKey, personId: assignments.personId })
    .from(targets)
    .innerJoin(assignments, and(eq(assignments.subjectType, 'target'), eq(assignments.subjectId, targets.id), isNull(assignments.endedAt)))
    .where(eq(targets.campaignId, campaignId))
    .all();
  return {
    classes: db
      .select({ name: schoolClasses.name })
      .from(schoolClasses)
      .where(eq(schoolClasses.campaignId, campaignId))
      .all()
      .map((c) => c.name),
    people: db.select().from(people).all(),
    rooms: db.select({ building: dorms.building, room: dorms.room }).from(dorms).where(eq(dorms.campaignId, campaignId)).all(),
    visitors: new Map(visitors.map((v) => [v.key, v.personId])),
  };
}

export interface Tally {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ApplyResult {
  tallies: Record<SheetKind, Tally>;
  assignments: AssignmentChange;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** Whether any of `values` differs from the stored row. */
const differs = (row: object, values: object) => Object.entries(values).some(([k, v]) => !same((row as Record<string, unknown>)[k], v));

/** Rows per multi-row INSERT: well under SQLite's limit on bound parameters for the widest table. */
const INSERT_CHUNK = 500;

/**
 * Stores the plan: upserts by natural key (class name, mobile or email, building
 * and room, zone name, student or target name), so importing the same file twice
 * changes nothing. `openIds` are the Feishu accounts found for people.
 */
export function applyRoster(db: Db, campaignId: string, plan: RosterPlan, openIds: Map<PersonRef, string>, at: Date): ApplyResult {
  const tallies = Object.fromEntries(
    (['classes', 'members', 'dorms', 'zones', 'targets'] as const).map((k) => [k, { created: 0, updated: 0, unchanged: 0 }]),
  ) as Record<SheetKind, Tally>;
  const moved: AssignmentChange = { started: 0, ended: 0 };
  const meta = { via: 'import' as const, at, reason: '名单导入调整' };

  db.transaction(
    (tx) => {
      const tally = (kind: SheetKind, outcome: keyof Tally) => tallies[kind][outcome]++;
      const addMoves = (c: AssignmentChange) => {
        moved.started += c.started;
        moved.ended += c.ended;
      };

      /** Stores one row found (or not) by its natural key, counting what happened; returns its id. */
      const upsert = (kind: SheetKind, found: { id: number } | undefined, fields: object, insert: () => number, update: (id: number) => void): number => {
        if (!found) {
          tally(kind, 'created');
          return insert();
        }
        const changed = differs(found, fields);
        if (changed) update(found.id);
        tally(kind, changed ? 'updated' : 'unchanged');
        return found.id;
      };

      for (const c of plan.classes) {
        const found = tx
          .select()
          .from(schoolClasses)
          .where(and(eq(schoolClasses.campaignId, campaignId), eq(schoolClasses.name, c.name)))
          .get();
        upsert(
          'classes',
          found,
          c,
          () =>
            tx
              .insert(schoolClasses)
              .values({ campaignId, ...c })
              .returning({ id: schoolClasses.id })
              .get().id,
          (id) => tx.update(schoolClasses).set(c).where(eq(schoolClasses.id, id)).run(),
        );
      }

      const personId = new Map<PersonRef, number>();
      for (const m of plan.members) {
        const { ref, ...fields } = m;
        const openId = openIds.get(ref);
        const values = { ...fields, ...(openId ? { openId } : {}) };
        const found = ref.startsWith('db:')
          ? tx
              .select()
              .from(people)
              .where(eq(people.id, Number(ref.slice(3))))
              .get()
          : undefined;
        const id = upsert(
          'members',
          found,
          values,
          () => tx.insert(people).values(values).returning({ id: people.id }).get().id,
          (id) => tx.update(people).set(values).where(eq(people.id, id)).run(),
        );
        personId.set(ref, id);
      }
      // Stored people found by the directory but not listed in this file get their account too.
      for (const [ref, openId] of openIds) {
        if (personId.has(ref) || !ref.startsWith('db:')) continue;
        tx.update(people)
          .set({ openId })
          .where(and(eq(people.id, Number(ref.slice(3))), isNull(people.openId)))
          .run();
      }
      const idOf = (ref: PersonRef) => personId.get(ref) ?? Number(ref.slice(3));

      for (const d of plan.dorms) {
        const { teachers, ...fields } = d;
        const found = tx
          .select()
          .from(dorms)
          .where(and(eq(dorms.campaignId, campaignId), eq(dorms.building, d.building), eq(dorms.room, d.room)))
          .get();
        const id = upsert(
          'dorms',
          found,
          fields,
          () =>
            tx
              .insert(dorms)
              .values({ campaignId, ...fields })
              .returning({ id: dorms.id })
              .get().id,
          (id) => tx.update(dorms).set(fields).where(eq(dorms.id, id)).run(),
        );
        if (teachers.length) addMoves(setHolders(tx, campaignId, 'dorm', id, teachers.map(idOf), meta));
      }

      for (const z of plan.zones) {
        const { owner, ...fields } = z;
        const found = tx
          .select()
          .from(zones)
          .where(and(eq(zones.campaignId, campaignId), eq(zones.name, z.name)))
          .get();
        const id = upsert(
          'zones',
          found,
          fields,
          () =>
            tx
              .insert(zones)
              .values({ campaignId, ...fields })
              .returning({ id: zones.id })
              .get().id,
          (id) => tx.update(zones).set(fields).where(eq(zones.id, id)).run(),
        );
        if (owner) addMoves(setHolders(tx, campaignId, 'zone', id, [idOf(owner)], meta));
      }

      // A district lists tens of thousands of targets: what is stored is read once, and new ones go in by the hundred.
      const storedTargets = new Map(
        tx
          .select()
          .from(targets)
          .where(eq(targets.campaignId, campaignId))
          .all()
          .map((t) => [t.naturalKey, t]),
      );
      const visitorsNow = currentHoldersByCampaign(tx, campaignId, 'target');
      const fresh: typeof plan.targets = [];
      for (const t of plan.targets) {
        const { visitor, ...fields } = t;
        const found = storedTargets.get(t.naturalKey);
        if (!found) {
          fresh.push(t);
          continue;
        }
        upsert(
          'targets',
          found,
          fields,
          () => found.id,
          (id) =>
            tx
              .update(targets)
              .set({ ...fields, updatedAt: at })
              .where(eq(targets.id, id))
              .run(),
        );
        if (visitor) addMoves(setHolders(tx, campaignId, 'target', found.id, [idOf(visitor)], meta, visitorsNow.get(found.id) ?? []));
      }
      for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
        const chunk = fresh.slice(i, i + INSERT_CHUNK);
        const ids = tx
          .insert(targets)
          .values(chunk.map(({ visitor: _, ...fields }) => ({ campaignId, ...fields, status: 'open' as const, updatedAt: at })))
          .returning({ id: targets.id, naturalKey: targets.naturalKey })
          .all();
        const idByKey = new Map(ids.map((r) => [r.naturalKey, r.id]));
        const holds = chunk.flatMap((t) => (t.visitor ? [{ subjectId: idByKey.get(t.naturalKey)!, personId: idOf(t.visitor) }] : []));
        addMoves({ started: startHoldings(tx, campaignId, 'target', holds, meta), ended: 0 });
        tallies.targets.created += chunk.length;
      }
    },
    { behavior: 'immediate' },
  );
  return { tallies, assignments: moved };
}
