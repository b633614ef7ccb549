/**
 * jieba's dictionary as the segmenter reads it: one line per word, `word freq tag`. The file's lines are sorted by
 * their UTF-8 bytes, so its words are kept in that order — their bytes end to end in one buffer and a few typed
 * arrays over them (about 6.5 MB; the file itself, 5 MB, is let go once read) — and searched by bisection, rather
 * than parsed into 350,000 strings or a trie (jieba's own, native, costs some 47 MB).
 * Words added later (the school's terms, a user dictionary in jieba's terms) are a small list beside it.
 */

/** A word's number in the dictionary: its line in the file, or past the last line for a word added later. */
export type WordId = number;

/** No word: what a search that found nothing returns. */
export const NO_WORD: WordId = -1;

interface AddedWord {
  bytes: Uint8Array;
  freq: number;
  tag: number;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const isBlank = (b: number) => b === SPACE || (b >= 0x09 && b <= 0x0d);

export class Dictionary {
  /** Each line's word, its bytes one after the other in file order; where each starts in it, and its length. */
  private words: Uint8Array;
  private wordsEnd = 0;
  private wordAt: Int32Array;
  private wordBytes: Uint8Array;
  private freqs: Uint32Array;
  /** Each word's part of speech, as its number in `tags` (the file has a few dozen of them). */
  private tagNumbers: Uint8Array;
  private readonly tags: string[] = [];
  private readonly added: AddedWord[] = [];
  private readonly addedIds = new Map<string, WordId>();
  /** The lines whose word starts with a given first character (its bytes as one number), found once. */
  private readonly firstChar = new Map<number, number>();
  /** Lines read so far: all of them once `read` has said so (nothing is looked up before). */
  private lines = 0;
  /** The sum of all words' frequencies: a word's probability is its frequency over it. */
  total = 0;

  /** Where `read` goes on: the byte it stopped at, and each tag's number by its bytes read as one number. */
  private readAt = 0;
  private readonly tagNumber = new Map<number, number>();

  /** The file as read, until `read` has reached its end. */
  private file: Uint8Array;
  private readWhole = false;

  constructor(file: Uint8Array) {
    this.file = file;
    // Room for the lines and their words guessed from the file's size (jieba's 14.5 bytes a line, 60 % of them the
    // word), grown if that falls short: counting the newlines first would take a twentieth of a second in one go.
    this.words = new Uint8Array(Math.max(64, Math.ceil(file.length * 0.62)));
    const room = Math.max(16, Math.ceil(file.length / 14));
    this.wordAt = new Int32Array(room);
    this.wordBytes = new Uint8Array(room);
    this.freqs = new Uint32Array(room);
    this.tagNumbers = new Uint8Array(room);
  }

  /** Half as much room again for lines. */
  private grow(): void {
    this.wordAt = resized(this.wordAt, Math.ceil(this.wordAt.length * 1.5));
    this.wordBytes = resized(this.wordBytes, this.wordAt.length);
    this.freqs = resized(this.freqs, this.wordAt.length);
    this.tagNumbers = resized(this.tagNumbers, this.wordAt.length);
  }

  /**
   * Once the file is read: the file's bytes (freqs and tags as text) let go, and the arrays narrowed to the lines
   * read. Narrowed, not copied: 5.5 MB of fresh copies held the event loop 20–40 ms (and briefly doubled what the
   * dictionary takes) to give back the quarter of a megabyte of room the guess from the file's size left over.
   */
  private trim(): void {
    const n = this.lines;
    this.wordAt = this.wordAt.subarray(0, n);
    this.wordBytes = this.wordBytes.subarray(0, n);
    this.freqs = this.freqs.subarray(0, n);
    this.tagNumbers = this.tagNumbers.subarray(0, n);
    this.words = this.words.subarray(0, this.wordsEnd);
    this.file = new Uint8Array(0);
  }

  /**
   * Reads up to `count` more lines of the file (all that are left without it); whether it is read to its end.
   * Read whole at once, the 349,000 lines hold the event loop about a tenth of a second; a caller with time reads
   * them a slice at a time.
   */
  read(count = Infinity): boolean {
    if (this.readWhole) return true;
    const { file, tagNumber } = this;
    let n = this.lines;
    let i = this.readAt;
    for (let left = count; i < file.length && left > 0; ) {
      // Fields split on blanks, as jieba reads a line; an empty line is no word.
      while (i < file.length && file[i] !== NEWLINE && isBlank(file[i]!)) i++;
      const start = i;
      while (i < file.length && !isBlank(file[i]!)) i++;
      const end = i;
      if (end > start) {
        if (end - start > 255) throw new Error(`jieba dictionary: word at byte ${start} longer than 255 bytes`);
        let freq = 0;
        while (i < file.length && file[i] !== NEWLINE && isBlank(file[i]!)) i++;
        for (; i < file.length && !isBlank(file[i]!); i++) {
          const d = file[i]! - 0x30;
          if (d < 0 || d > 9) throw new Error(`jieba dictionary: frequency at byte ${i} is not a number`);
          freq = freq * 10 + d;
        }
        while (i < file.length && file[i] !== NEWLINE && isBlank(file[i]!)) i++;
        // A tag is a few ASCII letters: read as a number, so that no line makes a string.
        let tag = 0;
        const tagStart = i;
        for (; i < file.length && !isBlank(file[i]!); i++) tag = tag * 256 + file[i]!;
        let t = tagNumber.get(tag);
        if (t === undefined) {
          if (i - tagStart > 6 || this.tags.length > 255) throw new Error(`jieba dictionary: tag at byte ${tagStart} is not one of a few short tags`);
          t = this.tags.push(Buffer.from(file.buffer, file.byteOffset + tagStart, i - tagStart).toString()) - 1;
          tagNumber.set(tag, t);
        }
        if (n === this.wordAt.length) this.grow();
        if (this.wordsEnd + (end - start) > this.words.length) this.words = resized(this.words, Math.ceil(this.words.length * 1.5) + 256);
        this.wordAt[n] = this.wordsEnd;
        for (let k = start; k < end; k++) this.words[this.wordsEnd++] = file[k]!;
        this.wordBytes[n] = end - start;
        this.freqs[n] = freq;
        this.tagNumbers[n] = t;
        if (n > 0 && this.compareLines(n - 1, n) >= 0) throw new Error(`jieba dictionary: line ${n + 1} is out of order or repeated`);
        n++;
        left--;
      }
      while (i < file.length && file[i] !== NEWLINE) i++;
      i++;
    }
    this.lines = n;
    this.readAt = i;
    if (i < file.length) return false;
    this.trim();
    this.readWhole = true;
    this.total = this.sumOfFreqs();
    return true;
  }

  /**
   * Adds words as jieba loads a user dictionary: a new word with its frequency and tag; for a word it already has,
   * the frequency only (jieba keeps the tag it had). The total is counted again.
   */
  addWords(words: ReadonlyArray<{ word: string; freq: number; tag: string }>): void {
    for (const { word, freq, tag } of words) {
      const id = this.idOf(word);
      if (id === NO_WORD) {
        let t = this.tags.indexOf(tag);
        if (t < 0) t = this.tags.push(tag) - 1;
        this.addedIds.set(word, this.lines + this.added.length);
        this.added.push({ bytes: Buffer.from(word), freq, tag: t });
      } else if (id < this.lines) this.freqs[id] = freq;
      else this.added[id - this.lines]!.freq = freq;
    }
    this.total = this.sumOfFreqs();
  }

  freqOf(id: WordId): number {
    return id < this.lines ? this.freqs[id]! : this.added[id - this.lines]!.freq;
  }

  tagOf(id: WordId): string {
    return this.tags[id < this.lines ? this.tagNumbers[id]! : this.added[id - this.lines]!.tag]!;
  }

  /** The word itself, if the dictionary has it. */
  idOf(word: string): WordId {
    const added = this.addedIds.get(word);
    if (added !== undefined) return added;
    const bytes = Buffer.from(word);
    let lo = 0;
    let hi = this.lines;
    for (let k = 0; k < bytes.length && lo < hi; k++) {
      lo = this.firstAtLeast(lo, hi, k, bytes[k]!);
      hi = this.firstAtLeast(lo, hi, k, bytes[k]! + 1);
    }
    return lo < hi && this.wordBytes[lo] === bytes.length ? lo : NO_WORD;
  }

  /**
   * Every word that `text` has at `from` (bytes of UTF-8, up to `to`): its end is written to `ends`, its id to `ids`,
   * and the count returned. The search narrows the lines byte by byte and stops as soon as no word goes on.
   */
  wordsAt(text: Uint8Array, from: number, to: number, ends: Int32Array, ids: Int32Array): number {
    let found = 0;
    const lead = text[from]!;
    const charEnd = Math.min(to, from + (lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4));
    let key = 0;
    for (let i = from; i < charEnd; i++) key = key * 256 + text[i]!;
    let range = this.firstChar.get(key);
    if (range === undefined) {
      let lo = 0;
      let hi = this.lines;
      for (let i = from; i < charEnd && lo < hi; i++) {
        lo = this.firstAtLeast(lo, hi, i - from, text[i]!);
        hi = this.firstAtLeast(lo, hi, i - from, text[i]! + 1);
      }
      range = lo * 2 ** 32 + hi;
      this.firstChar.set(key, range);
    }
    let lo = Math.floor(range / 2 ** 32);
    let hi = range % 2 ** 32;
    for (let k = charEnd - from; ; k++) {
      // The lines left all start with text[from, from + k); a word of exactly k bytes sorts first.
      if (lo < hi && this.wordBytes[lo] === k) {
        ends[found] = from + k;
        ids[found++] = lo;
      }
      if (lo >= hi || from + k >= to) break;
      lo = this.firstAtLeast(lo, hi, k, text[from + k]!);
      hi = this.firstAtLeast(lo, hi, k, text[from + k]! + 1);
    }
    for (let a = 0; a < this.added.length; a++) {
      const w = this.added[a]!.bytes;
      if (from + w.length > to) continue;
      let same = true;
      for (let i = 0; i < w.length && same; i++) same = text[from + i] === w[i];
      if (same) {
        ends[found] = from + w.length;
        ids[found++] = this.lines + a;
      }
    }
    return found;
  }

  /** The first line in [lo, hi) whose byte k is at least b (a word of k bytes or fewer counts as below any byte). */
  private firstAtLeast(lo: number, hi: number, k: number, b: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const byte = k < this.wordBytes[mid]! ? this.words[this.wordAt[mid]! + k]! : -1;
      if (byte < b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compareLines(a: number, b: number): number {
    const la = this.wordBytes[a]!;
    const lb = this.wordBytes[b]!;
    const pa = this.wordAt[a]!;
    const pb = this.wordAt[b]!;
    for (let k = 0; k < la && k < lb; k++) {
      const d = this.words[pa + k]! - this.words[pb + k]!;
      if (d) return d;
    }
    return la - lb;
  }

  private sumOfFreqs(): number {
    let sum = 0;
    for (let i = 0; i < this.lines; i++) sum += this.freqs[i]!;
    for (const w of this.added) sum += w.freq;
    return sum;
  }
}

/** A copy of `a` with room for `length` items (what it has, as far as they fit). */
function resized<T extends Int32Array | Uint32Array | Uint8Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a.length > length ? a.subarray(0, length) : a);
  return b;
}
