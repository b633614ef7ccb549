import type { CampaignDefinition, Quota } from './campaign.js';
import { inSession } from './calendar.js';
import { monthsOf, termOn, type Period } from './periods.js';
import {
  claimedStanding,
  quotaApplies,
  quotaPeriodOn,
  quotaPeriods,
  quotaStanding,
  type ClaimedStanding,
  type PersonFact,
  type QuotaStanding,
  type VisitFact,
} from './quotas.js';
import { deadlineStages, monthlyPaceStages, onceTaskDue, periodStages, termDeadline, type OnceTask, type Stage } from './reminders.js';

/**
 * What each person owes on a given day, derived from the campaign definition
 * and the facts: the once-per-term forms, the visit quotas of the period, and
 * (seed 000) the claimed targets of the term. Each obligation carries the
 * stages it is chased at and says, for a stage, whether it still needs
 * chasing — so reminders, /进度, /谁没交 and the digests all read one truth.
 */

export const ONCE_TASK_FORMS: Record<OnceTask, 'dorm-record' | 'student-day' | 'reflection' | 'story'> = {
  dormRecord: 'dorm-record',
  studentDay: 'student-day',
  reflection: 'reflection',
  story: 'story',
};

export const ONCE_TASK_NAMES: Record<OnceTask, string> = {
  dormRecord: '关爱一间宿舍情况记录表（附件一）',
  studentDay: '做一天中职学生记录表（附件三）',
  reflection: '走访心得',
  story: '感人故事',
};

/** The party members who write a reflection and a story (每位党员). */
const PARTY_ROLES = ['party-teacher', 'cadre'];

export interface NamedPerson extends PersonFact {
  name: string;
}

export interface CampaignFacts {
  people: NamedPerson[];
  /**
   * The visits the rules judge. Read from the database, each person's first
   * visit to each target within each of the periods asked (`obligationSpans`,
   * the term for claims): the rules count distinct people and the day each was
   * first reached, so that is all they need.
   */
  visits: VisitFact[];
  /** Dorms and the teachers caring for them now. */
  dorms: Array<{ id: number; label: string; holderIds: number[] }>;
  /** Targets each claimer holds (seed 000). */
  claims: Map<number, number[]>;
  /** Open targets nobody holds: what is left to claim. */
  claimable: number;
  /** Filed once-only records, as `form:subjectType:subjectId:periodKey`. */
  filed: Set<string>;
}

export const filedKey = (form: string, subjectType: string, subjectId: number, periodKey: string) => `${form}:${subjectType}:${subjectId}:${periodKey}`;

interface Base {
  /** Stable across runs: the reminder's idempotency rests on it. */
  key: string;
  /** Who is reminded personally. */
  personIds: number[];
  stages: Stage[];
}

export type Obligation =
  | (Base & {
      kind: 'once';
      task: OnceTask;
      subject: { type: 'dorm' | 'person'; id: number };
      /** A dorm's room, for the wording. */
      subjectLabel?: string;
      periodKey: string;
      term: Period;
      dueOn: string;
      done: boolean;
    })
  | (Base & { kind: 'quota'; standing: QuotaStanding; behindOnPaceDays: string[] })
  | (Base & { kind: 'claimed'; standing: ClaimedStanding; dueOn: string; behindOnPaceDays: string[] });

/** Each person's visits (as author or co-visitor), so per-person rules never scan everyone's. */
export function visitsByPerson(visits: VisitFact[]): Map<number, VisitFact[]> {
  const m = new Map<number, VisitFact[]>();
  for (const v of visits) {
    for (const id of v.visitorIds) {
      const list = m.get(id);
      if (list) list.push(v);
      else m.set(id, [v]);
    }
  }
  return m;
}

/**
 * The pace stages (already reached) on whose day the person was behind. A pace
 * nudge is judged on its own day: falling behind later does not send last
 * month's nudge, and catching up since then withholds it.
 */
function behindOnPaceDays(stages: Stage[], today: string, behindOn: (day: string, upTo: (v: VisitFact) => boolean) => boolean): string[] {
  return stages.filter((s) => s.kind === 'pace' && s.on <= today && behindOn(s.on, (v) => v.occurredOn <= s.on)).map((s) => s.key);
}

/** The quota's period that ended last before today, if any. */
function endedQuotaPeriod(def: CampaignDefinition, q: Quota, today: string): Period | undefined {
  const periods = quotaPeriods(def, q);
  const i = periods.findIndex((p) => p.end >= today);
  const ended = i === -1 ? periods.at(-1) : periods[i - 1];
  return ended && ended.end < today ? ended : undefined;
}

/** The periods whose visits the obligations on `today` judge: each quota's period and the one just ended. Claims are judged over the term. */
export const obligationSpans = (def: CampaignDefinition, today: string): Period[] =>
  def.quotas.flatMap((q) => [quotaPeriodOn(def, q, today), endedQuotaPeriod(def, q, today)].filter((p): p is Period => !!p));

/**
 * Quotas of the period that ended before today's, for the one stage that
 * comes after a period: telling the admins who fell short.
 */
export function endedPeriodObligations(def: CampaignDefinition, facts: CampaignFacts, today: string): Obligation[] {
  const out: Obligation[] = [];
  for (const q of def.quotas) {
    const ended = endedQuotaPeriod(def, q, today);
    if (!ended) continue;
    const stages = periodStages(def, ended).filter((s) => s.audience === 'admin');
    const mine = visitsByPerson(facts.visits);
    for (const p of facts.people) {
      if (!quotaApplies(q, p)) continue;
      const standing = quotaStanding(def, q, ended, p, mine.get(p.id) ?? [], today);
      out.push({ kind: 'quota', key: `quota:${q.key}:${ended.key}:p${p.id}`, personIds: [p.id], standing, stages, behindOnPaceDays: [] });
    }
  }
  return out;
}

/**
 * Whether a stage of an obligation still needs sending on `today`: nothing is
 * chased once it is done, and visits against a quota or claims are not chased
 * in the vacation between terms, nor afterwards for a pace judged in it.
 */
export function needsChasing(def: CampaignDefinition, o: Obligation, stage: Stage, today: string): boolean {
  if (o.kind === 'once') return !o.done;
  if (!inSession(def, today) || (stage.kind === 'pace' && !inSession(def, stage.on))) return false;
  const { state } = o.standing;
  if (state === 'met' || state === 'excused') return false;
  if (stage.kind === 'pace') return o.behindOnPaceDays.includes(stage.key);
  if (o.kind === 'claimed') return true;
  return stage.kind === 'period-end' || (stage.kind === 'missed' && state === 'missed');
}

/** Every obligation current on `today`: this term's once-only forms, this period's quotas, this term's claims. */
export function obligationsOf(def: CampaignDefinition, facts: CampaignFacts, today: string, o: { quotas?: boolean } = {}): Obligation[] {
  if (today < def.window.start) return [];
  const out: Obligation[] = [];
  const term = termOn(def, today);
  const once = (task: OnceTask, subject: { type: 'dorm' | 'person'; id: number }, periodKey: string, personIds: number[], subjectLabel?: string) => {
    const dueOn = onceTaskDue(def, task, term);
    const done = facts.filed.has(filedKey(ONCE_TASK_FORMS[task], subject.type, subject.id, periodKey));
    out.push({
      kind: 'once',
      key: `once:${task}:${periodKey}:${subject.type}${subject.id}`,
      task,
      subject,
      subjectLabel,
      periodKey,
      term,
      dueOn,
      done,
      personIds,
      stages: deadlineStages(def, dueOn),
    });
  };

  if (def.tasks.dormRecord.enabled)
    for (const d of facts.dorms) if (d.holderIds.length) once('dormRecord', { type: 'dorm', id: d.id }, term.key, d.holderIds, d.label);
  const visitsOf = visitsByPerson(facts.visits);
  for (const p of facts.people) {
    const visits = visitsOf.get(p.id) ?? [];
    if (def.tasks.studentDay.enabled && p.roles.includes('party-teacher')) {
      for (let n = 1; n <= def.tasks.studentDay.times; n++) once('studentDay', { type: 'person', id: p.id }, `day-${n}`, [p.id]);
    }
    if (p.roles.some((r) => PARTY_ROLES.includes(r))) {
      if (def.tasks.reflection.enabled) once('reflection', { type: 'person', id: p.id }, term.key, [p.id]);
      if (def.tasks.story.enabled) once('story', { type: 'person', id: p.id }, term.key, [p.id]);
    }
    // A digest judges the quotas from counts of its own (quotaStandingOf); only its once-only forms and claims come from here.
    for (const q of o.quotas === false ? [] : def.quotas) {
      if (!quotaApplies(q, p)) continue;
      const period = quotaPeriodOn(def, q, today);
      if (!period) continue;
      const stages = periodStages(def, period);
      out.push({
        kind: 'quota',
        key: `quota:${q.key}:${period.key}:p${p.id}`,
        personIds: [p.id],
        stages,
        standing: quotaStanding(def, q, period, p, visits, today),
        behindOnPaceDays: behindOnPaceDays(stages, today, (day, upTo) => quotaStanding(def, q, period, p, visits.filter(upTo), day).state === 'behind'),
      });
    }
    const claimed = facts.claims.get(p.id) ?? [];
    if (def.claiming.enabled && (claimed.length || p.roles.includes(def.claiming.role))) {
      const dueOn = termDeadline(def, term);
      const stages = [...monthlyPaceStages(def, term, monthsOf(def)).filter((s) => s.on < dueOn), ...deadlineStages(def, dueOn)].sort((a, b) =>
        a.on.localeCompare(b.on),
      );
      out.push({
        kind: 'claimed',
        key: `claimed:${term.key}:p${p.id}`,
        personIds: [p.id],
        dueOn,
        stages,
        standing: claimedStanding(def, term, claimed, p, visits, today, facts.claimable),
        behindOnPaceDays: behindOnPaceDays(
          stages,
          today,
          (day, upTo) => claimedStanding(def, term, claimed, p, visits.filter(upTo), day, facts.claimable).state === 'behind',
        ),
      });
    }
  }
  return out;
}
