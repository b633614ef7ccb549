// The sandbox clock: shows the sandbox's time and moves it (then the bot's
// scheduled jobs run at the new time, on the server).
import { api } from './api.js';
import { formatClock, toLocalInput } from './format.js';
import { utcOffset } from './form-value.js';
import { showToast } from './toast.js';

const CLOCK_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/></svg>';

export class ClockControl {
  constructor(env) {
    this.env = env;
    this.now = Date.now();
    this.seenAt = Date.now();
    this.label = document.getElementById('clock-now');
    this.input = document.getElementById('clock-at');
    document.getElementById('clock-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (!this.input.value) return;
      const offset = utcOffset(this.env.timezone()).replace(/(\d{2})(\d{2})$/, '$1:$2');
      this.move({ at: `${this.input.value}:00${offset}` }, this.input.value.replace('T', ' '));
    });
    // Redraws the label each 15 s while the clock runs; the server pushes every jump.
    setInterval(() => this.draw(), 15_000);
  }

  setJumps(jumps) {
    const host = document.getElementById('clock-jumps');
    host.replaceChildren();
    for (const j of jumps) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'jump';
      b.dataset.jump = j.id;
      b.title = `跳到${j.label}并运行定时任务 / jump to ${j.en} and run the scheduled jobs`;
      b.innerHTML = CLOCK_ICON;
      b.append(document.createTextNode(j.label));
      b.addEventListener('click', () => this.move({ jump: j.id }, j.label));
      host.append(b);
    }
  }

  set(state) {
    this.now = state.now;
    this.seenAt = Date.now();
    this.draw();
    this.input.value = toLocalInput(this.current(), this.env.timezone());
  }

  current() {
    return this.now + (Date.now() - this.seenAt);
  }

  draw() {
    this.label.textContent = formatClock(this.current(), this.env.timezone());
    this.label.dateTime = new Date(this.current()).toISOString();
  }

  async move(body, label) {
    const buttons = document.querySelectorAll('.clock button');
    buttons.forEach((b) => (b.disabled = true));
    document.body.classList.add('clock-busy');
    try {
      const r = await api.clock(body);
      this.set(r);
      showToast('info', `时间已跳到 ${formatClock(r.now, this.env.timezone())}，定时任务已运行`);
    } catch (e) {
      showToast('error', `无法跳到 ${label}：${e.message}`);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      document.body.classList.remove('clock-busy');
    }
  }
}
