import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../db/index.js';
import { memoPer } from '../../domain/memo.js';
import { ACTIVE_STATUSES, type LedgerFact } from '../../domain/ledger.js';
import { ledgerEvents, ledgerItems, people, type LedgerEvent, type LedgerEventKind, type LedgerItem, type LedgerStatus } from '../../db/schema.js';

export type NewLedgerItem = Omit<typeof ledgerItems.$inferInsert, 'id' | 'status' | 'updatedAt'>;

/** One step of an item's lifecycle, as the service decided it. */
export interface LedgerChange {
  /** The item as it was read when deciding; the change applies only if it is still so. */
  item: LedgerItem;
  kind: LedgerEventKind;
  to: LedgerStatus;
  actorId: number;
  at: Date;
  note?: string;
  toOwnerId?: number;
  /** Columns besides status, owner and updatedAt. */
  set?: Partial<Pick<LedgerItem, 'resolution' | 'resolvedAt' | 'closedAt' | 'escalatedAt' | 'dueOn'>>;
}

/**
 * digestFacts' read, prepared once per connection and taken as rows of values:
 * drizzle building the query and mapping a district's thousand items cost a
 * digest several times the read itself.
 */
const DIGEST_FACTS = `
  SELECT owner_id, status, created_at, due_on, closed_at FROM ledger_items
  WHERE campaign_id = @campaign AND merged_into_id IS NULL
    AND (status IN (${ACTIVE_STATUSES.map((status) => `'${status}'`).join(', ')}) OR created_at >= @from OR closed_at >= @from)`;
const digestFactsStatement = memoPer<Db['$client'], 'digestFacts', Statement>();

export class LedgerRepo {
  constructor(private readonly db: Db) {}

  async item(id: number): Promise<LedgerItem | null> {
    return this.db.select().from(ledgerItems).where(eq(ledgerItems.id, id)).get() ?? null;
  }

  /** A campaign's items, oldest first; closed ones only when asked for. An item merged into another is no item of its own. */
  async ofCampaign(campaignId: string, opts: { ownerId?: number; statuses?: readonly LedgerStatus[] } = {}): Promise<LedgerItem[]> {
    return this.db
      .select()
      .from(ledgerItems)
      .where(
        and(
          eq(ledgerItems.campaignId, campaignId),
          isNull(ledgerItems.mergedIntoId),
          opts.ownerId !== undefined ? eq(ledgerItems.ownerId, opts.ownerId) : undefined,
          opts.statuses ? inArray(ledgerItems.status, [...opts.statuses]) : undefined,
        ),
      )
      .orderBy(asc(ledgerItems.createdAt), asc(ledgerItems.id))
      .all();
  }

  /** The `limit` newest items of a campaign in `statuses` (not merged away), newest first. */
  newest(campaignId: string, statuses: readonly LedgerStatus[], limit: number): LedgerItem[] {
    return this.db
      .select()
      .from(ledgerItems)
      .where(and(eq(ledgerItems.campaignId, campaignId), isNull(ledgerItems.mergedIntoId), inArray(ledgerItems.status, [...statuses])))
      .orderBy(desc(ledgerItems.id))
      .limit(limit)
      .all();
  }

  /**
   * What the digests of periods from `from` on count (ledgerDigestCounts, once
   * narrowed to a period's end): the items opened or closed since, and those
   * still being worked on, which may be overdue — only their dates and status,
   * not a district's every item with its text.
   */
  async digestFacts(campaignId: string, from: Date): Promise<LedgerFact[]> {
    const client = this.db.$client;
    const statement = digestFactsStatement(client, 'digestFacts', () => client.prepare(DIGEST_FACTS).raw());
    const rows = statement.all({ campaign: campaignId, from: from.getTime() }) as Array<
      [ownerId: number | null, status: LedgerStatus, createdAt: number, dueOn: string | null, closedAt: number | null]
    >;
    return rows.map(([ownerId, status, createdAt, dueOn, closedAt]) => ({
      ownerId,
      status,
      createdAt: new Date(createdAt),
      dueOn,
      closedAt: closedAt === null ? null : new Date(closedAt),
    }));
  }

  /**
   * A page of owners for a job that works a page of people at a time: the items
   * in `statuses` of the next `owners` owners after `afterOwnerId` (by owner id),
   * oldest first; `afterOwnerId` null starts with the items nobody owns yet.
   */
  async pageByOwner(campaignId: string, statuses: readonly LedgerStatus[], afterOwnerId: number | null, owners: number): Promise<LedgerItem[]> {
    const inCampaign = and(eq(ledgerItems.campaignId, campaignId), inArray(ledgerItems.status, [...statuses]));
    const ids = this.db
      .selectDistinct({ ownerId: ledgerItems.ownerId })
      .from(ledgerItems)
      .where(and(inCampaign, afterOwnerId === null ? undefined : sql`${ledgerItems.ownerId} > ${afterOwnerId}`))
      .orderBy(asc(ledgerItems.ownerId))
      .limit(owners)
      .all()
      .map((r) => r.ownerId);
    if (!ids.length) return [];
    const owned = ids.filter((id): id is number => id !== null);
    return this.db
      .select()
      .from(ledgerItems)
      .where(and(inCampaign, or(owned.length ? inArray(ledgerItems.ownerId, owned) : undefined, ids.includes(null) ? isNull(ledgerItems.ownerId) : undefined)))
      .orderBy(asc(ledgerItems.createdAt), asc(ledgerItems.id))
      .all();
  }

  async events(itemId: number): Promise<LedgerEvent[]> {
    return this.db.select().from(ledgerEvents).where(eq(ledgerEvents.itemId, itemId)).orderBy(asc(ledgerEvents.at), asc(ledgerEvents.id)).all();
  }

  async create(values: NewLedgerItem): Promise<LedgerItem> {
    return this.db
      .insert(ledgerItems)
      .values({ ...values, status: 'open', updatedAt: values.createdAt })
      .returning()
      .get();
  }

  /**
   * Applies a change and records it in the history, in one transaction. The
   * update matches the status and owner that were read, so of two clicks that
   * race, one wins and the other gets null and is answered from the fresh item.
   */
  async apply(c: LedgerChange): Promise<{ item: LedgerItem; event: LedgerEvent } | null> {
    return this.db.transaction(
      (tx) => {
        const item = tx
          .update(ledgerItems)
          .set({ ...c.set, status: c.to, ownerId: c.toOwnerId ?? c.item.ownerId, updatedAt: c.at })
          .where(
            and(
              eq(ledgerItems.id, c.item.id),
              eq(ledgerItems.status, c.item.status),
              c.item.ownerId === null ? isNull(ledgerItems.ownerId) : eq(ledgerItems.ownerId, c.item.ownerId),
            ),
          )
          .returning()
          .get();
        if (!item) return null;
        const event = tx
          .insert(ledgerEvents)
          .values({
            itemId: item.id,
            at: c.at,
            actorId: c.actorId,
            kind: c.kind,
            fromStatus: c.item.status,
            toStatus: c.to,
            fromOwnerId: c.toOwnerId ? c.item.ownerId : null,
            toOwnerId: c.toOwnerId ?? null,
            note: c.note ?? null,
          })
          .returning()
          .get();
        return { item, event };
      },
      { behavior: 'immediate' },
    );
  }

  /**
   * The items a day's triage card lists: those raised in [from, to) for the
   * school to act on, whether still waiting or assigned since (not those merged into another).
   */
  async triaged(campaignId: string, from: Date, to: Date): Promise<LedgerItem[]> {
    const assigned = sql`exists (select 1 from ${ledgerEvents} where ${ledgerEvents.itemId} = ${ledgerItems.id} and ${ledgerEvents.kind} = 'assigned')`;
    return this.db
      .select()
      .from(ledgerItems)
      .where(
        and(
          eq(ledgerItems.campaignId, campaignId),
          gte(ledgerItems.createdAt, from),
          lt(ledgerItems.createdAt, to),
          isNull(ledgerItems.mergedIntoId),
          or(isNull(ledgerItems.ownerId), assigned),
        ),
      )
      .orderBy(asc(ledgerItems.createdAt), asc(ledgerItems.id))
      .all();
  }

  /** The items merged into this one (并入), oldest first: its further sources. */
  async mergedInto(itemId: number): Promise<LedgerItem[]> {
    return this.db.select().from(ledgerItems).where(eq(ledgerItems.mergedIntoId, itemId)).orderBy(asc(ledgerItems.id)).all();
  }

  /**
   * Merges a twin into the older item it repeats, in one transaction: the twin
   * is closed as merged (并入), both histories say so. Null when the twin
   * changed meanwhile (merged, or closed out, by someone else first).
   */
  async merge(twin: LedgerItem, into: LedgerItem, actorId: number, at: Date): Promise<LedgerItem | null> {
    return this.db.transaction(
      (tx) => {
        const merged = tx
          .update(ledgerItems)
          .set({ status: 'closed', closedAt: at, mergedIntoId: into.id, updatedAt: at })
          .where(and(eq(ledgerItems.id, twin.id), eq(ledgerItems.status, twin.status), isNull(ledgerItems.mergedIntoId)))
          .returning()
          .get();
        if (!merged) return null;
        tx.insert(ledgerEvents)
          .values([
            { itemId: twin.id, at, actorId, kind: 'merged' as const, fromStatus: twin.status, toStatus: 'closed' as const, note: `并入台账 #${into.id}` },
            { itemId: into.id, at, actorId, kind: 'merged' as const, fromStatus: into.status, toStatus: into.status, note: `台账 #${twin.id} 并入本条` },
          ])
          .run();
        return merged;
      },
      { behavior: 'immediate' },
    );
  }

  /** Notes that each item's owner has been told it is overdue (`<owner id>:<due date>`), so they hear once per due date. */
  async noticedOverdue(noticed: Array<{ id: number; key: string }>): Promise<void> {
    this.db.transaction((tx) => {
      for (const n of noticed) tx.update(ledgerItems).set({ overdueNoticed: n.key }).where(eq(ledgerItems.id, n.id)).run();
    });
  }

  /** Marks items as reported to the admins (once per due date) and notes it in their history. */
  async escalate(ids: number[], at: Date): Promise<void> {
    if (!ids.length) return;
    this.db.transaction((tx) => {
      const marked = tx
        .update(ledgerItems)
        .set({ escalatedAt: at })
        .where(and(inArray(ledgerItems.id, ids), isNull(ledgerItems.escalatedAt)))
        .returning({ id: ledgerItems.id, status: ledgerItems.status })
        .all();
      if (marked.length) {
        tx.insert(ledgerEvents)
          .values(marked.map((m) => ({ itemId: m.id, at, actorId: null, kind: 'escalated' as const, fromStatus: m.status, toStatus: m.status })))
          .run();
      }
    });
  }

  /** Names of the people an item's card mentions. */
  async names(ids: Array<number | null>): Promise<Map<number, string>> {
    const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
    if (!wanted.length) return new Map();
    return new Map(
      this.db
        .select({ id: people.id, name: people.name })
        .from(people)
        .where(inArray(people.id, wanted))
        .all()
        .map((p) => [p.id, p.name]),
    );
  }
}
