/**
 * One-click app registration as the SDK's registerApp uses it: an RFC 8628
 * device flow on the accounts host, approved or denied by the person who opens
 * the link.
 */
import { performance } from 'node:perf_hooks';
import express from 'express';
import type { Request, Response } from 'express';
import type { StandInContext } from './context.js';
import type { StandInRegistration } from './types.js';
import { hex, isObject } from './util.js';

interface RegistrationRecord extends StandInRegistration {
  /** Seconds the client must wait between polls; grows by 5 on each slow_down (RFC 8628 §3.5). */
  interval: number;
  /** Monotonic time of the last poll, to tell a client that polls too fast. */
  lastPollAt?: number;
  approverOpenId?: string;
  brand?: 'feishu' | 'lark';
}

export class AppRegistration {
  private readonly registrationMap = new Map<string, RegistrationRecord>();

  constructor(private readonly ctx: StandInContext) {}

  /** The accounts host (accounts.feishu.cn) of the one-click registration; the SDK posts a form. */
  mount(app: express.Express): void {
    app.post('/oauth/v1/app/registration', express.urlencoded({ extended: false }), (req, res) => this.registrationEndpoint(req, res));
  }

  list(): StandInRegistration[] {
    return [...this.registrationMap.values()].map(({ userCode, deviceCode, status, expiresAt }) => ({ userCode, deviceCode, status, expiresAt }));
  }

  /**
   * The person who opened the link approves: the next poll gets this stand-in's
   * credentials. Without a user code, the only pending registration is approved.
   */
  approve(userCode?: string, opts: { openId?: string; brand?: 'feishu' | 'lark' } = {}): void {
    const r = this.pending(userCode);
    r.status = 'approved';
    r.approverOpenId = opts.openId ?? this.ctx.state.users()[0]?.openId;
    r.brand = opts.brand ?? 'feishu';
  }

  deny(userCode?: string): void {
    this.pending(userCode).status = 'denied';
  }

  private pending(userCode?: string): RegistrationRecord {
    const pending = [...this.registrationMap.values()].filter((r) => r.status === 'pending' && (!userCode || r.userCode === userCode));
    if (pending.length !== 1) {
      throw new Error(
        userCode
          ? `没有待确认的注册 (no pending registration): ${userCode}`
          : `待确认的注册有 ${pending.length} 个，请指定 user_code (${pending.length} pending registrations; name one)`,
      );
    }
    return pending[0]!;
  }

  /**
   * RFC 8628 device authorization as the SDK's registerApp speaks it: `begin`
   * hands out a device code and the link to open; `poll` answers
   * authorization_pending until someone approves or denies at the link, with
   * errors as HTTP 400 bodies, and slow_down to a client that polls too fast.
   */
  private registrationEndpoint(req: Request, res: Response): undefined {
    const body = isObject(req.body) ? req.body : {};
    // Answers the poll with an OAuth error; `return oauthError(…)` ends the handler.
    const oauthError = (error: string, description: string): undefined => {
      res.locals['code'] = -1;
      res.locals['note'] = `registration: ${error}`;
      res.status(400).json({ error, error_description: description });
      return undefined;
    };
    if (body['action'] === 'begin') {
      const userCode = `${hex(2)}-${hex(2)}`.toUpperCase();
      const record: RegistrationRecord = {
        userCode,
        deviceCode: `dc_${hex(16)}`,
        status: 'pending',
        expiresAt: this.ctx.now() + this.ctx.opts.registrationExpiresSeconds * 1000,
        interval: this.ctx.opts.registrationIntervalSeconds,
      };
      this.registrationMap.set(record.deviceCode, record);
      res.locals['code'] = 0;
      res.json({
        device_code: record.deviceCode,
        user_code: userCode,
        verification_uri: `${this.ctx.baseUrl()}/_sandbox/registration`,
        verification_uri_complete: `${this.ctx.baseUrl()}/_sandbox/registration?user_code=${userCode}`,
        expires_in: this.ctx.opts.registrationExpiresSeconds,
        interval: record.interval,
      });
      this.ctx.emit('registration', { userCode, deviceCode: record.deviceCode });
      return;
    }
    if (body['action'] !== 'poll') return oauthError('invalid_request', 'action must be begin or poll');
    const r = this.registrationMap.get(String(body['device_code'] ?? ''));
    if (!r || r.status === 'done') return oauthError('invalid_grant', 'unknown or already used device_code');
    if (this.ctx.now() >= r.expiresAt) return oauthError('expired_token', 'the device code has expired');
    const at = performance.now();
    const tooSoon = r.lastPollAt !== undefined && at - r.lastPollAt < r.interval * 1000;
    r.lastPollAt = at;
    if (tooSoon) {
      r.interval += 5;
      return oauthError('slow_down', `poll at most every ${r.interval} seconds`);
    }
    if (r.status === 'pending') return oauthError('authorization_pending', 'the user has not yet approved');
    if (r.status === 'denied') return oauthError('access_denied', 'the user denied the request');
    r.status = 'done';
    res.locals['code'] = 0;
    res.json({ client_id: this.ctx.opts.appId, client_secret: this.ctx.opts.appSecret, user_info: { open_id: r.approverOpenId, tenant_brand: r.brand } });
  }
}
