import type { Person, RecordForm } from '../db/schema.js';
import { holderKey, type ExportData } from './load.js';
import { byChinese } from '../domain/quotas.js';

/**
 * The numbers per teacher and per department: what each filed, of what was
 * due. Counts only; the quota rules (per-month visit quotas, claimed targets)
 * are judged by the domain rules (./quotas.ts) and arrive as `QuotaStatus` cells.
 */

/** One quota's standing for one person, as the quota rules judge it. */
export interface QuotaCell {
  /** The column it goes in, e.g. `家访 11月（≥5）`. */
  header: string;
  /** What the cell shows, e.g. `4/5` or `达标`. */
  value: string | number;
  /** Whether the quota is met; departments count the people who met it. */
  met?: boolean;
}

/** The quota columns for a person. */
export type QuotaStatus = (personId: number) => QuotaCell[];

export interface Tally {
  /** Visit records the person is named on (as author or co-visitor), by id, so a visit made together counts once for a department. */
  visits: Set<number>;
  visitedTargets: Set<number>;
  inPerson: Set<number>;
  /** In-person visits the person filed with no photo stored, where the campaign requires photos (only the author can add one). */
  inPersonWithoutPhoto: Set<number>;
  /** Targets the person holds now, and those of them visited in the range. */
  heldTargets: Set<number>;
  zoneFiled: number;
  zoneDue: number;
  /** Zone reports are counted by week (zoneFiled) instead. */
  forms: Record<Exclude<RecordForm, 'visit' | 'zone-report'>, number>;
  ledgerOpen: number;
  ledgerClosed: number;
}

const emptyTally = (): Tally => ({
  visits: new Set(),
  visitedTargets: new Set(),
  inPerson: new Set(),
  inPersonWithoutPhoto: new Set(),
  heldTargets: new Set(),
  zoneFiled: 0,
  zoneDue: 0,
  forms: { 'dorm-check': 0, 'dorm-record': 0, 'student-day': 0, reflection: 0, story: 0, suggestion: 0 },
  ledgerOpen: 0,
  ledgerClosed: 0,
});

/** Adds `b` into `a` (sets are joined, so a target two teachers visited counts once for their department). */
function addInto(a: Tally, b: Tally): void {
  b.visits.forEach((r) => a.visits.add(r));
  b.visitedTargets.forEach((t) => a.visitedTargets.add(t));
  b.inPerson.forEach((r) => a.inPerson.add(r));
  b.inPersonWithoutPhoto.forEach((r) => a.inPersonWithoutPhoto.add(r));
  b.heldTargets.forEach((t) => a.heldTargets.add(t));
  a.zoneFiled += b.zoneFiled;
  a.zoneDue += b.zoneDue;
  for (const k of Object.keys(a.forms) as Array<keyof Tally['forms']>) a.forms[k] += b.forms[k];
  a.ledgerOpen += b.ledgerOpen;
  a.ledgerClosed += b.ledgerClosed;
}

/** The people a summary lists: the one asked about, else everyone on the roster, by department and name. */
export function peopleOf(data: ExportData): Person[] {
  if (data.scope.teacher) return [data.scope.teacher];
  return [...data.people.values()].sort((a, b) => byChinese(a.department ?? '', b.department ?? '') || byChinese(a.name, b.name) || a.id - b.id);
}

/** Per person: what they filed in the range, of what fell due by `now`. */
export function tallies(data: ExportData): Map<number, Tally> {
  const out = new Map<number, Tally>();
  const of = (id: number) => {
    let t = out.get(id);
    if (!t) out.set(id, (t = emptyTally()));
    return t;
  };
  for (const p of peopleOf(data)) of(p.id);
  const wanted = (id: number) => out.has(id);
  const photosRequired = data.scope.campaign.def.tasks.visits.photosRequired;

  for (const r of data.records) {
    const v = data.visitors.get(r.id)!;
    if (r.form === 'visit') {
      for (const id of [v.authorId, ...v.coVisitorIds].filter(wanted)) {
        const t = of(id);
        t.visits.add(r.id);
        t.visitedTargets.add(r.subjectId);
        if (r.data.mode === 'in-person') t.inPerson.add(r.id);
      }
      if (photosRequired && r.data.mode === 'in-person' && !data.photos.get(r.id)?.length && wanted(v.authorId)) of(v.authorId).inPersonWithoutPhoto.add(r.id);
    } else if (r.form !== 'zone-report' && wanted(r.authorId)) of(r.authorId).forms[r.form]++;
  }

  for (const [key, ids] of data.holders) {
    const [type, id] = key.split(':');
    if (type !== 'target') continue;
    for (const p of ids.filter(wanted)) of(p).heldTargets.add(Number(id));
  }

  // Zone reports: a week is due once its deadline has passed; one filed early counts too.
  const filed = new Map(data.zoneReports.map((r) => [`${r.zoneId}:${r.weekNo}`, r]));
  for (const zone of data.zones.values()) {
    const owners = (data.holders.get(holderKey('zone', zone.id)) ?? []).filter(wanted);
    for (const owner of owners) {
      const t = of(owner);
      for (const w of data.weeks) {
        const isFiled = filed.has(`${zone.id}:${w.weekNo}`);
        if (isFiled) t.zoneFiled++;
        if (isFiled || w.dueAt <= data.now) t.zoneDue++;
      }
    }
  }

  for (const item of data.ledger) {
    // An item still waiting for the admins to assign it is nobody's yet.
    if (item.ownerId === null || !wanted(item.ownerId)) continue;
    if (item.status === 'closed') of(item.ownerId).ledgerClosed++;
    else of(item.ownerId).ledgerOpen++;
  }
  return out;
}

/** Everyone's numbers together (a school's line in the district roll-up). */
export function combined(list: Person[], t: Map<number, Tally>): Tally {
  const all = emptyTally();
  for (const p of list) addInto(all, t.get(p.id) ?? emptyTally());
  return all;
}

/** Per department (people without one under 未填部门), in the order the people are listed. */
export function byDepartment(list: Person[], t: Map<number, Tally>): Array<{ department: string; members: Person[]; tally: Tally }> {
  const groups = new Map<string, { department: string; members: Person[]; tally: Tally }>();
  for (const p of list) {
    const department = p.department?.trim() || '未填部门';
    let g = groups.get(department);
    if (!g) groups.set(department, (g = { department, members: [], tally: emptyTally() }));
    g.members.push(p);
    addInto(g.tally, t.get(p.id) ?? emptyTally());
  }
  return [...groups.values()];
}

/** The count columns every summary shares, teacher or department, school or district. */
export const COUNT_HEADERS = [
  '走访次数',
  '走访对象数',
  '上门走访',
  '上门走访缺照片',
  '负责对象',
  '已走访负责对象',
  '责任区报表已交',
  '责任区报表应交',
  '宿舍检查',
  '附件一宿舍记录',
  '做一天学生',
  '心得',
  '感人故事',
  '献一计',
  '台账未销号',
  '台账已销号',
];

export function countCells(t: Tally): number[] {
  const visitedHeld = [...t.heldTargets].filter((id) => t.visitedTargets.has(id)).length;
  return [
    t.visits.size,
    t.visitedTargets.size,
    t.inPerson.size,
    t.inPersonWithoutPhoto.size,
    t.heldTargets.size,
    visitedHeld,
    t.zoneFiled,
    t.zoneDue,
    t.forms['dorm-check'],
    t.forms['dorm-record'],
    t.forms['student-day'],
    t.forms.reflection,
    t.forms.story,
    t.forms.suggestion,
    t.ledgerOpen,
    t.ledgerClosed,
  ];
}

/** Quota headers in first-seen order, and each person's cells under them. */
export function quotaTable(list: Person[], quotaStatus: QuotaStatus): { headers: string[]; cells: Map<number, Map<string, QuotaCell>> } {
  const headers: string[] = [];
  const cells = new Map<number, Map<string, QuotaCell>>();
  for (const p of list) {
    const mine = new Map<string, QuotaCell>();
    for (const c of quotaStatus(p.id)) {
      if (!headers.includes(c.header)) headers.push(c.header);
      mine.set(c.header, c);
    }
    cells.set(p.id, mine);
  }
  return { headers, cells };
}
