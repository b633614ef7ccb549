import { describe, expect, it } from 'vitest';
import { collectFormValue, fieldValue, utcOffset } from '../../src/simulator/public/form-value.js';

describe('form_value as the Feishu client sends it', () => {
  it('collects every named field of the form, typed like Feishu', () => {
    const { formValue, missing } = collectFormValue([
      { tag: 'input', name: 'overall_state', required: true, raw: '楼道整洁\n垃圾桶按时清理' },
      { tag: 'input', name: 'remarks', raw: '' },
      { tag: 'select_static', name: 'grade', raw: 'b' },
      { tag: 'select_static', name: 'unpicked', raw: '' },
      { tag: 'multi_select_static', name: 'topics', raw: ['safety', 'study'] },
      { tag: 'multi_select_person', name: 'people', raw: [] },
      { tag: 'select_person', name: 'owner', raw: 'ou_abc' },
      { tag: 'date_picker', name: 'visit_date', raw: '2026-11-13' },
      { tag: 'picker_time', name: 'visit_time', raw: '08:30' },
      { tag: 'picker_datetime', name: 'visit_at', raw: '2026-11-13T08:30' },
      { tag: 'date_picker', name: 'no_date', raw: '' },
      { tag: 'checker', name: 'confirmed', raw: true },
      { tag: 'checker', name: 'unchecked', raw: false },
      { tag: 'button', name: 'submit', raw: 'x' },
    ]);
    expect(formValue).toEqual({
      overall_state: '楼道整洁\n垃圾桶按时清理',
      remarks: '',
      grade: 'b',
      topics: ['safety', 'study'],
      people: [],
      owner: 'ou_abc',
      visit_date: '2026-11-13 +0800',
      visit_time: '08:30 +0800',
      visit_at: '2026-11-13 08:30 +0800',
      confirmed: true,
      unchecked: false,
    });
    expect(missing).toEqual([]);
  });

  it("names the required fields left empty (whitespace is the bot's to judge)", () => {
    const { missing } = collectFormValue([
      { tag: 'input', name: 'a', required: true, raw: '' },
      { tag: 'input', name: 'b', required: true, raw: '   ' },
      { tag: 'select_static', name: 'c', required: true, raw: '' },
      { tag: 'multi_select_static', name: 'd', required: true, raw: [] },
      { tag: 'date_picker', name: 'e', required: true, raw: '' },
      { tag: 'checker', name: 'f', required: true, raw: false },
      { tag: 'input', name: 'g', required: false, raw: '' },
    ]);
    expect(missing).toEqual(['a', 'c', 'd', 'e', 'f']);
  });

  it('writes the time zone offset the way Feishu does', () => {
    expect(utcOffset('Asia/Shanghai')).toBe('+0800');
    expect(utcOffset('UTC')).toBe('+0000');
    expect(utcOffset('America/St_Johns', new Date('2026-01-15T12:00:00Z'))).toBe('-0330');
    expect(fieldValue('date_picker', '2026-03-01', '-0330')).toBe('2026-03-01 -0330');
  });
});
