import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Routes } from '../../bot/router.js';
import { withCard } from '../../bot/events.js';
import { AssignmentRepo, currentHolders, setHolders } from '../../db/assignments.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { dorms, targets, zones, type Person, type SubjectType } from '../../db/schema.js';
import { ROLE_LABELS, type Role } from '../../domain/campaign.js';
import { formatLocal } from '../../domain/time.js';
import { pageNav, pageOf } from '../../feishu/card-budget.js';
import { callbackButton, listRow, renderCard } from '../../feishu/card-templates.js';
import { UserFacingError } from '../../feishu/errors.js';
import { foldLabel } from '../../roster/read.js';
import { rosterStatusLines } from '../../roster/status.js';
import { normaliseMobile, studentKey } from '../../roster/validate.js';
import { defineFeature } from '../feature.js';

/**
 * /改派 · /reassign — an admin hands a dorm, zone or target to someone else
 * (leave, substitution). The previous holder's assignment is ended with the
 * reason, not overwritten, and both teachers are told.
 */

const USAGE = [
  '用法 / usage：',
  '/改派 责任区 <责任区名称> <新负责人> [原因]',
  '/改派 宿舍 <楼栋房号，如 7号楼301> <原教师>→<新教师> [原因]',
  '/改派 对象 <学生姓名（班级）> <新走访教师> [原因]',
  '例如：/改派 宿舍 7号楼301 刘芳→黄志强 病假代班',
].join('\n');

/** Names per page of a /名单 list. */
const ROSTER_PAGE = 30;

const KINDS: Record<string, SubjectType> = { 宿舍: 'dorm', dorm: 'dorm', 责任区: 'zone', zone: 'zone', 对象: 'target', 走访对象: 'target', target: 'target' };
const KIND_LABEL: Record<SubjectType, string> = { dorm: '宿舍', zone: '责任区', target: '走访对象' };

export const reassignFeature = defineFeature({ name: 'reassign', at: import.meta.url }, (deps) => {
  const history = new AssignmentRepo(deps.db);

  async function personNamed(text: string, role: Role | undefined): Promise<Person> {
    const found = await deps.people.byNameOrMobile(text, normaliseMobile(text));
    if (!found.length) throw new UserFacingError(`名单中没有“${text}”。请先在成员名单中登记（zoufang import）。`);
    if (found.length > 1) throw new UserFacingError(`有 ${found.length} 位“${text}”，请改用手机号指明。`);
    const p = found[0]!;
    if (role && !p.roles.includes(role) && !p.roles.includes('admin')) throw new UserFacingError(`${p.name} 不是${ROLE_LABELS[role]}，不能负责这一项。`);
    if (!p.openId) throw new UserFacingError(`${p.name} 还没有匹配到飞书账号，暂时无法通知他/她；请核对名单中的手机号。`);
    return p;
  }

  /** Finds the subject and says who may hold it. */
  function subject(c: ActiveCampaign, kind: SubjectType, text: string): { id: number; label: string; role?: Role } {
    const { def } = c;
    if (kind === 'zone') {
      const z = deps.db
        .select()
        .from(zones)
        .where(and(eq(zones.campaignId, def.id), eq(zones.name, text)))
        .get();
      if (!z) throw new UserFacingError(`没有名为“${text}”的责任区。`);
      return { id: z.id, label: `责任区「${z.name}」`, role: 'cadre' };
    }
    if (kind === 'dorm') {
      const b = def.dorms.buildings.find((x) => foldLabel(text).startsWith(foldLabel(x.name)));
      const room = b ? text.slice(b.name.length).replace(/^[-/\s]+|室$/g, '') : '';
      const d =
        b &&
        deps.db
          .select()
          .from(dorms)
          .where(and(eq(dorms.campaignId, def.id), eq(dorms.building, b.name), eq(dorms.room, room)))
          .get();
      if (!d) throw new UserFacingError(`没有宿舍“${text}”。请写成楼栋加房号，如 ${def.dorms.buildings[0]?.name ?? '7号楼'}301。`);
      return { id: d.id, label: `宿舍 ${d.building}${d.room}`, role: def.claiming.role };
    }
    const m = /^(.+?)[（(](.+)[)）]$/.exec(text);
    const list = m
      ? deps.db
          .select()
          .from(targets)
          .where(and(eq(targets.campaignId, def.id), eq(targets.naturalKey, studentKey(m[2]!.trim(), m[1]!.trim()))))
          .all()
      : deps.db
          .select()
          .from(targets)
          .where(and(eq(targets.campaignId, def.id), eq(targets.name, text)))
          .all();
    if (!list.length) throw new UserFacingError(`走访对象中没有“${text}”。学生请写成 姓名（班级）。`);
    if (list.length > 1) throw new UserFacingError(`有 ${list.length} 位“${text}”，请写成 姓名（班级）。`);
    const t = list[0]!;
    return { id: t.id, label: `走访对象 ${t.name}${t.className ? `（${t.className}）` : ''}`, role: def.claiming.enabled ? def.claiming.role : undefined };
  }

  /** /名单: the counts, and a button on each line that has a list (unmatched people, rooms short of teachers, …). */
  async function statusCard({ def }: ActiveCampaign) {
    const lines = await rosterStatusLines(deps.db, def);
    const [title, ...rest] = lines;
    return renderCard('list', {
      title: '名单与分配情况',
      subtitle: `${def.name} / Roster status`,
      headerColor: 'blue',
      sections: [
        { tag: 'markdown', content: title!.text },
        ...rest.map((l) =>
          l.list
            ? listRow(
                `${l.text}；${l.list.label} **${l.list.names.length}** ${l.list.unit}`,
                callbackButton('查看', { action: 'roster.list', key: l.list.key, offset: 0 }),
              )
            : { tag: 'markdown', content: l.text },
        ),
      ],
    });
  }

  /** One list of /名单 in full, a page at a time. */
  async function listCard({ def }: ActiveCampaign, key: string, offset: number) {
    const line = (await rosterStatusLines(deps.db, def)).find((l) => l.list?.key === key);
    const back = callbackButton('返回名单概况 Back', { action: 'roster.status' });
    if (!line?.list) {
      return renderCard('list', {
        title: '名单与分配情况',
        subtitle: `${def.name} / Roster status`,
        headerColor: 'green',
        sections: [{ tag: 'markdown', content: '这一项已经没有需要处理的了。' }, back],
      });
    }
    const { label, unit, names } = line.list;
    return pageOf(names, offset, {
      perPage: ROSTER_PAGE,
      render: (rows, at) =>
        renderCard('list', {
          title: `${label} · ${names.length} ${unit}`,
          subtitle: `${def.name} / Roster status`,
          headerColor: 'orange',
          sections: [
            { tag: 'markdown', content: line.text },
            { tag: 'markdown', content: rows.map((n) => `- ${n}`).join('\n') },
            ...pageNav(at, (o) => ({ action: 'roster.list', key, offset: o }), unit),
            back,
          ],
        }),
    });
  }

  function register(router: Routes) {
    router.command({
      names: ['/名单', '/roster'],
      summary: '名单与分配情况 / roster and assignment status',
      adminOnly: true,
      needs: 'campaign',
      async handler({ campaign, reply }) {
        await reply({ card: await statusCard(campaign) });
      },
    });
    router.action('roster.status', z.object({}), { adminOnly: true, needs: 'campaign' }, async ({ campaign }) => withCard({}, await statusCard(campaign)));
    router.action(
      'roster.list',
      z.object({ key: z.string().max(100), offset: z.number().int().min(0) }),
      { adminOnly: true, needs: 'campaign' },
      async ({ value, campaign }) => withCard({}, await listCard(campaign, value.key, value.offset)),
    );

    router.command({
      names: ['/改派', '/reassign'],
      summary: '改派宿舍、责任区或走访对象 / reassign a dorm, zone or target',
      adminOnly: true,
      needs: 'campaign',
      async handler({ person, campaign: c, args, reply }) {
        // "/改派 对象 孙小红 给 黄志强" reads naturally: the joining word is not a name.
        const [kindText, subjectText, change, ...why] = args.split(/\s+/).filter((w) => w && !['给', '交给', '改给', 'to'].includes(w.toLowerCase()));
        const kind = kindText ? KINDS[kindText.toLowerCase()] : undefined;
        if (!kind || !subjectText || !change) return reply({ text: USAGE });
        const s = subject(c, kind, subjectText);
        const [fromText, toText] = change.includes('→') || change.includes('->') ? change.split(/→|->/).map((x) => x.trim()) : [undefined, change];
        const to = await personNamed(toText!, s.role);
        const reason = why.join(' ') || '管理员改派';
        const now = deps.clock.now();
        const holders = currentHolders(deps.db, kind, s.id);
        let from: Person | undefined;
        if (fromText) {
          from = await personNamed(fromText, undefined);
          if (!holders.some((h) => h.personId === from!.id)) throw new UserFacingError(`${from.name} 目前不负责${s.label}。`);
        } else if (kind === 'dorm' && holders.length > 1) {
          throw new UserFacingError(`${s.label}有 ${holders.length} 位关爱教师，请写明替换谁：原教师→新教师。`);
        } else if (holders[0]) from = (await deps.people.byId(holders[0].personId)) ?? undefined;
        if (from?.id === to.id) return reply({ text: `${s.label}已经由 ${to.name} 负责，无需改派。` });

        const next = [...holders.map((h) => h.personId).filter((id) => id !== from?.id), to.id];
        deps.db.transaction((tx) => setHolders(tx, c.def.id, kind, s.id, next, { via: 'admin', at: now, by: person.id, reason }), { behavior: 'immediate' });
        deps.log.info({ subjectType: kind, subjectId: s.id, from: from?.id, to: to.id }, 'reassigned');

        const key = `reassign:${kind}:${s.id}:${now.getTime()}`;
        await deps.send([
          {
            dedupeKey: `${key}:to`,
            to: { openId: to.openId! },
            purpose: 'reassign.notice',
            text: `${person.name} 已安排你负责${s.label}（${reason}）。输入 /进度 查看你的任务。`,
          },
          ...(from?.openId
            ? [
                {
                  dedupeKey: `${key}:from`,
                  to: { openId: from.openId },
                  purpose: 'reassign.notice',
                  text: `${s.label}已改由 ${to.name} 负责（${reason}）。谢谢你之前的付出！`,
                },
              ]
            : []),
        ]);
        const past = (await history.history(kind, s.id)).slice(-5);
        const lines = past.map(
          (a) =>
            `- ${a.personName}：${formatLocal(a.startedAt, c.def.timezone, 'MM-DD')} 起${a.endedAt ? `，${formatLocal(a.endedAt, c.def.timezone, 'MM-DD')} 止（${a.endReason ?? ''}）` : '（当前）'}`,
        );
        await reply({
          text: `已改派：${s.label}${from ? ` 从 ${from.name} 改派给 ${to.name}` : ` 交给 ${to.name}`}（${reason}），${from?.openId ? '双方' : to.name}已收到通知。\n${KIND_LABEL[kind]}负责记录：\n${lines.join('\n')}`,
        });
      },
    });
  }
  return { register };
});
