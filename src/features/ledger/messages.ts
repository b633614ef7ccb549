import type { LedgerStatus } from '../../db/schema.js';
import type { LedgerAction } from '../../domain/ledger.js';
import { STATUS_LABELS, type FormKind } from './cards.js';

/** What the ledger says to people when a step succeeds, repeats or is refused (Chinese first, English for toasts). */

const ACTION_WORDS: Record<LedgerAction, string> = {
  assign: '分派',
  accept: '接收',
  start: '开始处理',
  resolve: '提交解决',
  transfer: '转交',
  close: '销号',
  'send-back': '退回',
  reopen: '重新打开',
};

/** The toast after a step, in Chinese and English. */
export function done(action: LedgerAction, newOwner?: string): [string, string] {
  switch (action) {
    case 'assign':
      return [`已分派给 ${newOwner ?? ''}，对方会收到这条台账。`, 'Assigned; the new owner is notified.'];
    case 'accept':
      return ['已接收，请尽快处理。', 'Accepted.'];
    case 'start':
      return ['已标记为处理中。', 'Marked in progress.'];
    case 'resolve':
      return ['已提交解决情况，等待管理员核实销号。', 'Resolved; waiting for the admin to close it out.'];
    case 'transfer':
      return [`已转交给 ${newOwner ?? ''}。`, 'Transferred; the new owner is notified.'];
    case 'close':
      return ['已销号。', 'Closed out.'];
    case 'send-back':
      return ['已退回，负责人会收到通知。', 'Sent back; the owner is notified.'];
    case 'reopen':
      return ['已重新打开，负责人会收到通知。', 'Reopened; the owner is notified.'];
  }
}

export const ALREADY: Record<LedgerAction, string> = {
  assign: '这条台账已经分派过了。',
  accept: '已经接收过了。',
  start: '已经在处理中了。',
  resolve: '已经提交过解决情况，正在等待管理员销号。',
  transfer: '已经转交过了。',
  close: '这条台账已经销号了。',
  'send-back': '已经退回给负责人了。',
  reopen: '已经重新打开了。',
};

export const MISSING_NOTE: Record<FormKind, string> = {
  assign: '',
  resolve: '请写明解决情况（必填）。',
  transfer: '',
  'send-back': '请写明退回原因（必填）。',
  reopen: '请写明重新打开的原因（必填）。',
};

export function notAllowed(action: LedgerAction, owner: string): string {
  if (action === 'transfer') return `只有负责人（${owner}）或党支部管理员可以转交这条台账。`;
  if (['assign', 'close', 'send-back', 'reopen'].includes(action)) return `只有党支部管理员可以${ACTION_WORDS[action]}。`;
  return `这条台账由 ${owner} 负责，只有负责人可以${ACTION_WORDS[action]}。`;
}

export function wrongState(action: LedgerAction, status: LedgerStatus): string {
  if (status === 'closed') return '这条台账已销号。如需重新处理，请联系党支部管理员重新打开。';
  if (status === 'resolved') return '负责人已提交解决情况，正在等待管理员销号；如需修改，请管理员退回。';
  if (action === 'close' || action === 'send-back') return `负责人还没有提交解决情况（当前「${STATUS_LABELS[status]}」），暂不能${ACTION_WORDS[action]}。`;
  if (action === 'start') return '请先接收这条台账，再开始处理。';
  return `这条台账当前为「${STATUS_LABELS[status]}」，不能${ACTION_WORDS[action]}。`;
}
