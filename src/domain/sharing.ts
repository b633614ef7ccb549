import type { CampaignDefinition } from './campaign.js';

/**
 * Seed 002's shared targets: 家访要做到由班主任与副班主任、任课教师统筹安排 and 部门统筹协同走访.
 * Nobody assigns a student to a teacher: a class's students are the common
 * work of the teachers the roster ties to that class, and a department's
 * groups (the quota table's 走访对象) the common work of its members.
 */

/** A person's ties to classes, as the roster's class columns state them. */
export interface ClassTies {
  classLed: string | null;
  classDeputy: string | null;
  classesTaught: string[];
}

export type ClassPart = 'head' | 'deputy' | 'subject';

/** How the person stands to a class: head teacher before deputy before subject teacher. */
export function classPart(p: ClassTies, className: string): ClassPart | null {
  if (p.classLed === className) return 'head';
  if (p.classDeputy === className) return 'deputy';
  return p.classesTaught.includes(className) ? 'subject' : null;
}

/** Every class the person is tied to, once each. */
export const classesOf = (p: ClassTies): string[] => [...new Set([p.classLed, p.classDeputy, ...p.classesTaught].filter((c): c is string => !!c))];

/** The target kinds whose visits count toward a quota of the department: its members share those targets. */
export function departmentKinds(def: CampaignDefinition, department: string | null): string[] {
  if (!department) return [];
  return [...new Set(def.quotas.filter((q) => q.who.department === department).flatMap((q) => q.targetKinds))];
}

/** The kinds whose targets belong to a class (a student's family, a student leader). */
export const classKinds = (def: CampaignDefinition): string[] => def.targetKinds.filter((k) => k.student).map((k) => k.key);

/**
 * Whether a target is among the person's shared targets: a student of a class
 * they lead, deputise for or teach, or a group their department's quota visits.
 */
export function sharesTarget(
  def: CampaignDefinition,
  person: ClassTies & { department: string | null },
  target: { kind: string; className: string | null },
): boolean {
  if (!def.sharedTargets) return false;
  if (target.className && classKinds(def).includes(target.kind) && classPart(person, target.className)) return true;
  return departmentKinds(def, person.department).includes(target.kind);
}
