import { callbackButton } from './card-templates.js';

/**
 * What one card may hold. Feishu refuses a card with more than 200 elements —
 * and every text object counts, a button's label and a header's title as much
 * as a column ("卡片 JSON 2.0 结构": "最多支持 200 个元素（如 tag 为 plain_text
 * 的文本元素）或组件"; code 230099, sub-code 11310) — or a request body over
 * 30 KB ("发送消息", code 230025). A callback answer that breaks either leaves
 * the teacher with error 200673 and the old card. Lists whose length depends
 * on the roster are therefore cut into pages well inside both limits.
 */
export const CARD_LIMITS = { elements: 200, bytes: 30 * 1024 };
/** What a page aims for, leaving room for a title that grows or a longer name. */
export const CARD_BUDGET = { elements: 150, bytes: 25 * 1024 };

/** Elements as Feishu counts them: every object with a `tag`, wherever it sits in the card. */
export function cardElements(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, v) => n + cardElements(v), 0);
  if (!node || typeof node !== 'object') return 0;
  let n = typeof (node as { tag?: unknown }).tag === 'string' ? 1 : 0;
  for (const v of Object.values(node)) n += cardElements(v);
  return n;
}

/**
 * What the rest of a send's request body takes besides the card: `receive_id`,
 * `msg_type`, a 50-character `uuid` and the keys around them.
 */
const BODY_ENVELOPE_BYTES = 200;

/**
 * A string's bytes once it sits in the request body: written by JSON.stringify
 * into the card's JSON, which the body carries as a string, so every quote and
 * backslash of the first writing is escaped once more. A quote or backslash
 * costs 4 (`\\\"`), a control character 3 (`\\n`) or 7 (`\\u00XX`), a
 * lone surrogate 7 (JSON.stringify writes it `\uDXXX`), the two quotes 2 each;
 * every other character its UTF-8.
 */
function stringBytesInBody(text: string): number {
  let bytes = 4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += c === 0x22 || c === 0x5c ? 4 : c >= 0x20 ? 1 : c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 3 : 7;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 7;
  }
  return bytes;
}

/**
 * The bytes `value` takes in the request body, as JSON.stringify would write it
 * (undefined and functions left out of objects, null in arrays; toJSON
 * honoured), counted without writing it: the card written out only to be
 * measured was most of what an answer left for the garbage collector.
 * Undefined when JSON.stringify would leave the value out.
 */
function jsonBytesInBody(value: unknown, key: string): number | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    value = (value as { toJSON: (k: string) => unknown }).toJSON(key);
  switch (typeof value) {
    case 'string':
      return stringBytesInBody(value);
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'object': {
      if (value === null) return 4;
      if (Array.isArray(value)) {
        let bytes = 2 + Math.max(0, value.length - 1);
        for (let i = 0; i < value.length; i++) bytes += jsonBytesInBody(value[i], String(i)) ?? 4;
        return bytes;
      }
      let bytes = 2;
      let members = 0;
      for (const k in value) {
        if (!Object.hasOwn(value, k)) continue;
        const v = jsonBytesInBody((value as Record<string, unknown>)[k], k);
        if (v === undefined) continue;
        bytes += (members++ ? 1 : 0) + stringBytesInBody(k) + 1 + v;
      }
      return bytes;
    }
    default:
      return undefined;
  }
}

/**
 * The bytes a card costs in the request body that carries it: Feishu's 30 KB
 * is the body's ("发送消息": 卡片及富文本消息请求体最大不能超过 30 KB), where the
 * card is a JSON string with every quote escaped.
 */
export const cardBytes = (card: unknown) => 2 + (jsonBytesInBody(card, '') ?? 0) + BODY_ENVELOPE_BYTES;

const fits = (card: unknown, limits: { elements: number; bytes: number }) => cardElements(card) <= limits.elements && cardBytes(card) <= limits.bytes;

/** Whether a card leaves the room `CARD_BUDGET` keeps, for cards that have a smaller form to fall back to. */
export const fitsCardBudget = (card: unknown) => fits(card, CARD_BUDGET);

/** Why Feishu would refuse this card, or undefined when it would take it. */
export function cardOverLimit(card: unknown): string | undefined {
  const elements = cardElements(card);
  if (elements > CARD_LIMITS.elements) return `${elements} elements (limit ${CARD_LIMITS.elements})`;
  const bytes = cardBytes(card);
  if (bytes > CARD_LIMITS.bytes) return `${(bytes / 1024).toFixed(1)} KB (limit 30 KB)`;
  return undefined;
}

/** Text objects whose words a card may cut: what people read, never a value sent back or a form's default. */
const CUTTABLE = new Set(['plain_text', 'markdown', 'lark_md']);
/** Shorter than this, a text is left alone: cutting it would not save much and loses its meaning. */
const KEEP_CHARS = 40;

/**
 * A markdown text cut short, made whole again: a tag cut in half is dropped,
 * and what was left open (`<font …>`, `**`) is closed innermost first, so the
 * cut shows as text rather than as stray markup or a colour running on
 * ("富文本（Markdown）").
 */
export function closedMarkdown(text: string): string {
  const out = text.replace(/<[^<>]*…$/, '…');
  const open: string[] = [];
  for (const [token] of out.matchAll(/<font\b[^>]*>|<\/font>|\*\*/g)) {
    if (token === '**') {
      if (open.at(-1) === '**') open.pop();
      else open.push('**');
    } else if (token === '</font>') open.pop();
    else open.push('</font>');
  }
  return out + open.reverse().join('');
}

/**
 * The last guard of "every card is built to fit": a card over 30 KB has its
 * longest texts cut (with "…") until it is inside the limit, so one row with a
 * huge name or note shortens rather than sinks a digest, list or form. Places
 * that know where the whole text can be read cut it themselves first, with a
 * pointer (`shortened`); this catches whatever was left unbounded. Elements are
 * not touched: lists that grow are paged (`pageOf`).
 */
export function fitCard<T>(card: T): T {
  let bytes = cardBytes(card);
  if (bytes <= CARD_LIMITS.bytes) return card;
  // A copy: blocks passed into a template may be shared with other cards.
  const copy = JSON.parse(JSON.stringify(card)) as T;
  // Each text with its whole wording and how many characters of it are kept: every cut keeps fewer, so the loop ends.
  const texts: Array<{ node: { tag: string; content: string }; chars: string[]; kept: number }> = [];
  const collect = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(collect);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.tag === 'string' && CUTTABLE.has(o.tag) && typeof o.content === 'string') {
      const chars = Array.from(o.content);
      texts.push({ node: o as { tag: string; content: string }, chars, kept: chars.length });
    }
    Object.values(o).forEach(collect);
  };
  collect(copy);
  // Aim a little under the limit: the card may still be wrapped or grow by a line.
  const target = CARD_LIMITS.bytes - 1024;
  while (bytes > target) {
    const longest = texts.reduce<(typeof texts)[number] | undefined>((a, t) => (!a || t.kept > a.kept ? t : a), undefined);
    if (!longest) break;
    const over = Math.ceil((bytes - target) / 3);
    const keep = Math.max(KEEP_CHARS, longest.kept - over - 1);
    if (keep >= longest.kept - 1) {
      texts.splice(texts.indexOf(longest), 1);
      continue;
    }
    const shown = `${longest.chars.slice(0, keep).join('')}…`;
    const cut = longest.node.tag === 'plain_text' ? shown : closedMarkdown(shown);
    bytes -= stringBytesInBody(longest.node.content) - stringBytesInBody(cut);
    longest.node.content = cut;
    longest.kept = keep;
  }
  return copy;
}

/** Where a page sits in its list: rows [from, to) of total, and the offsets of its neighbours. */
export interface PageInfo {
  from: number;
  to: number;
  total: number;
  prev?: number;
  next?: number;
}

/**
 * The page of `items` that holds row `offset`: pages are cut from the start,
 * each as many rows as fit `CARD_BUDGET` (at most `perPage`), so the same data
 * always gives the same pages and no row is left out or shown twice. `render`
 * builds the whole card for a page; a row over the budget on its own gets a
 * page of its own (its texts cut by `fitCard`), and one over Feishu's limits
 * even so is a bug and throws.
 */
export function pageOf<T>(items: T[], offset: number, o: { perPage: number; render: (rows: T[], page: PageInfo) => object }): object {
  const total = items.length;
  let from = 0;
  let prev: number | undefined;
  for (;;) {
    let n = Math.min(o.perPage, total - from);
    const build = (k: number) => o.render(items.slice(from, from + k), { from, to: from + k, total, prev, next: from + k < total ? from + k : undefined });
    let card = build(n);
    while (!fits(card, CARD_BUDGET) && n > 1) card = build(--n);
    if (!fits(card, CARD_LIMITS)) throw new Error(`card-budget: one row alone is ${cardOverLimit(card)}`);
    if (from + n >= total || offset < from + n) return card;
    prev = from;
    from += n;
  }
}

/** The fixed-size page of a list of `total` that holds row `offset` (the first page when `offset` is past the end). */
export function pageAt(total: number, offset: number, perPage: number): PageInfo {
  const from = offset < total ? offset - (offset % perPage) : 0;
  const to = Math.min(from + perPage, total);
  return { from, to, total, prev: from ? from - perPage : undefined, next: to < total ? to : undefined };
}

/** "第 21–40 项，共 312 项" and 上一页 / 下一页 buttons; `valueAt` is the callback value that opens the page at an offset. */
export function pageNav(page: PageInfo, valueAt: (offset: number) => object, unit = '项'): object[] {
  if (page.prev === undefined && page.next === undefined) return [];
  const buttons = [
    ...(page.prev !== undefined ? [callbackButton('上一页 Prev', valueAt(page.prev))] : []),
    ...(page.next !== undefined ? [callbackButton('下一页 Next', valueAt(page.next), 'primary')] : []),
  ];
  return [
    { tag: 'markdown', content: `<font color='grey'>第 ${page.from + 1}–${page.to} ${unit}，共 ${page.total} ${unit}</font>`, text_size: 'notation' },
    { tag: 'column_set', flex_mode: 'flow', columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [b] })) },
  ];
}
