import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FeishuApi } from '../src/feishu/api.js';
import { FeishuApiError, cardBuildError } from '../src/feishu/errors.js';

/** How Feishu's answers are read: what may be retried, and what may have taken effect. */
describe('FeishuApiError', () => {
  const lockMsg = 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock; ErrorValue: ; ';

  it('reads the card builder’s code and message out of a 230099 msg', () => {
    expect(cardBuildError(lockMsg)).toEqual({ code: 11310, msg: 'card action is lock' });
    expect(
      cardBuildError(
        'Failed to create card content, ext=ErrCode: 200550; ErrPath: ROOT -> elements -> [2](tag: chart); ErrMsg: chart spec is invalid; ErrorValue: x',
      ),
    ).toEqual({
      code: 200550,
      msg: 'chart spec is invalid',
    });
    expect(cardBuildError('Failed to create card content.')).toBeNull();
  });

  it('retries a locked card, whether or not Feishu spells out the sub-code, but not a card over the element limit', () => {
    expect(FeishuApiError.fromResponse(400, { code: 230099, msg: lockMsg }).retryable).toBe(true);
    expect(FeishuApiError.fromResponse(400, { code: 230099, msg: 'card action is lock' }).retryable).toBe(true);
    expect(
      FeishuApiError.fromResponse(400, {
        code: 230099,
        msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: element exceeds the limit; ErrorValue: 201; ',
      }).retryable,
    ).toBe(false);
    expect(
      FeishuApiError.fromResponse(400, { code: 230099, msg: 'Failed to create card content, ext=ErrCode: 100290; ErrMsg: card action is lock?; ' }).retryable,
    ).toBe(false);
    expect(FeishuApiError.fromResponse(400, { code: 230028, msg: 'The messages do NOT pass the audit.' }).retryable).toBe(false);
  });

  it('counts only a missing answer or a server error as possibly carried out', () => {
    expect(FeishuApiError.from(Object.assign(new Error('timeout of 10000ms exceeded'), { code: 'ECONNABORTED' })).mayHaveTakenEffect).toBe(true);
    expect(FeishuApiError.from({ response: { status: 502, data: {} } }).mayHaveTakenEffect).toBe(true);
    for (const [status, code] of [
      [429, 99991400],
      [400, 230020],
      [400, 99991663],
      [400, 230013],
    ] as const) {
      expect(FeishuApiError.from({ response: { status, data: { code, msg: '' } } }).mayHaveTakenEffect).toBe(false);
    }
    // The token request failed (the caller says so): the call itself never went out.
    expect(FeishuApiError.from({ response: { status: 503, data: {} } }, { callMade: false })).toMatchObject({ retryable: true, mayHaveTakenEffect: false });
    expect(FeishuApiError.from(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { callMade: false }).mayHaveTakenEffect).toBe(false);
  });
});

describe('FeishuApi when the token endpoint fails', () => {
  it('says the send never went out, so the outbox need not wait out the uuid window', async () => {
    // A platform whose token endpoint is down: the message endpoint is never reached.
    let messageCalls = 0;
    const server = http.createServer((req, res) => {
      if (req.url?.includes('/im/v1/messages')) messageCalls++;
      res.writeHead(req.url?.includes('tenant_access_token') ? 503 : 200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const api = new FeishuApi({
        appId: 'cli_0123456789abcdef',
        appSecret: 's',
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        logger: pino({ level: 'silent' }),
      });
      const err = await api.send('open_id', 'ou_x', { msgType: 'text', content: '{"text":"hi"}', uuid: 'u1' }).catch((e) => e);
      expect(err).toBeInstanceOf(FeishuApiError);
      expect(err).toMatchObject({ retryable: true, mayHaveTakenEffect: false });
      expect(messageCalls).toBe(0);
    } finally {
      server.close();
    }
  });
});
