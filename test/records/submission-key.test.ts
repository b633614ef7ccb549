import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newSubmissionKey } from '../../src/records/submission-key.js';

/** What a card's submit value is checked against (forms/flow.ts, planning). */
const onCard = z.string().uuid();

describe('submission keys', () => {
  it('are UUIDs of version 7 that the card handlers accept, one of a kind', () => {
    const at = new Date('2026-11-17T10:00:00+08:00');
    const keys = Array.from({ length: 10_000 }, () => newSubmissionKey(at));
    for (const k of keys.slice(0, 100)) {
      expect(onCard.safeParse(k).success, k).toBe(true);
      expect(k[14]).toBe('7');
      expect('89ab').toContain(k[19]);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('begin with the time the card was made, so later cards sort after earlier ones', () => {
    const at = new Date('2026-11-17T10:00:00.123+08:00');
    const key = newSubmissionKey(at);
    expect(Number.parseInt(key.replace(/-/g, '').slice(0, 12), 16)).toBe(at.getTime());
    const later = [1, 1000, 86_400_000, 7 * 86_400_000].map((ms) => newSubmissionKey(new Date(at.getTime() + ms)));
    expect([key, ...later]).toEqual([key, ...later].sort());
  });
});
