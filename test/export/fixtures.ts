import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import type { Db } from '../../src/db/index.js';
import { openDatabase } from '../../src/db/index.js';
import { people, records, recordVisitors, targets } from '../../src/db/schema.js';
import { seedDemo } from '../../src/demo/seed.js';
import { HEADER_ROW } from '../../src/export/sheet.js';
import { RECORDS_CAMPAIGN } from '../records/fixtures.js';
import { cst, tmpDbFile } from '../helpers/harness.js';

/** Reading exports back the way a school's computer would: the workbook with exceljs, the zip with yauzl. */

export async function readWorkbook(bytes: Buffer | string): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  if (typeof bytes === 'string') await wb.xlsx.readFile(bytes);
  else await wb.xlsx.load(bytes as never);
  return wb;
}

export const sheetNames = (wb: ExcelJS.Workbook) => wb.worksheets.map((s) => s.name);

export function headers(ws: ExcelJS.Worksheet): string[] {
  const out: string[] = [];
  ws.getRow(HEADER_ROW).eachCell({ includeEmpty: false }, (c) => out.push(String(c.value)));
  return out;
}

/** Data rows (below the header). */
export const dataRowCount = (ws: ExcelJS.Worksheet) => ws.actualRowCount - HEADER_ROW;

/** Data rows as objects keyed by header, dates as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:mm' (the local time they show). */
export function rowsOf(ws: ExcelJS.Worksheet): Array<Record<string, string | number>> {
  const hs = headers(ws);
  const out: Array<Record<string, string | number>> = [];
  for (let r = HEADER_ROW + 1; r <= ws.actualRowCount; r++) {
    const row = ws.getRow(r);
    const o: Record<string, string | number> = {};
    hs.forEach((h, i) => (o[h] = cellText(row.getCell(i + 1).value, h)));
    out.push(o);
  }
  return out;
}

const cellText = (v: ExcelJS.CellValue, label: string): string | number =>
  // Excel dates carry the local wall-clock time as if it were UTC; 时间 fields have a time of day.
  v instanceof Date
    ? label.includes('时间')
      ? v.toISOString().slice(0, 16).replace('T', ' ')
      : v.toISOString().slice(0, 10)
    : typeof v === 'number'
      ? v
      : v === null || v === undefined
        ? ''
        : String(v);

/**
 * A print sheet read back as the forms it prints: each starts at its title,
 * then one label and value per line, a "（续）" line continuing the one above.
 */
export function formPagesOf(ws: ExcelJS.Worksheet, title: string): Array<Record<string, string | number>> {
  const forms: Array<Record<string, string | number>> = [];
  for (let r = 1; r <= ws.actualRowCount; r++) {
    const [label, value] = [ws.getRow(r).getCell(1).value, ws.getRow(r).getCell(2).value];
    if (label === title) {
      forms.push({});
      continue;
    }
    const form = forms.at(-1)!;
    const name = String(label);
    const continued = /（续）$/.exec(name) ? name.slice(0, -'（续）'.length) : undefined;
    if (continued) form[continued] = `${form[continued]}${value}`;
    else form[name] = cellText(value, name);
  }
  return forms;
}

/** Where a printed sheet starts a new page: the rows its page breaks follow, read from the file itself. */
export async function pageBreakRows(xlsx: Buffer, sheetName: string): Promise<number[]> {
  const files = await readZip(xlsx);
  const book = files.get('xl/workbook.xml')!.toString();
  const rels = files.get('xl/_rels/workbook.xml.rels')!.toString();
  const rid = new RegExp(`<sheet [^>]*name="${sheetName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*r:id="([^"]+)"`).exec(book)![1];
  const target = new RegExp(`Id="${rid}"[^>]*Target="([^"]+)"`).exec(rels)![1]!;
  const sheet = files.get(`xl/${target.replace(/^\/?xl\//, '')}`)!.toString();
  return [...sheet.matchAll(/<brk id="(\d+)"/g)].map((m) => Number(m[1]));
}

/** Every cell's text in the workbook, to show what it must never hold. */
export function allText(wb: ExcelJS.Workbook): string {
  const parts: string[] = [];
  wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((c) => parts.push(String(c.value ?? '')))));
  return parts.join('\n');
}

/** The zip's entries: name → bytes. */
export function readZip(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** A picture as the stand-in and the photo store recognise one (a JPEG signature), distinct per seed. */
export const picture = (seed: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`photo:${seed}`)]);

/** The records campaign with the demo cast, on a fresh database file (no bot). */
export async function campaignDb(): Promise<{ db: Db; file: string }> {
  const file = tmpDbFile();
  const db = openDatabase(file);
  await seedDemo(db, cst('2026-11-18T10:00:00'), RECORDS_CAMPAIGN);
  return { db, file };
}

export const personId = (db: Db, name: string) =>
  db
    .select()
    .from(people)
    .all()
    .find((p) => p.name === name)!.id;

/**
 * `n` visit records spread over the campaign's first weeks, to `targetCount`
 * made-up students, by `author` with `coVisitor` along, inserted in one transaction.
 */
export function insertVisits(db: Db, o: { n: number; targetCount: number; author: string; coVisitor?: string }): void {
  const authorId = personId(db, o.author);
  const coId = o.coVisitor ? personId(db, o.coVisitor) : undefined;
  const at = cst('2026-11-20T18:00:00');
  db.transaction((tx) => {
    const ids: number[] = [];
    for (let i = 0; i < o.targetCount; i++) {
      ids.push(
        tx
          .insert(targets)
          .values({
            campaignId: RECORDS_CAMPAIGN.id,
            naturalKey: `student:2024级机电${(i % 4) + 1}班:学生${i}`,
            kind: 'student-family',
            name: `学生${i}`,
            className: `2024级机电${(i % 4) + 1}班`,
            parentName: `家长${i}`,
            phone: `1390000${String(i).padStart(4, '0')}`,
            address: `某路${i}号`,
            updatedAt: at,
          })
          .returning({ id: targets.id })
          .get().id,
      );
    }
    for (let i = 0; i < o.n; i++) {
      const day = `2026-11-${String(9 + (i % 9)).padStart(2, '0')}`;
      const record = tx
        .insert(records)
        .values({
          campaignId: RECORDS_CAMPAIGN.id,
          form: 'visit',
          subjectType: 'target',
          subjectId: ids[i % ids.length]!,
          periodKey: null,
          authorId,
          occurredOn: day,
          data: {
            visitedOn: day,
            mode: i % 3 ? 'phone' : 'in-person',
            place: 'home',
            coVisitors: coId ? [String(coId)] : [],
            summary: `学生概况 ${i}`,
            situation: `家庭情况 ${i}`,
            purpose: '了解学习情况',
            content: `第 ${i} 次走访的内容`,
            reflection: '',
            q_satisfaction: '5',
            q_concern: ['学习'],
            opinions: '',
            followUp: 'none',
            leader: '',
            followUpNote: '',
            noGifts: true,
          },
          submittedAt: at,
          late: false,
          revision: 1,
          updatedAt: at,
        })
        .returning({ id: records.id })
        .get();
      tx.insert(recordVisitors).values({ recordId: record.id, personId: authorId, role: 'author' }).run();
      if (coId) tx.insert(recordVisitors).values({ recordId: record.id, personId: coId, role: 'co-visitor' }).run();
    }
  });
}
