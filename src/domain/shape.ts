import { dayjs } from './time.js';
import type { CampaignDefinition, DateRange } from './campaign.js';

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

const md = (d: string) => dayjs(d).format('M/D');

/** 「过程管控」阶段（5/1–11/30）：重点抓好日常平常和过程管控 */
export const phaseLine = (p: Phase): string => `「${p.name}」阶段（${md(p.start)}–${md(p.end)}）${p.focus ? `：${p.focus}` : ''}`;
