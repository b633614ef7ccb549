import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { assignments, people, records, zones, type Person, type RecordRow, type Zone } from '../db/schema.js';

/**
 * The weekly zone report (附件二) as the records store keeps it: one record of
 * form `zone-report` per zone and campaign week, its period `w<week>` (时间：第 N 周).
 * What the digest, /进度, /谁没交 and the export read about zones and their reports.
 */

export const ZONE_REPORT = 'zone-report' as const;

export const zoneWeekKey = (weekNo: number) => `w${weekNo}`;

/** A filed zone report: the record, with the zone and week it answers. */
export interface ZoneReport extends RecordRow {
  zoneId: number;
  weekNo: number;
}

export const asZoneReport = (r: RecordRow): ZoneReport => ({ ...r, zoneId: r.subjectId, weekNo: Number(r.periodKey?.slice(1)) });

export interface ZoneWithOwner {
  zone: Zone;
  owner: Person | null;
}

export class ZoneReports {
  /** Asked by every /进度: prepared once. */
  private readonly owned;

  constructor(private readonly db: Db) {
    this.owned = this.withOwner()
      .where(eq(people.id, sql.placeholder('personId')))
      .orderBy(zones.id)
      .prepare();
  }

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
    return this.owned.all({ personId }).map((r) => r.zone);
  }

  async zone(id: number): Promise<ZoneWithOwner | null> {
    return this.withOwner().where(eq(zones.id, id)).get() ?? null;
  }

  /** Every report filed for the zones, by week. */
  async reportsFor(zoneIds: number[]): Promise<ZoneReport[]> {
    if (!zoneIds.length) return [];
    return this.db
      .select()
      .from(records)
      .where(and(eq(records.form, ZONE_REPORT), eq(records.subjectType, 'zone'), inArray(records.subjectId, zoneIds)))
      .orderBy(records.subjectId, records.id)
      .all()
      .map(asZoneReport);
  }

  /** Zones among `zoneIds` that have a report for the week. */
  async filedZoneIds(zoneIds: number[], weekNo: number): Promise<Set<number>> {
    if (!zoneIds.length) return new Set();
    const rows = this.db
      .select({ zoneId: records.subjectId })
      .from(records)
      .where(
        and(eq(records.form, ZONE_REPORT), eq(records.subjectType, 'zone'), inArray(records.subjectId, zoneIds), eq(records.periodKey, zoneWeekKey(weekNo))),
      )
      .all();
    return new Set(rows.map((r) => r.zoneId));
  }
}
