import path from 'node:path';
import { ROLES, ROLE_LABELS, type CampaignDefinition, type Role } from '../domain/campaign.js';
import type { DormMember, Person } from '../db/schema.js';
import { foldLabel } from './read.js';
import { SHEETS, type RosterRow, type RosterSheet, type SheetKind } from './sheets.js';

/**
 * Turns roster rows into a plan of what to store, or into a list of problems,
 * each naming the file, sheet, row, column and what to fix. Pure: it reads the
 * campaign definition and a snapshot of what is already stored, nothing else.
 */

export interface RowProblem {
  file: string;
  sheet: string;
  rowNo: number;
  column?: string;
  header?: string;
  reason: string;
}

export function formatProblem(p: RowProblem): string {
  const where = p.column ? ` › ${p.column} 列「${p.header}」` : '';
  return `${path.basename(p.file)} › ${p.sheet} › 第 ${p.rowNo} 行${where}：${p.reason}`;
}

/** A person as the plan refers to them: `db:<id>` for stored people, `new:<mobile|email>` for ones this file adds. */
export type PersonRef = string;

export interface PlannedClass {
  name: string;
  grade: number | null;
  studentCount: number | null;
  interning: boolean;
}

export interface PlannedMember {
  ref: PersonRef;
  name: string;
  mobile: string | null;
  email: string | null;
  roles: Role[];
  department: string | null;
  classesTaught: string[];
  classLed: string | null;
  classDeputy: string | null;
}

export interface PlannedDorm {
  building: string;
  room: string;
  headName: string | null;
  headClass: string | null;
  headcount: number | null;
  members: DormMember[];
  /** Empty: the sheet names no teachers, so the current ones stay. */
  teachers: PersonRef[];
}

export interface PlannedZone {
  name: string;
  linkedClass: string | null;
  owner: PersonRef | null;
}

export interface PlannedTarget {
  naturalKey: string;
  kind: string;
  name: string;
  className: string | null;
  parentName: string | null;
  phone: string | null;
  address: string | null;
  enterprise: string | null;
  category: string | null;
  subKind: string | null;
  reason: string | null;
  note: string | null;
  visitor: PersonRef | null;
}

export interface RosterPlan {
  classes: PlannedClass[];
  members: PlannedMember[];
  dorms: PlannedDorm[];
  zones: PlannedZone[];
  targets: PlannedTarget[];
}

/** What is already stored, as far as validation needs it. */
export interface StoredRoster {
  classes: string[];
  people: Person[];
  /** Rooms stored per building, so a file cannot push a building past its layout. */
  rooms: Array<{ building: string; room: string }>;
  /** Current visitor (person id) of each stored target, by natural key. */
  visitors: Map<string, number>;
}

export interface Validation {
  plan: RosterPlan;
  problems: RowProblem[];
  warnings: string[];
}

export const normaliseMobile = (s: string): string => {
  const m = s.replace(/[\s-]/g, '');
  return /^(\+?86)1\d{10}$/.test(m) ? m.replace(/^\+?86/, '') : m;
};
const MOBILE = /^(1[3-9]\d{9}|\+(?!86)\d{6,15})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?\d[\d-]{5,18}\d$/;

export const splitList = (s: string): string[] =>
  s
    .split(/[、,，;；\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

export const studentKey = (className: string, name: string) => `student:${className}:${name}`;

const ROLE_BY_LABEL = new Map<string, Role>(ROLES.flatMap((r) => [[foldLabel(ROLE_LABELS[r]), r] as [string, Role], [foldLabel(r), r] as [string, Role]]));
// Common ways a secretary writes a role that is not its label.
for (const [alias, role] of [
  ['党支部书记', 'admin'],
  ['书记', 'admin'],
  ['干部', 'cadre'],
  ['党员', 'party-teacher'],
  ['学生处', 'nominator'],
  ['领导', 'leader'],
  ['校级领导', 'leader'],
  ['中层', 'leader'],
] as const) {
  ROLE_BY_LABEL.set(foldLabel(alias), role);
}

const YES = new Set(['是', 'y', 'yes', 'true', '1', '实习']);
const NO = new Set(['否', 'n', 'no', 'false', '0', '']);

interface Directory {
  ref: PersonRef;
  name: string;
  mobile: string | null;
  email: string | null;
  roles: Role[];
}

/** Stored and newly listed people, found by mobile, email, name or reference. */
class PeopleIndex {
  readonly byRef = new Map<PersonRef, Directory>();
  readonly byMobile = new Map<string, Directory>();
  readonly byEmail = new Map<string, Directory>();
  readonly byName = new Map<string, Directory[]>();

  constructor(people: Directory[]) {
    for (const p of people) this.put(p);
  }

  /** Adds a person, or replaces `previous` (the same person as stored) with what the file says now. */
  put(p: Directory, previous?: Directory): void {
    if (previous) {
      if (previous.mobile) this.byMobile.delete(previous.mobile);
      if (previous.email) this.byEmail.delete(previous.email);
      this.byName.set(
        previous.name,
        (this.byName.get(previous.name) ?? []).filter((d) => d !== previous),
      );
    }
    this.byRef.set(p.ref, p);
    if (p.mobile) this.byMobile.set(p.mobile, p);
    if (p.email) this.byEmail.set(p.email, p);
    this.byName.set(p.name, [...(this.byName.get(p.name) ?? []), p]);
  }
}

export function validateRoster(sheets: RosterSheet[], def: CampaignDefinition, stored: StoredRoster): Validation {
  const problems: RowProblem[] = [];
  const warnings: string[] = [];
  const plan: RosterPlan = { classes: [], members: [], dorms: [], zones: [], targets: [] };
  const of = (kind: SheetKind) => sheets.filter((s) => s.kind === kind);

  /** Reports a problem in a row, in the named column when there is one. */
  const reporter = (sheet: RosterSheet, row: RosterRow) => (reason: string, key?: string) => {
    const column = key ? SHEETS[sheet.kind].columns.find((c) => c.key === key) : undefined;
    problems.push({ file: sheet.file, sheet: sheet.sheet, rowNo: row.rowNo, column: key ? row.columns[key] : undefined, header: column?.header, reason });
  };

  const each = (kind: SheetKind, fn: (row: RosterRow, v: (key: string) => string, report: ReturnType<typeof reporter>, sheet: RosterSheet) => void) => {
    for (const sheet of of(kind))
      for (const row of sheet.rows) {
        const report = reporter(sheet, row);
        // In a roster, a date cell is damage done by Excel (a room "3-01" read as 1 March).
        const dated = Object.entries(row.dateCells ?? {});
        for (const [key, date] of dated)
          report(`单元格被 Excel 当成了日期（${date}）；请把该列设为“文本”格式后重新填写 / Excel turned this cell into a date`, key);
        if (dated.length) continue;
        const tooLong = SHEETS[kind].columns.filter((c) => [...(row.values[c.key] ?? '')].length > c.maxLength);
        for (const c of tooLong)
          report(`内容过长（${[...row.values[c.key]!].length} 字），此列最多 ${c.maxLength} 字 / too long: at most ${c.maxLength} characters`, c.key);
        if (tooLong.length) continue;
        fn(row, (key) => row.values[key] ?? '', report, sheet);
      }
  };

  const positiveInt = (text: string, key: string, report: ReturnType<typeof reporter>, max = 10_000): number | null => {
    if (!text) return null;
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
      report(`“${text}” 不是有效的正整数 / not a positive whole number`, key);
      return null;
    }
    return Number(text);
  };

  // ---- classes: other sheets refer to them, so they come first.
  const classNames = new Map<string, string>(stored.classes.map((c) => [foldLabel(c), c]));
  const interning = new Set<string>();
  const classRow = new Map<string, number>();
  each('classes', (row, v, report) => {
    const name = v('name');
    if (!name) return report('缺少班级名称 / class name is missing', 'name');
    const f = foldLabel(name);
    if (classRow.has(f)) return report(`班级重复，已在第 ${classRow.get(f)} 行 / duplicate class`, 'name');
    classRow.set(f, row.rowNo);
    const grade = positiveInt(v('grade'), 'grade', report, 12);
    const studentCount = positiveInt(v('studentCount'), 'studentCount', report, 200);
    const yes = v('interning').toLowerCase();
    if (!YES.has(yes) && !NO.has(yes)) report(`“${v('interning')}” 应为 是 或 否 / must be 是 or 否`, 'interning');
    classNames.set(f, name);
    if (YES.has(yes)) interning.add(name);
    plan.classes.push({ name, grade, studentCount, interning: YES.has(yes) });
  });
  const knownClass = (text: string, key: string, report: ReturnType<typeof reporter>): string | null => {
    if (!text) return null;
    const name = classNames.get(foldLabel(text));
    if (!name) report(`未登记的班级“${text}”，请先在「班级」表中添加 / unknown class`, key);
    return name ?? null;
  };

  // ---- members
  const directory = new PeopleIndex(
    stored.people.map((p) => ({ ref: `db:${p.id}`, name: p.name, mobile: p.mobile, email: p.email, roles: p.roles as Role[] })),
  );
  const storedById = new Map(stored.people.map((p) => [`db:${p.id}`, p]));
  const seenMobile = new Map<string, number>();
  const seenEmail = new Map<string, number>();
  each('members', (row, v, report) => {
    const name = v('name');
    if (!name) report('缺少姓名 / name is missing', 'name');
    const mobile = v('mobile') ? normaliseMobile(v('mobile')) : '';
    const email = v('email').toLowerCase();
    let ok = !!name;
    if (!mobile && !email) {
      report('手机号和邮箱至少填一项，用于匹配飞书账号 / give a mobile or an email', 'mobile');
      ok = false;
    }
    if (mobile && !MOBILE.test(mobile)) {
      report(`“${v('mobile')}” 不是有效的手机号（大陆手机号为 11 位，以 1 开头；境外号码写 +区号）/ not a valid mobile`, 'mobile');
      ok = false;
    }
    if (email && !EMAIL.test(email)) {
      report(`“${v('email')}” 不是有效的邮箱 / not a valid email`, 'email');
      ok = false;
    }
    if (mobile && seenMobile.has(mobile)) {
      report(`手机号与第 ${seenMobile.get(mobile)} 行重复 / same mobile as row ${seenMobile.get(mobile)}`, 'mobile');
      ok = false;
    }
    if (email && seenEmail.has(email)) {
      report(`邮箱与第 ${seenEmail.get(email)} 行重复 / same email as row ${seenEmail.get(email)}`, 'email');
      ok = false;
    }
    if (mobile) seenMobile.set(mobile, row.rowNo);
    if (email) seenEmail.set(email, row.rowNo);
    const roles: Role[] = [];
    for (const label of splitList(v('roles'))) {
      const role = ROLE_BY_LABEL.get(foldLabel(label));
      if (!role) {
        report(`未知角色“${label}”（可填：${ROLES.map((r) => ROLE_LABELS[r]).join('、')}）/ unknown role`, 'roles');
        ok = false;
      } else if (!roles.includes(role)) roles.push(role);
    }
    const department = v('department') || null;
    if (department && def.departments.length && !def.departments.includes(department)) {
      report(`未知部门“${department}”（本活动的部门：${def.departments.join('、')}）/ unknown department`, 'department');
      ok = false;
    }
    const classesTaught = splitList(v('classesTaught')).map((c) => knownClass(c, 'classesTaught', report));
    const classLed = knownClass(v('classLed'), 'classLed', report);
    const classDeputy = knownClass(v('classDeputy'), 'classDeputy', report);
    if (!ok || classesTaught.includes(null) || (v('classLed') && !classLed) || (v('classDeputy') && !classDeputy)) return;

    // The same person already stored (by mobile, else email) is updated, not duplicated.
    const byMobile = mobile ? directory.byMobile.get(mobile) : undefined;
    const byEmail = email ? directory.byEmail.get(email) : undefined;
    // One stored person's mobile with another's email: storing it would collide with the other's row.
    if (byMobile && byEmail && byMobile !== byEmail) {
      return report(
        `手机号是已登记的 ${byMobile.name} 的，邮箱是已登记的 ${byEmail.name} 的，请核对 / the mobile and the email belong to two different people`,
        'email',
      );
    }
    const existing = byMobile ?? byEmail;
    const ref = existing ? existing.ref : `new:${mobile || email}`;
    // A blank mobile or email keeps the stored one: a later list without that column must not erase contacts.
    // Likewise blank roles, department or classes keep what is stored: a list made for one
    // purpose (say, new mobiles) must not strip the branch secretary of the admin role.
    const before = existing ? storedById.get(existing.ref) : undefined;
    const keptRoles = roles.length ? roles : ((before?.roles as Role[] | undefined) ?? []);
    const member: PlannedMember = {
      ref,
      name,
      mobile: mobile || existing?.mobile || null,
      email: email || existing?.email || null,
      roles: classLed && !keptRoles.includes('head-teacher') ? [...keptRoles, 'head-teacher'] : keptRoles,
      department: department ?? before?.department ?? null,
      classesTaught: classesTaught.length ? (classesTaught as string[]) : (before?.classesTaught ?? []),
      classLed: classLed ?? before?.classLed ?? null,
      classDeputy: classDeputy ?? before?.classDeputy ?? null,
    };
    plan.members.push(member);
    directory.put({ ref, name, mobile: member.mobile, email: member.email, roles: member.roles }, existing);
  });

  /** A person named in a sheet, by mobile, email or (unambiguous) name. */
  const person = (text: string, key: string, report: ReturnType<typeof reporter>, role?: Role): PersonRef | null => {
    const mobile = normaliseMobile(text);
    const bare = text.replace(/[（(].*[)）]$/, '').trim();
    const inner = /[（(]([^()（）]+)[)）]$/.exec(text)?.[1];
    const one = (d: Directory | undefined) => (d ? [d] : []);
    const candidates = MOBILE.test(mobile)
      ? one(directory.byMobile.get(mobile))
      : EMAIL.test(text)
        ? one(directory.byEmail.get(text.toLowerCase()))
        : (directory.byName.get(bare) ?? []).filter((d) => !inner || d.mobile === normaliseMobile(inner));
    if (candidates.length === 0) {
      report(`名单中没有“${text}”，请先在「成员」表中登记 / not on the member list`, key);
      return null;
    }
    if (candidates.length > 1) {
      report(`“${text}” 有 ${candidates.length} 位同名成员，请写成 姓名（手机号）/ ambiguous name, add the mobile`, key);
      return null;
    }
    const p = candidates[0]!;
    if (role && !p.roles.includes(role) && !p.roles.includes('admin')) {
      report(`${p.name} 不是${ROLE_LABELS[role]}，请在「成员」表中为其加上该角色 / lacks the role ${role}`, key);
      return null;
    }
    return p.ref;
  };

  // ---- dorms
  const buildings = new Map(def.dorms.buildings.map((b) => [foldLabel(b.name), b]));
  const roomsPerBuilding = new Map<string, Set<string>>();
  for (const r of stored.rooms) {
    const set = roomsPerBuilding.get(r.building) ?? new Set();
    roomsPerBuilding.set(r.building, set.add(r.room));
  }
  const dormRow = new Map<string, number>();
  each('dorms', (row, v, report) => {
    const b = buildings.get(foldLabel(v('building')));
    if (!v('building')) return report('缺少楼栋 / building is missing', 'building');
    if (!b) {
      const known = def.dorms.buildings.map((x) => x.name).join('、');
      return report(
        known ? `活动配置中没有楼栋“${v('building')}”（已配置：${known}）/ unknown building` : '本活动没有配置宿舍楼 / this campaign has no dorm buildings',
        'building',
      );
    }
    const room = v('room');
    if (!room) return report('缺少房号 / room is missing', 'room');
    const k = `${b.name}/${room}`;
    if (dormRow.has(k)) return report(`宿舍重复，已在第 ${dormRow.get(k)} 行 / duplicate room`, 'room');
    dormRow.set(k, row.rowNo);
    const rooms = roomsPerBuilding.get(b.name) ?? new Set<string>();
    roomsPerBuilding.set(b.name, rooms.add(room));
    if (rooms.size > b.rooms) report(`${b.name}按配置只有 ${b.rooms} 间宿舍，这是第 ${rooms.size} 间 / more rooms than the layout allows`, 'room');
    const headcount = positiveInt(v('headcount'), 'headcount', report, 20);
    const headClass = knownClass(v('headClass'), 'headClass', report);
    const members: DormMember[] = [];
    for (const entry of splitList(v('members'))) {
      const m = /^(.+?)[（(](.+)[)）]$/.exec(entry);
      if (!m) {
        report(`宿舍成员“${entry}”应写成 姓名（班级）/ write members as name（class）`, 'members');
        continue;
      }
      const className = knownClass(m[2]!.trim(), 'members', report);
      if (className) members.push({ name: m[1]!.trim(), className });
    }
    if (headcount !== null && members.length > headcount)
      report(`列出了 ${members.length} 位成员，多于宿舍人数 ${headcount} / more members than the headcount`, 'members');
    const names = splitList(v('teachers'));
    if (names.length > b.teachersPerRoom) {
      report(`${b.name}每间宿舍配 ${b.teachersPerRoom} 位关爱教师，这里填了 ${names.length} 位 / too many teachers for this building`, 'teachers');
    }
    const teachers = names.map((n) => person(n, 'teachers', report, def.claiming.role));
    if (new Set(teachers).size !== teachers.length) report('同一位教师填了两次 / the same teacher twice', 'teachers');
    if (teachers.includes(null)) return;
    plan.dorms.push({ building: b.name, room, headName: v('headName') || null, headClass, headcount, members, teachers: teachers as PersonRef[] });
  });
  for (const b of def.dorms.buildings) {
    const n = roomsPerBuilding.get(b.name)?.size ?? 0;
    if (of('dorms').length && n < b.rooms) warnings.push(`${b.name}按配置有 ${b.rooms} 间宿舍，名单中目前 ${n} 间 / fewer rooms than the layout`);
  }

  // ---- zones
  const zoneRow = new Map<string, number>();
  each('zones', (row, v, report) => {
    const name = v('name');
    if (!name) return report('缺少责任区名称 / zone name is missing', 'name');
    if (zoneRow.has(name)) return report(`责任区重复，已在第 ${zoneRow.get(name)} 行 / duplicate zone`, 'name');
    zoneRow.set(name, row.rowNo);
    const linkedClass = knownClass(v('linkedClass'), 'linkedClass', report);
    const owner = v('owner') ? person(v('owner'), 'owner', report, 'cadre') : null;
    if ((v('linkedClass') && !linkedClass) || (v('owner') && !owner)) return;
    plan.zones.push({ name, linkedClass, owner });
  });

  // ---- targets
  const kinds = def.targetKinds;
  const internsRule = def.coverage.find((c) => c.rule === 'interns-at-enterprise');
  const targetOrigin = new Map<string, { sheet: RosterSheet; row: RosterRow }>();
  each('targets', (row, v, report, sheet) => {
    const kind = kinds.find((k) => foldLabel(k.name) === foldLabel(v('kind')) || k.key === v('kind'));
    const name = v('name');
    if (!v('kind')) report('缺少对象类型 / kind is missing', 'kind');
    else if (!kind) report(`未知对象类型“${v('kind')}”（本活动：${kinds.map((k) => k.name).join('、')}）/ unknown target kind`, 'kind');
    if (!name) report('缺少姓名 / name is missing', 'name');
    if (!kind || !name) return;
    let className: string | null = null;
    if (kind.student) {
      if (!v('className')) return report(`${kind.name}须填写班级 / a student target needs a class`, 'className');
      className = knownClass(v('className'), 'className', report);
      if (!className) return;
    }
    const naturalKey = kind.student ? studentKey(className!, name) : `${kind.key}:${name}`;
    const earlier = targetOrigin.get(naturalKey);
    if (earlier) {
      return report(
        `${kind.student ? `学生 ${name}（${className}）` : `${kind.name} ${name}`} 重复，已在第 ${earlier.row.rowNo} 行 / duplicate target`,
        'name',
      );
    }
    targetOrigin.set(naturalKey, { sheet, row });
    let ok = true;
    let category: string | null = null;
    let subKind: string | null = null;
    if (v('category')) {
      const c = def.targetCategories.find((x) => foldLabel(x.name) === foldLabel(v('category')) || x.key === v('category'));
      if (!c) {
        const known = def.targetCategories.map((x) => x.name).join('、');
        report(
          known
            ? `类别“${v('category')}”不在本活动中（可填：${known}）/ category not in this campaign`
            : `本活动不分类别，请留空 / this campaign has no categories`,
          'category',
        );
        ok = false;
      } else {
        category = c.key;
        if (v('subKind')) {
          subKind = c.subKinds.find((s) => foldLabel(s) === foldLabel(v('subKind'))) ?? null;
          if (!subKind && c.subKinds.length) {
            report(`“${v('subKind')}”不是${c.name}的细类（可填：${c.subKinds.join('、')}）/ not a sub-kind of this category`, 'subKind');
            ok = false;
          } else subKind ??= v('subKind');
        }
      }
    } else if (def.claiming.enabled && kind.student && def.targetCategories.length) {
      report(`请填写类别（${def.targetCategories.map((x) => x.name).join('、')}）/ category is required`, 'category');
      ok = false;
    }
    const phone = v('phone').replace(/\s/g, '');
    if (phone && !PHONE.test(phone)) {
      report(`“${v('phone')}” 不是有效的电话号码 / not a valid phone number`, 'phone');
      ok = false;
    }
    if (kind.place === 'enterprise' && !v('enterprise')) {
      report(`${kind.name}须填写实习企业 / an intern needs the enterprise`, 'enterprise');
      ok = false;
    }
    if (internsRule && className && interning.has(className) && kind.place !== 'enterprise') {
      const k = kinds.find((x) => x.key === internsRule.targetKind)!;
      report(`${className}在企业实习，对象类型应为“${k.name}”并填写实习企业 / interns are visited at their enterprise`, 'kind');
      ok = false;
    }
    const visitor = v('visitor') ? person(v('visitor'), 'visitor', report, def.claiming.enabled ? def.claiming.role : undefined) : null;
    if (!ok || (v('visitor') && !visitor)) return;
    plan.targets.push({
      naturalKey,
      kind: kind.key,
      name,
      className,
      category,
      subKind,
      parentName: v('parentName') || null,
      phone: phone || null,
      address: v('address') || null,
      enterprise: v('enterprise') || null,
      reason: v('reason') || null,
      note: v('note') || null,
      visitor,
    });
  });

  // Claimed targets per teacher after this import, against the claiming quota.
  if (def.claiming.enabled) {
    const owner = new Map<string, PersonRef>([...stored.visitors].map(([k, id]) => [k, `db:${id}`]));
    for (const t of plan.targets) if (t.visitor) owner.set(t.naturalKey, t.visitor);
    const count = new Map<PersonRef, number>();
    for (const ref of owner.values()) count.set(ref, (count.get(ref) ?? 0) + 1);
    for (const t of plan.targets) {
      const n = t.visitor ? (count.get(t.visitor) ?? 0) : 0;
      if (n <= def.claiming.quota) continue;
      const { sheet, row } = targetOrigin.get(t.naturalKey)!;
      reporter(sheet, row)(
        `${directory.byRef.get(t.visitor!)!.name} 将有 ${n} 位走访对象，超过每人 ${def.claiming.quota} 位的认领上限 / over the claiming quota`,
        'visitor',
      );
    }
  }

  for (const k of kinds) {
    const n = plan.targets.filter((t) => t.kind === k.key).length;
    if (k.expectedCount && of('targets').length && n !== k.expectedCount)
      warnings.push(`${k.name}：活动方案为 ${k.expectedCount} 人，名单中 ${n} 人 / the plan expects ${k.expectedCount}`);
  }
  return { plan, problems, warnings };
}
