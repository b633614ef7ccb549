import { describe, expect, it } from 'vitest';
import { presetDefinition } from '../../src/domain/presets.js';
import { classesOf, classPart, sharesTarget } from '../../src/domain/sharing.js';

/** Seed 002: 家访要做到由班主任与副班主任、任课教师统筹安排; 部门统筹协同走访. */
const sanDa = presetDefinition('三大一实干', { year: 2026 });
const wei = presetDefinition('微行动', { year: 2026 });
const person = (o: Partial<{ classLed: string | null; classDeputy: string | null; classesTaught: string[]; department: string | null }>) => ({
  classLed: null,
  classDeputy: null,
  classesTaught: [],
  department: null,
  ...o,
});
const family = (className: string) => ({ kind: 'student-family', className });

describe('shared targets', () => {
  it('gives a class’s students to its head teacher, deputy and subject teachers, and no one else', () => {
    expect(sharesTarget(sanDa, person({ classLed: '三(1)班' }), family('三(1)班'))).toBe(true);
    expect(sharesTarget(sanDa, person({ classDeputy: '三(1)班' }), family('三(1)班'))).toBe(true);
    expect(sharesTarget(sanDa, person({ classesTaught: ['二(2)班', '三(1)班'] }), family('三(1)班'))).toBe(true);
    expect(sharesTarget(sanDa, person({ classLed: '三(2)班', classesTaught: ['三(3)班'] }), family('三(1)班'))).toBe(false);
  });

  it('gives a department the groups its quota visits', () => {
    const principal = person({ department: '校长室' });
    expect(sharesTarget(sanDa, principal, { kind: 'parent-committee', className: null })).toBe(true);
    expect(sharesTarget(sanDa, principal, { kind: 'community-figure', className: null })).toBe(true);
    expect(sharesTarget(sanDa, principal, { kind: 'logistics-staff', className: null })).toBe(false);
    expect(sharesTarget(sanDa, person({ department: '服务中心' }), { kind: 'outside-helper', className: null })).toBe(true);
    expect(sharesTarget(sanDa, principal, family('三(1)班'))).toBe(false);
  });

  it('leaves a campaign of assigned targets (微行动) as it is', () => {
    expect(sharesTarget(wei, person({ classLed: '三(1)班' }), family('三(1)班'))).toBe(false);
  });

  it('names a person’s part in a class, head teacher first', () => {
    const p = person({ classLed: '三(1)班', classDeputy: '三(2)班', classesTaught: ['三(1)班', '三(3)班'] });
    expect(classPart(p, '三(1)班')).toBe('head');
    expect(classPart(p, '三(2)班')).toBe('deputy');
    expect(classPart(p, '三(3)班')).toBe('subject');
    expect(classPart(p, '四(1)班')).toBeNull();
    expect(classesOf(p)).toEqual(['三(1)班', '三(2)班', '三(3)班']);
  });
});
