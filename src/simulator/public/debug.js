// The stand-in's call log: every Open Platform request the bot made, with the
// HTTP status and the Feishu code; rate-limit rejections stand out.
import { formatTime } from './format.js';

const MAX_ROWS = 500;
const RATE_LIMIT_CODES = new Set([99991400, 230020]);

export const isRateLimited = (c) => c.status === 429 || RATE_LIMIT_CODES.has(c.code);

export class CallLog {
  constructor(env) {
    this.env = env;
    this.body = document.getElementById('calls');
    this.summary = document.getElementById('debug-summary');
    this.badge = document.getElementById('debug-badge');
    this.panel = document.getElementById('debug');
    this.errorsOnly = document.getElementById('debug-errors-only');
    this.counts = { total: 0, failed: 0, limited: 0 };
    const toggle = document.getElementById('toggle-debug');
    toggle.addEventListener('click', () => {
      this.panel.hidden = !this.panel.hidden;
      toggle.setAttribute('aria-pressed', String(!this.panel.hidden));
      document.body.classList.toggle('debug-open', !this.panel.hidden);
    });
    this.errorsOnly.addEventListener('change', () => this.panel.classList.toggle('errors-only', this.errorsOnly.checked));
  }

  reset(calls) {
    this.body.replaceChildren();
    this.counts = { total: 0, failed: 0, limited: 0 };
    for (const c of calls) this.add(c);
  }

  add(c) {
    const limited = isRateLimited(c);
    const failed = limited || c.status === 0 || c.status >= 400 || (typeof c.code === 'number' && c.code > 0);
    this.counts.total += 1;
    if (failed) this.counts.failed += 1;
    if (limited) this.counts.limited += 1;
    const tr = document.createElement('tr');
    if (limited) tr.className = 'call-limited';
    else if (failed) tr.className = 'call-failed';
    const cells = [
      formatTime(c.at, this.env.timezone()),
      c.method,
      c.path,
      c.status === 0 ? '—' : String(c.status),
      String(c.code),
      String(c.ms),
      limited ? `限流 rate limited${c.note ? ` · ${c.note}` : ''}` : (c.note ?? ''),
    ];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    this.body.prepend(tr);
    while (this.body.rows.length > MAX_ROWS) this.body.lastElementChild?.remove();
    this.render();
  }

  render() {
    const { total, failed, limited } = this.counts;
    this.summary.textContent = `共 ${total} 次 · 失败 ${failed} · 限流 ${limited}`;
    this.badge.hidden = failed === 0;
    this.badge.textContent = String(failed);
    this.badge.classList.toggle('badge-limited', limited > 0);
  }
}
