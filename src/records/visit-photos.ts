import { and, asc, eq, lte, ne, notExists } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { photos, records } from '../db/schema.js';

/** An in-person visit filed without a photo, where the campaign asks for one (访问时的记录、拍照). */
export interface VisitWithoutPhoto {
  recordId: number;
  authorId: number;
  targetId: number;
  occurredOn: string;
}

/** Whose gaps, and as of when: a digest's cut-off (filed and photographed by then, visited by `asOf`). */
export interface PhotoGapScope {
  authorId?: number;
  asOf?: { day: string; cutoff: Date };
}

/**
 * In-person visits with no photo on the record: a photo still downloading counts
 * (it is on its way), one that failed for good does not. Only the author can attach
 * one (photos go to the sender's own records), so the gap is theirs.
 */
export function visitsWithoutPhotos(db: Db, campaignId: string, scope: PhotoGapScope = {}): VisitWithoutPhoto[] {
  const { authorId, asOf } = scope;
  const photographed = db
    .select({ id: photos.id })
    .from(photos)
    .where(and(eq(photos.recordId, records.id), ne(photos.status, 'failed'), asOf && lte(photos.receivedAt, asOf.cutoff)));
  return db
    .select({ recordId: records.id, authorId: records.authorId, targetId: records.subjectId, occurredOn: records.occurredOn })
    .from(records)
    .where(
      and(
        eq(records.campaignId, campaignId),
        eq(records.form, 'visit'),
        eq(records.visitMode, 'in-person'),
        authorId === undefined ? undefined : eq(records.authorId, authorId),
        asOf && lte(records.occurredOn, asOf.day),
        asOf && lte(records.submittedAt, asOf.cutoff),
        notExists(photographed),
      ),
    )
    .orderBy(asc(records.occurredOn), asc(records.id))
    .all();
}
