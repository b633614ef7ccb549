import { and, eq } from 'drizzle-orm';
import type { Tx } from './index.js';
import { ledgerEvents, ledgerItems, type LedgerItem, type LedgerRaiser, type RecordForm } from './schema.js';

/** A ledger item a record opens: who raised it and what they said. */
export interface RaisedIssue {
  raisedBy: LedgerRaiser;
  text: string;
  category: string | null;
  /**
   * The school must act on it ("需要学校处理"), not the person who heard it: it
   * opens with nobody responsible, in the admins' triage queue (待分派), and an
   * admin assigns it to whoever can act.
   */
  forSchool?: boolean;
}

export interface Raising {
  campaignId: string;
  /** The record the issues come from: a visit's opinions, a failed dorm check, a zone report's problems, a promoted suggestion. */
  source: { form: RecordForm; recordId: number };
  issues: RaisedIssue[];
  /**
   * How an issue is known again: by its wording (`text`, one item per problem
   * stated), or as the record itself (`record`, one item for the whole record).
   */
  key: 'text' | 'record';
  /** Who handles the issues the school is not asked to (see `RaisedIssue.forSchool`). */
  ownerId: number;
  authorId: number;
  dueOn?: string | null;
  at: Date;
}

/**
 * The one place ledger items are raised, inside the transaction that stores
 * their source. An issue the source already raised is not raised again (a
 * re-submitted report, a re-sent form, a suggestion promoted twice); one that
 * was reworded while its item is still open — nobody has taken it up — rewords
 * that item, with the old wording kept in its history; anything else opens a
 * new item. Returns the new items: the caller announces them to their owner,
 * or to the admins' triage queue (`announceLedger`), once the transaction has committed.
 */
export function raiseIssues(tx: Tx, r: Raising): LedgerItem[] {
  const items = tx
    .select()
    .from(ledgerItems)
    .where(and(eq(ledgerItems.recordId, r.source.recordId), eq(ledgerItems.source, r.source.form)))
    .orderBy(ledgerItems.id)
    .all();
  const issues = r.key === 'record' ? r.issues.slice(0, 1) : r.issues;
  const known = new Set(items.map((l) => l.text));
  const stated = new Set(issues.map((i) => i.text));
  const reworded = items.filter((l) => l.status === 'open' && !stated.has(l.text));
  const raised: LedgerItem[] = [];
  for (const issue of issues) {
    if (known.has(issue.text) || (r.key === 'record' && items.length && !reworded.length)) continue;
    known.add(issue.text);
    const earlier = reworded.shift();
    if (earlier) {
      tx.update(ledgerItems)
        .set({ text: issue.text, raisedBy: issue.raisedBy, category: issue.category, updatedAt: r.at })
        .where(eq(ledgerItems.id, earlier.id))
        .run();
      tx.insert(ledgerEvents)
        .values({ itemId: earlier.id, at: r.at, actorId: r.authorId, kind: 'reworded', note: `原为：${earlier.text}` })
        .run();
      continue;
    }
    raised.push(
      tx
        .insert(ledgerItems)
        .values({
          campaignId: r.campaignId,
          recordId: r.source.recordId,
          source: r.source.form,
          raisedBy: issue.raisedBy,
          text: issue.text,
          category: issue.category,
          ownerId: issue.forSchool ? null : r.ownerId,
          createdBy: r.authorId,
          dueOn: r.dueOn ?? null,
          status: 'open',
          createdAt: r.at,
          updatedAt: r.at,
        })
        .returning()
        .get(),
    );
  }
  return raised;
}
