export const FORM_FIELD_TAGS: Set<string>;
export function utcOffset(timeZone: string, at?: Date): string;
export function fieldValue(tag: string, raw: unknown, offset?: string): string | string[] | boolean | undefined;
export interface FormField {
  tag: string;
  name: string;
  required?: boolean;
  raw: unknown;
}
export function collectFormValue(
  fields: FormField[],
  opts?: { offset?: string },
): { formValue: Record<string, string | string[] | boolean>; missing: string[] };
