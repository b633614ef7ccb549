import { z } from 'zod';
import { labelledText, plainText } from '../feishu/card-templates.js';

/**
 * A form is a list of fields. Each field carries its zod schema (what Feishu's
 * `form_value` entry must be, and what is stored), the card component that
 * asks for it, and how its stored value reads back — so a form is written down
 * once and validation, card and summary cannot drift apart.
 */

export const MAX_TEXT = 1000;

export interface Option {
  value: string;
  label: string;
}

interface FieldBase<T> {
  /** Component name in the card, and key of the value in the stored record. */
  name: string;
  label: string;
  en: string;
  required: boolean;
  hint?: string;
  /**
   * The paper's cell this field is one part of (附件一's "过去状况（环境、财产、卫生、安全）"
   * asked as four texts): the card heads the parts with it, the export writes them in one column.
   */
  cell?: string;
  schema: z.ZodType<T>;
  /** The card component, pre-filled with `value` (a stored value or what was typed). */
  component(value: unknown): Record<string, unknown>;
  /** The stored value as a reader sees it. */
  display(value: T | undefined): string;
}

export type Field<T = unknown> = FieldBase<T>;
// biome-ignore lint/suspicious/noExplicitAny: a list of fields of different value types
export type Fields = readonly Field<any>[];

/** The stored record of a form: one entry per field name. */
export type FormData = Record<string, unknown>;

const label = (f: { label: string; en: string; required: boolean }) => plainText(`${f.label} ${f.en}${f.required ? '' : '（选填）'}`);

/** Null bytes and other control characters (except newlines and tabs) are never meant. */
const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim();

const blankToUndefined = (v: unknown) => (v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && !v.length) ? undefined : v);

/** Required fields say so by name; optional ones store '' (text) or [] (lists) when left empty. */
// biome-ignore lint/suspicious/noExplicitAny: any input type, as zod's own ZodType default
function requiredOr<T>(f: { label: string; required: boolean }, inner: z.ZodType<T, any>, empty: T): z.ZodType<T> {
  const missing = `「${f.label}」必填`;
  return z.preprocess(
    blankToUndefined,
    f.required
      ? z
          .any()
          .refine((v) => v !== undefined, missing)
          .pipe(inner)
      : inner.optional().transform((v) => v ?? empty),
  ) as z.ZodType<T>;
}

export function text(
  name: string,
  lbl: string,
  en: string,
  o: { required?: boolean; multiline?: boolean; max?: number; hint?: string; rows?: number; cell?: string } = {},
): Field<string> {
  const max = Math.min(o.max ?? MAX_TEXT, MAX_TEXT);
  const f = { label: lbl, en, required: o.required ?? false };
  const inner = z
    .string({ message: `「${lbl}」格式不对` })
    .transform(clean)
    .pipe(z.string().max(max, `「${lbl}」不能超过 ${max} 字`));
  return {
    name,
    ...f,
    hint: o.hint,
    cell: o.cell,
    schema: requiredOr(f, inner, ''),
    component: (value) => ({
      tag: 'input',
      name,
      required: f.required,
      max_length: max,
      ...(o.multiline ? { input_type: 'multiline_text', rows: o.rows ?? 3, auto_resize: true } : {}),
      label: label(f),
      ...(o.hint ? { placeholder: plainText(o.hint.slice(0, 100)) } : {}),
      default_value: typeof value === 'string' ? value.slice(0, max) : '',
    }),
    display: (v) => v ?? '',
  };
}

/** Feishu's date picker answers "2024-04-01 +0800"; a stored date is 'YYYY-MM-DD'. */
export function date(name: string, lbl: string, en: string, o: { required?: boolean } = {}): Field<string> {
  const f = { label: lbl, en, required: o.required ?? true };
  const inner = z
    .string({ message: `「${lbl}」格式不对` })
    .transform((s) => s.trim().slice(0, 10))
    .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, `「${lbl}」应为日期`));
  return {
    name,
    ...f,
    schema: requiredOr(f, inner, ''),
    component: (value) => ({
      tag: 'date_picker',
      name,
      required: f.required,
      placeholder: plainText(`${lbl} ${en}`),
      ...(typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? { initial_date: value.slice(0, 10) } : {}),
    }),
    display: (v) => v ?? '',
  };
}

export function choice(name: string, lbl: string, en: string, options: readonly Option[], o: { required?: boolean } = {}): Field<string> {
  const f = { label: lbl, en, required: o.required ?? true };
  const values = options.map((x) => x.value);
  const inner = z.string({ message: `「${lbl}」请选择` }).refine((v) => values.includes(v), `「${lbl}」请从选项中选择`);
  return {
    name,
    ...f,
    schema: requiredOr(f, inner, ''),
    component: (value) => ({
      tag: 'select_static',
      name,
      required: f.required,
      placeholder: plainText(`${lbl} ${en}`),
      options: options.map((x) => ({ text: plainText(x.label), value: x.value })),
      ...(typeof value === 'string' && values.includes(value) ? { initial_option: value } : {}),
    }),
    display: (v) => options.find((x) => x.value === v)?.label ?? '',
  };
}

export function multi(name: string, lbl: string, en: string, options: readonly Option[], o: { required?: boolean; max?: number } = {}): Field<string[]> {
  const f = { label: lbl, en, required: o.required ?? false };
  const values = options.map((x) => x.value);
  const inner = z
    .array(z.string(), { message: `「${lbl}」格式不对` })
    .refine((vs) => vs.every((v) => values.includes(v)), `「${lbl}」请从选项中选择`)
    .refine((vs) => !o.max || vs.length <= o.max, `「${lbl}」最多选 ${o.max} 项`)
    .transform((vs) => [...new Set(vs)]);
  return {
    name,
    ...f,
    schema: requiredOr(f, inner, []),
    component: (value) => ({
      tag: 'multi_select_static',
      name,
      required: f.required,
      placeholder: plainText(`${lbl} ${en}`),
      options: options.map((x) => ({ text: plainText(x.label), value: x.value })),
      selected_values: Array.isArray(value) ? value.filter((v) => values.includes(String(v))) : [],
    }),
    display: (v) => (v ?? []).map((x) => options.find((opt) => opt.value === x)?.label ?? x).join('、'),
  };
}

/** A whole number typed into an input (headcount). */
export function count(name: string, lbl: string, en: string, o: { required?: boolean; min?: number; max?: number } = {}): Field<number | null> {
  const f = { label: lbl, en, required: o.required ?? false };
  const min = o.min ?? 0;
  const max = o.max ?? 999;
  const inner = z.coerce
    .number({ message: `「${lbl}」应为数字` })
    .int(`「${lbl}」应为整数`)
    .min(min, `「${lbl}」不能小于 ${min}`)
    .max(max, `「${lbl}」不能大于 ${max}`);
  return {
    name,
    ...f,
    schema: requiredOr<number | null>(f, inner, null),
    component: (value) => ({
      tag: 'input',
      name,
      required: f.required,
      max_length: 4,
      label: label(f),
      default_value: value === null || value === undefined ? '' : String(value),
    }),
    display: (v) => (v === null || v === undefined ? '' : String(v)),
  };
}

/** A statement the teacher must confirm (附件五's "no gifts" line): stored as true. */
export function confirm(name: string, lbl: string, en: string): Field<boolean> {
  const f = { label: lbl, en, required: true };
  return {
    name,
    ...f,
    schema: z.preprocess(
      blankToUndefined,
      z.literal('yes', { message: `请确认「${lbl}」` }).transform(() => true),
    ) as z.ZodType<boolean>,
    component: (value) => ({
      tag: 'select_static',
      name,
      required: true,
      placeholder: plainText(`${lbl} ${en}`),
      options: [{ text: plainText(`是，${lbl}`), value: 'yes' }],
      ...(value === true || value === 'yes' ? { initial_option: 'yes' } : {}),
    }),
    display: (v) => (v ? `已确认：${lbl}` : ''),
  };
}

export type Checked = { ok: true; data: FormData } | { ok: false; problems: Array<{ field: string; message: string }>; typed: FormData };

/** Validates a submitted form; on failure returns what was typed, so the card comes back with nothing lost. */
export function validate(fields: Fields, formValue: Record<string, unknown>): Checked {
  const data: FormData = {};
  const problems: Array<{ field: string; message: string }> = [];
  for (const f of fields) {
    const r = f.schema.safeParse(formValue[f.name]);
    if (r.success) data[f.name] = r.data;
    else problems.push({ field: f.name, message: [...new Set(r.error.issues.map((i) => i.message))].join('；') });
  }
  if (!problems.length) return { ok: true, data };
  const typed: FormData = {};
  for (const f of fields) {
    const v = formValue[f.name];
    typed[f.name] = typeof v === 'string' ? v.slice(0, MAX_TEXT) : Array.isArray(v) ? v.map(String) : v;
  }
  return { ok: false, problems, typed };
}

/** The paper cell's heading, above the first of its parts. */
const cellHeading = (fields: Fields, i: number) => {
  const cell = fields[i]!.cell;
  return cell && fields[i - 1]?.cell !== cell ? [{ tag: 'markdown', content: `**${cell}**`, text_size: 'normal' }] : [];
};

/** The form's components, each followed by its problem when it has one. */
export function formComponents(fields: Fields, values: FormData, problems: Array<{ field: string; message: string }> = []): Record<string, unknown>[] {
  return fields.flatMap((f, i) => {
    const problem = problems.find((p) => p.field === f.name);
    const c = f.component(values[f.name]);
    // Inputs carry their own label; pickers and selects get one above them.
    const heading = c.tag === 'input' ? [] : [{ tag: 'markdown', content: `**${f.label}** ${f.en}${f.required ? '' : '（选填）'}`, text_size: 'normal' }];
    const note = problem ? [{ tag: 'markdown', content: `<font color='red'>${problem.message}</font>`, text_size: 'notation' }] : [];
    return [...cellHeading(fields, i), ...heading, c, ...note];
  });
}

/** A read-only rendering of a stored record: label, then the value as plain text. */
export function summaryBlocks(fields: Fields, data: FormData): Record<string, unknown>[] {
  return fields.flatMap((f, i) => [...cellHeading(fields, i), ...labelledText(f.label, f.display(data[f.name] as never))]);
}

/** Whether two versions of a record say the same thing (a double click changes nothing). */
export const sameData = (a: FormData, b: FormData) => JSON.stringify(a) === JSON.stringify(b);

export const YES_NO: readonly Option[] = [
  { value: 'no', label: '无 None' },
  { value: 'yes', label: '有 Found' },
];

/** Each non-empty line of a multi-line answer, e.g. one ledger item per issue. */
export const lines = (s: unknown) =>
  String(s ?? '')
    .split('\n')
    .map((l) => l.replace(/^\s*(?:[-*•·]|\d+[.、)）])\s*/, '').trim())
    .filter(Boolean);
