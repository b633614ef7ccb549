import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decrypt, encryptPayload, signWebhook } from '../../src/sandbox/crypto.js';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, ENCRYPT_KEY, VERIFICATION_TOKEN, sdkClient, silentLogger, startStandIn } from './helpers.js';

describe('crypto helpers', () => {
  it('decrypts the documented test vector', () => {
    expect(decrypt('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
  });
  it('round-trips with the SDK AESCipher', () => {
    const enc = encryptPayload('k', '{"中文":"ok"}');
    expect(new lark.AESCipher('k').decrypt(enc)).toBe('{"中文":"ok"}');
    expect(decrypt('k', enc)).toBe('{"中文":"ok"}');
  });
  it('signs as hex sha256(timestamp + nonce + key + body)', () => {
    const expected = createHash('sha256').update('1700000000nonce1keybody').digest('hex');
    expect(signWebhook('1700000000', 'nonce1', 'key', 'body')).toBe(expected);
  });
});

describe('webhook delivery to the SDK EventDispatcher', () => {
  let s: FeishuStandIn;
  let server: http.Server;
  let base = '';
  const handled: any[] = [];
  const rawRequests: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  let cardAnswer: (data: any) => Promise<unknown> = async () => ({});

  beforeEach(async () => {
    handled.length = 0;
    rawRequests.length = 0;
    s = await startStandIn();
    const dispatcher = new lark.EventDispatcher({ encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, logger: silentLogger }).register({
      'im.message.receive_v1': async (data: any) => {
        handled.push(data);
      },
      'card.action.trigger': async (data: any) => {
        handled.push(data);
        return cardAnswer(data);
      },
    } as any);
    const app = express();
    // Record exactly what arrived, then let the SDK's adapter read the body itself.
    app.post('/probe', express.text({ type: '*/*' }), (req, res) => {
      rawRequests.push({ headers: req.headers, body: req.body as string });
      res.end('{}');
    });
    app.post('/webhook/event', lark.adaptExpress(dispatcher, { autoChallenge: true }));
    app.post('/broken', (_req, res) => {
      res.status(500).end('oops');
    });
    // Begins an answer and never finishes it.
    app.post('/half', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"toast":');
    });
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    s.setWebhook(`${base}/webhook/event`);
  });

  afterEach(async () => {
    await s.stop();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends an encrypted, signed envelope that the SDK accepts', async () => {
    const { messageId } = await s.sendText(ALICE.openId, '你好');
    expect(handled).toHaveLength(1);
    expect(handled[0].message.message_id).toBe(messageId);
    expect(handled[0].token).toBe(VERIFICATION_TOKEN);
  });

  it('the wire format: {encrypt}, X-Lark-* headers, signature over the body', async () => {
    s.setWebhook(`${base}/probe`);
    await s.sendText(ALICE.openId, 'probe');
    const [req] = rawRequests;
    const ts = String(req?.headers['x-lark-request-timestamp']);
    const nonce = String(req?.headers['x-lark-request-nonce']);
    expect(ts).toMatch(/^\d{10}$/);
    expect(req?.headers['x-lark-signature']).toBe(signWebhook(ts, nonce, ENCRYPT_KEY, req?.body ?? ''));
    const envelope = JSON.parse(decrypt(ENCRYPT_KEY, JSON.parse(req?.body ?? '{}').encrypt));
    expect(envelope).toMatchObject({
      schema: '2.0',
      header: { event_type: 'im.message.receive_v1', token: VERIFICATION_TOKEN, app_id: expect.any(String), tenant_key: s.tenantKey },
    });
    expect(envelope.header.create_time).toMatch(/^\d{13}$/);
    expect(typeof envelope.event.message.content).toBe('string');
  });

  it("saving a request URL sends the console's check unsigned, and keeps the URL only if the challenge comes back", async () => {
    s.setWebhook(null);
    await expect(s.configureWebhook(`${base}/probe`)).rejects.toThrow(/Challenge code 没有返回.*HTTP 200 \{\}/);
    const [req] = rawRequests;
    for (const h of ['x-lark-signature', 'x-lark-request-timestamp', 'x-lark-request-nonce']) expect(req?.headers[h]).toBeUndefined();
    expect(JSON.parse(decrypt(ENCRYPT_KEY, JSON.parse(req?.body ?? '{}').encrypt))).toEqual({
      challenge: expect.any(String),
      token: VERIFICATION_TOKEN,
      type: 'url_verification',
    });
    await expect(s.sendText(ALICE.openId, 'x')).rejects.toThrow(/nowhere to deliver/);

    await s.configureWebhook(`${base}/webhook/event`);
    await s.sendText(ALICE.openId, '你好');
    expect(handled).toHaveLength(1);
  });

  it('sends an event again on a new connection when the server dropped the kept-alive one just as it was reused', async () => {
    const served: number[] = [];
    const requestsOn = new Map<object, number>();
    // A server closing an idle connection at the moment the next request takes it: the request is never read.
    const dropping = http.createServer((req, res) => {
      const n = (requestsOn.get(req.socket) ?? 0) + 1;
      requestsOn.set(req.socket, n);
      if (n === 2) return void req.socket.destroy();
      req.resume();
      req.on('end', () => {
        served.push(n);
        res.end('{}');
      });
    });
    await new Promise<void>((r) => dropping.listen(0, '127.0.0.1', () => r()));
    try {
      s.setWebhook(`http://127.0.0.1:${(dropping.address() as AddressInfo).port}/webhook/event`);
      const first = await s.deliver('im.message.receive_v1', { message: { message_id: 'om_1', content: '{"text":"1"}' } });
      const second = await s.deliver('im.message.receive_v1', { message: { message_id: 'om_2', content: '{"text":"2"}' } });
      expect([first.httpStatus, second.httpStatus]).toEqual([200, 200]);
      // Each read once, the second on a connection of its own.
      expect(served).toEqual([1, 1]);
    } finally {
      dropping.closeAllConnections();
      await new Promise<void>((r) => dropping.close(() => r()));
    }
  });

  it("tamper: 'signature' fails the SDK's check (HTTP 200, empty body, handler not called)", async () => {
    const r = await s.deliver('im.message.receive_v1', { message: { message_id: 'om_x', content: '{"text":"x"}' } }, { tamper: 'signature' });
    expect(r.httpStatus).toBe(200);
    expect(r.body).toBeUndefined();
    expect(handled).toHaveLength(0);
    const ok = await s.deliver('im.message.receive_v1', { message: { message_id: 'om_y', content: '{"text":"y"}' } });
    expect(ok.httpStatus).toBe(200);
    expect(handled).toHaveLength(1);
  });

  it("tamper: 'token' and 'stale-timestamp' pass the SDK (it checks neither) — the bot must", async () => {
    await s.deliver('im.message.receive_v1', { message: { message_id: 'om_t' } }, { tamper: 'token' });
    expect(handled[0].token).not.toBe(VERIFICATION_TOKEN);
    s.setWebhook(`${base}/probe`);
    await s.deliver('im.message.receive_v1', { message: { message_id: 'om_s' } }, { tamper: 'stale-timestamp', eventId: 'ev-fixed' });
    const ts = Number(rawRequests[0]?.headers['x-lark-request-timestamp']);
    expect(Math.floor(Date.now() / 1000) - ts).toBeGreaterThanOrEqual(3599);
    expect(JSON.parse(decrypt(ENCRYPT_KEY, JSON.parse(rawRequests[0]?.body ?? '{}').encrypt)).header.event_id).toBe('ev-fixed');
  });

  it('card callbacks over the webhook: answer, non-200 and timeout', async () => {
    const client = sdkClient(s);
    const card = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '报名' }] } };
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card) },
    });
    const messageId = sent.data?.message_id as string;
    cardAnswer = async () => ({
      toast: { type: 'info', content: '收到' },
      card: { type: 'raw', data: { ...card, body: { elements: [{ tag: 'markdown', content: '已报名' }] } } },
    });
    const ok = await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: { k: 1 } });
    expect(ok).toMatchObject({ httpStatus: 200, toast: { type: 'info', content: '收到' } });
    expect(s.messages()[0]?.content.body.elements[0].content).toBe('已报名');
    expect(handled[0].header).toBeUndefined();
    expect(handled[0].create_time).toMatch(/^\d{16}$/); // callbacks: microseconds

    cardAnswer = () => new Promise((r) => setTimeout(() => r({}), 4000));
    expect((await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).error?.code).toBe(200341);
    // An answer begun but not finished in time is a timeout as well, not an unreachable URL.
    s.setWebhook(`${base}/half`);
    expect((await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} })).error?.code).toBe(200341);

    s.setWebhook(`${base}/broken`);
    const broken = await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: {} });
    expect(broken).toMatchObject({ httpStatus: 500, error: { code: 200671 } });
  });

  it('refuses to deliver when there is nowhere to deliver', async () => {
    s.setWebhook(null);
    await expect(s.sendText(ALICE.openId, 'x')).rejects.toThrow(/nowhere to deliver/);
    expect(s.messages()).toHaveLength(0);
  });
});
