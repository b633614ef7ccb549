// What a Feishu client puts in `action.form_value` when a form's submit button
// is pressed: one entry per named interactive component inside the form.
//   input                        → string ("" when left empty)
//   select_static, select_person → the chosen option's value (absent when nothing is chosen)
//   multi_select_*               → array of values
//   date_picker                  → "YYYY-MM-DD +0800"; picker_time → "HH:mm +0800";
//   picker_datetime              → "YYYY-MM-DD HH:mm +0800" (absent when not picked)
//   checker                      → boolean
// Required components that are empty block the submission on the client, as in Feishu.

export const FORM_FIELD_TAGS = new Set([
  'input',
  'select_static',
  'select_person',
  'multi_select_static',
  'multi_select_person',
  'date_picker',
  'picker_time',
  'picker_datetime',
  'checker',
]);

/** "+0800" for Asia/Shanghai: the UTC offset of a zone at a moment, as Feishu writes it. */
export function utcOffset(timeZone, at = new Date()) {
  const part =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(part);
  return m ? `${m[1]}${m[2]}${m[3] ?? '00'}` : '+0000';
}

/** One field's value as it travels in form_value, or undefined when it is left out. */
export function fieldValue(tag, raw, offset = '+0800') {
  switch (tag) {
    case 'input':
      return raw == null ? '' : String(raw);
    case 'select_static':
    case 'select_person':
      return raw == null || raw === '' ? undefined : String(raw);
    case 'multi_select_static':
    case 'multi_select_person':
      return Array.isArray(raw) ? raw.map(String) : raw == null || raw === '' ? [] : [String(raw)];
    case 'date_picker':
    case 'picker_time':
    case 'picker_datetime':
      return raw == null || raw === '' ? undefined : `${String(raw).replace('T', ' ')} ${offset}`;
    case 'checker':
      return raw === true || raw === 'true' || raw === 'on';
    default:
      return undefined;
  }
}

function isEmpty(tag, value) {
  if (value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (tag === 'checker') return value !== true;
  return false;
}

/**
 * fields: [{ tag, name, required, raw }] in the form's order.
 * Returns { formValue, missing } — `missing` names the required fields left empty.
 */
export function collectFormValue(fields, opts = {}) {
  const offset = opts.offset ?? '+0800';
  const formValue = {};
  const missing = [];
  for (const f of fields) {
    if (!f?.name || !FORM_FIELD_TAGS.has(f.tag)) continue;
    const value = fieldValue(f.tag, f.raw, offset);
    if (f.required && isEmpty(f.tag, value)) missing.push(f.name);
    if (value !== undefined) formValue[f.name] = value;
  }
  return { formValue, missing };
}
