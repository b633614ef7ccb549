/**
 * What a received message says, read from its `content` as Feishu delivers it
 * ("接收消息内容结构"): the words of a text or rich-text (`post`) message with
 * the @mentions resolved, and the pictures and file it carries.
 */

export interface Mention {
  /** The placeholder in the content: `@_user_N`, N counting mentions from 1 in order of appearance. */
  key: string;
  name?: string;
  id?: { open_id?: string };
}

export interface MessageReading {
  /** The words, for text and rich-text messages. */
  text?: string;
  /** An image message's picture, or the pictures of a rich-text message, in order. */
  imageKeys: string[];
  fileKey?: string;
  fileName?: string;
}

type Piece = { text: string } | { mention: string; fallback: string } | { paragraph: true };

/** `@_user_10` is one token, never `@_user_1` followed by "0": the digits are taken whole. */
const MENTION_TOKEN = /(@_user_\d+|@_all)/;

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function textPieces(text: string): Piece[] {
  return text.split(MENTION_TOKEN).map((part, i) => (i % 2 ? { mention: part, fallback: part } : { text: part }));
}

/**
 * The paragraphs of a rich-text message. The received form is `{title, content}`;
 * the locale-wrapped form of sending (`{zh_cn: {title, content}}`) is read too.
 */
function postParagraphs(content: Record<string, unknown>): unknown[] {
  if (Array.isArray(content.content)) return content.content;
  const locale = isRecord(content.zh_cn) ? content.zh_cn : Object.values(content).find((v) => isRecord(v) && Array.isArray(v.content));
  return isRecord(locale) && Array.isArray(locale.content) ? locale.content : [];
}

function postPieces(content: Record<string, unknown>, imageKeys: string[]): Piece[] {
  const pieces: Piece[] = [];
  // The title is a heading, not part of what is asked: a command is in the body.
  for (const paragraph of postParagraphs(content)) {
    if (!Array.isArray(paragraph)) continue;
    if (pieces.length) pieces.push({ paragraph: true });
    for (const node of paragraph) {
      if (!isRecord(node)) continue;
      if (node.tag === 'at') {
        const key = str(node.user_id) ?? '';
        pieces.push({ mention: key === 'all' ? '@_all' : key, fallback: str(node.user_name) ?? '' });
      } else if (node.tag === 'img') {
        if (str(node.image_key)) imageKeys.push(node.image_key as string);
      } else if (node.tag === 'text' || node.tag === 'a' || node.tag === 'code_block') {
        pieces.push({ text: str(node.text) ?? '' });
      }
      // Emoji, rules, videos and the rest carry no words.
    }
  }
  return pieces;
}

/**
 * Joins the pieces into what the sender asked. The bot's own mention and `@_all`
 * are dropped, and so are the mentions that open the message (whom it is
 * addressed to), so "@张老师 @走访助手 /进度" reads "/进度". A person mentioned
 * later is part of what is said and reads as their name ("/导出 @王老师" → "/导出 王老师").
 */
function words(pieces: Piece[], mentions: Mention[], isBot: (m: Mention) => boolean): string {
  let out = '';
  for (const p of pieces) {
    if ('paragraph' in p) out += '\n';
    else if ('text' in p) out += p.text;
    else {
      const m = mentions.find((x) => x.key === p.mention);
      if (p.mention === '@_all' || (m && isBot(m))) continue;
      if (m && !out.trim()) continue;
      out += m?.name ?? p.fallback;
    }
  }
  return out.trim();
}

export function readMessageContent(messageType: string, content: Record<string, unknown>, mentions: Mention[], isBot: (m: Mention) => boolean): MessageReading {
  const imageKeys: string[] = [];
  let text: string | undefined;
  if (messageType === 'post') text = words(postPieces(content, imageKeys), mentions, isBot);
  else if (typeof content.text === 'string') text = words(textPieces(content.text), mentions, isBot);
  // A video's image_key is its cover, not a picture the sender sent.
  if (messageType === 'image' && typeof content.image_key === 'string') imageKeys.push(content.image_key);
  return { text, imageKeys, fileKey: str(content.file_key), fileName: str(content.file_name) };
}
