import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isAdmin, type Routes } from '../../bot/router.js';
import { toast, withCard, type CardReply } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { LEDGER_STATUSES, type LedgerEvent, type LedgerItem, type Person } from '../../db/schema.js';
import { inQuietHours, nudgeDay } from '../../domain/calendar.js';
import { addDays } from '../../domain/periods.js';
import { formatDue, formatLocal, inZone, localDate } from '../../domain/time.js';
import {
  ACTIVE_STATUSES,
  LEDGER_ACTIONS,
  LEDGER_DUE_DAYS,
  LEDGER_ESCALATION_GRACE_DAYS,
  daysOverdue,
  decide,
  defaultDueOn,
  dueForEscalation,
  dueOf,
  ledgerNumbers,
  ledgerNumbersByOwner,
  type LedgerAction,
  type Standing,
  type Verdict,
} from '../../domain/ledger.js';
import type { OutboundMessage } from '../../feishu/outbox.js';
import { pageNav, pageOf, type PageInfo } from '../../feishu/card-budget.js';
import { errorKind, UserFacingError } from '../../feishu/errors.js';
import { RecordRepo } from '../../records/repo.js';
import { normaliseMobile } from '../../roster/validate.js';
import { yieldToEventLoop, type Job } from '../../scheduler/job.js';
import { dailyTriggers } from '../triggers.js';
import {
  NOTE_MAX,
  SOURCE_LABELS,
  formCard,
  handedOverCard,
  isFormKind,
  itemCard,
  ledgerReopenNote,
  listCard,
  listRows,
  namesOwner,
  numbersLine,
  ownerLabel,
  type Back,
  type FormKind,
  type Origin,
} from './cards.js';
import { ALREADY, MISSING_NOTE, done, notAllowed, wrongState } from './messages.js';
import { USAGE, matches, parseQuery, queryLabel } from './query.js';
import { LedgerRepo } from './repo.js';
import { defineFeature } from '../feature.js';
import { twinOf } from '../../domain/themes.js';
import { dictionaryRead, themeTerms } from '../themes/segmenter.js';
import { oneLine } from '../../feishu/card-templates.js';
import { byChinese } from '../../domain/quotas.js';

/**
 * 走访台账 (附件六): every opinion or problem raised is worked off by its owner
 * and closed out (销号) by the branch admin — "解决一个销号一个，不积压不拖拉".
 * Each change is one card action by the right person; the item's words reach
 * only its owner and the admins, and log lines carry ids only.
 */

const PAGE = 10;
/** Owners per page of /台账 统计. */
const STATS_PAGE = 20;
/** Rows of the overdue notice to admins; the rest are one /台账 逾期 away. */
const ESCALATION_ROWS = 15;
/** The overdue job reads the open items of this many owners at a time. */
const OWNERS_PER_PAGE = 200;

/** Rows of the overdue notice to an owner per page. */
const OVERDUE_ROWS = 10;
/** Rows of a day's triage card per page. */
const TRIAGE_ROWS = 10;

const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const back = z
  .union([z.object({ q: z.string().max(200), offset: z.number().int().min(0) }), z.object({ day: DAY, offset: z.number().int().min(0) })])
  .optional();
/** Where an opinion is heard (a visit, a 献一计): the items checked for repeating an open one. */
const HEARD: ReadonlyArray<LedgerItem['source']> = ['visit', 'suggestion'];
/** Items a new one may repeat: all not yet closed out. */
const NOT_CLOSED = LEDGER_STATUSES.filter((s) => s !== 'closed');
/**
 * How many of a campaign's newest open items a new one is compared with for a
 * twin: more than a school keeps open, and a bound on the words a district's
 * ledger would otherwise have segmented for every new item.
 */
export const TWIN_CANDIDATES = 2000;
const itemRef = z.object({ itemId: z.number().int().positive(), back });

/** Control characters are never meant; whitespace around a note is not part of it. */
const clean = (v: unknown) => (typeof v === 'string' ? v.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim() : '');

type Input = { ok: true; note?: string; toOwner?: Person } | { ok: false; kind: FormKind; problem: string };

export const ledgerFeature = defineFeature({ name: 'ledger', at: import.meta.url, provides: ['announceLedger'] }, (deps) => {
  const repo = new LedgerRepo(deps.db);
  const records = new RecordRepo(deps.db);

  const standingOf = (item: LedgerItem, p: Person): Standing => ({ owner: item.ownerId === p.id, admin: isAdmin(p), unowned: item.ownerId === null });
  const mayView = (item: LedgerItem, p: Person) => item.ownerId === p.id || isAdmin(p);

  async function campaignOf(campaignId: string): Promise<ActiveCampaign> {
    const c = await deps.campaigns.get(campaignId);
    if (!c) throw new UserFacingError('这条台账所属的活动已不存在。');
    return c;
  }

  async function load(itemId: number): Promise<LedgerItem> {
    const item = await repo.item(itemId);
    if (!item) throw new UserFacingError('这条台账已不存在。/ This ledger item no longer exists.');
    return item;
  }

  async function cardFor(item: LedgerItem, viewer: Person, extra: { notice?: string; back?: Back; twin?: { id: number } } = {}) {
    const { def } = await campaignOf(item.campaignId);
    const events = await repo.events(item.id);
    const names = await repo.names([item.ownerId, item.createdBy, ...events.flatMap((e) => [e.actorId, e.toOwnerId])]);
    const origin = await originOf(item, viewer);
    const alsoFrom = await Promise.all(
      (await repo.mergedInto(item.id)).map(async (m) => `#${m.id} · ${(await originOf(m, viewer))?.text ?? SOURCE_LABELS[m.source]}`),
    );
    return itemCard({ item, events, names, tz: def.timezone, now: deps.clock.now(), standing: standingOf(item, viewer), origin, alsoFrom, ...extra });
  }

  /**
   * The record an item came from, in words, and whether `viewer` may open it:
   * its visitors (author and co-visitors) and the admins, as for the record itself.
   */
  async function originOf(item: LedgerItem, viewer: Person | null): Promise<Origin | undefined> {
    const record = item.recordId ? await records.get(item.recordId) : null;
    if (!record) return undefined;
    const author = (await deps.people.byId(record.authorId))?.name ?? '—';
    const openable = viewer && (isAdmin(viewer) || (await records.isVisitorOf(viewer.id, record.id))) ? record.id : null;
    return { text: `${SOURCE_LABELS[record.form]} · ${author} · ${record.occurredOn.slice(5)}`, openable };
  }

  async function ownerName(item: LedgerItem): Promise<string> {
    return item.ownerId === null ? '党支部管理员（待分派）' : ((await deps.people.byId(item.ownerId))?.name ?? '—');
  }

  /** A refusal: the wrong person gets a toast only (they may not see the item); the right person gets the card as it stands now. */
  async function refuse(action: LedgerAction, item: LedgerItem, person: Person, why: Exclude<Verdict, { ok: true }>['why'], b?: Back): Promise<CardReply> {
    if (why === 'not-allowed') return toast('error', notAllowed(action, await ownerName(item)), 'You cannot do this on this ledger item.');
    const card = await cardFor(item, person, { back: b });
    return why === 'done' ? withCard(toast('info', ALREADY[action]), card) : withCard(toast('warning', wrongState(action, item.status)), card);
  }

  /** People an item can be handed to: everyone reachable in Feishu except its owner. */
  async function candidates(item: LedgerItem): Promise<Person[]> {
    return (await deps.people.all()).filter((p) => p.openId && p.id !== item.ownerId).sort((a, b) => byChinese(a.name, b.name));
  }

  /** The new owner a transfer form names: chosen from the list, or typed as a name or mobile when the list was too long for a card. */
  async function newOwner(form: Record<string, unknown>): Promise<Person | string> {
    const typed = clean(form.owner_name);
    if (!typed) {
      const id = Number(clean(form.owner));
      return (Number.isInteger(id) && id > 0 ? await deps.people.byId(id) : null) ?? '请选择新的负责人。';
    }
    const found = await deps.people.byNameOrMobile(typed, normaliseMobile(typed));
    if (found.length > 1) return `有 ${found.length} 位“${typed}”，请改用手机号指明。`;
    return found[0] ?? `名单中没有“${typed}”，请核对姓名或手机号。`;
  }

  /** What a form-backed step needs: its note (required or not) and, for a transfer, the new owner. */
  async function readInput(action: LedgerAction, item: LedgerItem, form: Record<string, unknown>, needsNote: boolean): Promise<Input> {
    if (!isFormKind(action)) return { ok: true };
    const problem = (text: string): Input => ({ ok: false, kind: action, problem: text });
    const note = clean(form.note);
    if (note.length > NOTE_MAX) return problem(`不能超过 ${NOTE_MAX} 字（现在 ${note.length} 字）。`);
    if (needsNote && !note) return problem(MISSING_NOTE[action]);
    if (!namesOwner(action)) return { ok: true, note: note || undefined };
    const to = await newOwner(form);
    if (typeof to === 'string') return problem(to);
    if (to.id === item.ownerId) return problem(`${to.name} 已经是负责人了，请另选一位。`);
    if (!to.openId) return problem(`${to.name} 还没有匹配到飞书账号，暂时无法转交给他/她。`);
    return { ok: true, note: note || undefined, toOwner: to };
  }

  /** Columns a step sets besides status and owner. */
  function columnsFor(action: LedgerAction, now: Date, note: string | undefined, tz: string) {
    if (action === 'resolve') return { resolution: note ?? null, resolvedAt: now };
    if (action === 'close') return { closedAt: now };
    if (action === 'send-back') return { resolution: null, resolvedAt: null };
    // A reopened item starts a fresh due period, and may be escalated again.
    if (action === 'reopen')
      return { resolution: null, resolvedAt: null, closedAt: null, escalatedAt: null, dueOn: addDays(localDate(now, tz), LEDGER_DUE_DAYS) };
    return {};
  }

  /** One step of the lifecycle, from a card: check the person and the state, store it with its history, tell whoever is next. */
  async function act(action: LedgerAction, itemId: number, person: Person, form: Record<string, unknown>, b?: Back, retried = false): Promise<CardReply> {
    const item = await load(itemId);
    if (item.mergedIntoId) return withCard(toast('info', `这条已并入台账 #${item.mergedIntoId}，请在那一条上处理。`), await cardFor(item, person, { back: b }));
    const verdict = decide(action, item.status, standingOf(item, person));
    if (!verdict.ok) return refuse(action, item, person, verdict.why, b);
    const input = await readInput(action, item, form, verdict.needsNote);
    if (!input.ok) {
      // The form comes back with what was typed and the problem; nothing is lost.
      const typed = { note: clean(form.note).slice(0, NOTE_MAX), owner: clean(form.owner), ownerName: clean(form.owner_name).slice(0, 50) };
      return withCard(
        toast('error', input.problem),
        formCard({ item, kind: input.kind, typed, problem: input.problem, candidates: await candidates(item), back: b }),
      );
    }
    const now = deps.clock.now();
    const { def } = await campaignOf(item.campaignId);
    const applied = await repo.apply({
      item,
      kind: verdict.event,
      to: verdict.to,
      actorId: person.id,
      at: now,
      note: input.note,
      toOwnerId: input.toOwner?.id,
      set: columnsFor(action, now, input.note, def.timezone),
    });
    if (!applied) {
      // Someone else changed it first: decide again on how it stands now.
      if (retried) throw new UserFacingError('这条台账刚刚被其他人更新了，请再试一次。/ Changed meanwhile; please try again.');
      return act(action, itemId, person, form, b, true);
    }
    deps.log.info({ itemId, action, actorId: person.id, ownerId: applied.item.ownerId, status: applied.item.status }, 'ledger item changed');
    await notify(applied.item, applied.event, person);
    const [zh, en] = done(action, input.toOwner?.name);
    // Assigned from a day's triage card: the card goes on showing that day's list.
    if (b && 'day' in b) return withCard(toast('success', zh, en), await triageCard(applied.item.campaignId, b.day, b.offset));
    const card = mayView(applied.item, person) ? await cardFor(applied.item, person, { back: b }) : handedOverCard(applied.item, input.toOwner!.name);
    return withCard(toast('success', zh, en), card);
  }

  /** Whoever acts next hears of it privately: the admins of a resolution, the owner (after a transfer, the new one) of anything else. */
  async function notify(item: LedgerItem, event: LedgerEvent, actor: Person) {
    const messages: OutboundMessage[] = [];
    const tell = async (p: Person | null, dedupeKey: string, notice: string) => {
      if (!p?.openId || p.id === actor.id) return;
      messages.push({ dedupeKey, to: { openId: p.openId }, purpose: `ledger.${event.kind}`, card: await cardFor(item, p, { notice }) });
    };
    const owner = item.ownerId === null ? null : await deps.people.byId(item.ownerId);
    const { def } = await campaignOf(item.campaignId);
    switch (event.kind) {
      case 'assigned':
        await tell(
          owner,
          `ledger.assigned:${event.id}`,
          `${actor.name} 把这条需要学校处理的台账分派给你${event.note ? `（${event.note}）` : ''}，请接收处理。`,
        );
        await showTriage(item.campaignId, localDate(item.createdAt, def.timezone));
        break;
      case 'resolved':
        for (const admin of await deps.people.admins()) {
          await tell(admin, `ledger.resolved:${event.id}:${admin.id}`, `${owner?.name ?? ''} 已提交解决情况，请核实后销号，或写明原因退回。`);
        }
        break;
      case 'closed':
        await tell(owner, `ledger.closed:${event.id}`, `${actor.name} 已核实并销号，谢谢你！`);
        break;
      case 'sent-back':
        await tell(owner, `ledger.sent-back:${event.id}`, `${actor.name} 退回了这条台账：${event.note ?? ''}\n请继续处理后再提交。`);
        break;
      case 'reopened':
        await tell(
          owner,
          `ledger.reopened:${event.id}`,
          `${actor.name} 重新打开了这条台账：${event.note ?? ''}\n新的期限是 ${formatDue(dueOf(item, def.timezone))}。`,
        );
        break;
      case 'transferred': {
        await tell(owner, `ledger.transferred:${event.id}`, `${actor.name} 把这条台账转交给你${event.note ? `（${event.note}）` : ''}，请接收处理。`);
        const previous = event.fromOwnerId ? await deps.people.byId(event.fromOwnerId) : null;
        if (previous?.openId && previous.id !== actor.id) {
          messages.push({
            dedupeKey: `ledger.transferred-from:${event.id}`,
            to: { openId: previous.openId },
            purpose: 'ledger.transferred',
            text: `走访台账 #${item.id} 已由 ${actor.name} 转交给 ${owner?.name ?? ''} 负责。`,
          });
        }
        break;
      }
    }
    if (messages.length) await deps.send(messages);
  }

  async function createByHand(person: Person, { def }: ActiveCampaign, text: string) {
    if (!text) throw new UserFacingError(`请在“新建”后写上事项内容，例如：/台账 新建 家长反映校车下午到站太晚\n${USAGE}`);
    if (text.length > NOTE_MAX) throw new UserFacingError(`事项内容不能超过 ${NOTE_MAX} 字（现在 ${text.length} 字）。`);
    const now = deps.clock.now();
    const item = await repo.create({
      campaignId: def.id,
      recordId: null,
      source: 'manual',
      raisedBy: 'teacher',
      text,
      category: null,
      ownerId: person.id,
      createdBy: person.id,
      dueOn: defaultDueOn(now, def.timezone),
      createdAt: now,
    });
    deps.log.info({ itemId: item.id, ownerId: person.id }, 'ledger item created by hand');
    return { item, card: await cardFor(item, person, { notice: `已登记，期限 ${formatDue(item.dueOn!)}。接收后开始处理；如应由其他老师负责，可以转交。` }) };
  }

  async function listFor(person: Person, { def }: ActiveCampaign, q: string, offset: number) {
    const admin = isAdmin(person);
    const query = parseQuery(q);
    const tz = def.timezone;
    const now = deps.clock.now();
    let ownerId: number | undefined = admin && !query.mine ? undefined : person.id;
    let scope = admin && !query.mine ? '全部负责人' : '我的';
    if (query.owner) {
      if (!admin) throw new UserFacingError(`只有党支部管理员可以查看其他老师的台账；输入 /台账 查看你自己的。\n${USAGE}`);
      const found = await deps.people.byNameOrMobile(query.owner, normaliseMobile(query.owner));
      if (found.length !== 1)
        throw new UserFacingError(found.length ? `有 ${found.length} 位“${query.owner}”，请改用手机号指明。` : `名单中没有“${query.owner}”。\n${USAGE}`);
      ownerId = found[0]!.id;
      scope = found[0]!.name;
    }
    const items = await repo.ofCampaign(def.id, { ownerId });
    const names = await repo.names(items.map((i) => i.ownerId));
    const sections: object[] = [{ tag: 'markdown', content: numbersLine(ledgerNumbers(items, now, tz)) }, { tag: 'hr' }];
    if (query.stats && admin) {
      // One block per owner: a district's owners take many cards.
      return pageOf(ledgerNumbersByOwner(items, now, tz), offset, {
        perPage: STATS_PAGE,
        render: (rows, at) =>
          listCard({
            title: `走访台账统计 · ${scope}`,
            subtitle: `${def.name} / Ledger numbers`,
            headerColor: 'blue',
            sections: [
              ...sections,
              ...rows.map(({ ownerId: id, numbers }) => ({ tag: 'markdown', content: `**${ownerLabel({ ownerId: id }, names)}**\n${numbersLine(numbers)}` })),
              ...pageNav(at, (o) => ({ action: 'ledger.list', q, offset: o }), '位负责人'),
            ],
          }),
      });
    }
    const shown = items.filter((i) => matches(query, i, now, tz));
    const filters = admin ? '/台账 待分派 · 逾期 · 全部 · 待销号 · <姓名> · 走访 · 统计' : '/台账 逾期 · 全部 · 待销号';
    return pageOf(shown, offset, {
      perPage: PAGE,
      render: (page, at) =>
        listCard({
          title: [admin ? '走访台账' : '我的走访台账', queryLabel(query, admin ? scope : ''), `${shown.length} 项`].filter(Boolean).join(' · '),
          subtitle: `${def.name} / Visit ledger`,
          headerColor: shown.some((i) => daysOverdue(i, now, tz) > 0) ? 'orange' : 'blue',
          sections: [
            ...sections,
            ...(page.length ? [] : [{ tag: 'markdown', content: q ? '没有符合条件的台账。' : '没有未销号的台账，不积压不拖拉 👍' }]),
            ...listRows(
              page.map((item) => ({ item, ownerName: ownerLabel(item, names) })),
              now,
              tz,
              { q, offset: at.from },
            ),
            ...pageNav(at, (o) => ({ action: 'ledger.list', q, offset: o })),
            { tag: 'markdown', content: `<font color='grey'>筛选：${filters}　新建：/台账 新建 内容</font>`, text_size: 'notation' },
            ...(page.length ? [ledgerReopenNote()] : []),
          ],
        }),
    });
  }

  function register(router: Routes) {
    router.command({
      names: ['/台账', '/ledger'],
      summary: '走访台账：我的待办事项，管理员可看全部 / the visit ledger',
      needs: 'campaign',
      async handler(ctx) {
        const { person, campaign, args } = ctx;
        const create = /^(?:新建|new)(?:\s+([\s\S]*))?$/i.exec(args);
        if (create) {
          const { card } = await createByHand(person, campaign, clean(create[1]));
          return ctx.reply({ card });
        }
        await ctx.reply({ card: await listFor(person, campaign, args, 0) });
      },
    });

    router.action(
      'ledger.list',
      z.object({ action: z.literal('ledger.list'), q: z.string().max(200), offset: z.number().int().min(0) }),
      { needs: 'campaign' },
      async ({ value, person, campaign }) => withCard({}, await listFor(person, campaign, value.q, value.offset)),
    );

    router.action('ledger.view', itemRef.extend({ action: z.literal('ledger.view') }), async ({ value, person }) => {
      const item = await load(value.itemId);
      if (!mayView(item, person))
        return toast('error', `这条台账由 ${await ownerName(item)} 负责，只有负责人和党支部管理员可以查看。`, 'Only the owner and admins can see this item.');
      return withCard({}, await cardFor(item, person, { back: value.back }));
    });

    router.action(
      'ledger.form',
      itemRef.extend({ action: z.literal('ledger.form'), kind: z.enum(['assign', 'resolve', 'transfer', 'send-back', 'reopen']) }),
      async ({ value, person }) => {
        const item = await load(value.itemId);
        const verdict = decide(value.kind, item.status, standingOf(item, person));
        if (!verdict.ok) return refuse(value.kind, item, person, verdict.why, value.back);
        return withCard({}, formCard({ item, kind: value.kind, candidates: namesOwner(value.kind) ? await candidates(item) : undefined, back: value.back }));
      },
    );

    router.action(
      'ledger.triage',
      z.object({ action: z.literal('ledger.triage'), day: DAY, offset: z.number().int().min(0) }),
      { adminOnly: true, needs: 'campaign' },
      async ({ value, campaign }) => withCard({}, await triageCard(campaign.def.id, value.day, value.offset)),
    );

    router.action(
      'ledger.merge',
      z.object({ action: z.literal('ledger.merge'), itemId: z.number().int().positive(), intoId: z.number().int().positive() }),
      { adminOnly: true },
      async ({ value, person }) => merge(value.itemId, value.intoId, person),
    );

    for (const action of LEDGER_ACTIONS) {
      router.action(`ledger.${action}`, itemRef.extend({ action: z.literal(`ledger.${action}`) }), async ({ value, person, form }) =>
        act(action, value.itemId, person, form, value.back),
      );
    }
  }

  /**
   * A day's triage card: the items raised that day for the school to act on,
   * each with a button to assign it while it waits, and where it came from.
   */
  async function triageCard(campaignId: string, day: string, offset: number) {
    const { def } = await campaignOf(campaignId);
    const tz = def.timezone;
    const now = deps.clock.now();
    const start = inZone(new Date(`${day}T12:00:00Z`), tz).startOf('day');
    const items = await repo.triaged(campaignId, start.toDate(), start.add(1, 'day').toDate());
    const names = await repo.names(items.map((i) => i.ownerId));
    const waiting = items.filter((i) => i.ownerId === null).length;
    const rows = await Promise.all(items.map(async (item) => ({ item, ownerName: ownerLabel(item, names), origin: (await originOf(item, null))?.text })));
    return pageOf(rows, offset, {
      perPage: TRIAGE_ROWS,
      render: (page, at: PageInfo) =>
        listCard({
          title: `需要学校处理的台账 · ${formatLocal(start.toDate(), tz, 'M月D日')} · ${waiting ? `${waiting} 项待分派` : '已全部分派'}`,
          subtitle: `${def.name} / Ledger items for the school to assign`,
          headerColor: waiting ? 'orange' : 'green',
          sections: [
            {
              tag: 'markdown',
              content:
                '老师在走访等记录中标为“需要学校处理”的事项，请分派给负责的部门或老师；对方会收到台账卡片并跟进到销号。当天新到的事项会更新在这张卡片上。',
            },
            ...listRows(page, now, tz, { day, offset: at.from }),
            ...pageNav(at, (o) => ({ action: 'ledger.triage', day, offset: o })),
            ledgerReopenNote(),
          ],
        }),
    });
  }

  /** Brings every admin's triage card of that day up to date: one card per admin per day, sent once and updated as items arrive or are assigned. */
  async function showTriage(campaignId: string, day: string): Promise<number> {
    const card = await triageCard(campaignId, day, 0);
    const revision = createHash('sha1').update(JSON.stringify(card)).digest('hex').slice(0, 12);
    const admins = (await deps.people.admins()).filter((a) => a.openId);
    return deps.send(
      admins.map((a) => ({ dedupeKey: `ledger.triage:${campaignId}:${day}:${a.id}`, to: { openId: a.openId! }, purpose: 'ledger.triage', card, revision })),
    );
  }

  /** A new item's card to its owner, once per item; the items the school must act on to the admins' triage cards. */
  async function announce(items: LedgerItem[]): Promise<number> {
    let queued = 0;
    const triageDays = new Set<string>();
    for (const item of items) {
      if (item.ownerId === null) {
        const { def } = await campaignOf(item.campaignId);
        triageDays.add(`${item.campaignId}\n${localDate(item.createdAt, def.timezone)}`);
        continue;
      }
      const owner = await deps.people.byId(item.ownerId);
      if (!owner?.openId) continue;
      queued += await deps.send({
        dedupeKey: `ledger.new:${item.id}`,
        to: { openId: owner.openId },
        purpose: 'ledger.new',
        card: await cardFor(item, owner, { notice: '新的台账事项：请接收并处理；如应由其他老师负责，可以转交。/ New ledger item for you.' }),
      });
    }
    for (const key of triageDays) {
      const [campaignId, day] = key.split('\n') as [string, string];
      queued += await showTriage(campaignId, day);
    }
    if (items.length) deps.log.info({ itemIds: items.map((i) => i.id), queued }, 'ledger items announced');
    // The answer to the click that raised the items does not wait for the twin check: reading a campaign's open items
    // into words takes a while, the first time in a process most of all (the dictionary loads). One check at a time.
    offers = offers
      .then(() => offerMerges(items))
      .catch((e) => deps.log.error({ itemIds: items.map((i) => i.id), error: errorKind(e) }, 'ledger: offering a merge failed'));
    return queued;
  }
  let offers: Promise<unknown> = Promise.resolve();

  /**
   * A new item that repeats one still open (the same theme words, by the same
   * segmentation as the month's themes): each admin gets its card with
   * 「并入 #…」, rather than two people working on one problem.
   */
  async function offerMerges(items: LedgerItem[]): Promise<number> {
    const heard = items.filter((i) => i.recordId !== null && HEARD.includes(i.source));
    const admins = heard.length ? (await deps.people.admins()).filter((a) => a.openId) : [];
    if (admins.length) await dictionaryRead();
    const messages: OutboundMessage[] = [];
    const open = new Map<string, LedgerItem[]>();
    for (const item of admins.length ? heard : []) {
      if (!open.has(item.campaignId)) open.set(item.campaignId, repo.newest(item.campaignId, NOT_CLOSED, TWIN_CANDIDATES + items.length));
      const earlier = open.get(item.campaignId)!.filter((o) => o.id < item.id && o.recordId !== item.recordId);
      const twin = twinOf(item.text, earlier, themeTerms);
      if (!twin) continue;
      const id = twin.item.id;
      const notice =
        `可能与台账 #${id}「${oneLine(twin.item.text, 30)}」重复（都说到：${twin.shared.join('、')}）。` +
        `如是同一件事，可并入 #${id}：这条随之销号，来源记在 #${id} 上，提出的老师会收到通知。`;
      for (const admin of admins)
        messages.push({
          dedupeKey: `ledger.twin:${item.id}:${admin.id}`,
          to: { openId: admin.openId! },
          purpose: 'ledger.twin',
          card: await cardFor(item, admin, { notice, twin: { id } }),
        });
      deps.log.info({ itemId: item.id, twinOf: id }, 'possible repeat of an open ledger item offered to admins');
    }
    return deps.send(messages);
  }

  /** 并入: the twin closes as merged into the older item, which lists its source; the visitor who heard it and both owners are told. */
  async function merge(itemId: number, intoId: number, person: Person, retried = false): Promise<CardReply> {
    const twin = await load(itemId);
    const into = await load(intoId);
    if (twin.mergedIntoId) return withCard(toast('info', `已并入台账 #${twin.mergedIntoId}。`), await cardFor(twin, person));
    if (twin.status === 'closed') return withCard(toast('warning', '这条台账已销号，不再并入。'), await cardFor(twin, person));
    const refusal = into.mergedIntoId
      ? `台账 #${into.id} 已并入 #${into.mergedIntoId}，请改为并入 #${into.mergedIntoId}。`
      : into.status === 'closed'
        ? `台账 #${into.id} 已销号，不能并入；如果同一件事还没解决，请先重新打开 #${into.id}。`
        : into.campaignId !== twin.campaignId || into.id === twin.id
          ? '只能并入同一活动中的另一条台账。'
          : null;
    if (refusal) return withCard(toast('warning', refusal), await cardFor(twin, person));
    const merged = await repo.merge(twin, into, person.id, deps.clock.now());
    if (!merged) {
      if (retried) throw new UserFacingError('这条台账刚刚被其他人更新了，请再试一次。/ Changed meanwhile; please try again.');
      return merge(itemId, intoId, person, true);
    }
    deps.log.info({ itemId: twin.id, mergedInto: into.id, actorId: person.id }, 'ledger item merged into an older one');
    const messages: OutboundMessage[] = [];
    const owner = await ownerName(into);
    const told = new Set([person.id]);
    for (const id of [twin.createdBy, twin.ownerId]) {
      const p = id === null || told.has(id) ? null : await deps.people.byId(id);
      if (!p?.openId) continue;
      told.add(p.id);
      messages.push({
        dedupeKey: `ledger.merged:${twin.id}:${p.id}`,
        to: { openId: p.openId },
        purpose: 'ledger.merged',
        text: `你记录的「${oneLine(twin.text, 30)}」（台账 #${twin.id}）与台账 #${into.id} 是同一件事，${person.name} 已把它并入 #${into.id}，由 ${owner} 跟进。谢谢你！`,
      });
    }
    const intoOwner = into.ownerId === null || told.has(into.ownerId) ? null : await deps.people.byId(into.ownerId);
    if (intoOwner?.openId)
      messages.push({
        dedupeKey: `ledger.merged-into:${twin.id}`,
        to: { openId: intoOwner.openId },
        purpose: 'ledger.merged',
        card: await cardFor(into, intoOwner, { notice: `${person.name} 把台账 #${twin.id} 并入这条：又一条记录反映了同一件事。` }),
      });
    await deps.send(messages);
    if (twin.ownerId === null) {
      const { def } = await campaignOf(twin.campaignId);
      await showTriage(twin.campaignId, localDate(twin.createdAt, def.timezone));
    }
    return withCard(toast('success', `已并入台账 #${into.id}。`, 'Merged.'), await cardFor(await load(into.id), person));
  }

  const overdueJob: Job = {
    name: 'ledger-overdue',
    description: '台账逾期：提醒负责人，宽限期后私信管理员 / overdue ledger items: the owner, then the admins privately',
    triggers: () => dailyTriggers(deps.campaigns, (d) => d.reminders.at),
    async run(now) {
      let queued = 0;
      for (const campaign of await deps.campaigns.all()) queued += await chaseOverdue(campaign, now);
      return { queued };
    },
  };

  /**
   * Everything overdue as of `now`: the owner once per due date (a transfer
   * reminds the new owner), the admins once when the grace period has passed.
   * Held back on holidays and at night; the next run catches up.
   */
  async function chaseOverdue({ def }: ActiveCampaign, now: Date): Promise<number> {
    const tz = def.timezone;
    if (!nudgeDay(def, localDate(now, tz)) || inQuietHours(def, now)) return 0;
    // One card per owner and day, listing all their overdue items, when any of them is newly overdue (or newly theirs).
    const noticeKey = (i: LedgerItem) => `${i.ownerId}:${dueOf(i, tz)}`;
    const today = localDate(now, tz);
    let queued = 0;
    // Only what goes to the admins is kept across pages (items, not cards).
    const escalate: LedgerItem[] = [];
    // A page of owners at a time: a district's thousands of open items are never all in memory at once.
    for (let after: number | null = null; ; ) {
      const page = await repo.pageByOwner(def.id, ACTIVE_STATUSES, after, OWNERS_PER_PAGE);
      if (!page.length) break;
      const overdue = page.filter((i) => daysOverdue(i, now, tz) > 0);
      const owed = new Map<number, LedgerItem[]>();
      for (const item of overdue) if (item.ownerId !== null) owed.set(item.ownerId, [...(owed.get(item.ownerId) ?? []), item]);
      const notices: OutboundMessage[] = [];
      const noticed: Array<{ id: number; key: string }> = [];
      for (const [ownerId, items] of owed) {
        const fresh = items.filter((i) => i.overdueNoticed !== noticeKey(i));
        const owner = fresh.length ? await deps.people.byId(ownerId) : null;
        if (!owner?.openId) continue;
        notices.push({
          dedupeKey: `ledger.overdue:${owner.id}:${today}`,
          to: { openId: owner.openId },
          purpose: 'ledger.overdue',
          card: overdueCard(def.name, items, now, tz),
        });
        noticed.push(...fresh.map((i) => ({ id: i.id, key: noticeKey(i) })));
      }
      queued += await deps.send(notices);
      await repo.noticedOverdue(noticed);
      escalate.push(...overdue.filter((i) => !i.escalatedAt && dueForEscalation(i, now, tz)));
      after = Math.max(after ?? 0, ...page.map((i) => i.ownerId ?? 0));
      await yieldToEventLoop();
    }
    if (!escalate.length) return queued;
    // The admins' card lists the longest overdue first, as one list over every page.
    escalate.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);
    const names = await repo.names(escalate.map((i) => i.ownerId));
    const card = pageOf(escalate, 0, {
      perPage: ESCALATION_ROWS,
      render: (rows, at) =>
        listCard({
          title: `走访台账逾期提醒 · ${escalate.length} 项`,
          subtitle: `${def.name} / Overdue ledger items`,
          headerColor: 'red',
          sections: [
            { tag: 'markdown', content: `以下台账已超过期限 ${LEDGER_ESCALATION_GRACE_DAYS} 天以上，负责人已收到提醒。点“查看”了解详情，必要时转交他人。` },
            ...listRows(
              rows.map((item) => ({ item, ownerName: ownerLabel(item, names) })),
              now,
              tz,
            ),
            ...(at.next !== undefined ? [{ tag: 'markdown', content: `另有 ${at.total - at.to} 项，输入 /台账 逾期 查看全部。` }] : []),
            ledgerReopenNote(),
          ],
        }),
    });
    const ids = escalate.map((i) => i.id).join('.');
    const admins = (await deps.people.admins()).filter((a) => a.openId);
    queued += await deps.send(
      admins.map((a) => ({ dedupeKey: `ledger.escalate:${a.id}:${ids}`, to: { openId: a.openId! }, purpose: 'ledger.escalate', card })),
    );
    await repo.escalate(
      escalate.map((i) => i.id),
      now,
    );
    deps.log.info({ campaignId: def.id, items: escalate.length }, 'overdue ledger items escalated to admins');
    return queued;
  }

  /** An owner's overdue items on one card, oldest due first; a long list is paged with /台账 逾期. */
  function overdueCard(campaignName: string, items: LedgerItem[], now: Date, tz: string) {
    const sorted = [...items].sort((a, b) => daysOverdue(b, now, tz) - daysOverdue(a, now, tz) || a.id - b.id);
    return pageOf(sorted, 0, {
      perPage: OVERDUE_ROWS,
      render: (rows, at) =>
        listCard({
          title: `走访台账逾期 · ${items.length} 项`,
          subtitle: `${campaignName} / Overdue ledger items`,
          headerColor: 'red',
          sections: [
            { tag: 'markdown', content: `以下台账已过期限，请尽快处理；如需其他老师处理，可以点“查看”后转交。` },
            ...listRows(
              rows.map((item) => ({ item, ownerName: `期限 ${formatDue(dueOf(item, tz))}` })),
              now,
              tz,
              { q: '逾期', offset: 0 },
            ),
            ...(at.next !== undefined ? [{ tag: 'markdown', content: `另有 ${at.total - at.to} 项，输入 /台账 逾期 查看全部。` }] : []),
            ledgerReopenNote(),
          ],
        }),
    });
  }

  return { register, jobs: [overdueJob], provides: { announceLedger: announce } };
});
