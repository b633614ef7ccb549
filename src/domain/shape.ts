import { ROLE_LABELS, type CampaignDefinition, type DateRange, type Quota, type Role } from './campaign.js';
import type { Period } from './periods.js';
import { quotaApplies, quotaPeriods, quotaStandingOf, type PersonFact } from './quotas.js';
import { dayjs, monthDay } from './time.js';

/**
 * The shape of a campaign: what it offers its people, the phase it is in and
 * its big-discussion window — read from the definition alone, so /帮助, the
 * bot menu, /进度 and the digests can never offer what the campaign does not
 * have (seed 002 has no dorms, no student day and no claiming).
 */

/** Something a campaign may or may not have, each a line of its seed. */
export type Offer = 'visits' | 'claiming' | 'dorms' | 'student-day' | 'writing' | 'suggestions' | 'zone-report' | 'ledger';

/** What the campaign has; with `roles`, only what a person holding them takes part in. */
export function campaignOffers(def: CampaignDefinition, roles?: readonly string[]): ReadonlySet<Offer> {
  const t = def.tasks;
  const has: Array<[Offer, boolean]> = [
    ['visits', t.visits.enabled],
    ['claiming', t.visits.enabled && def.claiming.enabled],
    ['dorms', t.dormCheck.enabled || t.dormRecord.enabled],
    ['student-day', t.studentDay.enabled],
    ['writing', t.reflection.enabled || t.story.enabled],
    ['suggestions', t.suggestions.enabled && (!roles || takesPartInDiscussion(def, roles))],
    ['zone-report', def.zoneReport.enabled],
    ['ledger', t.ledger.enabled],
  ];
  return new Set(has.filter(([, on]) => on).map(([o]) => o));
}

/** The commands that exist for one offer only; every other command belongs to any campaign. */
const COMMAND_OFFERS: Record<string, Offer> = {
  '/走访': 'visits',
  '/认领': 'claiming',
  '/推荐': 'claiming',
  '/宿舍': 'dorms',
  '/体验': 'student-day',
  '/心得': 'writing',
  '/献计': 'suggestions',
  '/台账': 'ledger',
};

/** Whether a command (by its first name, as /帮助 and the menu list it) is for something the campaign offers. */
export const offersCommand = (offers: ReadonlySet<Offer>, command: string): boolean => {
  const needs = COMMAND_OFFERS[command];
  return !needs || offers.has(needs);
};

/** Seed 002's 大讨论 is for 校级领导、党员、中层、年级组长; admins review it and so always take part. */
export function takesPartInDiscussion(def: CampaignDefinition, roles: readonly string[]): boolean {
  const allowed = def.tasks.suggestions.roles;
  return !allowed.length || roles.includes('admin') || roles.some((r) => (allowed as readonly string[]).includes(r));
}

/** The big-discussion window: its own, else the campaign's. */
export const discussionWindow = (def: CampaignDefinition): DateRange => def.tasks.suggestions.window ?? def.window;

export type DiscussionState = { state: 'before' | 'open' | 'closed'; window: DateRange; daysLeft: number };

/** Where the big discussion stands on a local date; undefined when the campaign has none. */
export function discussionOn(def: CampaignDefinition, date: string): DiscussionState | undefined {
  if (!def.tasks.suggestions.enabled) return undefined;
  const window = discussionWindow(def);
  const state = date < window.start ? 'before' : date > window.end ? 'closed' : 'open';
  return { state, window, daysLeft: state === 'open' ? dayjs(window.end).diff(dayjs(date), 'day') : 0 };
}

export type Phase = CampaignDefinition['phases'][number];

/** The phase a local date falls in (seed 002: 思想发动, 过程管控, 成果固化). */
export const phaseOn = (def: CampaignDefinition, date: string): Phase | undefined => def.phases.find((p) => p.start <= date && date <= p.end);

/** 「过程管控」阶段（5/1–11/30）：重点抓好日常平常和过程管控 */
export const phaseLine = (p: Phase): string => `「${p.name}」阶段（${monthDay(p.start)}–${monthDay(p.end)}）${p.focus ? `：${p.focus}` : ''}`;

// ---- the big discussion in numbers (counts only: the group reads them)

/** A 献一计 suggestion as the digest needs it: who and when, never what. */
export interface SuggestionFact {
  authorId: number;
  occurredOn: string;
}

export interface DiscussionSummary {
  window: DateRange;
  /** Suggestions made in the digest's period, and in all up to its last day. */
  inPeriod: number;
  total: number;
  /** How many people have made one, of how many the campaign asks. */
  contributors: number;
  participants: number;
  /** Contributors counted by the role they take part as, in the seed's order. */
  byRole: Array<{ label: string; people: number }>;
}

/**
 * Where the big discussion stands for a period that overlaps its window, in
 * counts; undefined when the campaign has none or the period lies outside it.
 */
export function discussionSummary(
  def: CampaignDefinition,
  suggestions: SuggestionFact[],
  people: Array<{ id: number; roles: string[] }>,
  period: DateRange,
): DiscussionSummary | undefined {
  if (!def.tasks.suggestions.enabled) return undefined;
  const window = discussionWindow(def);
  if (period.end < window.start || period.start > window.end) return undefined;
  const upTo = suggestions.filter((s) => s.occurredOn <= period.end);
  const contributorIds = new Set(upTo.map((s) => s.authorId));
  const roles = def.tasks.suggestions.roles;
  // Each contributor once, as the first role of the seed's list they hold (an admin holding none of them, as 管理员).
  const order = [...roles.filter((r) => r !== 'admin'), 'admin'];
  const counts = new Map<string, number>();
  for (const p of people.filter((x) => contributorIds.has(x.id))) {
    const role = order.find((r) => p.roles.includes(r));
    if (role) counts.set(role, (counts.get(role) ?? 0) + 1);
  }
  return {
    window,
    inPeriod: upTo.filter((s) => s.occurredOn >= period.start).length,
    total: upTo.length,
    contributors: contributorIds.size,
    participants: people.filter((p) => takesPartInDiscussion(def, p.roles)).length,
    byRole: roles.length ? order.filter((r) => counts.has(r)).map((r) => ({ label: ROLE_LABELS[r as Role], people: counts.get(r)! })) : [],
  };
}

export function discussionLine(s: DiscussionSummary, periodWord: string): string {
  const from = s.byRole.length ? `（${s.byRole.map((r) => `${r.label} ${r.people}`).join('、')}）` : '';
  return `**大讨论 · 我为学校发展献一计**（${monthDay(s.window.start)}–${monthDay(s.window.end)}）：${periodWord}新增 **${s.inPeriod}** 条，累计 ${s.total} 条，来自 ${s.contributors}/${s.participants} 位参加对象${from}`;
}

// ---- what a phase achieved (the phase summary, not a copy of its last month)

export interface PhaseAchievements {
  phase: Phase;
  visits: number;
  inPerson: number;
  /** Distinct targets visited, and teachers who visited. */
  targets: number;
  visitors: number;
  /** Monthly quotas over the phase's months: the mean share of people who met them, and who met every month. */
  quotas: Array<{ name: string; months: number; meanRate: number; everyMonth: number; people: number }>;
}

/** A phase's visits as the database counts them: visits, in person, distinct targets and teachers. */
export interface PhaseVisits {
  visits: number;
  inPerson: number;
  targets: number;
  visitors: number;
  /** Per quota and month of the phase (`phaseMonthKey`): the distinct people of its kinds each person visited that month. */
  reached: Map<string, Map<number, number>>;
}

/** The months of a quota the phase summary judges: those wholly inside the phase. */
export const phaseMonths = (def: CampaignDefinition, q: Quota, phase: Phase) =>
  quotaPeriods(def, q).filter((p) => phase.start <= p.start && p.end <= phase.end);

export const phaseMonthKey = (q: Quota, month: Period) => `${q.key}:${month.key}`;

export function phaseAchievements(def: CampaignDefinition, phase: Phase, people: PersonFact[], visits: PhaseVisits): PhaseAchievements {
  const quotas = def.quotas.flatMap((q) => {
    const months = phaseMonths(def, q, phase);
    const members = people.filter((p) => quotaApplies(q, p));
    if (!months.length || !members.length) return [];
    const rates: number[] = [];
    const missedOnce = new Set<number>();
    for (const m of months) {
      const reached = visits.reached.get(phaseMonthKey(q, m));
      const states = members.map((p) => ({ id: p.id, state: quotaStandingOf(def, q, m, p, reached?.get(p.id) ?? 0, m.end).state }));
      const counted = states.filter((s) => s.state !== 'excused');
      for (const s of counted) if (s.state !== 'met') missedOnce.add(s.id);
      if (counted.length) rates.push(counted.filter((s) => s.state === 'met').length / counted.length);
    }
    const meanRate = rates.length ? Math.round((rates.reduce((a, b) => a + b, 0) / rates.length) * 100) : 0;
    return [{ name: q.name, months: months.length, meanRate, everyMonth: members.length - missedOnce.size, people: members.length }];
  });
  return { phase, visits: visits.visits, inPerson: visits.inPerson, targets: visits.targets, visitors: visits.visitors, quotas };
}

export function phaseAchievementLines(a: PhaseAchievements): string[] {
  return [
    `**本阶段成果**（${monthDay(a.phase.start)}–${monthDay(a.phase.end)}${a.phase.focus ? `，${a.phase.focus}` : ''}）`,
    `- 走访 **${a.visits}** 次（上门 ${a.inPerson} 次），走访对象 ${a.targets} 位，${a.visitors} 位老师参与`,
    ...a.quotas.map((q) => `- ${q.name}：${q.months} 个月平均达标率 ${q.meanRate}%，每月都达标 ${q.everyMonth}/${q.people} 人`),
  ];
}
