import { and, asc, eq, gte, isNull, lte, ne } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import type { ActiveCampaign } from '../db/repos.js';
import {
  assignments,
  dorms,
  ledgerEvents,
  ledgerItems,
  people,
  photos,
  records,
  recordVisitors,
  targets,
  zones,
  type Dorm,
  type LedgerEvent,
  type LedgerItem,
  type Person,
  type Photo,
  type RecordRow,
  type SubjectType,
  type Target,
  type Zone,
} from '../db/schema.js';
import { ZONE_REPORT, asZoneReport, type ZoneReport } from '../records/zone-reports.js';
import { reportWeeks, type ReportWeek } from '../domain/weeks.js';
import { localDate } from '../domain/time.js';

/**
 * Everything one school export reads, in a handful of queries joined on the
 * campaign (never `IN (…10 000 ids)`), narrowed to the range and teacher asked for.
 */

export interface ExportScope {
  campaign: ActiveCampaign;
  /** Local dates, inclusive; absent means unbounded. */
  from?: string;
  to?: string;
  /** Only what this person filed, visited, reported or owns. */
  teacher?: Person;
}

export interface ExportData {
  scope: ExportScope;
  now: Date;
  people: Map<number, Person>;
  /** Every record in range, by form, in the order they happened (zone reports apart, by their weeks). */
  records: RecordRow[];
  /** Record id → its author and co-visitors. */
  visitors: Map<number, { authorId: number; coVisitorIds: number[] }>;
  /** Record id → its stored photos. */
  photos: Map<number, Photo[]>;
  /** Record id → how many ledger items it opened. */
  ledgerFrom: Map<number, number>;
  targets: Map<number, Target>;
  dorms: Map<number, Dorm>;
  zones: Map<number, Zone>;
  zoneReports: ZoneReport[];
  /** The report weeks that start inside the range. */
  weeks: ReportWeek[];
  ledger: LedgerItem[];
  ledgerEvents: Map<number, LedgerEvent[]>;
  /** Current holders: `dorm:3` → person ids. */
  holders: Map<string, number[]>;
}

export const holderKey = (type: SubjectType, id: number) => `${type}:${id}`;

const inRange = (s: ExportScope, date: string) => (!s.from || date >= s.from) && (!s.to || date <= s.to);

const groupBy = <T, K>(items: T[], key: (t: T) => K): Map<K, T[]> => {
  const m = new Map<K, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
};

export function loadExportData(db: Db, scope: ExportScope, now: Date): ExportData {
  const { def } = scope.campaign;
  const campaignId = def.id;
  const teacherId = scope.teacher?.id;

  const allRecords = db
    .select()
    .from(records)
    .where(
      and(
        eq(records.campaignId, campaignId),
        ne(records.form, ZONE_REPORT),
        scope.from ? gte(records.occurredOn, scope.from) : undefined,
        scope.to ? lte(records.occurredOn, scope.to) : undefined,
      ),
    )
    .orderBy(asc(records.form), asc(records.occurredOn), asc(records.id))
    .all();

  const visitors = new Map<number, { authorId: number; coVisitorIds: number[] }>();
  for (const r of allRecords) visitors.set(r.id, { authorId: r.authorId, coVisitorIds: [] });
  const visitorRows = db
    .select({ recordId: recordVisitors.recordId, personId: recordVisitors.personId, role: recordVisitors.role })
    .from(recordVisitors)
    .innerJoin(records, eq(records.id, recordVisitors.recordId))
    .where(eq(records.campaignId, campaignId))
    .orderBy(asc(recordVisitors.recordId), asc(recordVisitors.personId))
    .all();
  for (const v of visitorRows) if (v.role === 'co-visitor') visitors.get(v.recordId)?.coVisitorIds.push(v.personId);

  // A teacher's export holds every record they are named on: as author, or as a co-visitor.
  const counts = (r: RecordRow) => r.authorId === teacherId || !!visitors.get(r.id)?.coVisitorIds.includes(teacherId!);
  const chosen = teacherId === undefined ? allRecords : allRecords.filter(counts);

  const photoRows = db
    .select({ p: photos })
    .from(photos)
    .innerJoin(records, eq(records.id, photos.recordId))
    .where(and(eq(records.campaignId, campaignId), eq(photos.status, 'stored')))
    .orderBy(asc(photos.id))
    .all()
    .map((x) => x.p);

  const tz = def.timezone;
  const ledger = db
    .select()
    .from(ledgerItems)
    .where(and(eq(ledgerItems.campaignId, campaignId), teacherId === undefined ? undefined : eq(ledgerItems.ownerId, teacherId)))
    .orderBy(asc(ledgerItems.createdAt), asc(ledgerItems.id))
    .all()
    .filter((i) => inRange(scope, localDate(i.createdAt, tz)));
  const events = db
    .select({ e: ledgerEvents })
    .from(ledgerEvents)
    .innerJoin(ledgerItems, eq(ledgerItems.id, ledgerEvents.itemId))
    .where(eq(ledgerItems.campaignId, campaignId))
    .orderBy(asc(ledgerEvents.at), asc(ledgerEvents.id))
    .all()
    .map((x) => x.e);
  const ledgerFrom = new Map<number, number>();
  for (const i of db.select({ recordId: ledgerItems.recordId }).from(ledgerItems).where(eq(ledgerItems.campaignId, campaignId)).all()) {
    if (i.recordId) ledgerFrom.set(i.recordId, (ledgerFrom.get(i.recordId) ?? 0) + 1);
  }

  const weeks = reportWeeks(def).filter((w) => inRange(scope, w.firstDay));
  const weekNos = new Set(weeks.map((w) => w.weekNo));
  const zoneList = db.select().from(zones).where(eq(zones.campaignId, campaignId)).orderBy(asc(zones.id)).all();
  // A zone report belongs to the week it answers, whatever day it was filed.
  const reports = db
    .select()
    .from(records)
    .where(and(eq(records.campaignId, campaignId), eq(records.form, ZONE_REPORT), teacherId === undefined ? undefined : eq(records.authorId, teacherId)))
    .all()
    .map(asZoneReport)
    .filter((r) => weekNos.has(r.weekNo))
    .sort((a, b) => a.weekNo - b.weekNo || a.zoneId - b.zoneId);

  const holders = new Map<string, number[]>();
  const current = db
    .select({ type: assignments.subjectType, id: assignments.subjectId, personId: assignments.personId })
    .from(assignments)
    .where(and(eq(assignments.campaignId, campaignId), isNull(assignments.endedAt)))
    .orderBy(asc(assignments.startedAt), asc(assignments.id))
    .all();
  for (const a of current) holders.set(holderKey(a.type, a.id), [...(holders.get(holderKey(a.type, a.id)) ?? []), a.personId]);

  return {
    scope,
    now,
    people: new Map(
      db
        .select()
        .from(people)
        .all()
        .map((p) => [p.id, p]),
    ),
    records: chosen,
    visitors,
    photos: groupBy(photoRows, (p) => p.recordId!),
    ledgerFrom,
    targets: new Map(
      db
        .select()
        .from(targets)
        .where(eq(targets.campaignId, campaignId))
        .all()
        .map((t) => [t.id, t]),
    ),
    dorms: new Map(
      db
        .select()
        .from(dorms)
        .where(eq(dorms.campaignId, campaignId))
        .all()
        .map((d) => [d.id, d]),
    ),
    zones: new Map(zoneList.map((z) => [z.id, z])),
    zoneReports: reports,
    weeks,
    ledger,
    ledgerEvents: groupBy(events, (e) => e.itemId),
    holders,
  };
}
