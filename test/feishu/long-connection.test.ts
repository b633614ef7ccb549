import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { LongConnection, wsClientInternals } from '../../src/feishu/long-connection.js';
import { createLogger } from '../../src/logger.js';
import { LongConnectionHub } from '../../src/sandbox/long-connection.js';
import { LogSink, waitFor } from '../helpers/harness.js';
import { APP_ID, APP_SECRET, silentLogger } from '../sandbox/helpers.js';

/**
 * The bot's long connection against a bare long-connection server: card
 * callbacks in "card" frames are answered like those in "event" frames, and
 * any other frame type is logged.
 */

const callback = (eventId: string) =>
  JSON.stringify({
    schema: '2.0',
    header: { event_id: eventId, event_type: 'card.action.trigger', create_time: '1', token: 'v', app_id: APP_ID, tenant_key: 't' },
    event: {
      operator: { open_id: 'ou_teacher' },
      token: 'c-1',
      action: { value: { action: 'confirm' }, tag: 'button' },
      context: { open_message_id: 'om_1', open_chat_id: 'oc_1' },
    },
  });

let hub: LongConnectionHub;
let server: http.Server;
let ws: LongConnection | undefined;

afterEach(async () => {
  ws?.close({ force: true });
  ws = undefined;
  await hub.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function connect(onCard: (data: any) => Promise<unknown>, fragmentBytes?: number) {
  hub = new LongConnectionHub(undefined, fragmentBytes);
  server = http.createServer((_req, res) => {
    const { port } = server.address() as AddressInfo;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ code: 0, msg: 'ok', data: hub.issueUrl('127.0.0.1', port) }));
  });
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const logs = new LogSink();
  const dispatcher = new lark.EventDispatcher({ logger: silentLogger }).register({ 'card.action.trigger': onCard } as never);
  ws = new LongConnection({
    appId: APP_ID,
    appSecret: APP_SECRET,
    domain: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log: createLogger('info', logs),
  });
  await ws.start({ eventDispatcher: dispatcher });
  await waitFor(() => hub.connectedClients() === 1, 'long connection');
  return logs;
}

const decoded = (r: { ack?: { data?: unknown } }) => r.ack?.data;

describe("the bot's long connection", () => {
  it.each(['event', 'card'])('answers a callback in a "%s" frame with the handler\'s answer, reassembled from fragments', async (frameType) => {
    const seen: string[] = [];
    await connect(async (d) => {
      seen.push(d.event_id);
      return { toast: { type: 'success', content: '已确认' } };
    }, 64);
    const r = await hub.push(callback('e-1'), 3000, frameType);
    expect(r.timedOut).toBe(false);
    expect(r.ack?.code).toBe(200);
    expect(decoded(r)).toEqual({ toast: { type: 'success', content: '已确认' } });
    // The ACK echoes the frame it answers, type included, and says how long the handler took.
    expect(r.ack?.headers.type).toBe(frameType);
    expect(Number(r.ack?.headers.sum)).toBeGreaterThan(1);
    expect(r.ack?.headers).toHaveProperty('biz_rt');
    expect(seen).toEqual(['e-1']);
  });

  it('a card handler that throws is answered with code 500 and logged', async () => {
    const logs = await connect(async () => {
      throw new Error('boom');
    });
    const r = await hub.push(callback('e-2'), 3000, 'card');
    expect(r.ack?.code).toBe(500);
    expect(logs.lines.some((l) => l.includes('card callback handler failed'))).toBe(true);
  });

  it('a frame of any other type is left unanswered and logged with its type', async () => {
    let called = false;
    const logs = await connect(async () => {
      called = true;
      return {};
    });
    const r = await hub.push(callback('e-3'), 300, 'future');
    expect(r.timedOut).toBe(true);
    expect(called).toBe(false);
    const line = logs.lines.find((l) => l.includes('dropped a data frame'));
    expect(line && JSON.parse(line)).toMatchObject({ level: 40, frameType: 'future' });
  });

  it('after the server drops the socket, it reconnects and still answers "card" frames', async () => {
    await connect(async () => ({ toast: { type: 'info', content: '又连上了' } }));
    hub.dropAll();
    await waitFor(() => hub.connectedClients() === 1, 'reconnect', 10_000);
    expect(ws?.getConnectionStatus().state).toBe('connected');
    const r = await hub.push(callback('e-4'), 3000, 'card');
    expect(decoded(r)).toEqual({ toast: { type: 'info', content: '又连上了' } });
  }, 15_000);
});

describe('the SDK internals it relies on', () => {
  it('are there in the installed SDK, and their absence is refused loudly', () => {
    // Pinned: the card path reuses WSClient internals of exactly this version.
    const sdk = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, logger: silentLogger });
    expect(() => wsClientInternals(sdk)).not.toThrow();
    sdk.close({ force: true });
    expect(() => wsClientInternals({ handleEventData() {} })).toThrow(/re-check src\/feishu\/long-connection.ts/);
  });
});
