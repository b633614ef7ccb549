import * as lark from '@larksuiteoapi/node-sdk';
import axios from 'axios';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, headerValue, type Frame } from '../../src/sandbox/ws-frames.js';
import type { FeishuStandIn } from '../../src/sandbox/stand-in.js';
import { ALICE, APP_ID, APP_SECRET, sdkClient, silentLogger, startStandIn, waitFor } from './helpers.js';

describe('frame codec', () => {
  it('round-trips every field', () => {
    const f: Frame = {
      SeqID: 3,
      LogID: 9,
      service: 777,
      method: 1,
      headers: [
        { key: 'type', value: 'event' },
        { key: 'sum', value: '1' },
      ],
      payload: Buffer.from('{"a":1}'),
      LogIDNew: 'x',
    };
    const back = decodeFrame(encodeFrame(f));
    expect(back).toMatchObject({ SeqID: 3, LogID: 9, service: 777, method: 1, LogIDNew: 'x' });
    expect(headerValue(back, 'sum')).toBe('1');
    expect(Buffer.from(back.payload ?? []).toString()).toBe('{"a":1}');
  });
});

describe('long-connection protocol details', () => {
  let s: FeishuStandIn;
  const cleanup: Array<() => void> = [];
  afterEach(async () => {
    cleanup.splice(0).forEach((fn) => fn());
    await s.stop();
  });

  it('endpoint URL keeps service_id away from the front; ping gets a JSON pong', async () => {
    s = await startStandIn({ wsClientConfig: { PingInterval: 30 } });
    const ep = await axios.post(`${s.baseUrl}/callback/ws/endpoint`, { AppID: APP_ID, AppSecret: APP_SECRET });
    expect(ep.data.code).toBe(0);
    const url = new URL(ep.data.data.URL);
    expect([...url.searchParams.keys()][0]).not.toBe('service_id');
    expect(url.searchParams.get('service_id')).toBe('777');
    expect(ep.data.data.ClientConfig).toMatchObject({ PingInterval: 30, ReconnectCount: -1 });

    const sock = new WebSocket(ep.data.data.URL);
    cleanup.push(() => sock.terminate());
    await new Promise((r) => sock.once('open', r));
    const pong = new Promise<Frame>((r) => sock.once('message', (d) => r(decodeFrame(d as Buffer))));
    sock.send(encodeFrame({ SeqID: 0, LogID: 0, service: 777, method: 0, headers: [{ key: 'type', value: 'ping' }] }));
    const f = await pong;
    expect(headerValue(f, 'type')).toBe('pong');
    expect(JSON.parse(Buffer.from(f.payload ?? []).toString())).toMatchObject({ PingInterval: 30 });
  });

  it('an upgrade without a valid ticket is refused', async () => {
    s = await startStandIn();
    const sock = new WebSocket(`${s.baseUrl.replace('http', 'ws')}/ws?fpid=1&service_id=777&ticket=forged`);
    const err = await new Promise<Error>((r) => sock.once('error', r));
    expect(err.message).toContain('403');
  });

  it('wrong AppSecret on the endpoint is fatal for WSClient (onError)', async () => {
    s = await startStandIn();
    let error: Error | undefined;
    const ws = new lark.WSClient({ appId: APP_ID, appSecret: 'wrong', domain: s.baseUrl, logger: silentLogger, onError: (e) => (error = e) });
    cleanup.push(() => ws.close({ force: true }));
    await ws.start({ eventDispatcher: new lark.EventDispatcher({ logger: silentLogger }) });
    await waitFor(() => error);
    expect(error?.message).toContain('514');
    expect(s.connectedClients()).toBe(0);
  });

  it('large payloads are split into sum/seq fragments that the SDK reassembles', async () => {
    s = await startStandIn({ wsFragmentBytes: 64 });
    const got: string[] = [];
    const dispatcher = new lark.EventDispatcher({ logger: silentLogger }).register({
      'im.message.receive_v1': async (d) => {
        got.push(JSON.parse(d.message.content).text);
      },
    });
    const ws = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, domain: s.baseUrl, logger: silentLogger });
    cleanup.push(() => ws.close({ force: true }));
    await ws.start({ eventDispatcher: dispatcher });
    await waitFor(() => s.connectedClients() === 1 || undefined);
    const text = '分片测试'.repeat(100);
    await s.sendText(ALICE.openId, text);
    expect(got).toEqual([text]);
  });
});

describe('the frame type of card callbacks (cardFrames)', () => {
  let s: FeishuStandIn;
  const cleanup: Array<() => void> = [];
  afterEach(async () => {
    cleanup.splice(0).forEach((fn) => fn());
    await s.stop();
  });

  const card = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: '待确认' }] } };
  async function sendCard(): Promise<string> {
    const sent = await sdkClient(s).im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: ALICE.openId, msg_type: 'interactive', content: JSON.stringify(card) },
    });
    return sent.data?.message_id as string;
  }

  /** A bare long-connection client that records each data frame's type and ACKs it with a toast, as the SDK would. */
  async function recordingClient(): Promise<string[]> {
    const ep = await axios.post(`${s.baseUrl}/callback/ws/endpoint`, { AppID: APP_ID, AppSecret: APP_SECRET });
    const sock = new WebSocket(ep.data.data.URL);
    cleanup.push(() => sock.terminate());
    await new Promise((r) => sock.once('open', r));
    const types: string[] = [];
    sock.on('message', (d) => {
      const f = decodeFrame(d as Buffer);
      if (f.method !== 1) return;
      types.push(headerValue(f, 'type') ?? '');
      const data = Buffer.from(JSON.stringify({ toast: { type: 'success', content: '收到' } })).toString('base64');
      sock.send(encodeFrame({ ...f, headers: [...f.headers, { key: 'biz_rt', value: '1' }], payload: Buffer.from(JSON.stringify({ code: 200, data })) }));
    });
    sock.send(encodeFrame({ SeqID: 0, LogID: 0, service: 777, method: 0, headers: [{ key: 'type', value: 'ping' }] }));
    await waitFor(() => s.connectedClients() === 1 || undefined);
    return types;
  }

  it.each([
    [undefined, 'event'],
    ['card', 'card'],
  ] as const)('cardFrames %s: clicks travel as "%s" frames, messages and menu clicks as "event"', async (cardFrames, clickType) => {
    s = await startStandIn(cardFrames ? { cardFrames } : {});
    const types = await recordingClient();
    const messageId = await sendCard();
    await s.sendText(ALICE.openId, '你好');
    await s.menuClick(ALICE.openId, 'menu_today');
    const click = await s.clickCard({ messageId, operatorOpenId: ALICE.openId, value: { action: 'confirm' } });
    expect(click.error).toBeUndefined();
    expect(click.toast).toEqual({ type: 'success', content: '收到' });
    expect(types).toEqual(['event', 'event', clickType]);
  });

  it('SDK 1.74.0\'s own WSClient leaves a "card" frame unanswered: the click times out with 200341', async () => {
    // Why the bot wraps WSClient (src/feishu/long-connection.ts). Should a later SDK answer these
    // frames itself, this fails, and the wrapper's card path can go.
    s = await startStandIn({ cardFrames: 'card', callbackTimeoutMs: 500 });
    let called = false;
    const dispatcher = new lark.EventDispatcher({ logger: silentLogger }).register({
      'card.action.trigger': async () => {
        called = true;
        return { toast: { type: 'success', content: '收到' } };
      },
    } as never);
    const ws = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, domain: s.baseUrl, logger: silentLogger });
    cleanup.push(() => ws.close({ force: true }));
    await ws.start({ eventDispatcher: dispatcher });
    await waitFor(() => s.connectedClients() === 1 || undefined);
    const click = await s.clickCard({ messageId: await sendCard(), operatorOpenId: ALICE.openId, value: {} });
    expect(click.error?.code).toBe(200341);
    expect(called).toBe(false);
  });
});

describe('restart', () => {
  it('start() after stop() serves HTTP and the long connection again', async () => {
    const s = await startStandIn();
    await s.stop();
    await s.start();
    const got: string[] = [];
    const dispatcher = new lark.EventDispatcher({ logger: silentLogger }).register({
      'im.message.receive_v1': async (d: any) => {
        got.push(JSON.parse(d.message.content).text);
      },
    });
    const ws = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, domain: s.baseUrl, logger: silentLogger });
    try {
      await ws.start({ eventDispatcher: dispatcher });
      await waitFor(() => s.connectedClients() === 1 || undefined);
      await s.sendText(ALICE.openId, 'again');
      expect(got).toEqual(['again']);
    } finally {
      ws.close({ force: true });
      await s.stop();
    }
  });
});
