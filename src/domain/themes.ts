/**
 * 家长和师生反映最多的: the recurring themes in what families, teachers and
 * students said in a month (seed 002's 大走访 "寻计问策": 针对性地处理走访到的信息),
 * and whether a new opinion repeats an open ledger item. Pure: the words come
 * from a segmenter handed in (jieba, in src/features/themes/segmenter.ts), so
 * the same texts always give the same themes.
 */

/** A word as the segmenter found it, with its part of speech (jieba's tags: n noun, vn verbal noun, nr person name, …). */
export interface Token {
  word: string;
  tag: string;
}
export type Segment = (text: string) => Token[];
/** The theme words of a text (termsOf over a segmenter), as a caller may remember them: never to be changed. */
export type Terms = (text: string) => ReadonlySet<string>;

/**
 * Words for things a school hears about, as the segmenter should keep them
 * whole and read them as nouns (its user dictionary): jieba alone cuts 作业量
 * or 实习补贴 differently from one sentence to the next, and reads 实习 as a verb.
 */
export const SCHOOL_TERMS: readonly string[] = [
  '食堂',
  '饭菜',
  '校车',
  '热水',
  '作业量',
  '实习',
  '实习补贴',
  '实习工资',
  '宿舍管理',
  '手机管理',
  '课后服务',
  '家校沟通',
  '午休',
  '校服',
  '接送',
];

/**
 * Nouns every opinion has and no theme is about: who speaks, to whom, and the
 * words around a wish. Family members are here too: a theme never says whose
 * mother spoke. Reviewed by hand; a word added here vanishes from every theme.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  '孩子',
  '小孩',
  '家长',
  '学校',
  '老师',
  '班主任',
  '学生',
  '同学',
  '建议',
  '意见',
  '问题',
  '情况',
  '希望',
  '方面',
  '工作',
  '管理',
  '教育',
  '学习',
  '家庭',
  '家里',
  '时候',
  '东西',
  '事情',
  '大家',
  '班级',
  '年级',
  '妈妈',
  '爸爸',
  '父母',
  '爷爷',
  '奶奶',
  '感谢',
  '反映',
]);

/**
 * Parts of speech a theme is made of: nouns and verbal nouns. Never names of
 * people (nr…), places (ns) or organisations (nt): a theme must not name a
 * student, a parent, where a family lives or an intern's enterprise.
 */
const THEME_TAG = /^(n|ng|nz|vn)$/;
/** A term is two characters or more: single characters (贵, 晚) say nothing alone. */
const MIN_TERM_LENGTH = 2;

const SCHOOL = new Set(SCHOOL_TERMS);

/** The theme words of one text: the school's terms (jieba keeps its own tag for a word it knew, 实习 as a verb) and nouns that are not stop words, each once. */
export function termsOf(text: string, segment: Segment): Set<string> {
  const terms = new Set<string>();
  for (const { word, tag } of segment(text)) {
    const w = word.trim();
    if ([...w].length >= MIN_TERM_LENGTH && (SCHOOL.has(w) || THEME_TAG.test(tag)) && !STOP_WORDS.has(w)) terms.add(w);
  }
  return terms;
}

/** What one record said, and the ledger items it opened. */
export interface Voice {
  /** The record (or a ledger item opened by hand) it came from: `visit:12`, `suggestion:3`, `ledger:40`. */
  ref: string;
  texts: string[];
  ledger: Array<{ itemId: number; text: string; closed: boolean }>;
}

export interface Theme {
  /** The word it is known by, then its near-duplicates and the words said with it, most frequent first. */
  words: string[];
  /** Distinct records that mention it. */
  mentions: number;
  /** Of those, how many have a ledger item about it, and how many of these are all closed out (销号). */
  inLedger: number;
  closed: number;
  /** The records that mention it, in the order given. */
  refs: string[];
}

export interface ThemeOptions {
  /** Themes returned, most mentioned first. */
  top?: number;
  /** A word said in fewer records is no theme — and cannot point at one family. */
  minMentions?: number;
}

/** Default: the eight most mentioned, each in three records at least. */
export const THEME_DEFAULTS = { top: 8, minMentions: 3 } as const;
/** A word joins a theme as "said with it" when this share of its records also say the theme's word. */
const SAID_WITH = 0.6;
/** Words shown with a theme's own word. */
const WORDS_SHOWN = 3;

const byLength = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
const termCount = (read: Array<{ terms: Set<string> }>) => {
  const n = new Map<string, number>();
  for (const r of read) for (const t of r.terms) n.set(t, (n.get(t) ?? 0) + 1);
  return n;
};
const byCountThenWord = (count: Map<string, number>) => (a: string, b: string) => count.get(b)! - count.get(a)! || (a < b ? -1 : a > b ? 1 : 0);

/**
 * The recurring themes: words by how many records say them; a word contained
 * in another (食堂 in 学校食堂) is the same theme, and a word said mostly
 * together with a more frequent one (饭菜 with 食堂) describes it. A theme's
 * count is of the records that say its word or a near-duplicate; its ledger
 * figures are of those records whose ledger items say it.
 */
export function themesOf(voices: Voice[], terms: Terms, o: ThemeOptions = {}): Theme[] {
  const top = o.top ?? THEME_DEFAULTS.top;
  const minMentions = o.minMentions ?? THEME_DEFAULTS.minMentions;
  const read = voices.map((v) => ({
    voice: v,
    terms: new Set([...v.texts, ...v.ledger.map((l) => l.text)].flatMap((t) => [...terms(t)])),
    ledger: v.ledger.map((l) => ({ ...l, terms: terms(l.text) })),
  }));
  // Near-duplicates are one family, known by the shortest word within the others (实习 for 实习补贴 and 实习工资).
  const all = [...new Set(read.flatMap((r) => [...r.terms]))].sort(byLength);
  const rootOf = new Map<string, string>();
  for (const t of all) rootOf.set(t, all.find((r) => r.length < t.length && t.includes(r)) ?? t);
  const families = read.map((r) => new Set([...r.terms].map((t) => rootOf.get(t)!)));
  const said = termCount(read);
  const df = new Map<string, number>();
  for (const f of families) for (const root of f) df.set(root, (df.get(root) ?? 0) + 1);
  const candidates = [...df.keys()].filter((t) => df.get(t)! >= minMentions).sort(byCountThenWord(df));

  const taken = new Set<string>();
  const themes: Theme[] = [];
  for (const head of candidates) {
    if (taken.has(head)) continue;
    taken.add(head);
    // How often each family is said in the same record as this one; those said mostly with it describe it.
    const together = new Map<string, number>();
    for (const f of families) if (f.has(head)) for (const t of f) together.set(t, (together.get(t) ?? 0) + 1);
    const saidWith = candidates.filter((t) => !taken.has(t) && (together.get(t) ?? 0) >= SAID_WITH * df.get(t)!);
    for (const t of saidWith) taken.add(t);
    const variants = all.filter((t) => rootOf.get(t) === head && t !== head).sort(byCountThenWord(said));
    const says = (said: ReadonlySet<string>) => [...said].some((t) => rootOf.get(t) === head);
    const mentioning = read.filter((r) => says(r.terms));
    const ledgered = mentioning.map((r) => r.ledger.filter((l) => says(l.terms))).filter((items) => items.length);
    themes.push({
      words: [head, ...variants, ...saidWith].slice(0, WORDS_SHOWN),
      mentions: mentioning.length,
      inLedger: ledgered.length,
      closed: ledgered.filter((items) => items.every((l) => l.closed)).length,
      refs: mentioning.map((r) => r.voice.ref),
    });
  }
  // In the candidates' order: most mentioned first.
  return themes.slice(0, top);
}

/** Shared theme words needed for two texts to be about the same thing, and the share of the shorter text's words they must be. */
const TWIN_SHARED = 2;
const TWIN_SHARE = 0.6;

/**
 * The open ledger item a new opinion most likely repeats: the one sharing the
 * most theme words with it, when they share at least two and at least 60% of
 * the words of the shorter of the two. Ties go to the oldest (lowest id).
 */
export function twinOf<I extends { id: number; text: string }>(text: string, open: I[], terms: Terms): { item: I; shared: string[] } | null {
  const mine = terms(text);
  let best: { item: I; shared: string[] } | null = null;
  for (const item of [...open].sort((a, b) => a.id - b.id)) {
    const theirs = terms(item.text);
    const shared = [...mine].filter((t) => theirs.has(t));
    if (shared.length < TWIN_SHARED || shared.length < TWIN_SHARE * Math.min(mine.size, theirs.size)) continue;
    if (!best || shared.length > best.shared.length) best = { item, shared };
  }
  return best;
}
