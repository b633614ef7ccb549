import type { LedgerEvent, LedgerEventKind, LedgerItem, LedgerRaiser, LedgerStatus, Person } from '../../db/schema.js';
import {
  ACTIVE_STATUSES,
  actionsFor,
  ageInDays,
  daysOverdue,
  daysToClose,
  dueOf,
  type LedgerAction,
  type LedgerNumbers,
  type Standing,
} from '../../domain/ledger.js';
import { daysBetween } from '../../domain/periods.js';
import { formatDue, formatLocal, localDate } from '../../domain/time.js';
import {
  buttonRow,
  callbackButton,
  labelledText,
  oneLine,
  plainText,
  renderCard,
  reopenNote,
  shortened,
  textBlock,
  textTag,
} from '../../feishu/card-templates.js';
import { fitsCardBudget } from '../../feishu/card-budget.js';

/**
 * The ledger's cards. An item's words (which may quote a parent) always go in
 * as plain text, and only into cards for its owner and the admins; summaries
 * and headers, which Feishu shows in notifications, carry numbers and labels only.
 */

export const STATUS_LABELS: Record<LedgerStatus, string> = {
  open: '待接收',
  accepted: '已接收',
  'in-progress': '处理中',
  resolved: '待销号',
  closed: '已销号',
};
const STATUS_COLORS: Record<LedgerStatus, string> = { open: 'blue', accepted: 'wathet', 'in-progress': 'indigo', resolved: 'turquoise', closed: 'green' };

/**
 * What a category adds to the source, in words: a visit raises opinions and
 * follow-ups; the other forms' codes only repeat their source. A category
 * someone wrote in words is shown as written.
 */
const CATEGORY_LABELS: Record<string, string> = { 'visit-opinion': '意见建议', 'visit-follow-up': '跟进事项' };
const categoryLabel = (c: string | null) => (c ? (CATEGORY_LABELS[c] ?? (/^[a-z-]+$/.test(c) ? '' : c)) : '');

export const SOURCE_LABELS: Record<LedgerItem['source'], string> = {
  visit: '走访记录',
  'dorm-check': '宿舍检查',
  'dorm-record': '宿舍记录',
  'student-day': '做一天学生',
  suggestion: '献一计',
  reflection: '心得',
  story: '感人故事',
  'zone-report': '责任区报表',
  manual: '手动登记',
};
const RAISER_LABELS: Record<LedgerRaiser, string> = { parent: '家长', enterprise: '企业', teacher: '教师', student: '学生' };

const EVENT_LABELS: Record<LedgerEventKind, string> = {
  assigned: '分派给',
  accepted: '接收',
  started: '开始处理',
  resolved: '提交解决',
  transferred: '转交给',
  closed: '销号',
  'sent-back': '退回',
  reopened: '重新打开',
  escalated: '逾期，已提醒管理员',
  reworded: '修改了记录中的原话',
  merged: '并入',
};

/** The list a card was opened from, so the item card can lead back to it: a /台账 list, or a day's triage card. */
export type Back = { q: string; offset: number } | { day: string; offset: number };

/** Who is responsible, in words: a name, or 待分派 while the item waits for the admins to assign it. */
export const ownerLabel = (item: Pick<LedgerItem, 'ownerId'>, names: Map<number, string>) =>
  item.ownerId === null ? UNASSIGNED : (names.get(item.ownerId) ?? '—');
export const UNASSIGNED = '待分派';
/** The status a person reads: an item nobody is responsible for yet is 待分派 whatever else. */
const statusLabel = (item: LedgerItem) => (item.ownerId === null && item.status === 'open' ? UNASSIGNED : STATUS_LABELS[item.status]);

/** Actions that need a note or a choice first open a form in place. */
export type FormKind = 'assign' | 'resolve' | 'transfer' | 'send-back' | 'reopen';
const FORM_KINDS = new Set<LedgerAction>(['assign', 'resolve', 'transfer', 'send-back', 'reopen']);
/** Forms that name a new owner. */
export const namesOwner = (k: FormKind) => k === 'assign' || k === 'transfer';
export const isFormKind = (a: LedgerAction): a is FormKind => FORM_KINDS.has(a);

const BUTTONS: Record<LedgerAction, { text: string; type: string }> = {
  assign: { text: '分派 Assign', type: 'primary' },
  accept: { text: '接收 Accept', type: 'primary' },
  start: { text: '开始处理 Start', type: 'primary' },
  resolve: { text: '已解决 Resolve', type: 'primary' },
  transfer: { text: '转交 Transfer', type: 'default' },
  close: { text: '销号 Close out', type: 'primary' },
  'send-back': { text: '退回 Send back', type: 'danger' },
  reopen: { text: '重新打开 Reopen', type: 'default' },
};

const buttonRows = (buttons: object[]) => (buttons.length ? [buttonRow(buttons)] : []);

const withBack = (value: Record<string, unknown>, back?: Back) => (back ? { ...value, back } : value);

export const actionButton = (action: LedgerAction, itemId: number, back?: Back) =>
  callbackButton(
    BUTTONS[action].text,
    withBack(isFormKind(action) ? { action: 'ledger.form', itemId, kind: action } : { action: `ledger.${action}`, itemId }, back),
    BUTTONS[action].type,
  );

const listButton = (back: Back) =>
  'day' in back
    ? callbackButton('返回待分派 Back to triage', { action: 'ledger.triage', ...back })
    : callbackButton('返回列表 Back to list', { action: 'ledger.list', ...back });

/** 并入 #12: closes this item as a repeat of the older one, which gains its source. */
const mergeButton = (itemId: number, intoId: number) => callbackButton(`并入 #${intoId} Merge`, { action: 'ledger.merge', itemId, intoId }, 'primary');

/** The button that opens the record an item came from, for those who may read it. */
const originButton = (recordId: number) => callbackButton('查看来源记录 Open record', { action: 'record.view', recordId });

/** An item is worked on for weeks, longer than a card's buttons work: every ledger card with buttons says how to reopen it. */
export const ledgerReopenNote = () => reopenNote('/台账');

/** "期限 11月30日（周一），还剩 3 天" or "，已逾期 2 天" while the owner still has work to do. */
export function dueText(item: LedgerItem, now: Date, tz: string): string {
  const due = dueOf(item, tz);
  if (!ACTIVE_STATUSES.includes(item.status)) return `期限 ${formatDue(due)}`;
  const late = daysOverdue(item, now, tz);
  if (late > 0) return `期限 ${formatDue(due)}，已逾期 ${late} 天`;
  const left = daysBetween(localDate(now, tz), due);
  return `期限 ${formatDue(due)}，${left === 0 ? '今天到期' : `还剩 ${left} 天`}`;
}

function historyLines(item: LedgerItem, events: LedgerEvent[], names: Map<number, string>, tz: string): string[] {
  const at = (d: Date) => formatLocal(d, tz, 'MM-DD HH:mm');
  const who = (id: number | null) => (id === null ? '' : (names.get(id) ?? '—'));
  return [
    [at(item.createdAt), who(item.createdBy), `登记（${SOURCE_LABELS[item.source]}）`].filter(Boolean).join(' '),
    ...events.map((e) => {
      if (e.kind === 'escalated') return `${at(e.at)} ${EVENT_LABELS[e.kind]}`;
      const whom = e.kind === 'transferred' || e.kind === 'assigned' ? ` ${who(e.toOwnerId)}` : '';
      return `${at(e.at)} ${who(e.actorId)} ${EVENT_LABELS[e.kind]}${whom}${e.note ? `：${oneLine(e.note, HISTORY_NOTE_SHOWN, LEDGER_WHOLE)}` : ''}`;
    }),
  ];
}

const HISTORY_SHOWN = 15;
/** Fifteen notes at their limit would fill a card: each is a line, and the export has them whole. */
const HISTORY_NOTE_SHOWN = 100;
/** Where an item's words too long for its card are read whole: the ledger the admins export. */
const LEDGER_WHOLE = '/导出 的台账';
/** An item's own words: opinions are at most 800 characters, items made before that limit are cut. */
const ITEM_TEXT_SHOWN = 1000;

function historyPanel(lines: string[]) {
  const shown = lines.slice(-HISTORY_SHOWN);
  const skipped = lines.length - shown.length;
  return {
    tag: 'collapsible_panel',
    expanded: false,
    header: { title: plainText(`处理记录 History（${lines.length}）`) },
    elements: [textBlock([...(skipped ? [`（更早的 ${skipped} 条略）`] : []), ...shown].join('\n'), { size: 'notation' })],
  };
}

export interface ItemCardInput {
  item: LedgerItem;
  events: LedgerEvent[];
  names: Map<number, string>;
  tz: string;
  now: Date;
  /** How the person the card is for stands to the item: it decides the buttons. */
  standing: Standing;
  /** A line above the item: why this card arrived. Plain text, as it may quote a reason someone typed. */
  notice?: string;
  back?: Back;
  origin?: Origin;
  /** Where the items merged into this one came from (并入): its further sources. */
  alsoFrom?: string[];
  /** An open item this one may repeat: an admin gets a button to merge it there. */
  twin?: { id: number };
}

/** Where an item came from, in words ("走访记录 · 张伟 · 11-28"), and the record's id when the reader may open it. */
export interface Origin {
  text: string;
  openable: number | null;
}

export function itemCard(v: ItemCardInput) {
  const { item, tz, now } = v;
  const overdue = daysOverdue(item, now, tz);
  const owner = ownerLabel(item, v.names);
  const facts = [
    `负责人 ${owner} · ${RAISER_LABELS[item.raisedBy]}提出 · ${[SOURCE_LABELS[item.source], categoryLabel(item.category)].filter(Boolean).join(' · ')}`,
    ...(v.origin ? [`来源 ${v.origin.text}`] : []),
    ...(v.alsoFrom ?? []).map((text) => `并入 ${text}`),
    ...(item.mergedIntoId ? [`已并入台账 #${item.mergedIntoId}，由那一条跟进`] : []),
    `登记于 ${formatLocal(item.createdAt, tz, 'MM-DD')}（${ageInDays(item, now, tz)} 天前）· ${dueText(item, now, tz)}`,
    ...(item.status === 'closed' && item.closedAt ? [`销号于 ${formatLocal(item.closedAt, tz, 'MM-DD')}，用时 ${daysToClose(item)} 天`] : []),
  ];
  // A merged item is worked on as the one it joined.
  const actions = item.mergedIntoId ? [] : actionsFor(item.status, v.standing).map((a) => actionButton(a, item.id, v.back));
  const origin = v.origin?.openable ? [originButton(v.origin.openable)] : [];
  if (v.twin && v.standing.admin && item.status !== 'closed') actions.push(mergeButton(item.id, v.twin.id));
  return renderCard('ledger-item', {
    summary: `走访台账 #${item.id} · ${statusLabel(item)} · ${RAISER_LABELS[item.raisedBy]}提出`,
    id: item.id,
    statusLabel: statusLabel(item),
    subtitle: `${SOURCE_LABELS[item.source]} · 负责人 ${owner} / Ledger item`,
    headerColor: overdue ? 'red' : STATUS_COLORS[item.status],
    tags: overdue ? [textTag(`逾期 ${overdue} 天`, 'red')] : [],
    notice: v.notice ? [textBlock(v.notice, { color: overdue ? 'red' : 'blue' })] : [],
    issue: labelledText('事项 Issue', shortened(item.text, ITEM_TEXT_SHOWN, LEDGER_WHOLE)),
    facts: textBlock(facts.join('\n'), { size: 'notation', color: 'grey' }),
    resolution: item.resolution ? labelledText('解决情况 Resolution', shortened(item.resolution, NOTE_MAX, LEDGER_WHOLE)) : [],
    history: historyPanel(historyLines(item, v.events, v.names, tz)),
    actions: buttonRows([...actions, ...origin, ...(v.back ? [listButton(v.back)] : [])]),
    reopen: actions.length || origin.length || v.back ? [ledgerReopenNote()] : [],
  });
}

/** What the previous owner sees once an item is handed on: who has it now, not what it says. */
export function handedOverCard(item: LedgerItem, newOwner: string) {
  return renderCard('ledger-item', {
    summary: `走访台账 #${item.id} · 已转交`,
    id: item.id,
    statusLabel: '已转交',
    subtitle: `已转交给 ${newOwner} / Transferred`,
    headerColor: 'grey',
    tags: [],
    notice: [],
    issue: [textBlock(`这条台账已转交给 ${newOwner} 负责，谢谢你！此后的处理情况由负责人和党支部管理员跟进。`)],
    facts: [],
    resolution: [],
    history: [],
    actions: [],
    reopen: [],
  });
}

const FORMS: Record<FormKind, { title: string; en: string; intro: string; note: string; required: boolean; submit: string; color: string }> = {
  assign: {
    title: '分派台账',
    en: 'Assign',
    intro: '这件事需要学校处理：请选择负责处理的部门负责人或老师，对方会收到这条台账。',
    note: '分派说明（选填）Note',
    required: false,
    submit: '确认分派 Assign',
    color: 'blue',
  },
  resolve: {
    title: '提交解决情况',
    en: 'Resolve',
    intro: '请写明怎样解决的（必填）。提交后由党支部管理员核实销号。',
    note: '解决情况 Resolution',
    required: true,
    submit: '提交解决 Submit',
    color: 'turquoise',
  },
  transfer: {
    title: '转交台账',
    en: 'Transfer',
    intro: '请选择新的负责人，对方会收到这条台账并重新接收。',
    note: '转交原因（选填）Reason',
    required: false,
    submit: '确认转交 Transfer',
    color: 'blue',
  },
  'send-back': {
    title: '退回重办',
    en: 'Send back',
    intro: '请写明退回原因（必填），负责人会收到通知。',
    note: '退回原因 Reason',
    required: true,
    submit: '确认退回 Send back',
    color: 'orange',
  },
  reopen: {
    title: '重新打开',
    en: 'Reopen',
    intro: '请写明重新打开的原因（必填）。负责人会收到通知，期限重新计算。',
    note: '原因 Reason',
    required: true,
    submit: '确认重新打开 Reopen',
    color: 'orange',
  },
};

export const NOTE_MAX = 500;

export interface FormCardInput {
  item: LedgerItem;
  kind: FormKind;
  /** People the item may be handed to (transfer only). */
  candidates?: Person[];
  typed?: { note?: string; owner?: string; ownerName?: string };
  problem?: string;
  back?: Back;
}

/**
 * The new owner of a transfer: a list of everyone when it fits the card (each
 * option's text is an element), else a name or mobile to type — a school's
 * staff list alone would break Feishu's 200 elements.
 */
function ownerFields(v: FormCardInput, choose: boolean): object[] {
  if (!namesOwner(v.kind)) return [];
  if (!choose) {
    return [
      {
        tag: 'input',
        name: 'owner_name',
        required: true,
        max_length: 50,
        default_value: v.typed?.ownerName ?? '',
        placeholder: plainText('姓名或手机号 Name or mobile'),
        label: plainText('新负责人 New owner *'),
      },
    ];
  }
  return [
    {
      tag: 'select_static',
      name: 'owner',
      required: true,
      placeholder: plainText('新负责人 New owner'),
      options: (v.candidates ?? []).map((p) => ({ text: plainText(p.department ? `${p.name}（${p.department}）` : p.name), value: String(p.id) })),
      ...(v.typed?.owner ? { initial_option: v.typed.owner } : {}),
    },
  ];
}

export function formCard(v: FormCardInput) {
  const card = formCardWith(v, true);
  return namesOwner(v.kind) && !fitsCardBudget(card) ? formCardWith(v, false) : card;
}

function formCardWith(v: FormCardInput, chooseOwner: boolean) {
  const f = FORMS[v.kind];
  const fields: object[] = ownerFields(v, chooseOwner);
  fields.push({
    tag: 'input',
    name: 'note',
    input_type: 'multiline_text',
    rows: 3,
    max_length: NOTE_MAX,
    required: f.required,
    default_value: v.typed?.note ?? '',
    label: plainText(f.required ? `${f.note} *` : f.note),
  });
  return renderCard('ledger-form', {
    id: v.item.id,
    title: f.title,
    subtitle: `${statusLabel(v.item)} · ${SOURCE_LABELS[v.item.source]} / ${f.en}`,
    headerColor: v.problem ? 'red' : f.color,
    issue: labelledText('事项 Issue', shortened(v.item.text, ITEM_TEXT_SHOWN, LEDGER_WHOLE)),
    intro: f.intro,
    problems: v.problem ? [{ tag: 'markdown', content: `<font color='red'>${v.problem}</font>` }] : [],
    fields,
    submitText: f.submit,
    submitValue: withBack({ action: `ledger.${v.kind}`, itemId: v.item.id }, v.back),
    backValue: withBack({ action: 'ledger.view', itemId: v.item.id }, v.back),
    reopen: [ledgerReopenNote()],
  });
}

const days = (d: number | null) => (d === null ? '—' : `${d} 天`);

export const numbersLine = (n: LedgerNumbers) =>
  `未销号 **${n.open}** · 逾期 **${n.overdue}** · 待销号 ${n.awaitingClose} · 本周销号 ${n.closedThisWeek} · 本月销号 ${n.closedThisMonth}\n` +
  `销号用时：中位数 ${days(n.medianDaysToClose)}，90% 在 ${days(n.p90DaysToClose)} 内`;

export interface ListRow {
  item: LedgerItem;
  ownerName: string;
  /** Where it came from, for the admins' triage card. */
  origin?: string;
}

/**
 * One line per item: number, owner, state and age, its words in plain text,
 * and a button to open it — or, for an item nobody is responsible for yet
 * (only admins see those), to assign it.
 */
export function listRows(rows: ListRow[], now: Date, tz: string, back?: Back): object[] {
  return rows.map(({ item, ownerName, origin }) => {
    const late = daysOverdue(item, now, tz);
    const head =
      `**#${item.id}** · ${ownerName}${item.ownerId === null ? '' : ` · ${statusLabel(item)}`} · ${ageInDays(item, now, tz)} 天${late ? ` · <font color='red'>逾期 ${late} 天</font>` : ''}` +
      (origin ? `\n<font color='grey'>来源 ${origin}</font>` : '');
    const button =
      item.ownerId === null ? actionButton('assign', item.id, back) : callbackButton('查看 View', withBack({ action: 'ledger.view', itemId: item.id }, back));
    return {
      tag: 'column_set',
      flex_mode: 'none',
      columns: [
        {
          tag: 'column',
          width: 'weighted',
          weight: 4,
          vertical_align: 'center',
          elements: [{ tag: 'markdown', content: head }, textBlock(oneLine(item.text, 40), { size: 'notation' })],
        },
        { tag: 'column', width: 'auto', vertical_align: 'center', elements: [button] },
      ],
    };
  });
}

export function listCard(v: { title: string; subtitle: string; headerColor: string; sections: object[] }) {
  return renderCard('ledger-list', v);
}
