import { eq } from 'drizzle-orm';
import type { Db } from '../../src/db/index.js';
import { records } from '../../src/db/schema.js';
import { asZoneReport } from '../../src/records/zone-reports.js';

/** The zone reports (附件二) stored, oldest first: records with the zone and week they answer. */
export const zoneReportRows = (db: Db) => db.select().from(records).where(eq(records.form, 'zone-report')).orderBy(records.id).all().map(asZoneReport);
