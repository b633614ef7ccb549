import { z } from 'zod';

/** 附件二 环境责任区报表 — the form's fields, in the paper form's order. */
export const ZONE_REPORT_FIELDS = [
  { key: 'overallState', name: 'overall_state', label: '环境责任区总体情况', en: 'Overall state of the zone', required: true },
  { key: 'studentTalks', name: 'student_talks', label: '与学生谈话情况', en: 'Talks with students', required: true },
  { key: 'problems', name: 'problems', label: '存在问题', en: 'Problems found', required: false },
  { key: 'remarks', name: 'remarks', label: '备注', en: 'Remarks', required: false },
] as const;

export const MAX_FIELD_LENGTH = 1000;

const field = (label: string, required: boolean) => {
  const base = z
    .string({ message: `「${label}」格式不对` })
    // Null bytes and other control characters (except newlines and tabs) are never meant.
    .transform((s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim())
    .pipe(z.string().max(MAX_FIELD_LENGTH, `「${label}」不能超过 ${MAX_FIELD_LENGTH} 字`));
  return required
    ? base.pipe(z.string().min(1, `「${label}」必填`))
    : z.union([z.undefined(), z.null()]).transform(() => '').or(base);
};

/** The form as Feishu returns it (`form_value`, keyed by component name). */
export const zoneReportForm = z
  .object({
    overall_state: field('环境责任区总体情况', true),
    student_talks: field('与学生谈话情况', true),
    problems: field('存在问题', false),
    remarks: field('备注', false),
  })
  .transform((f) => ({ overallState: f.overall_state, studentTalks: f.student_talks, problems: f.problems, remarks: f.remarks }));

export type ZoneReportFields = z.output<typeof zoneReportForm>;

export function validateZoneReport(formValue: Record<string, unknown>):
  | { ok: true; fields: ZoneReportFields }
  | { ok: false; problems: string[]; typed: Record<string, string> } {
  const r = zoneReportForm.safeParse({
    overall_state: formValue.overall_state ?? '',
    student_talks: formValue.student_talks ?? '',
    problems: formValue.problems,
    remarks: formValue.remarks,
  });
  if (r.success) return { ok: true, fields: r.data };
  // Whatever was typed goes back into the card, so a validation error never loses text.
  const typed: Record<string, string> = {};
  for (const f of ZONE_REPORT_FIELDS) {
    const v = formValue[f.name];
    typed[f.key] = typeof v === 'string' ? v.slice(0, MAX_FIELD_LENGTH) : '';
  }
  return { ok: false, problems: [...new Set(r.error.issues.map((i) => i.message))], typed };
}
