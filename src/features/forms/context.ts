import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { classesOf, classKinds, departmentKinds, sharesTarget } from '../../domain/sharing.js';
import { byLocalDate, localMidnight } from '../../domain/time.js';
import { byChinese } from '../../domain/quotas.js';
import { LeaveRepo } from '../../db/leaves.js';
import { AssignmentRepo } from '../../db/assignments.js';
import { VersionedCache } from '../../db/versioned-cache.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { dorms, people, targets, type Dorm, type Person, type RecordRow, type Target } from '../../db/schema.js';
import { UserFacingError } from '../../feishu/errors.js';
import type { RecordRepo } from '../../records/repo.js';
import type { FeatureDeps } from '../deps.js';

/**
 * How many colleagues a visit card offers as co-visitors, and leaders to report
 * to: with a record's stored answers at their limits the card must stay under
 * 30 KB ("发送消息") and 200 elements ("卡片 JSON 2.0 结构"), and each option
 * costs about 130 bytes and an element.
 */
export const CO_VISITOR_OPTIONS = 40;
export const LEADER_OPTIONS = 30;

export type Colleague = Pick<Person, 'id' | 'name' | 'department'>;
/** What a teacher's choices are ranked by. */
const LISTED_COLUMNS = {
  id: people.id,
  name: people.name,
  department: people.department,
  roles: people.roles,
  classLed: people.classLed,
  classDeputy: people.classDeputy,
  classesTaught: people.classesTaught,
};
type Listed = Pick<Person, keyof typeof LISTED_COLUMNS>;

/** Whom a visitor can name on the card: colleagues who went along, leaders to report to. Different for every teacher. */
export interface Choosable {
  colleagues: Colleague[];
  leaders: Colleague[];
}

/**
 * Teachers a visitor may name as co-visitors, at most `CO_VISITOR_OPTIONS` (a
 * card's select holds no more): those already named in `keep`, then the
 * teachers of `classFirst` (a plan's target's class: seed 002's 任课教师协同上门),
 * then those who share a department or a class with the visitor, then the
 * rest by name.
 */
function colleaguesOf(person: Person, keep: number[], d: Directory, classFirst?: string): Colleague[] {
  const picked: Listed[] = [];
  const taken = new Set([person.id]);
  // Each group in the roster's order: a department's or a few classes' people; the whole roster only to fill up to the limit.
  const inOrder = (groups: Array<Listed[] | undefined>) => groups.flatMap((g) => g ?? []).sort((a, b) => d.place.get(a.id)! - d.place.get(b.id)!);
  const named = keep.flatMap((id) => d.everyone[d.place.get(id) ?? -1] ?? []);
  const teachers = classFirst === undefined ? [] : inOrder([d.byClass.get(classFirst)]);
  const near = inOrder([person.department ? d.byDepartment.get(person.department) : undefined, ...classesOf(person).map((c) => d.byClass.get(c))]);
  for (const [group, capped] of [
    [inOrder([named]), false],
    [teachers, true],
    [near, true],
    [d.everyone, true],
  ] as const)
    for (const p of group) {
      if (capped && picked.length >= CO_VISITOR_OPTIONS) break;
      if (taken.has(p.id)) continue;
      taken.add(p.id);
      picked.push(p);
    }
  // The roster's own rows, not copies: a district's every teacher keeps a list, and the names in them are shared.
  return picked;
}

/**
 * Leaders and admins other than the visitor, whom a visit can be reported to,
 * at most `LEADER_OPTIONS`: the one named in `keep` (a stored record's), then
 * those of the visitor's department, then the rest by name.
 */
function leadersOf(person: Person, keep: number | undefined, d: Directory): Colleague[] {
  const rank = (p: Listed) => (p.id === keep ? 0 : 2) + (p.department !== null && p.department === (person.department ?? '') ? 0 : 1);
  return d.leaders
    .filter((p) => p.id !== person.id)
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, LEADER_OPTIONS)
    .sort((a, b) => byChinese(a.name, b.name));
}

/**
 * The roster by name and who is where in it, read once per version of the
 * roster: a teacher's choices are then ranked from their department and classes
 * (a few dozen people), not by testing the district's every teacher on each
 * card opened or submitted.
 */
interface Directory {
  everyone: Listed[];
  /** Each person's place in `everyone`, the order the choices are listed in. */
  place: Map<number, number>;
  byDepartment: Map<string, Listed[]>;
  /** A class's teachers: who leads it, deputises, or teaches it. */
  byClass: Map<string, Listed[]>;
  /** Leaders and admins, whom a visit can be reported to. */
  leaders: Listed[];
}

function directoryOf(everyone: Listed[]): Directory {
  const d: Directory = { everyone, place: new Map(), byDepartment: new Map(), byClass: new Map(), leaders: [] };
  const add = (m: Map<string, Listed[]>, key: string, p: Listed) => void (m.get(key)?.push(p) ?? m.set(key, [p]));
  everyone.forEach((p, i) => {
    d.place.set(p.id, i);
    if (p.department) add(d.byDepartment, p.department, p);
    for (const c of classesOf(p)) add(d.byClass, c, p);
    if (p.roles.some((r) => r === 'leader' || r === 'admin')) d.leaders.push(p);
  });
  return d;
}

/** One way a person visits targets: those they hold, a class's students of some kinds, or a department's kinds. */
type VisitWay = { held: number[] } | { kinds: string[]; classes: string[] } | { kinds: string[] };

/** Lookups and permission checks every form shares. */
export function recordContext(deps: FeatureDeps, records: RecordRepo) {
  const holdings = new AssignmentRepo(deps.db);
  const leaves = new LeaveRepo(deps.db);
  const targetById = deps.db
    .select()
    .from(targets)
    .where(eq(targets.id, sql.placeholder('id')))
    .prepare();
  const open = `SELECT 1 AS found FROM targets WHERE campaign_id = @campaign AND status = 'open'`;
  const anyTarget = {
    held: deps.db.$client.prepare(`${open} AND id IN (SELECT value FROM json_each(@ids)) LIMIT 1`),
    // Through the class index: a class's students, not the campaign's every open target.
    inClasses: deps.db.$client.prepare(
      `SELECT 1 AS found FROM targets INDEXED BY targets_class_idx WHERE campaign_id = @campaign AND class_name IN (SELECT value FROM json_each(@classes))
        AND status = 'open' AND kind IN (SELECT value FROM json_each(@kinds)) LIMIT 1`,
    ),
    ofKinds: deps.db.$client.prepare(`${open} AND kind IN (SELECT value FROM json_each(@kinds)) LIMIT 1`),
  };
  /**
   * Each teacher's co-visitor and leader choices, kept until the roster
   * changes: ranking a district's thousand teachers for every card opened or
   * submitted was most of what a visit submit spent in SQL. What is kept for
   * one teacher pays off between opening a card and submitting it, so the
   * last 256 teachers are enough: with room for 5,000 the lists and the
   * fields made from them (visit.ts) took the heap up by 4 MB every 4,000
   * submits in the district bench, and every collection had them to mark.
   */
  const choices = new VersionedCache<string, Choosable>(deps.db, 'people', 256);

  async function campaign(id: string): Promise<ActiveCampaign> {
    const c = await deps.campaigns.get(id);
    if (!c) throw new UserFacingError('这张卡片对应的活动已不存在，请输入 /进度 重新打开。');
    return c;
  }

  /**
   * Whether the person may file a record about something `holders` hold, for the
   * days it answers (a week, a term): as a holder, or as the substitute (代班)
   * for a holder whose leave falls in those days. A report for a week is filed
   * during the week or after it (late, 补交, on the Monday it falls due), often
   * after the leave has ended; what counts is who stood in that week, so the
   * same rule holds for the zone report and the dorm check.
   */
  async function filesFor(person: Person, holders: Person[], days: { first: string; last: string }): Promise<boolean> {
    if (holders.some((h) => h.id === person.id)) return true;
    for (const h of holders) if (await leaves.standsInFor(person.id, h.id, days.first, days.last)) return true;
    return false;
  }

  /** A dorm the person cares for (or stood in for during `days`); anyone else is told whose it is. */
  async function heldDorm(dormId: number, person: Person, days: { first: string; last: string }): Promise<Dorm> {
    const dorm = deps.db.select().from(dorms).where(eq(dorms.id, dormId)).get();
    if (!dorm) throw new UserFacingError('这间宿舍已不在名单中。');
    const holders = await holdings.holders('dorm', dorm.id);
    if (await filesFor(person, holders, days)) return dorm;
    throw new UserFacingError(
      `${dorm.building}${dorm.room} 由 ${holders.map((h) => h.name).join('、') || '（暂无）'} 老师关爱，只有关爱教师（或请假期间的代班老师）可以填写。`,
    );
  }

  async function dormsHeldBy(campaignId: string, person: Person): Promise<Dorm[]> {
    const ids = await holdings.heldBy(campaignId, 'dorm', person.id);
    return ids.length ? deps.db.select().from(dorms).where(inArray(dorms.id, ids)).orderBy(dorms.building, dorms.room).all() : [];
  }

  /**
   * A target the person may file for: its current visitor, or a teacher who
   * went along on a visit the current visitor recorded; and any record the
   * person is on, to correct it. After a handover the former visitor keeps
   * only their own records. Everyone else learns only that it is not theirs,
   * never the family's details.
   */
  async function visitableTarget(targetId: number, person: Person, stored?: RecordRow): Promise<Target> {
    const t = targetById.get({ id: targetId });
    // One answer for an id that does not exist, is closed, is unclaimed or is someone else's: trying ids one by one must reveal nothing.
    const refuse = () => new UserFacingError('这位对象不在你的名单中，只有负责走访的老师（和同行教师）可以填写。/ This target is not on your list.');
    if (t?.status !== 'open') throw refuse();
    const holders = await holdings.holders('target', t.id);
    if (holders.some((h) => h.id === person.id)) return t;
    if (sharesTarget((await campaign(t.campaignId)).def, person, t)) return t;
    if (
      stored
        ? await records.isVisitorOf(person.id, stored.id)
        : await records.visitedTargetWith(
            person.id,
            t.id,
            holders.map((h) => h.id),
          )
    )
      return t;
    throw refuse();
  }

  /** The ways a person visits targets: those they hold, and where targets are shared, their classes' students and their department's groups. */
  async function visitWays(campaignId: string, person: Person): Promise<VisitWay[]> {
    const held = await holdings.heldBy(campaignId, 'target', person.id);
    const { def } = await campaign(campaignId);
    const classes = classesOf(person);
    const studentKinds = classKinds(def);
    const groupKinds = departmentKinds(def, person.department);
    const shared: VisitWay[] = def.sharedTargets
      ? [...(classes.length && studentKinds.length ? [{ kinds: studentKinds, classes }] : []), ...(groupKinds.length ? [{ kinds: groupKinds }] : [])]
      : [];
    return [...(held.length ? [{ held }] : []), ...shared];
  }

  /** The targets a person visits, in class and name order. */
  async function visitTargetsOf(campaignId: string, person: Person): Promise<Target[]> {
    const ways = await visitWays(campaignId, person);
    const of = (w: VisitWay) =>
      'held' in w
        ? inArray(targets.id, w.held)
        : 'classes' in w
          ? and(inArray(targets.kind, w.kinds), inArray(targets.className, w.classes))
          : inArray(targets.kind, w.kinds);
    return ways.length
      ? deps.db
          .select()
          .from(targets)
          .where(or(...ways.map((w) => and(eq(targets.campaignId, campaignId), eq(targets.status, 'open'), of(w)))))
          .orderBy(targets.className, targets.name)
          .all()
      : [];
  }

  /**
   * Whether a person visits anyone: each way asked on its own, so that a class's
   * students are found through the class index (an OR of the ways reads the
   * campaign's every target), and the first found will do. Asked by every
   * /进度, so each way's statement is prepared once.
   */
  async function visitsAnyone(campaignId: string, person: Person): Promise<boolean> {
    return (await visitWays(campaignId, person)).some((w) =>
      'held' in w
        ? anyTarget.held.get({ campaign: campaignId, ids: JSON.stringify(w.held) })
        : 'classes' in w
          ? anyTarget.inClasses.get({ campaign: campaignId, kinds: JSON.stringify(w.kinds), classes: JSON.stringify(w.classes) })
          : anyTarget.ofKinds.get({ campaign: campaignId, kinds: JSON.stringify(w.kinds) }),
    );
  }

  /**
   * How often each of the person's targets was visited: where targets are
   * shared, everyone's visits (a student a colleague has seen is covered for
   * the class); else the person's own.
   */
  async function visitsTo(def: { id: string; sharedTargets: boolean }, person: Person, mine: Target[]): Promise<Map<number, number>> {
    if (def.sharedTargets)
      return records.visitCounts(
        def.id,
        mine.map((t) => t.id),
      );
    const done = new Map<number, number>();
    for (const r of await records.visitsOf(person.id, def.id)) done.set(r.subjectId, (done.get(r.subjectId) ?? 0) + 1);
    return done;
  }

  /**
   * Everyone on the roster by name, with what the choices are ranked by (see
   * Directory): read once per version of the roster (a thousand short rows),
   * not two queries that test every teacher's classes.
   */
  const directory = new VersionedCache<'all', Directory>(deps.db, 'people');
  const roster = () => directory.get('all', () => directoryOf(deps.db.select(LISTED_COLUMNS).from(people).orderBy(people.name, people.id).all()));

  /**
   * Whom the person may name on a visit card, ranked (see colleaguesOf,
   * leadersOf): kept per teacher, and per names a stored record keeps on its
   * card, until the roster changes.
   */
  async function choicesOf(person: Person, keep: { coVisitors?: number[]; leader?: number; classFirst?: string } = {}): Promise<Choosable> {
    const coVisitors = keep.coVisitors ?? [];
    return choices.get(`${person.id}:${coVisitors.join(',')}:${keep.leader ?? ''}:${keep.classFirst ?? ''}`, () => {
      const d = roster();
      return { colleagues: colleaguesOf(person, coVisitors, d, keep.classFirst), leaders: leadersOf(person, keep.leader, d) };
    });
  }

  return {
    campaign,
    filesFor,
    heldDorm,
    dormsHeldBy,
    visitableTarget,
    visitTargetsOf,
    visitsAnyone,
    visitsTo,
    choicesOf,
    holders: (t: 'dorm' | 'target', id: number) => holdings.holders(t, id),
    /** Reads the roster the choices are ranked from into its cache (FeatureParts.warm). */
    warm: () => void roster(),
  };
}

export type RecordContext = ReturnType<typeof recordContext>;

/** The end of a local day (a due date is inclusive). */
export const endOfDay = (date: string, tz: string): Date => new Date(endOfDayMs(date, tz));
const endOfDayMs = byLocalDate((date, tz) => localMidnight(date, tz).add(1, 'day').valueOf());
