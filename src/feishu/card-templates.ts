import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitCard } from './card-budget.js';

/**
 * Card JSON 2.0 templates live in `cards/<name>.json` with `${var}` slots.
 * Substitution works on the parsed JSON, never on text, so a teacher's input
 * can never break the card's structure:
 * - a string that is exactly `${x}` becomes the value of x (any JSON type);
 *   inside an array, an array value is spliced in (so optional elements vanish when empty);
 * - `${x}` inside a longer string is replaced by String(x).
 */
export const CARDS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cards');

const cache = new Map<string, unknown>();
const WHOLE = /^\$\{(\w+)\}$/;
const PART = /\$\{(\w+)\}/g;

function load(name: string): unknown {
  let t = cache.get(name);
  if (t === undefined) {
    t = JSON.parse(fs.readFileSync(path.join(CARDS_DIR, `${name}.json`), 'utf8'));
    cache.set(name, t);
  }
  return t;
}

export type CardVars = Record<string, unknown>;

function lookup(name: string, vars: CardVars, template: string): unknown {
  if (!(name in vars)) throw new Error(`card template ${template}: missing variable ${name}`);
  return vars[name];
}

function fill(node: unknown, vars: CardVars, template: string): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) return lookup(whole[1]!, vars, template);
    return node.replace(PART, (_, k: string) => String(lookup(k, vars, template)));
  }
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (const item of node) {
      const isSlot = typeof item === 'string' && WHOLE.test(item);
      const v = fill(item, vars, template);
      if (isSlot && Array.isArray(v)) out.push(...v);
      else if (!(isSlot && v === undefined)) out.push(v);
    }
    return out;
  }
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const filled = fill(v, vars, template);
      if (filled !== undefined) out[k] = filled;
    }
    return out;
  }
  return node;
}

/** A card from its template, cut to Feishu's size limit if a text in it is too long (see `fitCard`). */
export function renderCard(name: string, vars: CardVars): Record<string, unknown> {
  return fitCard(fill(load(name), vars, name) as Record<string, unknown>);
}

/**
 * A free text as a card shows it: whole up to `max` characters, else cut there
 * with where to read the rest (`whole`: "/台账", "点“查看”"). A long answer,
 * note or story, or a cell stored before the roster had limits, must not push
 * a list or digest past Feishu's 30 KB ("发送消息") and sink it whole.
 */
export function shortened(text: string, max: number, whole?: string): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, max).join('').trimEnd()}…${whole ? `（全文见 ${whole}）` : ''}`;
}

/** A text on one line of a list: line breaks folded, then `shortened`. */
export const oneLine = (text: string, max: number, whole?: string) => shortened(text.replace(/\s+/g, ' ').trim(), max, whole);

/**
 * The longest name a card shows whole: the roster's limit for a person's or a
 * student's name. Names stored before the limits (or typed into a campaign
 * file) are cut, so a list of many names stays one card.
 */
export const NAME_SHOWN = 30;
export const shortName = (name: string) => oneLine(name, NAME_SHOWN);
/** How long a class's name is shown (the roster's limit for it). */
export const CLASS_SHOWN = 40;

/** Building blocks shared by features, so user text always goes in as plain text, never markdown. */
export const plainText = (content: string) => ({ tag: 'plain_text', content });
export const textBlock = (content: string, opts: { color?: string; size?: string } = {}) => ({
  tag: 'div',
  text: { tag: 'plain_text', content, ...(opts.color ? { text_color: opts.color } : {}), ...(opts.size ? { text_size: opts.size } : {}) },
});
export const labelledText = (label: string, value: string) => [
  { tag: 'markdown', content: `**${label}**` },
  textBlock(value.trim() === '' ? '（未填写）' : value),
];
export const textTag = (text: string, color: string) => ({ tag: 'text_tag', text: plainText(text), color });
/** Buttons side by side, wrapping on a narrow screen. */
export const buttonRow = (buttons: object[]) => ({
  tag: 'column_set',
  flex_mode: 'flow',
  columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
});

export const callbackButton = (text: string, value: object, type = 'default') => ({
  tag: 'button',
  text: plainText(text),
  type,
  behaviors: [{ type: 'callback', value }],
});

/**
 * The line on a card meant to be used for weeks. Feishu takes clicks on a 2.0
 * card for 14 days after it is sent and then refuses them without telling the
 * bot (配置卡片交互; 卡片 JSON 2.0 版本更新说明), so the card says how to get a
 * fresh copy: `command` opens the same thing again.
 */
export const reopenNote = (command: string) => ({
  tag: 'markdown',
  content: `<font color='grey'>卡片按钮 14 天内有效，14 天后请输入 ${command} 重新打开 / Buttons work for 14 days; then send ${command} to reopen</font>`,
  text_size: 'notation',
});

/** A line of a list card: text on the left, its buttons on the right. */
export const listRow = (text: string, ...buttons: object[]) => ({
  tag: 'column_set',
  flex_mode: 'none',
  columns: [
    { tag: 'column', width: 'weighted', weight: 4, vertical_align: 'center', elements: [{ tag: 'markdown', content: text }] },
    ...buttons.map((b) => ({ tag: 'column', width: 'auto', vertical_align: 'center', elements: [b] })),
  ],
});
