import fs from 'node:fs';
import path from 'node:path';
import type { RecordRow } from '../db/schema.js';
import { SOURCE_LABELS } from '../features/ledger/cards.js';
import type { ExportData } from './load.js';

/**
 * The photos beside the workbook: one folder per teacher, one per record
 * inside it (`刘芳/走访记录 2026-11-17 孙小红 #12/1.png`), the same path the
 * sheet's 照片 column names. Pictures are stored, not deflated: they are
 * compressed already.
 */

export interface PhotoPlan {
  entries: Array<{ source: string; name: string }>;
  /** Record id → its folder and how many of its photos are in the zip. */
  folders: Map<number, { folder: string; count: number }>;
  /** Photos the database knows but the disk does not have (a restore without photos/). */
  missing: number;
}

/** A name safe as a folder on Windows, macOS and Linux. */
const safe = (s: string) =>
  s
    .replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '')
    .slice(0, 60) || '_';

function subjectOf(data: ExportData, r: RecordRow): string {
  if (r.subjectType === 'target') return data.targets.get(r.subjectId)?.name ?? '';
  if (r.subjectType === 'dorm') {
    const d = data.dorms.get(r.subjectId);
    return d ? `${d.building}${d.room}` : '';
  }
  return '';
}

export function planPhotos(data: ExportData, photoDir: string): PhotoPlan {
  const plan: PhotoPlan = { entries: [], folders: new Map(), missing: 0 };
  for (const r of data.records) {
    const pics = data.photos.get(r.id);
    if (!pics?.length) continue;
    const teacher = data.people.get(r.authorId)?.name ?? `#${r.authorId}`;
    const folder = `${safe(teacher)}/${safe([SOURCE_LABELS[r.form], r.occurredOn, subjectOf(data, r), `#${r.id}`].filter(Boolean).join(' '))}`;
    let n = 0;
    for (const p of pics) {
      const source = path.join(photoDir, ...(p.path ?? '').split('/'));
      if (!p.path || !fs.existsSync(source)) {
        plan.missing++;
        continue;
      }
      n++;
      plan.entries.push({ source, name: `${folder}/${n}${path.extname(p.path)}` });
    }
    if (n) plan.folders.set(r.id, { folder, count: n });
  }
  return plan;
}

/** What the 照片 column says: how many, and the folder in the zip. */
export const photoCell = (plan: PhotoPlan) => (r: RecordRow) => {
  const f = plan.folders.get(r.id);
  return f ? `${f.count} 张：${f.folder}/` : '';
};

export async function writePhotoZip(plan: PhotoPlan, file: string): Promise<void> {
  // Loaded here, not at the top: an export is rare and archiver costs a third of a second to load at start.
  const { default: archiver } = await import('archiver');
  const out = fs.createWriteStream(file);
  const zip = archiver('zip', { store: true });
  const done = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
    zip.on('error', reject);
  });
  zip.pipe(out);
  for (const e of plan.entries) zip.file(e.source, { name: e.name });
  await zip.finalize();
  await done;
}
