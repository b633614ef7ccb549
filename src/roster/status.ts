import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/index.js';
import { assignments, dorms, people, schoolClasses, targets, zones } from '../db/schema.js';
import { ROLE_LABELS, type CampaignDefinition } from '../domain/campaign.js';
import { sharesTarget } from '../domain/sharing.js';

/**
 * Where a campaign's assignments stand, for the admin: what is still unassigned,
 * who has no Feishu account, who has not claimed enough. Teacher names and counts
 * only — never a target's details — so it is safe wherever the admin reads it.
 */

const MAX_NAMES = 12;
const names = (list: string[], unit = '项') => (list.length > MAX_NAMES ? `${list.slice(0, MAX_NAMES).join('、')} 等 ${list.length} ${unit}` : list.join('、'));

/** A line of the status; `list` is what still needs attention (unmatched people, rooms short of teachers, …), in full. */
export interface StatusLine {
  text: string;
  list?: { key: string; label: string; unit: string; names: string[] };
}

const withList = (text: string, key: string, label: string, list: string[], unit = '项'): StatusLine =>
  list.length ? { text, list: { key, label, unit, names: list } } : { text };

/** The status as text (the CLI): each list cut to its first names. */
export async function rosterStatus(db: Db, def: CampaignDefinition): Promise<string[]> {
  return (await rosterStatusLines(db, def)).map((l) => (l.list ? `${l.text}；${l.list.label}：${names(l.list.names, l.list.unit)}` : l.text));
}

export async function rosterStatusLines(db: Db, def: CampaignDefinition): Promise<StatusLine[]> {
  const everyone = db.select().from(people).all();
  const current = db
    .select()
    .from(assignments)
    .where(and(eq(assignments.campaignId, def.id), isNull(assignments.endedAt)))
    .all();
  const held = new Map<string, number>();
  for (const a of current) held.set(`${a.subjectType}:${a.subjectId}`, (held.get(`${a.subjectType}:${a.subjectId}`) ?? 0) + 1);
  const holders = (type: string, id: number) => held.get(`${type}:${id}`) ?? 0;
  const lines: StatusLine[] = [{ text: `【${def.name}】名单与分配情况 / roster status` }];

  const unmatched = everyone.filter((p) => !p.openId).map((p) => p.name);
  lines.push(withList(`成员：${everyone.length} 人，已匹配飞书账号 ${everyone.length - unmatched.length} 人`, 'unmatched', '未匹配', unmatched, '人'));
  lines.push({ text: `班级：${db.select().from(schoolClasses).where(eq(schoolClasses.campaignId, def.id)).all().length} 个` });

  if (def.dorms.buildings.length) {
    const rooms = db.select().from(dorms).where(eq(dorms.campaignId, def.id)).all();
    for (const b of def.dorms.buildings) {
      const inB = rooms.filter((r) => r.building === b.name);
      const short = inB.filter((r) => holders('dorm', r.id) < b.teachersPerRoom).map((r) => r.room);
      const slots = inB.reduce((n, r) => n + Math.min(holders('dorm', r.id), b.teachersPerRoom), 0);
      lines.push(
        withList(
          `宿舍 ${b.name}：登记 ${inB.length}/${b.rooms} 间，关爱教师 ${slots}/${b.rooms * b.teachersPerRoom} 位`,
          `dorm:${b.name}`,
          '教师不足',
          short,
          '间',
        ),
      );
    }
  }

  if (def.zoneReport.enabled) {
    const list = db.select().from(zones).where(eq(zones.campaignId, def.id)).all();
    const ownerless = list.filter((z) => !holders('zone', z.id)).map((z) => z.name);
    lines.push(withList(`责任区：${list.length} 个${ownerless.length ? '' : '，均有负责人'}`, 'zones', '无负责人', ownerless));
  }

  const all = db
    .select({ id: targets.id, kind: targets.kind, className: targets.className, status: targets.status })
    .from(targets)
    .where(eq(targets.campaignId, def.id))
    .all();
  const claimed = all.filter((t) => holders('target', t.id)).length;
  const proposed = all.filter((t) => t.status === 'proposed').length;
  if (def.sharedTargets) {
    // Nothing waits for assignment; what needs the admin is a target nobody on the roster shares (a class with no teacher listed).
    const nobody = all.filter((t) => t.status === 'open' && !holders('target', t.id) && !everyone.some((p) => sharesTarget(def, p, t)));
    const classes = [...new Set(nobody.flatMap((t) => (t.className ? [t.className] : [])))];
    lines.push(
      withList(
        `走访对象：${all.length} 位，按班级（班主任、副班主任、任课教师）和部门共享，无需分配${nobody.length ? `；名单中无人负责 ${nobody.length} 位` : ''}`,
        'unshared-classes',
        '没有教师的班级',
        classes,
        '个班',
      ),
    );
  } else {
    lines.push({
      text: `走访对象：${all.length} 位（已分配 ${claimed}，待分配 ${all.filter((t) => t.status === 'open').length - claimed}${proposed ? `，待确认推荐 ${proposed}` : ''}）`,
    });
  }
  for (const k of def.targetKinds) {
    const n = all.filter((t) => t.kind === k.key).length;
    if (k.expectedCount !== undefined) lines.push({ text: `  ${k.name}：${n}${n === k.expectedCount ? '' : `（方案为 ${k.expectedCount}）`}` });
  }

  if (def.claiming.enabled) {
    const claimers = everyone.filter((p) => p.roles.includes(def.claiming.role));
    const perPerson = new Map<number, number>();
    for (const a of current) if (a.subjectType === 'target') perPerson.set(a.personId, (perPerson.get(a.personId) ?? 0) + 1);
    const count = (id: number) => perPerson.get(id) ?? 0;
    const behind = claimers.filter((p) => count(p.id) < def.claiming.quota).map((p) => `${p.name}(${count(p.id)})`);
    lines.push(
      withList(
        `认领：${ROLE_LABELS[def.claiming.role]} ${claimers.length} 人，已认满 ${def.claiming.quota} 位 ${claimers.length - behind.length} 人`,
        'claiming',
        '未认满',
        behind,
        '人',
      ),
    );
  }
  for (const q of def.quotas) {
    const who = everyone.filter((p) => (!q.who.department || p.department === q.who.department) && (!q.who.role || p.roles.includes(q.who.role)));
    const unit = { week: '周', month: '月', term: '学期' }[q.period];
    lines.push({
      text: `${q.name}：${who.length} 人，每人每${unit}至少 ${q.min} 位${q.coverWithinMonths ? `，${q.coverWithinMonths} 个月内走访一遍` : ''}${who.length ? '' : '（名单中还没有人）'}`,
    });
  }
  return lines;
}
