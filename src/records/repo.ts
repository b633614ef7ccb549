import { and, count, desc, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import {
  ledgerItems,
  people,
  photos,
  recordDrafts,
  recordRevisions,
  records,
  recordVisitors,
  type LedgerItem,
  type Person,
  type Photo,
  type RecordForm,
  type RecordRow,
  type RecordSubject,
} from '../db/schema.js';
import { raiseIssues, type RaisedIssue } from '../db/ledger-raising.js';
import { sameData, type FormData } from './fields.js';

export interface Subject {
  type: RecordSubject;
  id: number;
}

export interface SaveRecord {
  campaignId: string;
  form: RecordForm;
  subject: Subject;
  periodKey: string | null;
  /** The record being edited; absent for a new free-repeating record (a visit). */
  recordId?: number;
  /** The version the card showed (0: a fresh form); a record changed since is not overwritten. Absent: no check. */
  baseRevision?: number;
  /** A new free-repeating record: the opened form it comes from, so a second submit of that form finds it. */
  submissionKey?: string;
  authorId: number;
  occurredOn: string;
  data: FormData;
  at: Date;
  late: boolean;
  /** Visits: everyone the visit counts for besides the author. */
  coVisitorIds?: number[];
  /** Issues to raise in the ledger (see raiseIssues: a repeat is not raised twice, a reworded open one is reworded). */
  issues?: RaisedIssue[];
  ledgerOwnerId?: number;
  ledgerDueOn?: string | null;
  /**
   * The message the record's card is about to show on, and who clicked there: when they are its
   * author, the card is updated there when a photo attaches. Kept in the same transaction.
   */
  card?: { messageId: string; viewerId: number };
}

/** `conflict`: the record changed after the card was opened; nothing was saved. */
export type SaveOutcome = { kind: 'created' | 'edited' | 'unchanged' | 'conflict'; record: RecordRow; ledger: LedgerItem[]; photos: number };

/** Photos that arrived for a form that was open wait this long for its submission. */
export const DRAFT_PHOTO_WINDOW_MS = 24 * 3600_000;

/** The columns a visit's mode and place are kept in besides its data (null for other forms). */
export const visitColumns = (form: RecordForm, data: FormData) =>
  form === 'visit' ? { visitMode: String(data.mode ?? ''), visitPlace: String(data.place ?? '') } : { visitMode: null, visitPlace: null };

const $ = sql.placeholder;

/**
 * The statements a card submit runs, prepared once: drizzle building the same
 * SQL again on every call, and SQLite compiling it, cost more than running it.
 * Prepared on the connection, they take part in its transactions.
 */
function prepared(db: Db) {
  const subject = and(eq(records.subjectType, $('subjectType')), eq(records.subjectId, $('subjectId')));
  return {
    byId: db
      .select()
      .from(records)
      .where(eq(records.id, $('id')))
      .prepare(),
    bySubmission: db
      .select()
      .from(records)
      .where(and(eq(records.submissionKey, $('submissionKey')), eq(records.form, $('form')), subject))
      .prepare(),
    // The unary + keeps SQLite on the subject's index: left to choose, it walks every visit of the campaign.
    countForSubject: db
      .select({ n: count() })
      .from(records)
      .where(and(subject, sql`+${records.campaignId} = ${$('campaignId')}`, sql`+${records.form} = ${$('form')}`))
      .prepare(),
    // A form's records counted where they are (the 大讨论's suggestions, on every /进度 while it runs): never read into JavaScript.
    tally: db
      .select({
        all: count(),
        mine: sql<number>`coalesce(sum(${records.authorId} = ${$('authorId')}), 0)`,
        authors: sql<number>`count(distinct ${records.authorId})`,
      })
      .from(records)
      .where(and(eq(records.campaignId, $('campaignId')), eq(records.form, $('form'))))
      .prepare(),
    coVisitors: db
      .select({ personId: recordVisitors.personId })
      .from(recordVisitors)
      .where(and(eq(recordVisitors.recordId, $('recordId')), eq(recordVisitors.role, 'co-visitor')))
      .prepare(),
    insertRecord: db
      .insert(records)
      .values({
        campaignId: $('campaignId'),
        form: $('form'),
        subjectType: $('subjectType'),
        subjectId: $('subjectId'),
        periodKey: $('periodKey'),
        authorId: $('authorId'),
        occurredOn: $('occurredOn'),
        data: $('data'),
        visitMode: $('visitMode'),
        visitPlace: $('visitPlace'),
        submittedAt: $('at'),
        late: $('late'),
        revision: 1,
        updatedAt: $('at'),
        submissionKey: $('submissionKey'),
        cardMessageId: $('cardMessageId'),
      })
      .returning()
      .prepare(),
    insertRevision: db
      .insert(recordRevisions)
      .values({ recordType: $('form'), recordId: $('recordId'), revision: $('revision'), data: $('data'), authorId: $('authorId'), recordedAt: $('at') })
      .prepare(),
    insertVisitor: db
      .insert(recordVisitors)
      // The record's day and a visit's target, as the triggers of migration 0026 would set them: written here, not by
      // a second write of the row.
      .values({ recordId: $('recordId'), personId: $('personId'), role: $('role'), occurredOn: $('occurredOn'), targetId: $('targetId') })
      .prepare(),
    visitors: db
      .select({ person: people, role: recordVisitors.role })
      .from(recordVisitors)
      .innerJoin(people, eq(people.id, recordVisitors.personId))
      .where(eq(recordVisitors.recordId, $('recordId')))
      .prepare(),
    isVisitor: db
      .select({ id: recordVisitors.recordId })
      .from(recordVisitors)
      .where(and(eq(recordVisitors.recordId, $('recordId')), eq(recordVisitors.personId, $('personId'))))
      .prepare(),
    ledgerOf: db
      .select()
      .from(ledgerItems)
      .where(eq(ledgerItems.recordId, $('recordId')))
      .orderBy(ledgerItems.id)
      .prepare(),
    photosOf: db
      .select()
      .from(photos)
      .where(eq(photos.recordId, $('recordId')))
      .orderBy(photos.id)
      .prepare(),
    draftOf: db
      .select()
      .from(recordDrafts)
      .where(eq(recordDrafts.personId, $('personId')))
      .prepare(),
    rememberCard: db
      .update(records)
      .set({ cardMessageId: sql`${$('messageId')}` })
      .where(eq(records.id, $('recordId')))
      .prepare(),
  };
}

/** One set per database, as VisitAggregates keeps its own: every feature that reads records makes a RecordRepo at start-up. */
const preparedFor = new WeakMap<Db, ReturnType<typeof prepared>>();

export class RecordRepo {
  private readonly q: ReturnType<typeof prepared>;

  constructor(private readonly db: Db) {
    let q = preparedFor.get(db);
    if (!q) preparedFor.set(db, (q = prepared(db)));
    this.q = q;
  }

  async get(id: number): Promise<RecordRow | null> {
    return this.q.byId.get({ id }) ?? null;
  }

  /** The record of a periodic form for its subject and period. */
  async forPeriod(campaignId: string, form: RecordForm, subject: Subject, periodKey: string): Promise<RecordRow | null> {
    return (
      this.db
        .select()
        .from(records)
        .where(
          and(
            eq(records.campaignId, campaignId),
            eq(records.form, form),
            eq(records.subjectType, subject.type),
            eq(records.subjectId, subject.id),
            eq(records.periodKey, periodKey),
          ),
        )
        .get() ?? null
    );
  }

  async forSubject(campaignId: string, form: RecordForm, subject: Subject): Promise<RecordRow[]> {
    return this.db
      .select()
      .from(records)
      .where(and(eq(records.campaignId, campaignId), eq(records.form, form), eq(records.subjectType, subject.type), eq(records.subjectId, subject.id)))
      .orderBy(records.occurredOn, records.id)
      .all();
  }

  /** How many records of a form there are about the subject (a target's visits so far), counted where they are. */
  async countForSubject(campaignId: string, form: RecordForm, subject: Subject): Promise<number> {
    return this.q.countForSubject.get({ campaignId, form, subjectType: subject.type, subjectId: subject.id })?.n ?? 0;
  }

  /** How many records of a form the campaign has, how many are `authorId`'s, and from how many people. */
  async tally(campaignId: string, form: RecordForm, authorId: number): Promise<{ all: number; mine: number; authors: number }> {
    return this.q.tally.get({ campaignId, form, authorId }) ?? { all: 0, mine: 0, authors: 0 };
  }

  /** A form's records filed or changed since `since`. */
  async changedSince(campaignId: string, form: RecordForm, since: Date): Promise<RecordRow[]> {
    return this.db
      .select()
      .from(records)
      .where(and(eq(records.campaignId, campaignId), eq(records.form, form), gte(records.updatedAt, since)))
      .orderBy(records.id)
      .all();
  }

  async ofForm(campaignId: string, form: RecordForm): Promise<RecordRow[]> {
    return this.db
      .select()
      .from(records)
      .where(and(eq(records.campaignId, campaignId), eq(records.form, form)))
      .orderBy(desc(records.id))
      .all();
  }

  /** How many visits each of `targetIds` has had, by anyone: a shared target's visits are the class's or the department's together. */
  async visitCounts(campaignId: string, targetIds: number[]): Promise<Map<number, number>> {
    if (!targetIds.length) return new Map();
    const rows = this.db
      .select({ id: records.subjectId, n: count() })
      .from(records)
      .where(and(eq(records.campaignId, campaignId), eq(records.form, 'visit'), inArray(records.subjectId, targetIds)))
      .groupBy(records.subjectId)
      .all();
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** Visit records a person counts in (as author or co-visitor). */
  async visitsOf(personId: number, campaignId: string): Promise<RecordRow[]> {
    return this.db
      .select({ r: records })
      .from(recordVisitors)
      .innerJoin(records, eq(records.id, recordVisitors.recordId))
      .where(and(eq(recordVisitors.personId, personId), eq(records.campaignId, campaignId), eq(records.form, 'visit')))
      .orderBy(records.occurredOn)
      .all()
      .map((x) => x.r);
  }

  async visitors(recordId: number): Promise<Array<{ person: Person; role: 'author' | 'co-visitor' }>> {
    return this.q.visitors.all({ recordId });
  }

  /** Whether the person went on a visit to the target that one of `authorIds` recorded. */
  async visitedTargetWith(personId: number, targetId: number, authorIds: number[]): Promise<boolean> {
    if (!authorIds.length) return false;
    const row = this.db
      .select({ id: records.id })
      .from(recordVisitors)
      .innerJoin(records, eq(records.id, recordVisitors.recordId))
      .where(
        and(eq(recordVisitors.personId, personId), eq(records.subjectType, 'target'), eq(records.subjectId, targetId), inArray(records.authorId, authorIds)),
      )
      .get();
    return !!row;
  }

  /** Whether the person is on this record (its author or a co-visitor). */
  async isVisitorOf(personId: number, recordId: number): Promise<boolean> {
    return !!this.q.isVisitor.get({ recordId, personId });
  }

  async ledgerOf(recordId: number): Promise<LedgerItem[]> {
    return this.q.ledgerOf.all({ recordId });
  }

  async photosOf(recordId: number): Promise<Photo[]> {
    return this.q.photosOf.all({ recordId });
  }

  async revisions(recordId: number, form: RecordForm) {
    return this.db
      .select()
      .from(recordRevisions)
      .where(and(eq(recordRevisions.recordType, form), eq(recordRevisions.recordId, recordId)))
      .orderBy(recordRevisions.revision)
      .all();
  }

  /** Remembers the form a person just opened, so photos sent meanwhile go to it. */
  async openDraft(personId: number, form: RecordForm, subject: Subject, recordId: number | null, at: Date): Promise<void> {
    const values = { personId, form, subjectType: subject.type, subjectId: subject.id, recordId, openedAt: at };
    this.db.insert(recordDrafts).values(values).onConflictDoUpdate({ target: recordDrafts.personId, set: values }).run();
  }

  async draftOf(personId: number) {
    return this.q.draftOf.get({ personId }) ?? null;
  }

  /**
   * Stores a submission in one transaction: the record, its revision, who it
   * counts for, the ledger items it opens, and the photos that were waiting
   * for it. Identical content (a double click, a re-sent form) changes nothing.
   */
  async save(s: SaveRecord): Promise<SaveOutcome> {
    return this.db.transaction((tx) => {
      const existing = s.recordId
        ? this.q.byId.get({ id: s.recordId })
        : s.periodKey
          ? tx
              .select()
              .from(records)
              .where(
                and(
                  eq(records.campaignId, s.campaignId),
                  eq(records.form, s.form),
                  eq(records.subjectType, s.subject.type),
                  eq(records.subjectId, s.subject.id),
                  eq(records.periodKey, s.periodKey),
                ),
              )
              .get()
          : s.submissionKey
            ? this.q.bySubmission.get({ submissionKey: s.submissionKey, form: s.form, subjectType: s.subject.type, subjectId: s.subject.id })
            : undefined;
      const visitorsBefore = existing ? this.q.coVisitors.all({ recordId: existing.id }).map((v) => v.personId) : [];
      const coVisitors = [...new Set(s.coVisitorIds ?? [])].filter((id) => id !== s.authorId);
      const sameVisitors = visitorsBefore.length === coVisitors.length && coVisitors.every((id) => visitorsBefore.includes(id));
      // The card the author filed from, to update when the record changes; a new record is given it as it is stored.
      const cardOf = (authorId: number) => (s.card && authorId === s.card.viewerId ? s.card.messageId : null);
      const remember = (r: RecordRow) => {
        const messageId = cardOf(r.authorId);
        if (messageId) this.q.rememberCard.run({ recordId: r.id, messageId });
      };
      if (existing && sameData(existing.data, s.data) && existing.occurredOn === s.occurredOn && sameVisitors) {
        remember(existing);
        return { kind: 'unchanged', record: existing, ledger: [], photos: 0 };
      }
      if (existing && s.baseRevision !== undefined && existing.revision > s.baseRevision) return { kind: 'conflict', record: existing, ledger: [], photos: 0 };
      const record = existing
        ? tx
            .update(records)
            .set({ data: s.data, ...visitColumns(s.form, s.data), occurredOn: s.occurredOn, revision: existing.revision + 1, updatedAt: s.at })
            .where(eq(records.id, existing.id))
            .returning()
            .get()
        : this.q.insertRecord.get({
            campaignId: s.campaignId,
            form: s.form,
            subjectType: s.subject.type,
            subjectId: s.subject.id,
            periodKey: s.periodKey,
            authorId: s.authorId,
            occurredOn: s.occurredOn,
            data: s.data,
            ...visitColumns(s.form, s.data),
            at: s.at,
            late: s.late,
            submissionKey: s.submissionKey ?? null,
            cardMessageId: cardOf(s.authorId),
          })!;
      this.q.insertRevision.run({
        form: s.form,
        recordId: record.id,
        revision: record.revision,
        data: { occurredOn: s.occurredOn, ...s.data, coVisitorIds: coVisitors },
        authorId: s.authorId,
        at: s.at,
      });

      if (existing) remember(record);
      const visit = { occurredOn: record.occurredOn, targetId: record.form === 'visit' ? record.subjectId : null };
      if (!existing) this.q.insertVisitor.run({ recordId: record.id, personId: s.authorId, role: 'author', ...visit });
      if (!sameVisitors) {
        tx.delete(recordVisitors)
          .where(and(eq(recordVisitors.recordId, record.id), eq(recordVisitors.role, 'co-visitor')))
          .run();
        for (const personId of coVisitors) this.q.insertVisitor.run({ recordId: record.id, personId, role: 'co-visitor', ...visit });
      }

      const ledger =
        s.issues?.length && s.ledgerOwnerId
          ? raiseIssues(tx, {
              campaignId: s.campaignId,
              source: { form: s.form, recordId: record.id },
              issues: s.issues,
              key: 'text',
              ownerId: s.ledgerOwnerId,
              authorId: s.authorId,
              dueOn: s.ledgerDueOn,
              at: s.at,
            })
          : [];

      // Photos sent for the form being filled (recently, not yet attached) now belong to it.
      let attached = 0;
      const draft = this.q.draftOf.get({ personId: s.authorId });
      if (draft && draft.form === s.form && draft.subjectType === s.subject.type && draft.subjectId === s.subject.id) {
        attached = tx
          .update(photos)
          .set({ recordId: record.id })
          .where(and(eq(photos.personId, s.authorId), isNull(photos.recordId), gte(photos.receivedAt, new Date(s.at.getTime() - DRAFT_PHOTO_WINDOW_MS))))
          .run().changes;
        tx.delete(recordDrafts).where(eq(recordDrafts.personId, s.authorId)).run();
      }
      return { kind: existing ? 'edited' : 'created', record, ledger, photos: attached };
    });
  }

  /** Turns a record (a suggestion) into a ledger item owned by `ownerId`; null when it already is one. */
  async promote(record: RecordRow, ownerId: number, at: Date): Promise<LedgerItem | null> {
    const issue = { raisedBy: 'teacher' as const, text: String(record.data.content ?? ''), category: String(record.data.topic ?? '') || null };
    const [item] = this.db.transaction((tx) =>
      raiseIssues(tx, {
        campaignId: record.campaignId,
        source: { form: record.form, recordId: record.id },
        issues: [issue],
        key: 'record',
        ownerId,
        authorId: ownerId,
        at,
      }),
    );
    return item ?? null;
  }

  /** That message shows something else now (an edit form). */
  async forgetCard(recordId: number, messageId: string): Promise<void> {
    this.db
      .update(records)
      .set({ cardMessageId: null })
      .where(and(eq(records.id, recordId), eq(records.cardMessageId, messageId)))
      .run();
  }

  async ledgerCount(recordIds: number[]): Promise<Map<number, number>> {
    const m = new Map<number, number>();
    if (!recordIds.length) return m;
    for (const l of this.db.select({ recordId: ledgerItems.recordId }).from(ledgerItems).where(inArray(ledgerItems.recordId, recordIds)).all()) {
      if (l.recordId) m.set(l.recordId, (m.get(l.recordId) ?? 0) + 1);
    }
    return m;
  }
}
