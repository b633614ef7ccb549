import { and, desc, eq, gte, inArray, isNull, lte, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { dorms, photos, records, targets, type Photo, type RecordForm, type RecordRow, type RecordSubject } from '../../db/schema.js';
import type { StoredFile } from './store.js';

/** Forms a stray photo may land on: the ones about a place or a visit, not the written pieces. */
export const PHOTO_FORMS: RecordForm[] = ['visit', 'dorm-check', 'dorm-record', 'student-day'];

const FORM_LABELS: Record<RecordForm, string> = {
  visit: '走访记录',
  'dorm-check': '宿舍检查',
  'dorm-record': '宿舍记录表',
  'zone-report': '环境责任区报表',
  'student-day': '做一天中职学生',
  reflection: '心得',
  story: '感人故事',
  suggestion: '献一计',
};

/** Photo rows and the lookups that decide where a photo goes. */
export class PhotoRepo {
  constructor(private readonly db: Db) {}

  /** The new row, or null when this (message, image) was already received. */
  async insert(row: typeof photos.$inferInsert): Promise<Photo | null> {
    return (
      this.db
        .insert(photos)
        .values(row)
        .onConflictDoNothing({ target: [photos.messageId, photos.imageKey] })
        .returning()
        .get() ?? null
    );
  }

  async get(id: number): Promise<Photo | null> {
    return this.db.select().from(photos).where(eq(photos.id, id)).get() ?? null;
  }

  async byMessage(messageId: string): Promise<Photo[]> {
    return this.db.select().from(photos).where(eq(photos.messageId, messageId)).orderBy(photos.id).all();
  }

  /** Marks a download done; false when it already was (another attempt got there first). */
  async markStored(id: number, file: StoredFile, attempts: number): Promise<boolean> {
    return (
      this.db
        .update(photos)
        .set({
          status: 'stored',
          sha256: file.sha256,
          path: file.path,
          contentType: file.contentType,
          bytes: file.bytes,
          attempts,
          nextAttemptAt: null,
          lastError: null,
        })
        .where(and(eq(photos.id, id), ne(photos.status, 'stored')))
        .run().changes === 1
    );
  }

  /** Records a failed download; `nextAttemptAt` null means it will not be tried again. */
  async markFailed(id: number, o: { attempts: number; nextAttemptAt: Date | null; lastError: string }): Promise<boolean> {
    return (
      this.db
        .update(photos)
        .set({ status: 'failed', ...o })
        .where(and(eq(photos.id, id), ne(photos.status, 'stored')))
        .run().changes === 1
    );
  }

  /** Downloads waiting for a retry (failed ones, and pending ones whose first try never finished). */
  async due(now: Date, limit: number): Promise<Photo[]> {
    return this.db
      .select()
      .from(photos)
      .where(and(inArray(photos.status, ['pending', 'failed']), lte(photos.nextAttemptAt, now)))
      .orderBy(photos.nextAttemptAt, photos.id)
      .limit(limit)
      .all();
  }

  /** Takes a due row for one attempt (pushing its next attempt out by a lease), so overlapping runs never both try it. */
  async claim(row: Photo, leaseUntil: Date): Promise<boolean> {
    if (!row.nextAttemptAt) return false;
    return (
      this.db
        .update(photos)
        .set({ nextAttemptAt: leaseUntil })
        .where(and(eq(photos.id, row.id), eq(photos.status, row.status), eq(photos.attempts, row.attempts), eq(photos.nextAttemptAt, row.nextAttemptAt)))
        .run().changes === 1
    );
  }

  /** Which photo of its record this is (1-based), counting those not failed. */
  async rankOnRecord(photo: Photo): Promise<number> {
    if (!photo.recordId) return 0;
    const r = this.db
      .select({ n: sql<number>`count(*)` })
      .from(photos)
      .where(and(eq(photos.recordId, photo.recordId), ne(photos.status, 'failed'), lte(photos.id, photo.id)))
      .get();
    return Number(r?.n ?? 0);
  }

  /** Photos of a person waiting (unattached) since `since`, up to and including this one. */
  async waitingUpTo(photo: Photo, since: Date): Promise<number> {
    const r = this.db
      .select({ n: sql<number>`count(*)` })
      .from(photos)
      .where(
        and(eq(photos.personId, photo.personId), isNull(photos.recordId), ne(photos.status, 'failed'), gte(photos.receivedAt, since), lte(photos.id, photo.id)),
      )
      .get();
    return Number(r?.n ?? 0);
  }

  async record(id: number): Promise<RecordRow | null> {
    return this.db.select().from(records).where(eq(records.id, id)).get() ?? null;
  }

  /**
   * The record a photo sent with no form open most likely belongs to: the one
   * the teacher filed or changed last (within the window), among the forms
   * about a place or a visit. We do not put visits first: a dorm check filed
   * after a visit and followed by a photo of a hazard in that dorm should get
   * it. We skip the written pieces (心得, 故事, 献计) because nobody expects a
   * picture there: visit photos sent after writing a reflection still find
   * the visit. The confirmation names the record either way.
   */
  async latestRecordOf(personId: number, since: Date): Promise<RecordRow | null> {
    return (
      this.db
        .select()
        .from(records)
        .where(and(eq(records.authorId, personId), inArray(records.form, PHOTO_FORMS), gte(records.updatedAt, since)))
        .orderBy(desc(records.updatedAt), desc(records.id))
        .get() ?? null
    );
  }

  /**
   * How a record reads in the teacher's own chat: "走访记录 · 孙小红 · 11/17".
   * Names a visit target, so it is only ever sent to the teacher, never logged.
   */
  async label(form: RecordForm, subjectType: RecordSubject, subjectId: number, occurredOn?: string): Promise<string> {
    const parts = [FORM_LABELS[form]];
    if (subjectType === 'target') {
      const t = this.db.select({ name: targets.name }).from(targets).where(eq(targets.id, subjectId)).get();
      if (t) parts.push(t.name);
    } else if (subjectType === 'dorm') {
      const d = this.db.select({ building: dorms.building, room: dorms.room }).from(dorms).where(eq(dorms.id, subjectId)).get();
      if (d) parts.push(`${d.building}${d.room}`);
    }
    const day = occurredOn && /^(\d{4})-(\d{2})-(\d{2})$/.exec(occurredOn);
    if (day) parts.push(`${Number(day[2])}/${Number(day[3])}`);
    return parts.join(' · ');
  }
}
