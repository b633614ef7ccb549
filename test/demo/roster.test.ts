import { describe, it, expect } from 'vitest';
import { ROLE_LABELS, type Role } from '../../src/domain/campaign.js';
import { presetDefinition } from '../../src/domain/presets.js';
import { LIST_SEPARATOR, SHEETS, SHEET_KINDS } from '../../src/roster/sheets.js';
import { DEMO_PEOPLE } from '../../src/demo/seed.js';
import { generateDemoRoster } from '../../src/demo/roster.js';

/**
 * The sandbox's synthetic rosters: they must import cleanly (every reference resolves,
 * nothing duplicated) and respect the campaign's own numbers, or the demo shows errors
 * instead of the product.
 */

const split = (cell: string | undefined) => (cell ? cell.split(LIST_SEPARATOR).filter(Boolean) : []);
const dupes = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

for (const preset of ['wei-xingdong', 'san-da-yi-shigan']) {
  describe(`generateDemoRoster (${preset})`, () => {
    const def = presetDefinition(preset, { year: 2027 });
    const roster = generateDemoRoster(def);
    const classNames = new Set(roster.classes.map((c) => c.name!));
    const memberByName = new Map(roster.members.map((m) => [m.name!, m]));

    it('is deterministic in its seed', () => {
      expect(generateDemoRoster(def)).toEqual(roster);
      expect(generateDemoRoster(def, 1)).toEqual(roster);
      expect(generateDemoRoster(def, 2)).not.toEqual(roster);
    });

    it('fills exactly the sheet columns', () => {
      for (const kind of SHEET_KINDS) {
        const keys = SHEETS[kind].columns.map((c) => c.key);
        for (const row of roster[kind]) expect(Object.keys(row)).toEqual(keys);
      }
    });

    it('has unique names and mobiles, fictional for everyone but the cast', () => {
      const names = roster.members.map((m) => m.name!);
      const mobiles = roster.members.map((m) => m.mobile!);
      expect(dupes(names)).toEqual([]);
      expect(dupes(mobiles)).toEqual([]);
      const castNames = new Set(DEMO_PEOPLE.map((p) => p.name));
      for (const m of roster.members.filter((x) => !castNames.has(x.name!))) expect(m.mobile).toMatch(/^1990000\d{4}$/);
      const phones = roster.targets.map((t) => t.phone!).filter(Boolean);
      expect(dupes(phones)).toEqual([]);
      for (const p of phones) expect(p).toMatch(/^1990001\d{4}$/);
    });

    it('starts with the named cast, unchanged', () => {
      DEMO_PEOPLE.forEach((p, i) => {
        const m = roster.members[i]!;
        expect(m.name).toBe(p.name);
        expect(m.mobile).toBe(p.mobile);
        expect(split(m.roles)).toEqual(p.roles.map((r) => ROLE_LABELS[r as Role]));
        const dept = def.departments.length && !def.departments.includes(p.department ?? '') ? def.departments[0] : p.department;
        expect(m.department).toBe(dept);
      });
    });

    it('uses only known role labels and departments', () => {
      const labels = new Set(Object.values(ROLE_LABELS));
      for (const m of roster.members) {
        for (const r of split(m.roles)) expect(labels).toContain(r);
        if (def.departments.length && m.department) expect(def.departments).toContain(m.department);
      }
    });

    it('references only classes on the classes sheet', () => {
      const referenced = [
        ...roster.members.flatMap((m) => [...split(m.classesTaught), m.classLed!, m.classDeputy!]),
        ...roster.dorms.flatMap((d) => [d.headClass!, ...split(d.members).map((x) => /（(.+)）$/.exec(x)?.[1] ?? `unparsed: ${x}`)]),
        ...roster.zones.map((z) => z.linkedClass!),
        ...roster.targets.map((t) => t.className!),
      ].filter(Boolean);
      expect(referenced.length).toBeGreaterThan(0);
      for (const c of referenced) expect(classNames).toContain(c);
      for (const c of roster.classes) expect(Number(c.studentCount)).toBeGreaterThanOrEqual(30);
      for (const c of roster.classes) expect(Number(c.studentCount)).toBeLessThanOrEqual(45);
    });

    it('lays out the dorms with distinct party teachers', () => {
      const buildings = def.dorms.buildings;
      expect(roster.dorms.length).toBe(buildings.reduce((s, b) => s + b.rooms, 0));
      const caring: string[] = [];
      for (const b of buildings) {
        const rooms = roster.dorms.filter((d) => d.building === b.name);
        expect(rooms.length).toBe(b.rooms);
        expect(dupes(rooms.map((d) => d.room!))).toEqual([]);
        for (const d of rooms) {
          const teachers = split(d.teachers);
          expect(teachers.length).toBe(b.teachersPerRoom);
          expect(dupes(teachers)).toEqual([]);
          for (const t of teachers) expect(split(memberByName.get(t)?.roles)).toContain(ROLE_LABELS['party-teacher']);
          caring.push(...teachers);
          const residents = split(d.members);
          expect(residents.length).toBeGreaterThanOrEqual(1);
          expect(residents.length).toBeLessThanOrEqual(Number(d.headcount));
          expect(residents).toContain(`${d.headName}（${d.headClass}）`);
        }
      }
      expect(dupes(caring)).toEqual([]);
      // A resident lives in one room only.
      expect(dupes(roster.dorms.flatMap((d) => split(d.members)))).toEqual([]);
    });

    it('gives zones to distinct members', () => {
      expect(roster.zones.length).toBe(def.zoneReport.enabled ? 8 : 0);
      const owners = roster.zones.map((z) => z.owner!);
      expect(dupes(owners)).toEqual([]);
      for (const o of owners) expect(memberByName.has(o)).toBe(true);
      expect(dupes(roster.zones.map((z) => z.name!))).toEqual([]);
    });

    it('lists valid targets, each student once', () => {
      const kinds = new Map(def.targetKinds.map((k) => [k.name, k]));
      const categories = new Map(def.targetCategories.map((c) => [c.name, c]));
      const interning = new Set(roster.classes.filter((c) => c.interning === '是').map((c) => c.name!));
      const students: string[] = [];
      for (const t of roster.targets) {
        const kind = kinds.get(t.kind!);
        expect(kind, t.kind).toBeDefined();
        expect(t.name).not.toBe('');
        if (kind!.student) {
          expect(classNames).toContain(t.className);
          students.push(`${t.className}/${t.name}`);
        }
        if (def.targetCategories.length) {
          const cat = categories.get(t.category!);
          expect(cat, t.category).toBeDefined();
          expect(cat!.subKinds).toContain(t.subKind);
        } else {
          expect(t.category).toBe('');
        }
        if (kind!.place === 'enterprise') expect(t.enterprise).toMatch(/有限公司$/);
        if (interning.has(t.className!)) expect(kind!.place).toBe('enterprise');
      }
      expect(dupes(students)).toEqual([]);
    });

    it('pre-assigns visitors sparingly and within the quota', () => {
      const counts = new Map<string, number>();
      for (const t of roster.targets.filter((x) => x.visitor)) counts.set(t.visitor!, (counts.get(t.visitor!) ?? 0) + 1);
      for (const [name, n] of counts) {
        expect(memberByName.has(name)).toBe(true);
        expect(split(memberByName.get(name)!.roles)).toContain(ROLE_LABELS[def.claiming.role]);
        expect(n).toBeLessThanOrEqual(Math.min(3, def.claiming.quota));
      }
    });
  });
}

describe('generateDemoRoster, preset specifics', () => {
  it('wei-xingdong: 35 dorms, interns at enterprises, enough targets to claim', () => {
    const def = presetDefinition('wei-xingdong', { year: 2027 });
    const roster = generateDemoRoster(def);
    expect(roster.dorms.filter((d) => d.building === '7号楼').length).toBe(20);
    expect(roster.dorms.filter((d) => d.building === '5号楼').length).toBe(15);
    expect(roster.dorms.filter((d) => d.building === '5号楼').map((d) => d.room)).toEqual([
      ...['101', '102', '103', '104', '105', '106', '107', '108', '109', '110'],
      ...['201', '202', '203', '204', '205'],
    ]);
    // Grade 3 of a spring 2027 window enrolled in 2024, and interns.
    for (const c of roster.classes) {
      expect(c.name).toMatch(new RegExp(`^${2027 - Number(c.grade)}级.+\\d班$`));
      expect(c.interning).toBe(c.grade === '3' ? '是' : '否');
    }
    const interns = roster.targets.filter((t) => t.kind === '实习企业');
    expect(interns.length).toBeGreaterThan(0);
    for (const t of interns) expect(t.enterprise).not.toBe('');
    const party = roster.members.filter((m) => split(m.roles).includes('党员教师')).length;
    expect(party).toBeGreaterThan(55);
    expect(roster.targets.length).toBe(Math.round(def.claiming.quota * party * 1.2));
    expect(roster.members.filter((m) => split(m.roles).includes('党员干部')).length).toBe(8);
    const nominators = roster.members.filter((m) => split(m.roles).includes('推荐人'));
    expect(nominators.length).toBeGreaterThanOrEqual(1);
    for (const n of nominators) expect(n.department).toBe('学生处');
    expect(roster.targets.some((t) => t.visitor)).toBe(true);
  });

  it('san-da-yi-shigan: leaders per department, a head teacher per class, the seed counts', () => {
    const def = presetDefinition('san-da-yi-shigan', { year: 2027 });
    const roster = generateDemoRoster(def);
    for (const k of def.targetKinds.filter((x) => !x.student)) {
      expect(roster.targets.filter((t) => t.kind === k.name).length, k.name).toBe(k.expectedCount);
    }
    const leaders = roster.members.filter((m) => m.roles === '部门领导、教师');
    expect(leaders.filter((m) => m.department === '校长室').length).toBe(3);
    for (const d of def.departments.filter((x) => x !== '校长室')) expect(leaders.filter((m) => m.department === d).length).toBe(2);
    for (const c of roster.classes) {
      expect(c.name).toMatch(/^[一二三四五六]年级（\d）班$/);
      expect(roster.members.filter((m) => m.classLed === c.name).length).toBe(1);
      expect(roster.members.filter((m) => m.classDeputy === c.name).length).toBe(1);
    }
    const leaderKind = def.targetKinds.find((k) => k.key === 'student-leader')!;
    const upper = roster.classes.filter((c) => Number(c.grade) >= 3);
    expect(roster.targets.filter((t) => t.kind === leaderKind.name).length).toBe(upper.length * 2);
    const familyKind = def.targetKinds.find((k) => k.key === 'student-family')!;
    for (const c of roster.classes) {
      const n = roster.targets.filter((t) => t.kind === familyKind.name && t.className === c.name).length;
      expect(n).toBe(Math.min(8, Number(c.studentCount)));
    }
    expect(roster.dorms).toEqual([]);
    expect(roster.zones).toEqual([]);
    const total = Object.values(roster).reduce((s, rows) => s + rows.length, 0);
    expect(total).toBeLessThan(800);
  });
});
