import type { PeopleRepo } from '../../db/repos.js';
import type { OutboxRow } from '../../db/schema.js';
import { UNDELIVERABLE_NOTICE, type OutboundMessage, type Undeliverable } from '../../feishu/outbox.js';
import type { Logger } from '../../logger.js';

/**
 * Tells the admins, in their direct chats, about messages that will not go out
 * by themselves: what kind of message, to whom, and why — never what it said
 * (a refused message may carry a family's phone number).
 */

const PURPOSE_WORDS: Record<string, string> = {
  reply: '对命令的回复',
  reassign: '改派通知',
  leave: '请假通知',
  remind: '提醒',
  ledger: '台账通知',
  digest: '汇总',
  'zone-report': '责任区周报',
  'dorm-check': '宿舍关爱检查',
  visit: '走访记录',
  photo: '照片回执',
  nomination: '走访对象推荐',
  export: '导出文件',
  card: '卡片更新',
};

/** A message's purpose (`zone-report.push:…`) in words, by its family. */
export const purposeInWords = (purpose: string): string => PURPOSE_WORDS[purpose.split(/[.:]/)[0]!] ?? '消息';

const MAX_LINES = 10;

export interface DeliveryNoticeDeps {
  people: PeopleRepo;
  log: Logger;
  send(messages: OutboundMessage[]): Promise<number>;
}

export function deliveryNotices(deps: DeliveryNoticeDeps): (problems: Undeliverable[]) => Promise<void> {
  async function receiverOf(row: OutboxRow): Promise<string> {
    if (row.receiveIdType === 'open_id' && row.receiveId) return (await deps.people.byOpenId(row.receiveId))?.name ?? '一位成员';
    if (row.receiveIdType === 'chat_id') return '群聊';
    return '已发出的卡片';
  }

  async function lines(rows: OutboxRow[], withId: boolean): Promise<string> {
    const out: string[] = [];
    for (const r of rows.slice(0, MAX_LINES)) out.push(`· ${purposeInWords(r.purpose)}，收件人 ${await receiverOf(r)}${withId ? `（编号 ${r.id}）` : ''}`);
    if (rows.length > MAX_LINES) out.push(`· 另有 ${rows.length - MAX_LINES} 条`);
    return out.join('\n');
  }

  const texts = {
    dlp: async (rows: OutboxRow[]) =>
      `有 ${rows.length} 条消息被飞书的数据防泄漏（DLP）策略拦截，没有发出：\n${await lines(rows, false)}\n` +
      '飞书的 DLP 策略会拦截含明文手机号、邮箱等内容的消息。请企业管理员在飞书管理后台检查 DLP 设置，为本应用放行或调整规则。\n' +
      `${rows.length} message(s) were blocked by Feishu's data-loss-prevention (DLP) policy and not sent; please check the tenant's DLP settings.`,
    unconfirmed: async (rows: OutboxRow[]) =>
      `飞书长时间无法访问期间，有 ${rows.length} 条消息不确定是否已经发出。飞书只在 1 小时内识别重发，为免收件人收到两份，已暂停重发：\n${await lines(rows, true)}\n` +
      `请向收件人确认是否收到，然后在服务器上运行 zoufang outbox release <编号> 重新发送，或 zoufang outbox drop <编号> 不再发送。\n` +
      `${rows.length} message(s) may have reached Feishu during an outage and are held to avoid duplicates; ask the receiver, then run \`zoufang outbox release <id>\` or \`zoufang outbox drop <id>\`.`,
  };

  return async (problems) => {
    const admins = (await deps.people.admins()).filter((a) => a.openId);
    for (const reason of ['dlp', 'unconfirmed'] as const) {
      const rows = problems.filter((p) => p.reason === reason).map((p) => p.row);
      if (!rows.length) continue;
      const ids = rows.map((r) => r.id).join(',');
      deps.log.warn(
        { reason, outboxIds: rows.map((r) => r.id), purposes: rows.map((r) => r.purpose), admins: admins.length },
        'outbox: messages not delivered, admins told',
      );
      if (!admins.length) {
        deps.log.error({ reason, outboxIds: rows.map((r) => r.id) }, 'outbox: no admin with a Feishu account to tell about undelivered messages');
        continue;
      }
      const text = await texts[reason](rows);
      await deps.send(
        admins.map((a) => ({ dedupeKey: `${UNDELIVERABLE_NOTICE}:${reason}:${ids}:${a.id}`, to: { openId: a.openId! }, purpose: UNDELIVERABLE_NOTICE, text })),
      );
    }
  };
}
