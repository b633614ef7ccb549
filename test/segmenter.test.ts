import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/demo/synthetic.js';
import { SCHOOL_TERMS, type Token } from '../src/domain/themes.js';
import { Dictionary } from '../src/features/themes/dictionary.js';
import { tag } from '../src/features/themes/segmenter.js';
import { tagWords } from '../src/features/themes/tagger.js';
import { opinionMonth } from './fixtures/opinions.js';

/**
 * The bot segments with its own code over jieba's dictionary file (src/features/themes/segmenter.ts), not with
 * @node-rs/jieba's native addon, to spare the memory. Themes and twins must not change for it: over the repository's
 * own Chinese and many generated texts, its words and tags are exactly those of @node-rs/jieba's tag() (no HMM)
 * with the same dictionary and the same school terms — loaded here, in the test only.
 */

const require = createRequire(import.meta.url);
const dictFile = require.resolve('@node-rs/jieba/dict.txt');
const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
const jieba = Jieba.withDict(fs.readFileSync(dictFile));
jieba.loadDict(Buffer.from(SCHOOL_TERMS.map((t) => `${t} 20000 n`).join('\n')));

const root = path.resolve(import.meta.dirname, '..');
const filesUnder = (dir: string, ext: string) =>
  fs
    .readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => path.join(e.parentPath, e.name));

/** The texts on which ours and jieba's differ, each with both answers (at most a few, to read). */
function differences(texts: string[], theirTag = (text: string) => jieba.tag(text), ourTag = tag) {
  const shown = (tokens: Token[]) => tokens.map((t) => `${t.word}/${t.tag}`).join(' ');
  const found: Array<{ text: string; jieba: string; ours: string }> = [];
  for (const text of texts) {
    const theirs = shown(theirTag(text));
    const ours = shown(ourTag(text));
    if (theirs !== ours && found.push({ text, jieba: theirs, ours }) >= 5) break;
  }
  return found;
}

/**
 * Texts made of what opinions are made of and what trips a segmenter: dictionary words run together (where the
 * route has choices), school terms, names, rare and unknown Han characters (beyond the BMP too), ASCII words,
 * digits and the symbols jieba keeps in a block, punctuation, every kind of white space, emoji, a broken surrogate.
 */
function generatedTexts(count: number, seed: number): string[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const dictWords = fs
    .readFileSync(dictFile, 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
  const short = dictWords.filter((w) => [...w].length <= 3);
  const codePoint = (lo: number, hi: number) => String.fromCodePoint(lo + Math.floor(rnd() * (hi - lo + 1)));
  const pieces: Array<() => string> = [
    () => pick(dictWords),
    () => pick(short),
    () => pick(short) + pick(short),
    () => pick(SCHOOL_TERMS),
    () => pick(['王晓东', '刘芳', '黄志强', '孙小红', '欧阳娜娜', '张伟', '李娜', '陈静']),
    () => codePoint(0x4e00, 0x9fff),
    () => codePoint(0x3400, 0x4dbf),
    () => codePoint(0x20000, 0x2a6df),
    () => codePoint(0xf900, 0xfaff),
    () => pick(['CEO', 'abc', 'A', 'x', 'iPhone', 'T恤', '4S店', 'B超', 'ok', 'QQ', 'wifi', 'PPT', 'K歌']),
    () => String(Math.floor(rnd() * 100_000)),
    () => pick(['3.5', '10%', '1-2', 'a_b', 'c++', 'C#', 'R&D', '.net', '-', '+', '#', '&', '.', '_', '%']),
    () => pick(['，', '。', '！', '？', '、', '；', '：', '“', '”', '‘', '’', '（', '）', '《', '》', '…', '——', '·', ',', '!', '?', '(', ')', '/', '@']),
    () => pick([' ', '  ', '\t', '\n', '\r\n', '\r', '\n\n', '\u3000', '\u00a0', '\u0085', '\u2028', '\u202f', '\ufeff', '\u200b', '\v', '\f']),
    () => pick(['😀', '👪', '🏫', '①', '②', '℃', '¥', '￥', 'Ａ', '３', 'α', 'é', 'ü']),
    () => pick(['\ud800', '\udc00', 'a\ud83d', '\ude00b']),
  ];
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(rnd() * 24);
    let text = '';
    for (let i = 0; i < n; i++) text += rnd() < 0.55 ? pieces[Math.floor(rnd() * 3)]!() : pick(pieces)();
    return text;
  });
}

describe('word segmentation without the native jieba', () => {
  it('tags the repository’s own Chinese — sources, docs, the demo district, a month of opinions — as @node-rs/jieba does', () => {
    const files = [...filesUnder('src', '.ts'), ...filesUnder('docs', '.md'), ...filesUnder('test/fixtures', '.ts'), path.join(root, 'README.md')];
    const lines = files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'));
    const opinions = opinionMonth().voices.flatMap((v) => [...v.texts, ...v.ledger.map((l) => l.text)]);
    // Whole files too: blocks that run across lines, \r\n and all.
    const texts = [...lines, ...opinions, ...files.slice(0, 50).map((f) => fs.readFileSync(f, 'utf8').replace(/\n/g, '\r\n'))];
    expect(texts.length).toBeGreaterThan(20_000);
    expect(differences(texts)).toEqual([]);
  });

  it('tags generated texts — dictionary words run together, names, school terms, ASCII, digits, punctuation, white space — as @node-rs/jieba does', () => {
    const texts = generatedTexts(20_000, 2026_12);
    expect(differences(texts)).toEqual([]);
  });

  it('takes the same way as @node-rs/jieba where ways tie: small made-up dictionaries with few frequencies', () => {
    // With a handful of words and frequencies, routes of equal probability are common (and a word of frequency 0
    // makes one impossible): each tie must go where jieba's goes.
    const rnd = mulberry32(20);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const alphabet = ['甲', '乙', '丙', '丁', 'a', 'B', '1', '𠀀'];
    const wordOf = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(alphabet)).join('');
    const found = [];
    for (let d = 0; d < 200 && !found.length; d++) {
      const words = [...new Set(Array.from({ length: 4 + Math.floor(rnd() * 20) }, wordOf))].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const line = (w: string) => `${w} ${pick([0, 1, 1, 2, 3, 4, 6, 12])} ${pick(['n', 'v', 'nr', 'eng'])}`;
      const file = Buffer.from(words.map(line).join('\n'));
      const user = Array.from({ length: Math.floor(rnd() * 3) }, () => ({ word: wordOf(), freq: pick([1, 2, 5]), tag: 'n' }));
      const theirs = Jieba.withDict(file);
      if (user.length) theirs.loadDict(Buffer.from(user.map((u) => `${u.word} ${u.freq} ${u.tag}`).join('\n')));
      const ours = new Dictionary(file);
      // Read a few lines at a time, as the bot reads jieba's file between other work.
      while (!ours.read(1 + Math.floor(rnd() * 5)));
      ours.addWords(user);
      const texts = Array.from({ length: 50 }, () => Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => pick([...alphabet, '，', ' '])).join(''));
      found.push(
        ...differences(
          texts,
          (text) => theirs.tag(text),
          (text) => tagWords(ours, text),
        ),
      );
    }
    expect(found).toEqual([]);
  });

  it('keeps a school term whole, as a noun unless the dictionary had it otherwise, and never makes a name a noun', () => {
    expect(tag('企业没有按时发实习补贴')).toContainEqual({ word: '实习补贴', tag: 'n' });
    // 实习 was in jieba's dictionary as a verb: a user word changes its frequency, not its tag.
    expect(tag('实习期间加班太多')).toContainEqual({ word: '实习', tag: 'v' });
    expect(tag('王晓东同学最近进步很大')).toContainEqual({ word: '王晓东', tag: 'nr' });
  });
});
