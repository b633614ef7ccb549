import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { exportAudits, type ExportAudit, type ExportKind, type ExportOutcome } from '../db/schema.js';

/** The export audit log: a row when an export starts, completed when it ends. */

export interface AuditStart {
  actorId: number | null;
  channel: 'chat' | 'cli';
  kind: ExportKind;
  campaignId: string | null;
  fromOn?: string;
  toOn?: string;
  teacherId?: number;
  at: Date;
}

export interface AuditEnd {
  outcome: Exclude<ExportOutcome, 'running'>;
  rowCounts?: Record<string, number>;
  files?: Array<{ name: string; bytes: number }>;
  error?: string;
  at: Date;
}

export class ExportAuditRepo {
  constructor(private readonly db: Db) {}

  async start(a: AuditStart): Promise<ExportAudit> {
    return this.db
      .insert(exportAudits)
      .values({
        actorId: a.actorId,
        channel: a.channel,
        kind: a.kind,
        campaignId: a.campaignId,
        fromOn: a.fromOn ?? null,
        toOn: a.toOn ?? null,
        teacherId: a.teacherId ?? null,
        outcome: 'running',
        requestedAt: a.at,
      })
      .returning()
      .get();
  }

  async finish(id: number, e: AuditEnd): Promise<void> {
    this.db
      .update(exportAudits)
      .set({ outcome: e.outcome, rowCounts: e.rowCounts ?? null, files: e.files ?? null, error: e.error?.slice(0, 500) ?? null, finishedAt: e.at })
      .where(eq(exportAudits.id, id))
      .run();
  }
}
