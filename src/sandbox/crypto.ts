/**
 * Webhook security helpers ("步骤三：接收事件"; "将事件发送至开发者服务器"): the
 * AES-256-CBC envelope Feishu
 * uses when an Encrypt Key is configured, and the X-Lark-Signature rule.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

function aesKey(encryptKey: string): Buffer {
  // The key is sha256(encryptKey): 32 raw bytes.
  return createHash('sha256').update(encryptKey, 'utf8').digest();
}

/** base64(iv ‖ AES-256-CBC(PKCS7(plaintext))), the value of the `encrypt` field. */
export function encryptPayload(encryptKey: string, plaintext: string, iv: Buffer = randomBytes(16)): string {
  const cipher = createCipheriv('aes-256-cbc', aesKey(encryptKey), iv); // Node pads with PKCS7 by default
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body]).toString('base64');
}

/** Inverse of {@link encryptPayload}. Throws on a wrong key or a damaged blob. */
export function decrypt(encryptKey: string, encrypted: string): string {
  const blob = Buffer.from(encrypted, 'base64');
  if (blob.length < 32 || blob.length % 16 !== 0) throw new Error('密文长度不对 (bad ciphertext length)');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(encryptKey), blob.subarray(0, 16));
  return Buffer.concat([decipher.update(blob.subarray(16)), decipher.final()]).toString('utf8');
}

/** hex(sha256(timestamp + nonce + encryptKey + body)), sent as X-Lark-Signature. */
export function signWebhook(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey, 'utf8')
    .update(body, 'utf8')
    .digest('hex');
}
