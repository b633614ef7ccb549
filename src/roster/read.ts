import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { SHEETS, SHEET_KINDS, type RosterRow, type RosterSheet, type SheetKind } from './sheets.js';

/**
 * Reads roster workbooks (.xlsx) and CSV files into rows of cell text. What a
 * spreadsheet does to typed data is undone here, once: rich text and formulas
 * become their text, numbers lose Excel's float noise, full-width digits and
 * letters and stray spaces are normalised. A cell Excel turned into a date is
 * kept aside, because in a roster that is almost always damage (a room "3-01").
 */

export class RosterFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${path.basename(file)}：${message}`);
    this.name = 'RosterFileError';
  }
}

/** Full-width ASCII (Ａ１＠…) and the ideographic space become their plain forms; runs of spaces collapse. */
export function normaliseText(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) =>
      c === '（' || c === '）' || c === '，' || c === '；' || c === '：' ? c : String.fromCharCode(c.charCodeAt(0) - 0xfee0),
    )
    .replace(/[\u3000\u00A0\t]/g, ' ')
    .replace(/[\u200B-\u200D\uFEFF]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** The same label written differently (full-width brackets, spaces, case) compares equal. */
export const foldLabel = (s: string): string => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

function cellText(value: ExcelJS.CellValue): { text: string; date?: string } {
  if (value === null || value === undefined) return { text: '' };
  if (value instanceof Date) return { text: isoDate(value), date: isoDate(value) };
  if (typeof value === 'number') return { text: Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12))) };
  if (typeof value === 'boolean') return { text: value ? '是' : '否' };
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'object') {
    if ('richText' in value) return { text: value.richText.map((r) => r.text).join('') };
    if ('result' in value) return cellText((value.result ?? null) as ExcelJS.CellValue);
    // A hyperlink (Excel links a typed email) holds its text, which may itself be rich text.
    if ('text' in value) return typeof value.text === 'string' ? { text: value.text } : cellText(value.text as ExcelJS.CellValue);
    if ('error' in value) return { text: String(value.error) };
  }
  return { text: String(value) };
}

/** Excel on Chinese Windows saves CSV in GB18030 unless told "CSV UTF-8"; accept both. */
function decodeCsv(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('gb18030').decode(bytes);
  }
  return text.replace(/^\uFEFF/, '');
}

const headerKey = (h: string) => foldLabel(h.replace(/[*＊]/g, ''));

/** The sheet kind a sheet or CSV file name stands for, if any. */
export function kindForName(name: string): SheetKind | undefined {
  const n = headerKey(path.basename(name, path.extname(name)));
  return SHEET_KINDS.find((k) => [SHEETS[k].title, ...SHEETS[k].aliases].some((a) => headerKey(a) === n));
}

/** Instruction sheets in our templates, skipped on import. */
const INSTRUCTION_SHEET = /说明|instructions|readme/i;

function readWorksheet(file: string, ws: ExcelJS.Worksheet, kind: SheetKind): RosterSheet {
  const spec = SHEETS[kind];
  const byHeader = new Map<string, string>();
  for (const c of spec.columns) for (const h of [c.header, ...c.aliases]) byHeader.set(headerKey(h), c.key);

  // The header is the first of the top rows that names a known column.
  let headerRow = 0;
  const columnOf = new Map<number, string>();
  for (let r = 1; r <= Math.min(5, ws.rowCount) && !headerRow; r++) {
    ws.getRow(r).eachCell((cell, colNo) => {
      const key = byHeader.get(headerKey(normaliseText(cellText(cell.value).text)));
      if (key && ![...columnOf.values()].includes(key)) columnOf.set(colNo, key);
    });
    if (columnOf.size) headerRow = r;
  }
  const sheetLabel = `「${ws.name}」表`;
  if (!headerRow) throw new RosterFileError(file, `${sheetLabel}找不到表头（应有：${spec.columns.map((c) => c.header).join('、')}）/ no header row found`);
  const missing = spec.columns.filter((c) => c.required && ![...columnOf.values()].includes(c.key));
  if (missing.length) throw new RosterFileError(file, `${sheetLabel}缺少必填列：${missing.map((c) => c.header).join('、')} / missing required column(s)`);

  const letters = Object.fromEntries([...columnOf].map(([colNo, key]) => [key, ws.getColumn(colNo).letter]));
  const rows: RosterRow[] = [];
  for (let r = headerRow + 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const values: Record<string, string> = {};
    let dateCells: Record<string, string> | undefined;
    for (const [colNo, key] of columnOf) {
      const { text, date } = cellText(row.getCell(colNo).value);
      values[key] = normaliseText(text);
      if (date) (dateCells ??= {})[key] = date;
    }
    if (Object.values(values).every((v) => v === '')) continue;
    rows.push({ rowNo: r, values, columns: letters, ...(dateCells ? { dateCells } : {}) });
  }
  return { file, sheet: ws.name, kind, rows };
}

/**
 * Every roster sheet in the file. A workbook's sheets are recognised by name
 * (成员, 宿舍 …); a CSV file holds one kind, named by `kind` or by the file name.
 */
export async function readRosterFile(file: string, kind?: SheetKind): Promise<RosterSheet[]> {
  const ext = path.extname(file).toLowerCase();
  // Loaded here, not at the top: the bot imports this module at start, and exceljs costs half a second to load.
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  try {
    if (ext === '.xlsx') await wb.xlsx.readFile(file);
    else if (ext === '.csv') {
      const csvKind = kind ?? kindForName(file);
      if (!csvKind) {
        throw new RosterFileError(file, `无法从文件名判断是哪类名单，请加 --kind（${SHEET_KINDS.join(' / ')}）/ name the kind with --kind`);
      }
      // Text stays text: without `map`, the CSV reader would turn "3-01" into a date itself.
      const ws = await wb.csv.read(Readable.from([decodeCsv(await fs.readFile(file))]), { map: (v: string) => v } as never);
      ws.name = SHEETS[csvKind].title;
      return [readWorksheet(file, ws, csvKind)];
    } else throw new RosterFileError(file, `只支持 .xlsx 和 .csv 文件（.xls 请先另存为 .xlsx）/ only .xlsx and .csv are supported`);
  } catch (e) {
    if (e instanceof RosterFileError) throw e;
    throw new RosterFileError(file, `无法读取 / cannot read: ${(e as Error).message}`);
  }
  const sheets: RosterSheet[] = [];
  const unknown: string[] = [];
  for (const ws of wb.worksheets) {
    const k = kind && wb.worksheets.length === 1 ? kind : kindForName(ws.name);
    if (k) sheets.push(readWorksheet(file, ws, k));
    // A blank sheet Excel adds by itself holds nothing to lose; any other sheet we cannot place would be dropped unseen.
    else if (!INSTRUCTION_SHEET.test(ws.name) && ws.actualRowCount > 0) unknown.push(ws.name);
  }
  const expected = `工作表应命名为：${SHEET_KINDS.map((k) => SHEETS[k].title).join('、')}`;
  if (unknown.length) {
    throw new RosterFileError(
      file,
      `无法识别的工作表：${unknown.map((n) => `「${n}」`).join('、')}，未导入任何内容。${expected}（只有一张表时也可用 --kind 指明类型：${SHEET_KINDS.join(' / ')}）/ unrecognised sheet(s); rename them or pass --kind`,
    );
  }
  if (!sheets.length) throw new RosterFileError(file, `没有可导入的工作表。${expected} / no roster sheet found`);
  return sheets;
}
