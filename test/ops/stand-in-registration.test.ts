import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdjustableClock } from '../../src/clock.js';
import { FeishuStandIn } from '../../src/sandbox/index.js';
import { makeCredentials } from '../helpers/harness.js';

/** The stand-in's one-click registration (RFC 8628 as registerApp speaks it), scope control and group list, over plain HTTP. */

const creds = makeCredentials();
const clock = new AdjustableClock(new Date('2026-11-20T02:00:00Z'), true);
let standIn: FeishuStandIn;

beforeAll(async () => {
  standIn = new FeishuStandIn({ ...creds, now: () => clock.now().getTime() });
  await standIn.start();
  standIn.addUser({ openId: 'ou_a', name: '王建国' });
  standIn.addChat({ chatId: 'oc_branch', name: '党支部工作群', memberOpenIds: ['ou_a'] });
  standIn.addChat({ chatId: 'oc_other', name: '教研组', memberOpenIds: ['ou_a'] });
});
afterAll(() => standIn.stop());

const form = (fields: Record<string, string>) =>
  fetch(`${standIn.baseUrl}/oauth/v1/app/registration`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

const begin = () => form({ action: 'begin', archetype: 'PersonalAgent', auth_method: 'client_secret', request_user_info: 'open_id' });
const poll = (deviceCode: string) => form({ action: 'poll', device_code: deviceCode });

async function api(method: string, path: string, json?: unknown) {
  const { tenant_access_token: token } = (await (
    await fetch(`${standIn.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: creds.appId, app_secret: creds.appSecret }),
    })
  ).json()) as { tenant_access_token: string };
  const r = await fetch(`${standIn.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

describe('stand-in one-click registration', () => {
  it('begins with a device code and a link, answers pending, slows a client that polls too fast, then hands out the credentials once', async () => {
    const b = await begin();
    expect(b.status).toBe(200);
    expect(b.body).toMatchObject({ interval: 5, expires_in: 600 });
    expect(b.body.verification_uri_complete).toBe(`${standIn.baseUrl}/_sandbox/registration?user_code=${b.body.user_code}`);

    expect(await poll(b.body.device_code)).toEqual({ status: 400, body: { error: 'authorization_pending', error_description: expect.any(String) } });
    const fast = await poll(b.body.device_code);
    expect(fast.body.error).toBe('slow_down');
    expect(fast.body.error_description).toContain('10 seconds');

    // The person opens the link and approves there.
    const page = await (await fetch(b.body.verification_uri_complete)).text();
    expect(page).toContain(b.body.user_code);
    expect(page).toContain('同意创建');
    const approved = await fetch(`${standIn.baseUrl}/_sandbox/registrations/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `user_code=${b.body.user_code}`,
    });
    expect(approved.status).toBe(200);
    expect(standIn.registrations().find((r) => r.userCode === b.body.user_code)?.status).toBe('approved');
  });

  it('answers access_denied, expired_token, success and then invalid_grant, each on a first poll', async () => {
    const denied = await begin();
    standIn.denyRegistration(denied.body.user_code);
    expect((await poll(denied.body.device_code)).body.error).toBe('access_denied');

    const late = await begin();
    clock.advance(601_000);
    expect((await poll(late.body.device_code)).body.error).toBe('expired_token');

    const ok = await begin();
    standIn.approveRegistration(ok.body.user_code, { openId: 'ou_a' });
    expect(await poll(ok.body.device_code)).toEqual({
      status: 200,
      body: { client_id: creds.appId, client_secret: creds.appSecret, user_info: { open_id: 'ou_a', tenant_brand: 'feishu' } },
    });
    expect((await poll(ok.body.device_code)).body.error).toBe('invalid_grant');
    expect(() => standIn.approveRegistration('NONE-0000')).toThrow('没有待确认的注册');
  });
});

describe('stand-in scopes and group list', () => {
  it('lists the groups the bot is in and answers 99991672, naming the scopes, for an API whose every scope is revoked', async () => {
    const groups = await api('GET', '/open-apis/im/v1/chats?page_size=1');
    expect(groups.body.data.items.map((g: { name: string }) => g.name)).toEqual(['党支部工作群']);
    expect(groups.body.data.has_more).toBe(true);
    const next = await api('GET', `/open-apis/im/v1/chats?page_token=${groups.body.data.page_token}`);
    expect(next.body.data.items.map((g: { chat_id: string }) => g.chat_id)).toEqual(['oc_other']);

    standIn.removeBotFromChat('oc_other');
    expect((await api('GET', '/open-apis/im/v1/chats')).body.data.items).toHaveLength(1);
    standIn.addBotToChat('oc_other');

    standIn.revokeScopes('contact:user.id:readonly');
    const denied = await api('POST', '/open-apis/contact/v3/users/batch_get_id', { emails: ['x@example.com'] });
    expect(denied.status).toBe(400);
    expect(denied.body.code).toBe(99991672);
    expect(denied.body.msg).toContain('One of the following scopes is required: [contact:user.id:readonly]');
    expect(denied.body.msg).toContain(`https://open.feishu.cn/app/${creds.appId}/auth?q=contact:user.id:readonly`);
    // One remaining scope of several is enough.
    standIn.revokeScopes('im:chat', 'im:chat:readonly', 'im:chat.members:read');
    expect((await api('GET', '/open-apis/im/v1/chats/oc_branch/members')).body.code).toBe(0);

    const control = await fetch(`${standIn.baseUrl}/_sandbox/scopes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant: 'all' }),
    });
    expect(await control.json()).toEqual({ revoked: [] });
    expect((await api('POST', '/open-apis/contact/v3/users/batch_get_id', { emails: ['x@example.com'] })).body.code).toBe(0);
  });
});
