/**
 * The raw material of synthetic rosters: a seeded random source, invented
 * Chinese names, phone numbers in unallocated blocks and addresses in the
 * fictional 示范市. Shared by the school-sized demo and the district-sized
 * benchmark data, so both are deterministic and nobody in them is real.
 */

import { createHash } from 'node:crypto';
import type { ContactLookup } from '../roster/import.js';

export type Rng = () => number;

/** 32 hex digits derived from a seed: synthetic Feishu ids that every process and restart agrees on. */
export const hex32 = (seed: string) => createHash('sha256').update(seed).digest('hex').slice(0, 32);

/** The directory lookup of a simulated tenant: mobiles find the account `openIdOf` gives; emails find none. */
export const syntheticLookup =
  (openIdOf: (mobile: string) => string | undefined): ContactLookup =>
  async ({ mobiles = [], emails = [] }) => [...mobiles.map((mobile) => ({ mobile, openId: openIdOf(mobile) })), ...emails.map((email) => ({ email }))];

/** mulberry32: tiny, fast and good enough for demo data; Math.random would break determinism. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Random {
  constructor(readonly next: Rng) {}
  /** Inclusive on both ends. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    if (!list.length) throw new Error('pick from an empty list');
    return list[Math.floor(this.next() * list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  shuffle<T>(list: readonly T[]): T[] {
    const a = [...list];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

/**
 * Unique 11-digit numbers under a 7-digit prefix, in random order (a lazy
 * Fisher–Yates over the 10 000 suffixes) so they do not look like a counter.
 */
export class NumberBlock {
  private readonly rest = Array.from({ length: 10_000 }, (_, i) => i);
  private used = 0;
  constructor(
    private readonly prefix: string,
    private readonly r: Random,
  ) {}
  get exhausted(): boolean {
    return this.used >= this.rest.length;
  }
  next(): string {
    if (this.exhausted) throw new Error(`number block ${this.prefix} exhausted`);
    const j = this.r.int(this.used, this.rest.length - 1);
    [this.rest[this.used], this.rest[j]] = [this.rest[j]!, this.rest[this.used]!];
    return this.prefix + String(this.rest[this.used++]).padStart(4, '0');
  }
}

const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛段雷黎史龙陶贺顾毛郝龚邵万覃武钱戴严莫孔向汤',
];
const GIVEN_MALE = [...'伟强磊军勇杰涛斌超刚辉鹏飞鑫波宇浩凯健俊帆旭龙洋亮成东峰博志宏建振锋睿轩皓泽铭豪航骏毅康'];
const GIVEN_FEMALE = [...'芳娜敏静丽艳娟霞秀玲婷雪琳颖慧莹倩洁欣怡萍红梅琴悦晶璐瑶蕾妍涵诗梦茜岚薇'];
const GIVEN_ANY = [...'文明佳思雨子一晓海春晨安心宁嘉华平林阳乐永世德新云天正'];

export function personName(r: Random, male: boolean): string {
  const own = male ? GIVEN_MALE : GIVEN_FEMALE;
  const ch = () => (r.chance(0.65) ? r.pick(own) : r.pick(GIVEN_ANY));
  return r.pick(SURNAMES) + (r.chance(0.7) ? ch() + ch() : ch());
}

/** A name not yet in `used` (and then recorded there), so rosters resolve names unambiguously. */
export function uniqueName(r: Random, used: Set<string>, male = r.chance(0.5)): string {
  for (let i = 0; i < 1000; i++) {
    const n = personName(r, male);
    if (!used.has(n)) {
      used.add(n);
      return n;
    }
  }
  throw new Error('ran out of demo names');
}

const CN_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
export const cnGrade = (g: number) => CN_DIGITS[g] ?? String(g);

const DISTRICTS = ['黄埔区', '东湖区', '新港区', '开发区', '南岗区'];
const ROADS = ['和平路', '建设路', '新华路', '人民路', '文明路', '光明路', '长青路', '兴业路', '育才路', '丰收路', '幸福路', '朝阳路'];
const VILLAGES = ['东村', '西村', '南岗村', '北塘村', '上坑村', '下围村'];

export function address(r: Random): string {
  const d = r.pick(DISTRICTS);
  if (r.chance(0.25)) return `示范市${d}${r.pick(VILLAGES)}${r.int(1, 12)}巷${r.int(1, 40)}号`;
  return `示范市${d}${r.pick(ROADS)}${r.int(1, 260)}号${r.chance(0.6) ? `${r.int(1, 30)}栋${r.int(1, 30)}0${r.int(1, 6)}房` : ''}`;
}
