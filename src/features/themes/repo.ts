import { and, eq, gte, inArray, lt, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { ledgerItems, people, records, type LedgerItem, type RecordForm } from '../../db/schema.js';
import type { Voice } from '../../domain/themes.js';
import { localDate, localMidnight } from '../../domain/time.js';
import { addDays, byDays } from '../../domain/periods.js';
import { lines } from '../../records/fields.js';
import { breathe } from '../../breathe.js';

/** Where a theme's record came from, for the admins' list: no words of it, only what it is, who filed it and when. */
export interface VoiceSource {
  ref: string;
  form: LedgerItem['source'];
  /** The record, or the ledger item when it came from no visit or suggestion. */
  recordId: number | null;
  itemId: number | null;
  author: string;
  on: string;
}

/** What the themes read of a ledger item: what it says, where it came from, whether it (or what it was merged into) is closed. */
type HeardItem = Pick<LedgerItem, 'id' | 'recordId' | 'source' | 'text' | 'status' | 'createdAt' | 'createdBy' | 'mergedIntoId'>;

/** Forms whose words are heard: a visit's 意见建议 and a 献一计. */
const HEARD: RecordForm[] = ['visit', 'suggestion'];

/**
 * A record that may say something to the themes: a suggestion, a visit with
 * opinions, or one that opened a ledger item. A month's other visits — nine in
 * ten in a district — are not read at all (saidIn still decides on those read).
 */
const MAY_BE_HEARD = sql`(${records.form} <> 'visit' OR COALESCE(json_extract(${records.data}, '$.opinions'), '') <> '' OR EXISTS (SELECT 1 FROM ${ledgerItems} WHERE ${ledgerItems.recordId} = ${records.id}))`;

/** What a record said that the themes read: the opinions of a visit (one a line), a suggestion's area and content. */
function saidIn(form: RecordForm, data: Record<string, unknown>): string[] {
  if (form === 'visit') return lines(data.opinions);
  return [data.topic, data.content].filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

/**
 * The month's voices for the themes (src/domain/themes.ts): visits and
 * suggestions that happened in [from, to] (local dates) with what they said
 * and the ledger items they opened, and the ledger items raised in those days
 * from anything else (a dorm check, a zone report, by hand). An item merged
 * into another stands as that one does.
 */
export class ThemeSources {
  constructor(private readonly db: Db) {}

  async month(campaignId: string, from: string, to: string, tz: string): Promise<{ voices: Voice[]; sources: Map<string, VoiceSource> }> {
    const start = localMidnight(from, tz).toDate();
    const end = localMidnight(addDays(to, 1), tz).toDate();
    const voices: Voice[] = [];
    const sources = new Map<string, VoiceSource>();
    // The month's records a week at a time, a pause before each: a district's month is ten thousand visits.
    const heard: Array<{ id: number; form: RecordForm; data: Record<string, unknown>; on: string; author: string }> = [];
    for (const week of byDays({ start: from, end: to }, 7)) {
      await breathe();
      heard.push(
        ...this.db
          .select({ id: records.id, form: records.form, data: records.data, on: records.occurredOn, author: people.name })
          .from(records)
          .innerJoin(people, eq(people.id, records.authorId))
          .where(
            and(
              eq(records.campaignId, campaignId),
              inArray(records.form, HEARD),
              gte(records.occurredOn, week.start),
              lte(records.occurredOn, week.end),
              MAY_BE_HEARD,
            ),
          )
          .all(),
      );
    }
    await breathe();
    const items = this.itemsHeard(campaignId, heard, start, end);
    const byId = new Map(items.map((i) => [i.id, i]));
    const closed = (i: HeardItem): boolean => {
      const into = i.mergedIntoId === null ? undefined : byId.get(i.mergedIntoId);
      return into ? closed(into) : i.status === 'closed';
    };
    const ofRecord = new Map<number, HeardItem[]>();
    for (const i of items) if (i.recordId !== null) ofRecord.set(i.recordId, [...(ofRecord.get(i.recordId) ?? []), i]);
    const ledgerOf = (list: HeardItem[]) => list.map((i) => ({ itemId: i.id, text: i.text, closed: closed(i) }));
    for (const r of heard.sort((a, b) => a.id - b.id)) {
      const texts = saidIn(r.form, r.data);
      const ledger = ledgerOf(ofRecord.get(r.id) ?? []);
      if (!texts.length && !ledger.length) continue;
      const ref = `${r.form}:${r.id}`;
      voices.push({ ref, texts, ledger });
      sources.set(ref, { ref, form: r.form, recordId: r.id, itemId: null, author: r.author, on: r.on });
    }
    // A visit or suggestion of another month that opened an item this month is heard in its own month.
    const others = items.filter((i) => !HEARD.some((f) => f === i.source) && i.createdAt >= start && i.createdAt < end);
    const names = new Map(
      others.length
        ? this.db
            .select({ id: people.id, name: people.name })
            .from(people)
            .where(inArray(people.id, [...new Set(others.map((i) => i.createdBy ?? 0))]))
            .all()
            .map((p) => [p.id, p.name])
        : [],
    );
    for (const i of others) {
      const ref = `ledger:${i.id}`;
      voices.push({ ref, texts: [], ledger: ledgerOf([i]) });
      sources.set(ref, { ref, form: i.source, recordId: null, itemId: i.id, author: names.get(i.createdBy ?? 0) ?? '—', on: localDate(i.createdAt, tz) });
    }
    return { voices, sources };
  }

  /**
   * The ledger items the month's voices carry: those its records opened, those
   * raised in [start, end) from anything else, and what any of them was merged
   * into, however far (a campaign's thousands of items are not all read).
   */
  private itemsHeard(campaignId: string, heard: ReadonlyArray<{ id: number }>, start: Date, end: Date): HeardItem[] {
    const ofCampaign = (also: SQL) =>
      this.db
        .select({
          id: ledgerItems.id,
          recordId: ledgerItems.recordId,
          source: ledgerItems.source,
          text: ledgerItems.text,
          status: ledgerItems.status,
          createdAt: ledgerItems.createdAt,
          createdBy: ledgerItems.createdBy,
          mergedIntoId: ledgerItems.mergedIntoId,
        })
        .from(ledgerItems)
        .where(and(eq(ledgerItems.campaignId, campaignId), also))
        // The order the campaign's items were always listed in (its index: status, then id): a record's items, and the rest.
        .orderBy(ledgerItems.status, ledgerItems.id)
        .all();
    const items: HeardItem[] = ofCampaign(
      or(
        inArray(ledgerItems.recordId, sql`(SELECT value FROM json_each(${JSON.stringify(heard.map((r) => r.id))}))`),
        and(notInArray(ledgerItems.source, HEARD), gte(ledgerItems.createdAt, start), lt(ledgerItems.createdAt, end)),
      )!,
    );
    const read = new Set(items.map((i) => i.id));
    for (let into = items; ; ) {
      const missing = [...new Set(into.flatMap((i) => (i.mergedIntoId !== null && !read.has(i.mergedIntoId) ? [i.mergedIntoId] : [])))];
      if (!missing.length) return items;
      into = ofCampaign(inArray(ledgerItems.id, missing));
      for (const i of into) read.add(i.id);
      items.push(...into);
    }
  }
}
