import { hex32, syntheticLookup } from './synthetic.js';
import type { Db } from '../db/index.js';
import { CampaignRepo } from '../db/repos.js';
import { parseCampaignDefinition, ROLE_LABELS, type CampaignDefinition, type Role } from '../domain/campaign.js';
import { importRoster, type ContactLookup } from '../roster/import.js';
import { sheetFromValues, type RosterSheet } from '../roster/sheets.js';
import { formatProblem } from '../roster/validate.js';
import { findPreset, presetDefinition } from '../domain/presets.js';
import { dayjs, inZone } from '../domain/time.js';

/**
 * Synthetic demo data for the sandbox (no real person's data). Ids are derived
 * from names so the stand-in and the database agree across restarts.
 */
export const demoOpenId = (name: string) => `ou_${hex32(`demo-person:${name}`)}`;
export const DEMO_BRANCH_CHAT_ID = `oc_${hex32('demo-branch-chat')}`;
export const DEMO_CAMPAIGN_ID = 'demo';

export interface DemoPerson {
  name: string;
  roles: string[];
  department?: string;
  mobile: string;
}

export const DEMO_PEOPLE: DemoPerson[] = [
  { name: '陈立华', roles: ['admin', 'party-teacher'], department: '党支部', mobile: '13800000001' },
  { name: '王建国', roles: ['cadre', 'party-teacher'], department: '学生处', mobile: '13800000002' },
  { name: '李秀英', roles: ['cadre', 'party-teacher'], department: '教务处', mobile: '13800000003' },
  { name: '张伟', roles: ['cadre', 'party-teacher'], department: '实训处', mobile: '13800000004' },
  { name: '刘芳', roles: ['party-teacher'], department: '财经部', mobile: '13800000005' },
  { name: '黄志强', roles: ['party-teacher'], department: '机电部', mobile: '13800000006' },
];

export const DEMO_ZONES = [
  { name: '教学楼A栋一至三楼', owner: '王建国', linkedClass: '2024级机电1班' },
  { name: '田径场及看台', owner: '李秀英', linkedClass: '2025级会计2班' },
  { name: '第一食堂周边', owner: '张伟', linkedClass: '2024级电商1班' },
  { name: '7号宿舍楼外围', owner: '陈立华', linkedClass: '2025级汽修1班' },
];

/**
 * A demo campaign that began two weeks before `now` and runs to the end of the
 * school term, so a visitor sees past weeks, this week and reminders at once.
 */
export function demoCampaign(now: Date, timezone = 'Asia/Shanghai'): CampaignDefinition {
  const local = inZone(now, timezone);
  const start = local.subtract(14 + ((local.day() + 6) % 7), 'day');
  const y = local.year();
  const m = local.month() + 1;
  const end = m >= 8 ? `${y + 1}-01-22` : m <= 1 ? `${y}-01-22` : `${y}-07-10`;
  return parseCampaignDefinition(
    { id: DEMO_CAMPAIGN_ID, name: '示范学校“微”行动（演示）', timezone, window: { start: start.format('YYYY-MM-DD'), end }, branchChatId: DEMO_BRANCH_CHAT_ID },
    'demo',
  );
}

/** Every calendar date in a definition moved by `days` (the demo runs a preset around today). */
function shiftDates(node: unknown, days: number): unknown {
  if (typeof node === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(node)) return dayjs(node).add(days, 'day').format('YYYY-MM-DD');
  if (Array.isArray(node)) return node.map((n) => shiftDates(n, days));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, shiftDates(v, days)]));
  return node;
}

/**
 * A preset as the sandbox runs it: this year's campaign if today is inside its
 * window, else the same campaign moved to have begun two weeks ago, so a visitor
 * sees past weeks, this week and what is coming.
 */
export function demoPresetCampaign(preset: string, now: Date): CampaignDefinition {
  const tz = 'Asia/Shanghai';
  const local = inZone(now, tz);
  const base = presetDefinition(preset, { year: local.year(), id: `demo-${findPreset(preset)?.name ?? preset}`, branchChatId: DEMO_BRANCH_CHAT_ID });
  const today = local.format('YYYY-MM-DD');
  if (base.window.start <= today && today <= base.window.end) return base;
  const start = local.subtract(14 + ((local.day() + 6) % 7), 'day').format('YYYY-MM-DD');
  return parseCampaignDefinition(shiftDates(base, dayjs(start).diff(dayjs(base.window.start), 'day')), `demo ${preset}`);
}

/** A lookup that knows the demo cast, as the sandbox's simulated tenant does. */
export const demoLookup: ContactLookup = syntheticLookup((mobile) => {
  const p = DEMO_PEOPLE.find((x) => x.mobile === mobile);
  return p ? demoOpenId(p.name) : undefined;
});

/** The cast as roster sheets: the same import path a school uses. */
export function castSheets(): RosterSheet[] {
  return [
    sheetFromValues(
      'classes',
      [...new Set(DEMO_ZONES.map((z) => z.linkedClass))].map((name) => ({ name })),
    ),
    sheetFromValues(
      'members',
      DEMO_PEOPLE.map((p) => ({
        name: p.name,
        mobile: p.mobile,
        roles: p.roles.map((r) => ROLE_LABELS[r as Role]).join('、'),
        department: p.department ?? '',
      })),
    ),
    sheetFromValues(
      'zones',
      DEMO_ZONES.map((z) => ({ name: z.name, owner: z.owner, linkedClass: z.linkedClass })),
    ),
  ];
}

/** Idempotent: running it again changes nothing. `sheets` replaces the cast's own (same people, other roles or departments). */
export async function seedDemo(
  db: Db,
  now: Date,
  campaign: CampaignDefinition = demoCampaign(now),
  sheets = castSheets(),
): Promise<{ people: number; zones: number }> {
  await new CampaignRepo(db).save(campaign);
  const report = await importRoster(sheets, { db, campaign, now, lookup: demoLookup });
  if (!report.applied) throw new Error(`演示名单有误 / demo roster rejected:\n${report.problems.map(formatProblem).join('\n')}`);
  return { people: DEMO_PEOPLE.length, zones: DEMO_ZONES.length };
}
