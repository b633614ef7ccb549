import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { assignments, people, recordRevisions, zoneReports, zones, type Person, type Zone, type ZoneReport } from '../../db/schema.js';
import type { ZoneReportFields } from './form.js';

export const RECORD_TYPE = 'zone_report';

export interface ZoneWithOwner {
  zone: Zone;
  owner: Person | null;
}

export type SaveOutcome =
  | { kind: 'created'; report: ZoneReport }
  | { kind: 'edited'; report: ZoneReport }
  | { kind: 'unchanged'; report: ZoneReport };

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
   * Stores a submission in one transaction: the report row and its revision.
   * Identical content (a double click, a re-sent form) changes nothing.
   */
  async save(zoneId: number, weekNo: number, reporterId: number, fields: ZoneReportFields, at: Date, late: boolean): Promise<SaveOutcome> {
    return this.db.transaction((tx) => {
      const existing = tx.select().from(zoneReports).where(and(eq(zoneReports.zoneId, zoneId), eq(zoneReports.weekNo, weekNo))).get();
      if (existing && sameFields(existing, fields)) return { kind: 'unchanged', report: existing };
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
      return { kind: existing ? 'edited' : 'created', report };
    });
  }
}
