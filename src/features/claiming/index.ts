import { z } from 'zod';
import { isAdmin, type Routes } from '../../bot/router.js';
import { toast, withCard, type CardReply } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import type { Person, Target } from '../../db/schema.js';
import { ROLE_LABELS, isRunning, type CampaignDefinition } from '../../domain/campaign.js';
import { categoryName, heldLine, kindName } from '../../domain/targets.js';
import { formatLocal } from '../../domain/time.js';
import { callbackButton, listRow, renderCard, reopenNote } from '../../feishu/card-templates.js';
import { pageAt, pageNav, pageOf } from '../../feishu/card-budget.js';
import { UserFacingError } from '../../feishu/errors.js';
import { foldLabel } from '../../roster/read.js';
import { SHEETS, sheetFromValues } from '../../roster/sheets.js';
import { storedRoster } from '../../roster/store.js';
import { validateRoster } from '../../roster/validate.js';
import { ClaimRepo, NominationRepo, type ClaimFilter, type ClaimGroup } from './repo.js';
import { defineFeature } from '../feature.js';

/**
 * Claiming (认领) and nominating (推荐) visit targets, as seed 000 runs them: the
 * student office proposes targets per class, the branch confirms them, and each
 * party teacher claims up to the quota. Claimers choose by class and category
 * only; a family's details are shown to a teacher once the target is theirs.
 */

const PAGE = 12;
/** Claimed targets shown at once, each with its 退回 button: a campaign may set a quota of dozens. */
const HELD_PAGE = 10;

const filterSchema = z.object({
  category: z.string().optional(),
  className: z.string().optional(),
  offset: z.number().int().min(0).default(0),
  heldOffset: z.number().int().min(0).default(0),
});
const listRef = filterSchema.extend({ campaignId: z.string() });

export const claimingFeature = defineFeature({ name: 'claiming', at: import.meta.url, needs: ['visitPlans'] }, (deps) => {
  const claims = new ClaimRepo(deps.db);
  const nominations = new NominationRepo(deps.db);

  /** The campaign open for claiming now: inside its window, claiming enabled. */
  async function claimCampaign(): Promise<ActiveCampaign> {
    const open = (await deps.campaigns.all()).filter((c) => c.def.claiming.enabled);
    const current = open.find((c) => isRunning(c.def, deps.clock.now()));
    if (!current) {
      throw new UserFacingError(
        open.length
          ? `认领在活动期间开放（${open.map((c) => `${c.def.name}：${c.def.window.start} ~ ${c.def.window.end}`).join('；')}）。`
          : '当前活动不需要认领走访对象。/ This campaign has no claiming.',
      );
    }
    return current;
  }

  async function campaignOf(id: string): Promise<ActiveCampaign> {
    const c = await deps.campaigns.get(id);
    if (!c?.def.claiming.enabled) throw new UserFacingError('这张卡片对应的活动已不存在，请输入 /认领 重新打开。');
    return c;
  }

  function mayClaim(def: CampaignDefinition, p: Person) {
    if (!p.roles.includes(def.claiming.role)) {
      throw new UserFacingError(`认领走访对象由${ROLE_LABELS[def.claiming.role]}进行；如需调整，请联系党支部管理员。`);
    }
  }

  /** Reads "/认领 送爱上门" or "/认领 2024级机电1班" as a filter. */
  function parseFilter(def: CampaignDefinition, args: string): ClaimFilter {
    if (!args) return {};
    const category = def.targetCategories.find((c) => foldLabel(c.name) === foldLabel(args) || foldLabel(c.name).startsWith(foldLabel(args)));
    return category ? { category: category.key } : { className: args };
  }

  async function claimCard(c: ActiveCampaign, person: Person, filter: z.infer<typeof filterSchema>) {
    const { def } = c;
    const held = await claims.heldBy(def.id, person.id);
    const groups = await claims.groups(def.id, filter);
    const quota = def.claiming.quota;
    const full = held.length >= quota;
    // Where the held list stands, kept by every button so an answer shows the same part of it.
    const heldPage = pageAt(held.length, filter.heldOffset, HELD_PAGE);
    const ref = { campaignId: def.id, category: filter.category, className: filter.className, heldOffset: heldPage.from };
    const card = (sections: object[]) =>
      renderCard('claim-list', { held: held.length, quota, campaignName: def.name, headerColor: full ? 'green' : 'blue', sections });
    const sections: object[] = [
      {
        tag: 'markdown',
        content: `每位${ROLE_LABELS[def.claiming.role]}认领 **${quota}** 位走访对象，在活动期间（至 ${def.window.end}）完成走访。列表只显示班级和类别，认领后才能看到对象的详细情况。`,
      },
    ];
    if (held.length) {
      sections.push({ tag: 'markdown', content: '**我已认领 / Mine**' });
      held
        .slice(heldPage.from, heldPage.to)
        .forEach((t, i) =>
          sections.push(
            listRow(
              `${heldPage.from + i + 1}. ${heldLine(def, t)}`,
              callbackButton('约访', deps.visitPlans.planValue(def.id, t.id), 'primary'),
              callbackButton('退回', { action: 'claim.release', ...ref, targetId: t.id, offset: filter.offset }),
            ),
          ),
        );
      sections.push(...pageNav(heldPage, (o) => ({ action: 'claim.page', ...ref, heldOffset: o, offset: filter.offset }), '位'));
      sections.push({ tag: 'hr' });
    }
    const available = groups.reduce((n, g) => n + g.count, 0);
    const filterText = filter.category ? categoryName(def, filter.category) : filter.className;
    if (full) sections.push({ tag: 'markdown', content: `✅ 你已认领满 ${quota} 位，请在活动期间完成走访。` });
    else if (!groups.length) {
      sections.push({
        tag: 'markdown',
        content: filterText ? `“${filterText}”下暂无可认领的对象。输入 /认领 查看全部。` : '目前没有可认领的对象，党支部登记后会通知大家。',
      });
    } else {
      sections.push({
        tag: 'markdown',
        content: `**可认领 / Available**（${filterText ? `${filterText}，` : ''}共 ${available} 位，还可认领 ${quota - held.length} 位）`,
      });
      return pageOf(groups, filter.offset, {
        perPage: PAGE,
        render: (page, at) =>
          card([
            ...sections,
            // Numbered across pages, so "第 12 组" is the same row for everyone talking about the list.
            ...page.map((g, i) =>
              listRow(
                `${at.from + i + 1}. ${groupLine(def, g)}`,
                callbackButton('认领', { action: 'claim.take', ...ref, targetId: g.firstId, offset: at.from }, 'primary'),
              ),
            ),
            ...pageNav(at, (o) => ({ action: 'claim.page', ...ref, offset: o }), '组'),
            { tag: 'markdown', content: `<font color='grey'>按类别或班级筛选：/认领 ${def.targetCategories[0]?.name ?? '类别'}　或　/认领 班级名称</font>` },
            // Claiming runs for weeks; the list outlives its buttons.
            reopenNote('/认领'),
          ]),
      });
    }
    if (held.length) sections.push(reopenNote('/认领'));
    return card(sections);
  }

  const groupLine = (def: CampaignDefinition, g: ClaimGroup) =>
    `${g.className ?? '—'} · ${kindName(def, g.kind)}${g.category ? ` · ${categoryName(def, g.category)}` : ''}　<font color='grey'>${g.count} 位</font>`;

  // ---- nomination
  const studentKinds = (def: CampaignDefinition) => def.targetKinds.filter((k) => k.student);
  const option = (value: string, text: string) => ({ text: { tag: 'plain_text', content: text }, value });
  const NOMINATION_FIELDS = ['kind', 'category', 'class_name', 'name', 'sub_kind', 'parent_name', 'phone', 'address', 'enterprise', 'reason'] as const;
  type Typed = Partial<Record<(typeof NOMINATION_FIELDS)[number], string>>;

  function nominationCard(def: CampaignDefinition, typed: Typed = {}, problems: string[] = []) {
    const kinds = studentKinds(def);
    return renderCard('nomination-form', {
      campaignName: def.name,
      headerColor: problems.length ? 'red' : 'blue',
      intro: '请按班级推荐走访对象。提交后由党支部确认登记，再由党员教师认领。家庭情况只有走访教师和管理员可见。',
      problems: problems.length ? [{ tag: 'markdown', content: `<font color='red'>请修改后再提交：</font>\n${problems.map((p) => `- ${p}`).join('\n')}` }] : [],
      kind: typed.kind ?? kinds[0]?.key ?? '',
      kindOptions: kinds.map((k) => option(k.key, k.name)),
      category: typed.category ?? def.targetCategories[0]?.key ?? '',
      categoryOptions: def.targetCategories.map((c) => option(c.key, c.name)),
      className: typed.class_name ?? '',
      name: typed.name ?? '',
      subKind: typed.sub_kind ?? '',
      subKindHint: def.targetCategories
        .map((c) => `${c.name}：${c.subKinds.slice(0, 3).join('、')}…`)
        .join('；')
        .slice(0, 100),
      parentName: typed.parent_name ?? '',
      phone: typed.phone ?? '',
      address: typed.address ?? '',
      enterprise: typed.enterprise ?? '',
      reason: typed.reason ?? '',
      submitValue: { action: 'nominate.submit', campaignId: def.id },
    });
  }

  function reviewCard(def: CampaignDefinition, t: Target, nominator: string, state: 'pending' | 'open' | 'withdrawn', decidedBy?: string) {
    const label = { pending: '待确认', open: '已确认登记', withdrawn: '已退回' }[state];
    const lines = [
      `**推荐人**：${nominator}`,
      `**对象**：${t.name} · ${t.className ?? ''} · ${kindName(def, t.kind)}`,
      `**类别**：${[categoryName(def, t.category), t.subKind].filter(Boolean).join(' · ')}`,
      t.enterprise ? `**实习企业**：${t.enterprise}` : '',
      t.reason ? `**推荐理由**：${t.reason}` : '',
      decidedBy ? `<font color='grey'>${label}（${decidedBy}）</font>` : '',
    ].filter(Boolean);
    const sections: object[] = [{ tag: 'markdown', content: lines.join('\n') }];
    if (state === 'pending') {
      sections.push({
        tag: 'column_set',
        flex_mode: 'flow',
        columns: [
          callbackButton('确认登记', { action: 'nominate.confirm', campaignId: def.id, targetId: t.id }, 'primary'),
          callbackButton('退回', { action: 'nominate.reject', campaignId: def.id, targetId: t.id }, 'danger'),
        ].map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
      });
    }
    return renderCard('nomination-review', {
      line: `${t.className ?? ''} ${categoryName(def, t.category)}`,
      state: label,
      campaignName: def.name,
      headerColor: state === 'pending' ? 'orange' : state === 'open' ? 'green' : 'grey',
      sections,
    });
  }

  function register(router: Routes) {
    router.command({
      names: ['/认领', '/claim'],
      summary: '认领走访对象 / claim visit targets',
      needs: 'person',
      async handler({ person, args, reply }) {
        const c = await claimCampaign();
        mayClaim(c.def, person);
        await reply({ card: await claimCard(c, person, { ...parseFilter(c.def, args), offset: 0, heldOffset: 0 }) });
      },
    });

    router.action('claim.page', listRef.extend({ action: z.literal('claim.page') }), async ({ value, person }) => {
      const c = await campaignOf(value.campaignId);
      mayClaim(c.def, person);
      return withCard({}, await claimCard(c, person, value));
    });

    router.action('claim.take', listRef.extend({ action: z.literal('claim.take'), targetId: z.number().int().positive() }), async ({ value, person }) => {
      const c = await campaignOf(value.campaignId);
      mayClaim(c.def, person);
      const outcome = await claims.claim(c.def.id, value.targetId, person.id, c.def.claiming.quota, deps.clock.now());
      const card = await claimCard(c, person, value);
      let answer: CardReply;
      if (outcome.kind === 'claimed') {
        deps.log.info({ campaignId: c.def.id, targetId: value.targetId, personId: person.id }, 'target claimed');
        answer = toast('success', `已认领：${heldLine(c.def, outcome.target)}`, 'Claimed.');
      } else if (outcome.kind === 'taken') {
        answer = toast('warning', `这位对象刚刚被 ${outcome.by}认领了，列表已刷新，请另选一位。`, 'Someone else just claimed it; the list is refreshed.');
      } else if (outcome.kind === 'mine') {
        answer = toast('info', '这位对象已在你的名单中。', 'Already yours.');
      } else if (outcome.kind === 'quota') {
        answer = toast(
          'warning',
          `你已认领 ${outcome.held} 位，达到每人 ${c.def.claiming.quota} 位的上限。`,
          `You have reached the quota of ${c.def.claiming.quota}.`,
        );
      } else answer = toast('warning', '这位对象已不在可认领名单中，列表已刷新。', 'No longer available; the list is refreshed.');
      return withCard(answer, card);
    });

    router.action('claim.release', listRef.extend({ action: z.literal('claim.release'), targetId: z.number().int().positive() }), async ({ value, person }) => {
      const c = await campaignOf(value.campaignId);
      const released = await claims.release(value.targetId, person.id, deps.clock.now());
      const card = await claimCard(c, person, value);
      return withCard(released ? toast('success', '已退回，其他老师可以认领了。', 'Released.') : toast('info', '这位对象已不在你的名单中。'), card);
    });

    router.command({
      names: ['/推荐', '/nominate'],
      summary: '推荐走访对象（学生处）/ nominate a visit target',
      needs: 'person',
      async handler({ person, reply }) {
        const c = await claimCampaign();
        if (!person.roles.includes(c.def.claiming.nominatorRole) && !isAdmin(person)) {
          return reply({ text: `推荐走访对象由${ROLE_LABELS[c.def.claiming.nominatorRole]}（学生处）提交；如需推荐，请联系党支部管理员。` });
        }
        await reply({ card: nominationCard(c.def) });
      },
    });

    router.action('nominate.submit', z.object({ action: z.literal('nominate.submit'), campaignId: z.string() }), async ({ value, person, form }) => {
      const c = await campaignOf(value.campaignId);
      const def = c.def;
      if (!person.roles.includes(def.claiming.nominatorRole) && !isAdmin(person)) throw new UserFacingError('只有推荐人（学生处）和管理员可以推荐走访对象。');
      const typed: Typed = Object.fromEntries(NOMINATION_FIELDS.map((f) => [f, typeof form[f] === 'string' ? (form[f] as string).slice(0, 500) : '']));
      // The same rules as a spreadsheet row, so chat and import never disagree.
      const sheet = sheetFromValues('targets', [
        {
          kind: typed.kind ?? '',
          category: typed.category ?? '',
          className: typed.class_name ?? '',
          name: typed.name ?? '',
          subKind: typed.sub_kind ?? '',
          parentName: typed.parent_name ?? '',
          phone: typed.phone ?? '',
          address: typed.address ?? '',
          enterprise: typed.enterprise ?? '',
          reason: typed.reason ?? '',
        },
      ]);
      const checked = validateRoster([sheet], def, await storedRoster(deps.db, def.id));
      const problems = checked.problems.map((p) => `「${p.header ?? ''}」${p.reason.split(' / ')[0]}`);
      const planned = checked.plan.targets[0];
      if (problems.length || !planned) {
        return withCard(toast('error', problems.join('；') || '请检查填写内容'), nominationCard(def, typed, problems));
      }
      const { visitor: _none, ...fields } = planned;
      const now = deps.clock.now();
      const target = await nominations.propose(def.id, fields, person.id, now);
      if (!target) {
        const header = SHEETS.targets.columns.find((col) => col.key === 'name')!.header;
        const duplicate = `「${header}」${planned.name}（${planned.className}）已在走访对象名单中`;
        return withCard(toast('error', duplicate), nominationCard(def, typed, [duplicate]));
      }
      deps.log.info({ campaignId: def.id, targetId: target.id, nominatorId: person.id }, 'target nominated');
      const admins = (await deps.people.admins()).filter((a) => a.openId);
      await deps.send(
        admins.map((a) => ({
          dedupeKey: `nomination:${target.id}:review:${a.id}`,
          to: { openId: a.openId! },
          purpose: 'nomination.review',
          card: reviewCard(def, target, person.name, 'pending'),
        })),
      );
      return withCard(
        toast('success', '已提交，等待党支部确认。', 'Submitted for confirmation.'),
        renderCard('nomination-review', {
          line: `${target.className ?? ''}`,
          state: '已提交',
          campaignName: def.name,
          headerColor: 'green',
          sections: [
            {
              tag: 'markdown',
              content: `已推荐 **${target.name}**（${target.className ?? ''} · ${categoryName(def, target.category)}），提交于 ${formatLocal(now, def.timezone)}，党支部确认后即可认领。`,
            },
          ],
        }),
      );
    });

    for (const decision of ['confirm', 'reject'] as const) {
      router.action(
        `nominate.${decision}`,
        z.object({ action: z.literal(`nominate.${decision}`), campaignId: z.string(), targetId: z.number().int().positive() }),
        { adminOnly: true },
        async ({ value, person }) => {
          const c = await campaignOf(value.campaignId);
          const now = deps.clock.now();
          const decided = await nominations.decide(value.targetId, decision === 'confirm' ? 'open' : 'withdrawn', now);
          const current = decided ?? (await claims.target(value.targetId));
          if (!current) throw new UserFacingError('这条推荐已不存在。');
          const nominator = current.nominatedBy ? await deps.people.byId(current.nominatedBy) : null;
          const state = current.status === 'proposed' ? 'pending' : current.status;
          const card = reviewCard(c.def, current, nominator?.name ?? '—', state, decided ? person.name : undefined);
          if (!decided) return withCard(toast('info', '这条推荐已经处理过了。', 'Already decided.'), card);
          if (nominator?.openId) {
            const what = `${current.name}（${current.className ?? ''}）`;
            await deps.send({
              dedupeKey: `nomination:${current.id}:decided`,
              to: { openId: nominator.openId },
              purpose: 'nomination.decided',
              text:
                decision === 'confirm'
                  ? `你推荐的走访对象 ${what} 已由党支部确认登记，党员教师现在可以认领。`
                  : `你推荐的走访对象 ${what} 被退回，如有疑问请联系 ${person.name}。`,
            });
          }
          return withCard(toast('success', decision === 'confirm' ? '已确认登记，可供认领。' : '已退回并通知推荐人。'), card);
        },
      );
    }
  }
  return { register };
});
