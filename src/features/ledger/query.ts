import type { LedgerItem, LedgerStatus } from '../../db/schema.js';
import { daysOverdue } from '../../domain/ledger.js';
import { UserFacingError } from '../../feishu/errors.js';
import { SOURCE_LABELS, STATUS_LABELS } from './cards.js';

/** What `/台账 …` asks for: words in any order, e.g. "/台账 张伟 逾期". */
export interface LedgerQuery {
  /** Closed-out items too. */
  all: boolean;
  overdue: boolean;
  mine: boolean;
  /** Numbers per owner instead of a list (admins). */
  stats: boolean;
  status?: LedgerStatus;
  /** Only items waiting for an admin to assign them (待分派). */
  unassigned?: boolean;
  source?: LedgerItem['source'];
  /** An owner's name (admins). */
  owner?: string;
}

export const USAGE = [
  '用法 / usage：',
  '/台账 — 我的未销号台账 / my open items',
  '/台账 新建 <内容> — 手动登记一项，由自己负责 / add one by hand',
  '/台账 逾期｜全部｜待接收｜已接收｜处理中｜待销号｜已销号 — 筛选 / filter',
  '管理员 / admins：/台账 待分派（需要学校处理、等待分派的事项）、/台账 <负责人姓名>、/台账 走访、/台账 我的、/台账 统计，可以组合，如 /台账 张伟 逾期',
].join('\n');

const WORDS: Record<string, Partial<LedgerQuery>> = {
  全部: { all: true },
  all: { all: true },
  待分派: { unassigned: true },
  unassigned: { unassigned: true },
  逾期: { overdue: true },
  overdue: { overdue: true },
  我的: { mine: true },
  mine: { mine: true },
  统计: { stats: true },
  stats: { stats: true },
  已解决: { status: 'resolved' },
  ...Object.fromEntries(
    Object.entries(STATUS_LABELS).flatMap(([status, label]) => [
      [label, { status }],
      [status, { status }],
    ]),
  ),
  ...Object.fromEntries(
    Object.entries(SOURCE_LABELS).flatMap(([source, label]) => [
      [label, { source }],
      [source, { source }],
    ]),
  ),
  // The short words people type for the sources.
  走访: { source: 'visit' },
  宿舍: { source: 'dorm-check' },
  体验: { source: 'student-day' },
  献计: { source: 'suggestion' },
  责任区: { source: 'zone-report' },
  手动: { source: 'manual' },
};

export function parseQuery(args: string): LedgerQuery {
  const q: LedgerQuery = { all: false, overdue: false, mine: false, stats: false };
  for (const word of args.split(/\s+/).filter(Boolean)) {
    const known = WORDS[word.toLowerCase()];
    if (known) Object.assign(q, known);
    else if (q.owner) throw new UserFacingError(`看不懂“${word}”。\n${USAGE}`);
    else q.owner = word;
  }
  return q;
}

export const matches = (q: LedgerQuery, item: LedgerItem, now: Date, tz: string): boolean =>
  (q.all || q.status === 'closed' || item.status !== 'closed') &&
  (!q.status || item.status === q.status) &&
  (!q.unassigned || item.ownerId === null) &&
  (!q.source || item.source === q.source) &&
  (!q.overdue || daysOverdue(item, now, tz) > 0);

/** The filter in words, for the card's title. */
export const queryLabel = (q: LedgerQuery, scope: string): string =>
  [
    scope,
    q.unassigned && '待分派',
    q.status && STATUS_LABELS[q.status],
    q.source && SOURCE_LABELS[q.source],
    q.overdue && '逾期',
    q.all && !q.status && '含已销号',
  ]
    .filter(Boolean)
    .join(' · ');
