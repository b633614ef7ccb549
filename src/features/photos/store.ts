import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Photos on disk, addressed by content: `<dir>/<sha[0..2]>/<sha>.<ext>`, the
 * extension from the bytes themselves (never from anything a user typed).
 * The same picture sent twice is stored once.
 */

export interface StoredFile {
  sha256: string;
  /** Relative to the photo directory, with forward slashes. */
  path: string;
  contentType: string;
  bytes: number;
}

const SIGNATURES: Array<{ ext: string; type: string; test(b: Buffer): boolean }> = [
  { ext: 'png', type: 'image/png', test: (b) => starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { ext: 'jpg', type: 'image/jpeg', test: (b) => starts(b, [0xff, 0xd8, 0xff]) },
  { ext: 'gif', type: 'image/gif', test: (b) => starts(b, [0x47, 0x49, 0x46, 0x38]) },
  { ext: 'webp', type: 'image/webp', test: (b) => starts(b, [0x52, 0x49, 0x46, 0x46]) && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { ext: 'bmp', type: 'image/bmp', test: (b) => starts(b, [0x42, 0x4d]) },
  { ext: 'tif', type: 'image/tiff', test: (b) => starts(b, [0x49, 0x49, 0x2a, 0x00]) || starts(b, [0x4d, 0x4d, 0x00, 0x2a]) },
  // HEIF family (iPhone photos): an ISO-BMFF `ftyp` box with an image brand.
  {
    ext: 'heic',
    type: 'image/heic',
    test: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' && /^(hei[cxms]|hev[cxms]|mif1|msf1)$/.test(b.subarray(8, 12).toString('latin1')),
  },
  { ext: 'avif', type: 'image/avif', test: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' && /^avi[fs]$/.test(b.subarray(8, 12).toString('latin1')) },
];

function starts(b: Buffer, sig: number[]): boolean {
  return b.length >= sig.length && sig.every((x, i) => b[i] === x);
}

/** The image type the bytes really are, or null when they are not a picture we recognise. */
export function sniffImage(bytes: Buffer): { ext: string; type: string } | null {
  const hit = SIGNATURES.find((s) => s.test(bytes));
  return hit ? { ext: hit.ext, type: hit.type } : null;
}

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Writes the bytes under their hash (temp file, then rename, so a reader never sees half a photo). */
export async function storeByHash(dir: string, bytes: Buffer): Promise<StoredFile> {
  const sha256 = sha256Hex(bytes);
  const kind = sniffImage(bytes) ?? { ext: 'bin', type: 'application/octet-stream' };
  const rel = `${sha256.slice(0, 2)}/${sha256}.${kind.ext}`;
  const full = path.join(dir, ...rel.split('/'));
  const existing = await fs.stat(full).catch(() => null);
  if (!existing || existing.size !== bytes.length) {
    await fs.mkdir(path.dirname(full), { recursive: true });
    const tmp = `${full}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(tmp, bytes, { flag: 'wx' });
      await fs.rename(tmp, full);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }
  return { sha256, path: rel, contentType: kind.type, bytes: bytes.length };
}
