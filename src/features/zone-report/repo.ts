import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { assignments, ledgerItems, people, recordRevisions, zoneReports, zones, type LedgerItem, type Person, type Zone, type ZoneReport } from '../../db/schema.js';
import type { ZoneReportFields } from './form.js';

export const RECORD_TYPE = 'zone_report';

export interface ZoneWithOwner {
  zone: Zone;
  owner: Person | null;
}

export type SaveOutcome = { kind: 'created' | 'edited' | 'unchanged'; report: ZoneReport; ledger: LedgerItem[] };

/** Problems a report raises, opened as ledger items owned by the reporter. */
export interface RaisedProblems {
  campaignId: string;
  /** Each problem as the ledger shows it (zone and week included, so it reads on its own). */
  texts: string[];
}

const sameFields = (r: ZoneReport, f: ZoneReportFields) =>
  r.overallState === f.overallState && r.studentTalks === f.studentTalks && r.problems === f.problems && r.remarks === f.remarks;

export class ZoneReportRepo {
  constructor(private readonly db: Db) {}

  /** Zones with their current owner (the open assignment). */
  private withOwner() {
    return this.db
      .select({ zone: zones, owner: people })
      .from(zones)
      .leftJoin(assignments, and(eq(assignments.subjectType, 'zone'), eq(assignments.subjectId, zones.id), isNull(assignments.endedAt)))
      .leftJoin(people, eq(people.id, assignments.personId));
  }

  async zonesOf(campaignId: string): Promise<ZoneWithOwner[]> {
    return this.withOwner().where(eq(zones.campaignId, campaignId)).orderBy(zones.id).all();
  }

  async zonesOwnedBy(personId: number): Promise<Zone[]> {
    return this.withOwner()
      .where(eq(people.id, personId))
      .orderBy(zones.id)
      .all()
      .map((r) => r.zone);
  }

  async zone(id: number): Promise<ZoneWithOwner | null> {
    return this.withOwner().where(eq(zones.id, id)).get() ?? null;
  }

  async report(zoneId: number, weekNo: number): Promise<ZoneReport | null> {
    return this.db.select().from(zoneReports).where(and(eq(zoneReports.zoneId, zoneId), eq(zoneReports.weekNo, weekNo))).get() ?? null;
  }

  async reportsFor(zoneIds: number[]): Promise<ZoneReport[]> {
    if (!zoneIds.length) return [];
    return this.db.select().from(zoneReports).where(inArray(zoneReports.zoneId, zoneIds)).all();
  }

  /** Zones among `zoneIds` that have a report for the week. */
  async filedZoneIds(zoneIds: number[], weekNo: number): Promise<Set<number>> {
    if (!zoneIds.length) return new Set();
    const rows = this.db
      .select({ zoneId: zoneReports.zoneId })
      .from(zoneReports)
      .where(and(inArray(zoneReports.zoneId, zoneIds), eq(zoneReports.weekNo, weekNo)))
      .all();
    return new Set(rows.map((r) => r.zoneId));
  }

  /**
   * Stores a submission in one transaction: the report row, its revision and
   * the ledger items its problems open (on an edit, only problems not yet in
   * the ledger). Identical content (a double click, a re-sent form) changes nothing.
   */
  async save(zoneId: number, weekNo: number, reporterId: number, fields: ZoneReportFields, at: Date, late: boolean, raised: RaisedProblems): Promise<SaveOutcome> {
    return this.db.transaction((tx) => {
      const existing = tx.select().from(zoneReports).where(and(eq(zoneReports.zoneId, zoneId), eq(zoneReports.weekNo, weekNo))).get();
      if (existing && sameFields(existing, fields)) return { kind: 'unchanged', report: existing, ledger: [] };
      let report: ZoneReport;
      if (!existing) {
        report = tx
          .insert(zoneReports)
          .values({ zoneId, weekNo, reporterId, ...fields, submittedAt: at, late, revision: 1, updatedAt: at })
          .returning()
          .get();
      } else {
        report = tx
          .update(zoneReports)
          .set({ ...fields, reporterId, revision: existing.revision + 1, updatedAt: at })
          .where(eq(zoneReports.id, existing.id))
          .returning()
          .get();
      }
      tx.insert(recordRevisions)
        .values({ recordType: RECORD_TYPE, recordId: report.id, revision: report.revision, data: fields, authorId: reporterId, recordedAt: at })
        .run();
      const known = new Set(
        raised.texts.length
          ? tx
              .select({ text: ledgerItems.text })
              .from(ledgerItems)
              .where(and(eq(ledgerItems.campaignId, raised.campaignId), eq(ledgerItems.source, 'zone-report'), inArray(ledgerItems.text, raised.texts)))
              .all()
              .map((l) => l.text)
          : [],
      );
      const ledger = [...new Set(raised.texts)]
        .filter((t) => !known.has(t))
        .map((text) =>
          tx
            .insert(ledgerItems)
            .values({
              campaignId: raised.campaignId, source: 'zone-report', raisedBy: 'teacher', text, category: 'zone',
              ownerId: reporterId, createdBy: reporterId, status: 'open', createdAt: at, updatedAt: at,
            })
            .returning()
            .get(),
        );
      return { kind: existing ? 'edited' : 'created', report, ledger };
    });
  }
}
