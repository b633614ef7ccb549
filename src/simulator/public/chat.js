// One chat pane: its message list (bubbles and cards) and its composer.
import { api } from './api.js';
import { disposeCard, renderCard } from './card-renderer.js';
import { formatShort } from './format.js';
import { showToast } from './toast.js';

export class ChatPane {
  /**
   * root: the <section>; env: { me(): user, userName(id), timezone(), cardContext(messageId) };
   * opts.group: the composer can @mention the bot.
   */
  constructor(root, env, opts = {}) {
    this.root = root;
    this.env = env;
    this.group = !!opts.group;
    this.chatId = null;
    this.list = root.querySelector('[data-role="messages"]');
    this.text = root.querySelector('[data-role="text"]');
    this.mention = root.querySelector('[data-role="mention"]');
    this.bindComposer();
  }

  bindComposer() {
    const send = () => this.send(this.text.value);
    this.root.querySelector('[data-role="send"]').addEventListener('click', send);
    this.text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    });
    this.text.addEventListener('input', () => this.autosize());
    for (const chip of this.root.querySelectorAll('.chip')) chip.addEventListener('click', () => this.send(chip.dataset.text));
    const file = this.root.querySelector('[data-role="image"]');
    file.addEventListener('change', async () => {
      const f = file.files?.[0];
      file.value = '';
      if (f) await this.sendImage(f);
    });
  }

  autosize() {
    this.text.style.height = 'auto';
    this.text.style.height = `${Math.min(this.text.scrollHeight, 120)}px`;
  }

  /** Shows a chat (or a note when there is none) and loads its history. */
  async open(chatId, emptyNote) {
    this.chatId = chatId;
    for (const card of this.list.querySelectorAll('.fs-card')) disposeCard(card);
    this.list.replaceChildren();
    this.root.classList.toggle('chat-disabled', !chatId);
    if (!chatId) {
      this.list.append(el('div', 'chat-empty', emptyNote ?? '—'));
      return;
    }
    const messages = await api.messages(chatId);
    if (this.chatId !== chatId) return;
    if (!messages.length && !this.list.children.length) this.list.append(el('div', 'chat-empty', '还没有消息。试试发送 /进度 或 /帮助。'));
    for (const m of messages) this.add(m, false);
    this.scrollToEnd();
  }

  async send(text) {
    const me = this.env.me();
    if (!me || !this.chatId || !text?.trim()) return;
    this.text.value = '';
    this.autosize();
    try {
      await api.say(me.openId, this.chatId, text.trim(), this.group && !!this.mention?.checked);
    } catch (e) {
      showToast('error', `发送失败：${e.message}`);
    }
  }

  async sendImage(file) {
    const me = this.env.me();
    if (!me || !this.chatId) return;
    const base64 = await new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result).split(',')[1] ?? '');
      r.onerror = () => reject(r.error);
      r.readAsDataURL(file);
    });
    try {
      await api.image(me.openId, this.chatId, base64);
    } catch (e) {
      showToast('error', `图片发送失败：${e.message}`);
    }
  }

  has(message) {
    return message.chatId === this.chatId;
  }

  add(m, scroll = true) {
    if (this.list.querySelector(`[data-message-id="${CSS.escape(m.messageId)}"]`)) return this.update(m);
    this.list.querySelector('.chat-empty')?.remove();
    const nearEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
    this.list.append(this.renderMessage(m));
    if (scroll || nearEnd) this.scrollToEnd();
  }

  /** A card update replaces the card in place, like Feishu. */
  update(m) {
    const row = this.list.querySelector(`[data-message-id="${CSS.escape(m.messageId)}"]`);
    if (!row) return;
    const old = row.querySelector('.bubble-body');
    for (const card of old.querySelectorAll('.fs-card')) disposeCard(card);
    old.replaceWith(this.renderBody(m));
    row.dataset.updateCount = String(m.updateCount);
    const badge = row.querySelector('.updated-badge');
    if (badge) badge.hidden = m.updateCount === 0;
    row.querySelector('.raw-json pre').textContent = JSON.stringify(m.content, null, 2);
  }

  scrollToEnd() {
    requestAnimationFrame(() => (this.list.scrollTop = this.list.scrollHeight));
  }

  renderMessage(m) {
    const fromBot = m.sender.kind === 'app';
    const mine = !fromBot && m.sender.openId === this.env.me()?.openId;
    const name = fromBot ? '走访助手' : (this.env.userName(m.sender.openId) ?? m.sender.openId);
    const row = el('div', `msg ${mine ? 'msg-mine' : ''} ${fromBot ? 'msg-bot' : ''}`);
    row.dataset.messageId = m.messageId;
    row.dataset.msgType = m.msgType;
    row.dataset.updateCount = String(m.updateCount);
    const avatar = el('span', `avatar ${fromBot ? 'avatar-bot' : 'avatar-user'}`, fromBot ? '走' : name.slice(-2));
    const col = el('div', 'msg-col');
    const meta = el('div', 'msg-meta');
    meta.append(el('span', 'msg-name', name));
    if (fromBot) meta.append(el('span', 'bot-tag', '机器人'));
    meta.append(el('span', 'msg-time', formatShort(m.createTime, this.env.timezone())));
    const badge = el('span', 'updated-badge', '已更新');
    badge.hidden = m.updateCount === 0;
    meta.append(badge);
    col.append(meta, this.renderBody(m));
    if (m.msgType === 'interactive' || m.msgType === 'post') {
      const raw = el('details', 'raw-json');
      raw.append(el('summary', '', '{ } 卡片 JSON'), el('pre', '', JSON.stringify(m.content, null, 2)));
      col.append(raw);
    }
    row.append(avatar, col);
    return row;
  }

  renderBody(m) {
    const body = el('div', `bubble-body bubble-${m.msgType}`);
    switch (m.msgType) {
      case 'text': {
        body.classList.add('bubble');
        // "@_user_1" is how Feishu writes a mention into the text; show the name instead.
        body.textContent = String(m.content?.text ?? '').replace(/@_user_\d+/g, '@走访助手');
        break;
      }
      case 'image':
        body.append(picture(m.content?.image_key));
        break;
      case 'interactive':
        body.append(renderCard(m.content, this.env.cardContext(m.messageId)));
        break;
      case 'file': {
        // Like Feishu's file bubble: the name, which downloads the file under that name.
        body.classList.add('bubble');
        const name = m.content?.file_name ?? m.content?.file_key ?? '';
        const link = el('a', 'msg-file', `📎 ${name}`);
        link.href = api.resourceUrl(m.content?.file_key ?? '');
        link.download = name;
        body.append(link);
        break;
      }
      case 'post': {
        body.classList.add('bubble');
        const post = m.content?.zh_cn ?? m.content?.en_us ?? m.content ?? {};
        if (post.title) body.append(el('div', 'post-title', post.title));
        for (const line of post.content ?? []) {
          const row = el('div', '');
          for (const x of line) row.append(x.tag === 'img' ? picture(x.image_key) : (x.text ?? (x.tag === 'at' ? `@${x.user_name ?? x.user_id}` : '')));
          body.append(row);
        }
        break;
      }
      default:
        body.classList.add('bubble');
        body.textContent = `[${m.msgType}]`;
    }
    return body;
  }
}

/** A picture by its image_key; a note in its place if it cannot be shown. */
function picture(imageKey) {
  const img = document.createElement('img');
  img.className = 'msg-image';
  img.alt = '图片';
  img.src = api.resourceUrl(imageKey ?? '');
  img.addEventListener('error', () => img.replaceWith(el('div', 'bubble', `[图片 image] ${imageKey ?? ''}`)));
  return img;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
