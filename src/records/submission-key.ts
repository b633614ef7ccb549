import { randomFillSync } from 'node:crypto';

/**
 * The key a repeatable form's card carries, so the same card submitted twice
 * (a double click, a callback Feishu retried) files one record. A UUID of
 * version 7 (RFC 9562): the first 48 bits are the time the card was made, the
 * other 74 random. Cards made about the same time have keys next to each other,
 * so looking a key up and adding it to the unique index reads the few pages
 * at the index's recent end, which stay in memory — with random keys (version
 * 4) each submit read and rewrote a page from anywhere in an index of every
 * visit ever filed.
 */
export function newSubmissionKey(now: Date): string {
  const b = randomFillSync(Buffer.alloc(16));
  const ms = Math.max(0, Math.floor(now.getTime()));
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f); // version 7
  b[8] = 0x80 | (b[8]! & 0x3f); // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
