/** What reaches features: typed events, never raw SDK payloads. */

export interface InboundMessage {
  kind: 'message';
  /** De-duplication key: Feishu re-delivers; a message is handled once. */
  key: string;
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  senderOpenId: string;
  msgType: string;
  /** The words of a text or rich-text message, mentions resolved (see readMessageContent). */
  text?: string;
  /** An image message's picture, or the pictures inside a rich-text message. */
  imageKeys?: string[];
  fileKey?: string;
  fileName?: string;
  /** Group messages: whether the bot was @-mentioned. */
  mentionsBot: boolean;
}

export interface CardAction {
  kind: 'card';
  key: string;
  operatorOpenId: string;
  messageId?: string;
  chatId?: string;
  value: Record<string, unknown>;
  formValue: Record<string, unknown>;
}

export interface MenuClick {
  kind: 'menu';
  key: string;
  operatorOpenId: string;
  menuKey: string;
}

export type ToastType = 'success' | 'error' | 'info' | 'warning';

/** The answer to a card callback: a toast and/or the card that replaces the clicked one. */
export interface CardReply {
  toast?: { type: ToastType; content: string; i18n?: { zh_cn: string; en_us: string } };
  card?: { type: 'raw'; data: object };
}

export const toast = (type: ToastType, zh: string, en?: string): CardReply => ({
  toast: { type, content: zh, ...(en ? { i18n: { zh_cn: zh, en_us: en } } : {}) },
});

export const withCard = (reply: CardReply, card: object): CardReply => ({ ...reply, card: { type: 'raw', data: card } });
