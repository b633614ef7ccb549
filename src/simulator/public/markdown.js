// The small subset of Feishu card markdown the simulator renders, safely:
// every piece of text is HTML-escaped; only the tags built here are emitted.
// Supported: **bold**, *italic*, ~~strike~~, `code`, <font color='…'>…</font>,
// [text](https://…), <at id=…></at>, "- " / "1. " lists, "# " headings, line breaks.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in HTML element content and quoted attribute values. */
export function escapeHtml(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Feishu's named text colours, mapped to the client's palette. */
const NAMED_COLORS = {
  red: '#f54a45',
  green: '#34c724',
  blue: '#3370ff',
  orange: '#ff8800',
  yellow: '#ffc60a',
  grey: '#8f959e',
  gray: '#8f959e',
  wathet: '#14c0ff',
  turquoise: '#2dbeab',
  carmine: '#f01d94',
  violet: '#d136d1',
  purple: '#7f3bf5',
  indigo: '#4954e6',
  default: '#1f2329',
  'red-500': '#f54a45',
  'green-500': '#34c724',
  'blue-500': '#3370ff',
  'orange-500': '#ff8800',
  'grey-600': '#646a73',
};

/** A CSS colour for a Feishu colour name or a hex code; undefined for anything else (never echoed raw). */
export function safeColor(name) {
  const n = String(name ?? '')
    .trim()
    .toLowerCase();
  if (Object.hasOwn(NAMED_COLORS, n)) return NAMED_COLORS[n];
  if (/^#[0-9a-f]{3}([0-9a-f]{3})?$/.test(n)) return n;
  return undefined;
}

function safeUrl(url) {
  return /^https?:\/\/[^\s"'<>]+$/i.test(url) ? url : undefined;
}

// Inline tokens, tried at each position in order of this alternation.
const INLINE = new RegExp(
  [
    String.raw`\*\*([\s\S]+?)\*\*`, // 1 bold
    String.raw`~~([\s\S]+?)~~`, // 2 strike
    String.raw`\*([^*\n]+?)\*`, // 3 italic
    String.raw`\x60([^\x60\n]+)\x60`, // 4 code
    String.raw`<font\s+color\s*=\s*['"]?([#\w-]+)['"]?\s*>([\s\S]*?)<\/font>`, // 5 colour, 6 text
    String.raw`\[([^\]\n]+)\]\(([^)\s]+)\)`, // 7 link text, 8 url
    String.raw`<at\s+(?:id|ids|email)\s*=\s*['"]?([^'">\s]+)['"]?\s*>\s*<\/at>`, // 9 mention
  ].join('|'),
  'g',
);

/** Inline markdown → HTML. `opts.mentionName(id)` names an @mention (default: the id itself). */
export function inlineToHtml(text, opts = {}) {
  let out = '';
  let last = 0;
  // matchAll works on a copy of the regex, so the recursive calls below cannot disturb this scan.
  for (const m of String(text ?? '').matchAll(INLINE)) {
    out += escapeHtml(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) out += `<strong>${inlineToHtml(m[1], opts)}</strong>`;
    else if (m[2] !== undefined) out += `<del>${inlineToHtml(m[2], opts)}</del>`;
    else if (m[3] !== undefined) out += `<em>${inlineToHtml(m[3], opts)}</em>`;
    else if (m[4] !== undefined) out += `<code>${escapeHtml(m[4])}</code>`;
    else if (m[5] !== undefined) {
      const color = safeColor(m[5]);
      const inner = inlineToHtml(m[6] ?? '', opts);
      out += color ? `<span class="md-color" style="color:${color}">${inner}</span>` : inner;
    } else if (m[7] !== undefined) {
      const url = safeUrl(m[8] ?? '');
      const inner = inlineToHtml(m[7], opts);
      out += url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${inner}</a>` : inner;
    } else if (m[9] !== undefined) {
      const id = m[9];
      const name = id === 'all' ? '所有人' : (opts.mentionName?.(id) ?? id);
      out += `<span class="md-at">@${escapeHtml(name)}</span>`;
    }
  }
  return out + escapeHtml(text.slice(last));
}

/** Block markdown → HTML: lists, headings, paragraphs with line breaks. */
export function markdownToHtml(md, opts = {}) {
  const lines = String(md ?? '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const out = [];
  let para = [];
  let list = null; // { kind: 'ul' | 'ol', items: string[] }
  const flushPara = () => {
    if (para.length) out.push(`<p>${para.map((l) => inlineToHtml(l, opts)).join('<br>')}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.kind}>${list.items.map((i) => `<li>${inlineToHtml(i, opts)}</li>`).join('')}</${list.kind}>`);
    list = null;
  };
  for (const line of lines) {
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    const heading = /^\s*(#{1,6})\s+(.*)$/.exec(line);
    const item = bullet ?? numbered;
    if (item) {
      flushPara();
      const kind = bullet ? 'ul' : 'ol';
      if (list && list.kind !== kind) flushList();
      list ??= { kind, items: [] };
      list.items.push(item[1] ?? '');
    } else if (heading) {
      flushPara();
      flushList();
      const level = Math.min(6, (heading[1] ?? '#').length + 2);
      out.push(`<h${level}>${inlineToHtml(heading[2] ?? '', opts)}</h${level}>`);
    } else if (line.trim() === '') {
      flushPara();
      flushList();
    } else {
      flushList();
      para.push(line);
    }
  }
  flushPara();
  flushList();
  return out.join('');
}
