// The simulator page: who you are, the two chats, the clock and the call log,
// kept live by the stand-in's events.
import { api, subscribe } from './api.js';
import { ChatPane } from './chat.js';
import { ClockControl } from './clock.js';
import { CallLog } from './debug.js';
import { utcOffset } from './form-value.js';
import { showToast } from './toast.js';

const ROLE_LABELS = { admin: '管理员', cadre: '干部', 'party-teacher': '党员教师' };

const state = { users: [], groups: [], me: null, timezone: 'Asia/Shanghai' };

let vchart;
/** VChart (the library Feishu's chart component uses), loaded once when a card first needs it. */
function loadChart() {
  vchart ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/sim/vendor/vchart.js';
    s.onload = () => {
      const lib = window.VChart;
      const Ctor = lib?.VChart ?? lib?.default ?? lib;
      typeof Ctor === 'function' ? resolve(Ctor) : reject(new Error('VChart 未加载 / VChart did not load'));
    };
    s.onerror = () => reject(new Error('VChart 加载失败 / could not load VChart'));
    document.head.append(s);
  });
  return vchart;
}

const userName = (openId) => state.users.find((u) => u.openId === openId)?.name;

const env = {
  me: () => state.me,
  timezone: () => state.timezone,
  userName,
  cardContext: (messageId) => ({
    mentionName: userName,
    userName,
    resourceUrl: api.resourceUrl,
    utcOffset: utcOffset(state.timezone),
    loadChart,
    act: (payload) => clickCard(messageId, payload),
  }),
};

/**
 * What the Feishu client does on a click: send the callback, then show its toast (the card update arrives as an event).
 * A card older than 14 days is refused by the client itself, and the bot never hears of the click.
 */
async function clickCard(messageId, { value, name, tag, formValue }) {
  if (!state.me) return;
  try {
    const r = await api.click({ messageId, from: state.me.openId, value, name, tag, formValue });
    if (r.refused) showToast('error', '卡片已失效，无法操作（发出已超过 14 天）/ This card has expired', 5000);
    else if (r.error) showToast('error', `${r.error.msg}（错误码 ${r.error.code}）`, 5000);
    else if (r.toast) showToast(r.toast.type, r.toast.content);
  } catch (e) {
    showToast('error', `操作失败：${e.message}`, 5000);
  }
}

const p2p = new ChatPane(document.getElementById('chat-p2p'), env);
const group = new ChatPane(document.getElementById('chat-group'), env, { group: true });
const clock = new ClockControl(env);
const calls = new CallLog(env);

function chooseInitialUser(users) {
  const wanted = new URLSearchParams(location.search).get('as') ?? localStorage.getItem('zoufang-sim-as');
  return (
    users.find((u) => u.openId === wanted || u.name === wanted) ??
    users.find((u) => u.roles.includes('party-teacher') && !u.roles.includes('admin')) ??
    users[0] ??
    null
  );
}

async function become(user) {
  state.me = user;
  if (!user) return;
  localStorage.setItem('zoufang-sim-as', user.openId);
  document.getElementById('who').value = user.openId;
  document
    .getElementById('who-roles')
    .replaceChildren(
      ...user.roles.map((r) => Object.assign(document.createElement('span'), { className: `role role-${r}`, textContent: ROLE_LABELS[r] ?? r })),
    );
  const myGroup = state.groups.find((g) => g.memberOpenIds.includes(user.openId));
  const head = document.getElementById('chat-group');
  head.querySelector('[data-role="title"]').textContent = myGroup?.name ?? state.groups[0]?.name ?? '群聊';
  head.querySelector('[data-role="sub"]').textContent = myGroup ? `群聊 Group chat · ${myGroup.memberOpenIds.length} 位成员 + 走访助手` : '群聊 Group chat';
  await Promise.all([p2p.open(user.p2pChatId), group.open(myGroup?.chatId ?? null, `${user.name} 不在任何群里 / not in a group chat`)]);
}

async function start() {
  const s = await api.state();
  state.users = s.users;
  state.groups = s.groups;
  state.timezone = s.timezone;
  clock.setJumps(s.jumps);
  clock.set(s);
  calls.reset(s.calls);
  const who = document.getElementById('who');
  for (const u of s.users) {
    const opt = document.createElement('option');
    opt.value = u.openId;
    const roles = u.roles.map((r) => ROLE_LABELS[r]).filter(Boolean);
    opt.textContent = [u.name, u.department, roles[0]].filter(Boolean).join(' · ');
    who.append(opt);
  }
  who.addEventListener('change', () => become(state.users.find((u) => u.openId === who.value) ?? null));
  // Subscribe first so nothing sent while the history loads is missed (panes skip duplicates).
  subscribe({
    message: (m) => [p2p, group].forEach((pane) => pane.has(m) && pane.add(m)),
    'message-updated': (m) => [p2p, group].forEach((pane) => pane.has(m) && pane.update(m)),
    call: (c) => calls.add(c),
    clock: (c) => clock.set(c),
  });
  await become(chooseInitialUser(s.users));
  document.body.dataset.ready = '1';
}

start().catch((e) => showToast('error', `模拟器启动失败：${e.message}`, 10_000));
