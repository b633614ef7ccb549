// Feishu-style toasts: a small box at the top of the window that fades away.
const ICONS = { success: '✓', error: '✕', warning: '!', info: 'i' };

export function showToast(type, text, ms = 3000) {
  const kind = Object.hasOwn(ICONS, type) ? type : 'info';
  const host = document.getElementById('toasts');
  const el = document.createElement('div');
  el.className = `toast toast-${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const icon = document.createElement('span');
  icon.className = 'toast-icon';
  icon.textContent = ICONS[kind];
  const body = document.createElement('span');
  body.className = 'toast-text';
  body.textContent = text;
  el.append(icon, body);
  host.append(el);
  setTimeout(() => el.classList.add('toast-out'), ms);
  setTimeout(() => el.remove(), ms + 400);
}
