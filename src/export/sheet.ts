import type ExcelJS from 'exceljs';
import { breathe } from '../breathe.js';
import { inZone } from '../domain/time.js';
import { charWidth, displayWidth } from '../text-width.js';

/**
 * One printable sheet of the archive: the paper form's title above a frozen
 * header row, columns fitted to what they hold, long text wrapped, A4 with the
 * header repeated on every printed page. Written with exceljs's streaming
 * writer, so a term of ten thousand records never sits in memory as cells.
 */

/** How a column's values look and how wide it may grow. */
export type ColumnKind = 'text' | 'long' | 'date' | 'datetime' | 'number';

export interface Column {
  header: string;
  kind?: ColumnKind;
  /** The form field the column shows (the card's component name), so tests can hold the two together. */
  field?: string;
}

/** Dates are Excel dates already in local time (see localDay, localDateTime). */
export type CellValue = string | number | Date | null;

export interface SheetSpec {
  /** The tab's name (at most 31 characters). */
  name: string;
  /** The paper form's title, printed above the header: 附件五 走访情况记录表. */
  title: string;
  /** The line under the title: campaign, range, when exported. */
  subtitle: string;
  /** Wide forms print landscape. */
  landscape: boolean;
  columns: Column[];
  rows: CellValue[][];
  /** Row indexes after which a printed page ends (the ledger: one party member per page). */
  pageBreaksAfter?: number[];
  /**
   * The paper is one form per record (附件一, 二, 三, 五, the stories): the
   * workbook then also gets a sheet that prints each record as its own page.
   */
  perRecordForm?: boolean;
}

/** The header is the third row: title, subtitle, header. */
export const HEADER_ROW = 3;

const LIMITS: Record<ColumnKind, { min: number; max: number }> = {
  text: { min: 6, max: 24 },
  long: { min: 24, max: 60 },
  date: { min: 13, max: 13 },
  datetime: { min: 18, max: 18 },
  number: { min: 6, max: 12 },
};

const FORMATS: Partial<Record<ColumnKind, string>> = { date: 'yyyy-mm-dd', datetime: 'yyyy-mm-dd hh:mm' };

function widthOf(c: Column, rows: CellValue[][], i: number): number {
  const { min, max } = LIMITS[c.kind ?? 'text'];
  let w = Math.max(...c.header.split('\n').map(displayWidth));
  for (const r of rows) {
    const v = r[i];
    if (typeof v === 'string') for (const line of v.split('\n')) w = Math.max(w, displayWidth(line));
    else if (typeof v === 'number') w = Math.max(w, String(v).length);
    if (w >= max) break;
  }
  return Math.min(max, Math.max(min, w + 2));
}

/** A local calendar date ('YYYY-MM-DD') as the Excel date that shows it. */
export const localDay = (date: string | null | undefined): Date | null => (date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00Z`) : null);

/** An instant as the Excel date-time showing its wall-clock time in `tz` (Excel has no time zones). */
export const localDateTime = (at: Date | null | undefined, tz: string): Date | null =>
  at ? new Date(`${inZone(at, tz).format('YYYY-MM-DDTHH:mm:ss')}Z`) : null;

const thin = { style: 'thin' as const, color: { argb: 'FF999999' } };
const BORDER = { top: thin, left: thin, bottom: thin, right: thin };

/** A4 portrait, less the margins below, in Excel's column-width units. */
const PAGE_WIDTH = 96;
const LABEL_WIDTH = 18;
const VALUE_WIDTH = PAGE_WIDTH - LABEL_WIDTH;
/**
 * Excel cannot grow a row past 409 points (about 25 lines), so a long text is
 * cut into rows of at most this many lines, continued under the same label.
 */
const LINES_PER_ROW = 22;

/** How a text wraps in `width` units: its lines, each ending a paragraph or not. */
function wrapped(text: string, width: number): Array<{ text: string; paragraphEnd: boolean }> {
  const lines: Array<{ text: string; paragraphEnd: boolean }> = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let w = 0;
    for (const ch of paragraph) {
      const cw = charWidth(ch.codePointAt(0)!);
      if (w + cw > width && line) {
        lines.push({ text: line, paragraphEnd: false });
        line = '';
        w = 0;
      }
      line += ch;
      w += cw;
    }
    lines.push({ text: line, paragraphEnd: true });
  }
  return lines;
}

/** A long value in pieces that each fit one row (two units spare for the cell's padding and wide glyphs). */
function rowPieces(text: string, width = VALUE_WIDTH - 2, linesPerRow = LINES_PER_ROW): string[] {
  const lines = wrapped(text, width);
  const pieces: string[] = [];
  for (let i = 0; i < lines.length; i += linesPerRow) {
    const chunk = lines.slice(i, i + linesPerRow);
    pieces.push(chunk.map((l, j) => l.text + (l.paragraphEnd && j < chunk.length - 1 ? '\n' : '')).join(''));
  }
  return pieces;
}

/** Points per line of 11-point text, and Excel's tallest row. */
const LINE_POINTS = 15;
const MAX_ROW_POINTS = 409;

/**
 * Neither Excel nor LibreOffice fits a row to wrapped text when opening a
 * file, so a row that needs more than one line is given its height.
 */
function fitHeight(row: ExcelJS.Row, cells: Array<[CellValue, number]>, minLines = 1): void {
  let lines = minLines;
  for (const [v, width] of cells) {
    // Most cells are short: no character is wider than two units.
    if (typeof v === 'string' && v && (v.length * 2 > width - 2 || v.includes('\n'))) lines = Math.max(lines, wrapped(v, width - 2).length);
  }
  if (lines > 1) row.height = Math.min(MAX_ROW_POINTS, lines * LINE_POINTS + 3);
}

export async function writeSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, spec: SheetSpec): Promise<void> {
  const ws = wb.addWorksheet(spec.name, {
    views: [{ state: 'frozen', ySplit: HEADER_ROW, xSplit: 0 }],
    pageSetup: {
      paperSize: 9, // A4
      orientation: spec.landscape ? 'landscape' : 'portrait',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      // Title, subtitle and header on every printed page: a page of the ledger stands on its own.
      printTitlesRow: `1:${HEADER_ROW}`,
      margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: `&C${spec.title} 第 &P 页，共 &N 页` },
  });
  const widths = spec.columns.map((c, i) => widthOf(c, spec.rows, i));
  ws.columns = spec.columns.map((c, i) => ({
    width: widths[i],
    style: {
      ...(FORMATS[c.kind ?? 'text'] ? { numFmt: FORMATS[c.kind ?? 'text'] } : {}),
      alignment: { vertical: 'top', wrapText: c.kind === 'long' || c.kind === 'text' },
    },
  }));
  const n = spec.columns.length;

  const title = ws.addRow([spec.title]);
  title.font = { bold: true, size: 16 };
  title.alignment = { horizontal: 'center', vertical: 'middle' };
  title.height = 28;
  ws.mergeCells(1, 1, 1, n);
  title.commit();
  const sub = ws.addRow([spec.subtitle]);
  sub.font = { size: 10, color: { argb: 'FF555555' } };
  sub.alignment = { horizontal: 'left', vertical: 'middle' };
  ws.mergeCells(2, 1, 2, n);
  sub.commit();

  const header = ws.addRow(spec.columns.map((c) => c.header));
  header.eachCell((cell) => {
    cell.font = { bold: true };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEDEDED' } };
    cell.border = BORDER;
  });
  header.commit();

  const breaks = new Set(spec.pageBreaksAfter ?? []);
  for (let i = 0; i < spec.rows.length; i++) {
    const row = ws.addRow(spec.rows[i]!.map((v) => v ?? ''));
    for (let c = 1; c <= n; c++) row.getCell(c).border = BORDER;
    fitHeight(
      row,
      spec.rows[i]!.map((v, c) => [v, widths[c]!]),
    );
    if (breaks.has(i) && i < spec.rows.length - 1) row.addPageBreak();
    row.commit();
    if (i % 500 === 499) await breathe();
  }
  ws.commit();
}

/**
 * The print version of a per-record form: each record on its own A4 page, the
 * paper form's title on top, then a label and its value on each line in the
 * paper's order — what a teacher would have filled in by hand.
 */
export async function writeFormPages(wb: ExcelJS.stream.xlsx.WorkbookWriter, spec: SheetSpec, name: string): Promise<void> {
  const ws = wb.addWorksheet(name, {
    pageSetup: {
      paperSize: 9,
      orientation: 'portrait',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      margins: { left: 0.5, right: 0.5, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    // '&' starts a code in a header; '&&' prints one.
    headerFooter: { oddHeader: `&L&8${spec.subtitle.replace(/&/g, '&&')}`, oddFooter: `&C${spec.title} 第 &P 页，共 &N 页` },
  });
  ws.columns = [
    { width: LABEL_WIDTH, style: { font: { bold: true }, alignment: { vertical: 'top', wrapText: true } } },
    { width: VALUE_WIDTH, style: { alignment: { vertical: 'top', horizontal: 'left', wrapText: true } } },
  ];
  // Each row is committed once the next is added: the last of a record still needs its page break.
  let pending: ExcelJS.Row | undefined;
  const add = (values: CellValue[]): ExcelJS.Row => {
    pending?.commit();
    pending = ws.addRow(values.map((v) => v ?? ''));
    return pending;
  };
  const line = (label: string, value: CellValue, kind: ColumnKind) => {
    const row = add([label, value]);
    row.getCell(1).border = BORDER;
    row.getCell(2).border = BORDER;
    const format = FORMATS[kind];
    if (format) row.getCell(2).numFmt = format;
    // An empty long field keeps room to write in, as on paper.
    fitHeight(
      row,
      [
        [label, LABEL_WIDTH],
        [value, VALUE_WIDTH],
      ],
      kind === 'long' ? 2 : 1,
    );
  };
  for (let i = 0; i < spec.rows.length; i++) {
    if (i > 0) pending!.addPageBreak();
    const title = add([spec.title]);
    title.font = { bold: true, size: 14 };
    title.height = 30;
    title.getCell(1).alignment = { horizontal: 'center', vertical: 'middle' };
    ws.mergeCells(title.number, 1, title.number, 2);
    spec.columns.forEach((c, j) => {
      const v = spec.rows[i]![j] ?? null;
      const kind = c.kind ?? 'text';
      const label = c.header.replace(/\n/g, '');
      if (typeof v !== 'string') return line(label, v, kind);
      const pieces = v ? rowPieces(v) : [''];
      pieces.forEach((piece, k) => line(k === 0 ? label : `${label}（续）`, piece, kind));
    });
    if (i % 50 === 49) await breathe();
  }
  pending?.commit();
  ws.commit();
}

/** exceljs is loaded on the first export, not at start: it is a second of the bot's cold start. */
export async function streamingWorkbook(file: string): Promise<ExcelJS.stream.xlsx.WorkbookWriter> {
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: true });
  wb.creator = '走访助手 Zoufang';
  return wb;
}
