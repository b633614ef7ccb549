import { describe, expect, it } from 'vitest';
import { FeishuApiError, cardBuildError } from '../src/feishu/errors.js';

/** How Feishu's answers are read: what may be retried, and what may have taken effect. */
describe('FeishuApiError', () => {
  const lockMsg = 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock; ErrorValue: ; ';

  it('reads the card builder’s code and message out of a 230099 msg', () => {
    expect(cardBuildError(lockMsg)).toEqual({ code: 11310, msg: 'card action is lock' });
    expect(cardBuildError('Failed to create card content, ext=ErrCode: 200550; ErrPath: ROOT -> elements -> [2](tag: chart); ErrMsg: chart spec is invalid; ErrorValue: x')).toEqual({
      code: 200550,
      msg: 'chart spec is invalid',
    });
    expect(cardBuildError('Failed to create card content.')).toBeNull();
  });

  it('retries a locked card, whether or not Feishu spells out the sub-code, but not a card over the element limit', () => {
    expect(FeishuApiError.fromResponse(400, { code: 230099, msg: lockMsg }).retryable).toBe(true);
    expect(FeishuApiError.fromResponse(400, { code: 230099, msg: 'card action is lock' }).retryable).toBe(true);
    expect(FeishuApiError.fromResponse(400, { code: 230099, msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: element exceeds the limit; ErrorValue: 201; ' }).retryable).toBe(false);
    expect(FeishuApiError.fromResponse(400, { code: 230099, msg: 'Failed to create card content, ext=ErrCode: 100290; ErrMsg: card action is lock?; ' }).retryable).toBe(false);
    expect(FeishuApiError.fromResponse(400, { code: 230028, msg: 'The messages do NOT pass the audit.' }).retryable).toBe(false);
  });

  it('counts only a missing answer or a server error as possibly carried out', () => {
    expect(FeishuApiError.from(Object.assign(new Error('timeout of 10000ms exceeded'), { code: 'ECONNABORTED' })).mayHaveTakenEffect).toBe(true);
    expect(FeishuApiError.from({ response: { status: 502, data: {} } }).mayHaveTakenEffect).toBe(true);
    for (const [status, code] of [[429, 99991400], [400, 230020], [400, 99991663], [400, 230013]] as const) {
      expect(FeishuApiError.from({ response: { status, data: { code, msg: '' } } }).mayHaveTakenEffect).toBe(false);
    }
    // The token request failed: the call itself never went out.
    const tokenDown = { response: { status: 503, data: {} }, config: { url: 'https://open.feishu.cn/open-apis/auth/v3/tenant_access_token/internal' } };
    expect(FeishuApiError.from(tokenDown)).toMatchObject({ retryable: true, mayHaveTakenEffect: false });
  });
});
