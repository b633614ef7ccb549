import fs from 'node:fs/promises';
import { z } from 'zod';
import { dated, isoDate } from './campaign.js';

/**
 * A year's public holidays and make-up working days (调休) as the State Council
 * publishes them, for a year the `chinese-days` dataset does not know yet:
 *
 *   {"year": 2027,
 *    "holidays": [{"date": "2027-01-01", "name": "元旦"}, …],
 *    "workdays": [{"date": "2027-02-07", "name": "春节"}, …]}
 *
 * A workday may also be written as a bare date. Every date must lie in that
 * year and be either a holiday or a workday, never both.
 */

export interface CalendarYear {
  year: number;
  holidays: { date: string; name: string }[];
  workdays: { date: string; name: string }[];
}

/** A make-up workday written as a bare date gets a plain name. */
const workday = z.preprocess((v) => (typeof v === 'string' ? { date: v, name: '调休上班' } : v), dated);

const calendarYearSchema = z
  .object({
    year: z.number().int().min(2000).max(2200),
    holidays: z.array(dated).min(1, '至少要有一个假日 / at least one holiday'),
    workdays: z.array(workday).default([]),
  })
  .strict();

/**
 * The checks across entries, on the raw input so that they are reported
 * together with any malformed entry rather than only once those are fixed.
 */
function crossProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const raw = input as Record<string, unknown>;
  const year = raw.year;
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const kind of ['holidays', 'workdays'] as const) {
    const list = raw[kind];
    if (!Array.isArray(list)) continue;
    list.forEach((entry: unknown, i) => {
      const date = typeof entry === 'string' ? entry : (entry as { date?: unknown } | null)?.date;
      if (typeof date !== 'string' || !isoDate.safeParse(date).success) return;
      const at = `${kind}.${i}.date`;
      if (typeof year === 'number' && !date.startsWith(`${year}-`)) problems.push(`${at}: ${date} 不在 ${year} 年 / not in ${year}`);
      const other = seen.get(date);
      if (other && other !== kind) problems.push(`${at}: ${date} 既是假日又是调休上班日 / both a holiday and a workday`);
      else if (other) problems.push(`${at}: ${date} 重复 / listed twice`);
      seen.set(date, kind);
    });
  }
  return problems;
}

export class CalendarFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`节假日文件有误，未载入任何内容 / invalid holiday file, nothing loaded (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CalendarFileError';
  }
}

export function parseCalendarYear(input: unknown, source = 'calendar'): CalendarYear {
  const r = calendarYearSchema.safeParse(input);
  const problems = [...(r.success ? [] : r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)), ...crossProblems(input)];
  if (problems.length || !r.success) throw new CalendarFileError(source, problems);
  return r.data;
}

/** Reads a year's holiday file (JSON); every problem is reported with its path in the file. */
export async function loadCalendarFile(file: string): Promise<CalendarYear> {
  let data: unknown;
  try {
    data = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new CalendarFileError(file, [`无法读取或不是有效的 JSON / cannot read or not valid JSON: ${(e as Error).message}`]);
  }
  return parseCalendarYear(data, file);
}
