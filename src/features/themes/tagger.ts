import type { Token } from '../../domain/themes.js';
import { type Dictionary, NO_WORD, type WordId } from './dictionary.js';

/**
 * Words and their parts of speech as jieba's `tag(text)` gives them without its HMM (jieba-rs 0.10, under
 * @node-rs/jieba 2.0.3) — the same words and tags, so that themes and twins do not change with the segmenter:
 * - the text is cut into blocks of Han characters and a-z A-Z 0-9 + # & . _ % - , and what lies between;
 * - in a block, every dictionary word starting at each character is a way on, and the way taken is the one with the
 *   highest product of word probabilities (frequency over the total; 1 for a character no word starts with),
 *   found from the block's end backwards, a tie going to the longer word; single ASCII letters and digits the way
 *   passes one by one are joined into one word;
 * - between blocks, every character is a word, and so is "\r\n" (jieba cuts there at each "\r\n" or white space
 *   and then at every character, which comes to the same);
 * - a word's tag is the dictionary's; a word it lacks is m (ASCII digits only), eng (other ASCII letters or digits
 *   in it) or x.
 */

const BLOCK =
  /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{2CEB0}-\u{2EBEF}\u{2F800}-\u{2FA1F}a-zA-Z0-9+#&._%-]+/gu;
/** A surrogate without its pair: jieba receives the text as UTF-8, where it became U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const isAsciiAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Scratch space for one block, grown to the longest block seen: the route is found on every text. */
let room = 0;
let bytes = new Uint8Array(0);
/** For each byte where a character starts (and the block's end): that character's place in the block's string. */
let charAt = new Int32Array(0);
let score = new Float64Array(0);
let next = new Int32Array(0);
let wordOf = new Int32Array(0);
let ends = new Int32Array(0);
let ids = new Int32Array(0);

function makeRoom(size: number) {
  if (size <= room) return;
  room = Math.max(size, room * 2, 256);
  bytes = new Uint8Array(room);
  charAt = new Int32Array(room + 1);
  score = new Float64Array(room + 1);
  next = new Int32Array(room + 1);
  wordOf = new Int32Array(room + 1);
  ends = new Int32Array(room);
  ids = new Int32Array(room);
}

export function tagWords(dictionary: Dictionary, text: string): Token[] {
  const words: Token[] = [];
  const s = text.replace(LONE_SURROGATE, '\uFFFD');
  let last = 0;
  for (const block of s.matchAll(BLOCK)) {
    between(dictionary, s, last, block.index, words);
    cutBlock(dictionary, block[0], words);
    last = block.index + block[0].length;
  }
  between(dictionary, s, last, s.length, words);
  return words;
}

function between(dictionary: Dictionary, s: string, from: number, to: number, words: Token[]) {
  for (let i = from; i < to; ) {
    const c = s.charCodeAt(i);
    const end = i + (c === 0x0d && s.charCodeAt(i + 1) === 0x0a ? 2 : c >= 0xd800 && c <= 0xdbff ? 2 : 1);
    words.push(tagged(dictionary, s.slice(i, end)));
    i = end;
  }
}

function cutBlock(dictionary: Dictionary, block: string, words: Token[]) {
  makeRoom(block.length * 3);
  // The block as UTF-8 (whose byte order is the dictionary's), remembering where each character starts.
  let n = 0;
  for (let i = 0; i < block.length; i++) {
    charAt[n] = i;
    let c = block.charCodeAt(i);
    if (c < 0x80) bytes[n++] = c;
    else if (c < 0x800) {
      bytes[n++] = 0xc0 | (c >> 6);
      bytes[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes[n++] = 0xe0 | (c >> 12);
      bytes[n++] = 0x80 | ((c >> 6) & 0x3f);
      bytes[n++] = 0x80 | (c & 0x3f);
    } else {
      c = block.codePointAt(i)!;
      i++;
      bytes[n++] = 0xf0 | (c >> 18);
      bytes[n++] = 0x80 | ((c >> 12) & 0x3f);
      bytes[n++] = 0x80 | ((c >> 6) & 0x3f);
      bytes[n++] = 0x80 | (c & 0x3f);
    }
  }
  charAt[n] = block.length;

  // The best way from each character to the block's end, from the end backwards.
  const logTotal = Math.log(dictionary.total);
  score[n] = 0;
  let after = n;
  for (let from = n - 1; from >= 0; from--) {
    if ((bytes[from]! & 0xc0) === 0x80) continue; // inside a character
    const found = dictionary.wordsAt(bytes, from, n, ends, ids);
    if (found === 0) {
      score[from] = Math.log(1) - logTotal + score[after]!;
      next[from] = after;
      wordOf[from] = NO_WORD;
    } else {
      let best = -1;
      for (let w = 0; w < found; w++) {
        const end = ends[w]!;
        const p = Math.log(dictionary.freqOf(ids[w]!)) - logTotal + score[end]!;
        // The higher probability; on a tie the later end (jieba-rs compares the pairs).
        if (best < 0 || !(score[from]! > p || (score[from] === p && next[from]! > end))) {
          best = w;
          score[from] = p;
          next[from] = end;
          wordOf[from] = ids[w]!;
        }
      }
    }
    after = from;
  }

  let asciiFrom = -1;
  for (let x = 0; x < n; x = next[x]!) {
    const y = next[x]!;
    if (y === x + 1 && isAsciiAlnum(bytes[x]!)) {
      if (asciiFrom < 0) asciiFrom = x;
      continue;
    }
    if (asciiFrom >= 0) {
      words.push(tagged(dictionary, block.slice(charAt[asciiFrom], charAt[x])));
      asciiFrom = -1;
    }
    const word = block.slice(charAt[x], charAt[y]);
    words.push(wordOf[x] === NO_WORD ? { word, tag: guessedTag(word) } : { word, tag: dictionary.tagOf(wordOf[x]!) });
  }
  if (asciiFrom >= 0) words.push(tagged(dictionary, block.slice(charAt[asciiFrom])));
}

function tagged(dictionary: Dictionary, word: string): Token {
  const id: WordId = dictionary.idOf(word);
  return { word, tag: id === NO_WORD ? guessedTag(word) : dictionary.tagOf(id) };
}

/** jieba-rs's tag for a word not in the dictionary: m for ASCII digits, eng for ASCII letters (and digits), else x. */
function guessedTag(word: string): string {
  let letters = 0;
  let digits = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (isAsciiAlnum(c)) {
      letters++;
      if (c <= 0x39) digits++;
    }
  }
  return letters === 0 ? 'x' : letters === digits ? 'm' : 'eng';
}
