import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { people, type Person } from '../db/schema.js';
import type { CampaignDefinition } from '../domain/campaign.js';
import { SHEETS, SHEET_KINDS, type RosterSheet, type SheetKind } from './sheets.js';
import { applyRoster, storedRoster, type ApplyResult } from './store.js';
import { formatProblem, validateRoster, type PersonRef, type RowProblem } from './validate.js';

/**
 * Import = validate everything → find Feishu accounts → store in one transaction.
 * A file with any problem changes nothing; the network is never awaited inside
 * the transaction; and the same file imported twice changes nothing.
 */

/** Feishu's contact lookup (FeishuApi.openIdsByContact), or a stand-in for it. */
export type ContactLookup = (q: { mobiles?: string[]; emails?: string[] }) => Promise<Array<{ mobile?: string; email?: string; openId?: string }>>;

export interface ImportOptions {
  db: Db;
  campaign: CampaignDefinition;
  now: Date;
  dryRun?: boolean;
  /** Without it (sandbox CLI, no credentials) people are stored unmatched and matched later. */
  lookup?: ContactLookup;
}

export interface Unmatched {
  name: string;
  contact: string;
  reason: string;
}

export interface ImportReport {
  campaign: CampaignDefinition;
  rows: Partial<Record<SheetKind, number>>;
  problems: RowProblem[];
  warnings: string[];
  applied: boolean;
  result?: ApplyResult;
  matched: number;
  unmatched: Unmatched[];
  /** Why no account lookup happened, when it did not. */
  matchingSkipped?: string;
}

const BATCH = 50; // batch_get_id takes at most 50 mobiles and 50 emails per call.

const mask = (mobile: string) => (mobile.length === 11 ? `${mobile.slice(0, 3)}****${mobile.slice(7)}` : mobile);

interface Candidate {
  ref: PersonRef;
  name: string;
  mobile: string | null;
  email: string | null;
}

/** Finds open_ids for people who have none yet, by mobile, then by email. */
export async function findAccounts(
  lookup: ContactLookup,
  candidates: Candidate[],
  taken: Map<string, { ref: PersonRef; name: string }>,
): Promise<{ found: Map<PersonRef, string>; unmatched: Unmatched[] }> {
  const found = new Map<PersonRef, string>();
  const byMobile = new Map<string, string>();
  const byEmail = new Map<string, string>();
  const mobiles = [...new Set(candidates.flatMap((c) => (c.mobile ? [c.mobile] : [])))];
  for (let i = 0; i < mobiles.length; i += BATCH) {
    for (const u of await lookup({ mobiles: mobiles.slice(i, i + BATCH) })) if (u.mobile && u.openId) byMobile.set(u.mobile, u.openId);
  }
  const emails = [...new Set(candidates.flatMap((c) => (c.email && !(c.mobile && byMobile.has(c.mobile)) ? [c.email] : [])))];
  for (let i = 0; i < emails.length; i += BATCH) {
    for (const u of await lookup({ emails: emails.slice(i, i + BATCH) })) if (u.email && u.openId) byEmail.set(u.email.toLowerCase(), u.openId);
  }
  const unmatched: Unmatched[] = [];
  for (const c of candidates) {
    const contact = [c.mobile ? `手机 ${mask(c.mobile)}` : '', c.email ? `邮箱 ${c.email}` : ''].filter(Boolean).join('，');
    const openId = (c.mobile && byMobile.get(c.mobile)) || (c.email && byEmail.get(c.email)) || undefined;
    if (!openId) {
      unmatched.push({ name: c.name, contact, reason: '飞书通讯录中找不到（请核对号码或邮箱，或确认此人已加入企业且在应用的通讯录权限范围内）' });
      continue;
    }
    const holder = taken.get(openId);
    if (holder && holder.ref !== c.ref) {
      unmatched.push({ name: c.name, contact, reason: `该飞书账号已对应名单中的 ${holder.name}，请核对是否为同一人` });
      continue;
    }
    taken.set(openId, { ref: c.ref, name: c.name });
    found.set(c.ref, openId);
  }
  return { found, unmatched };
}

/** Accounts already held, so one Feishu account is never given to two people. */
const accountsTaken = (list: Person[]) => new Map(list.flatMap((p) => (p.openId ? [[p.openId, { ref: `db:${p.id}`, name: p.name }] as const] : [])));

/**
 * Gives stored people without a Feishu account one, when the directory now knows
 * them (imported without credentials, or added to Feishu after the import).
 */
export async function matchStoredPeople(db: Db, lookup: ContactLookup): Promise<{ matched: number; unmatched: Unmatched[] }> {
  const everyone = db.select().from(people).all();
  const candidates = everyone.filter((p) => !p.openId).map((p) => ({ ref: `db:${p.id}`, name: p.name, mobile: p.mobile, email: p.email }));
  if (!candidates.length) return { matched: 0, unmatched: [] };
  const taken = accountsTaken(everyone);
  const { found, unmatched } = await findAccounts(lookup, candidates, taken);
  db.transaction((tx) => {
    for (const [ref, openId] of found)
      tx.update(people)
        .set({ openId })
        .where(and(eq(people.id, Number(ref.slice(3))), isNull(people.openId)))
        .run();
  });
  return { matched: found.size, unmatched };
}

export async function importRoster(sheets: RosterSheet[], opts: ImportOptions): Promise<ImportReport> {
  const stored = await storedRoster(opts.db, opts.campaign.id);
  const { plan, problems, warnings } = validateRoster(sheets, opts.campaign, stored);
  const rows: ImportReport['rows'] = {};
  for (const s of sheets) rows[s.kind] = (rows[s.kind] ?? 0) + s.rows.length;
  for (const s of sheets) if (!s.rows.length) warnings.push(`「${s.sheet}」表没有数据行，已跳过 / sheet "${s.sheet}" has no data rows`);
  const report: ImportReport = { campaign: opts.campaign, rows, problems, warnings, applied: false, matched: 0, unmatched: [] };
  if (problems.length) return report;

  const storedById = new Map(stored.people.map((p) => [`db:${p.id}`, p]));
  const candidates = plan.members.filter((m) => !storedById.get(m.ref)?.openId);
  let found = new Map<PersonRef, string>();
  if (!opts.lookup)
    report.matchingSkipped = '未配置飞书凭据，暂不匹配飞书账号；机器人启动后会再次匹配 / no credentials: accounts are matched when the bot starts';
  else if (candidates.length) {
    const taken = accountsTaken(stored.people);
    ({ found, unmatched: report.unmatched } = await findAccounts(opts.lookup, candidates, taken));
  }
  report.matched = plan.members.length - candidates.length + found.size;
  if (opts.dryRun) return report;
  report.result = applyRoster(opts.db, opts.campaign.id, plan, found, opts.now);
  report.applied = true;
  return report;
}

export function formatImportReport(r: ImportReport, source: string, dryRun = false): string {
  const lines = [`活动 / campaign：${r.campaign.name}（${r.campaign.id}）`];
  const read = SHEET_KINDS.filter((k) => r.rows[k] !== undefined).map((k) => `${SHEETS[k].title} ${r.rows[k]} 行`);
  lines.push(`读取 / read：${source} — ${read.join('，')}`);
  if (r.problems.length) {
    lines.push(`✗ 发现 ${r.problems.length} 处问题，未做任何修改。请改正后重新导入 / ${r.problems.length} problem(s); nothing was changed:`);
    for (const p of r.problems) lines.push(`  - ${formatProblem(p)}`);
    return lines.join('\n');
  }
  if (dryRun) lines.push('✓ 检查通过（演练模式，未做任何修改）/ dry run passed: nothing was changed');
  else if (r.result) {
    lines.push('✓ 已导入 / imported:');
    for (const k of SHEET_KINDS) {
      const t = r.result.tallies[k];
      if (r.rows[k] !== undefined) lines.push(`  ${SHEETS[k].title}：新增 ${t.created}，更新 ${t.updated}，未变 ${t.unchanged}`);
    }
    const a = r.result.assignments;
    lines.push(`  分配 / assignments：新增 ${a.started}，结束 ${a.ended}`);
  }
  if (r.matchingSkipped) lines.push(`飞书账号 / accounts：${r.matchingSkipped}`);
  else if (r.rows.members !== undefined) {
    lines.push(`飞书账号 / accounts：已匹配 ${r.matched} 人，未匹配 ${r.unmatched.length} 人${r.unmatched.length ? '：' : ''}`);
    for (const u of r.unmatched) lines.push(`  - ${u.name}（${u.contact}）：${u.reason}`);
  }
  if (r.warnings.length) {
    lines.push('提示 / notes:');
    for (const w of r.warnings) lines.push(`  - ${w}`);
  }
  return lines.join('\n');
}
