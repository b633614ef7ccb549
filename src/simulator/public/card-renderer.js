// Renders Feishu Card JSON 2.0 (and the common parts of 1.0) into DOM, the way
// the Feishu client shows it. Card strings only ever reach the page as text
// nodes, escaped attributes, or through markdown.js's escaped subset.
import { collectFormValue, FORM_FIELD_TAGS } from './form-value.js';
import { markdownToHtml, safeColor } from './markdown.js';

/**
 * ctx: {
 *   mentionName(id), userName(openId), resourceUrl(key), utcOffset,
 *   act({ value, name, tag, formValue }) → Promise — sends the callback,
 *   loadChart() → Promise<VChart constructor>,
 * }
 */
export function renderCard(card, ctx) {
  const root = h('div', 'fs-card');
  if (!card || typeof card !== 'object') {
    root.append(h('div', 'fs-unsupported', '（无法显示的卡片 / unreadable card）'));
    return root;
  }
  if (card.type === 'template') {
    root.append(h('div', 'fs-unsupported', `模板卡片 template card: ${card.data?.template_id ?? ''}（模拟器不渲染模板）`));
    return root;
  }
  if (card.config?.width_mode === 'compact') root.classList.add('fs-compact');
  if (card.header) root.append(renderHeader(card.header, ctx));
  const body = h('div', 'fs-body');
  const elements = card.body?.elements ?? card.elements ?? [];
  renderInto(body, elements, { ...ctx, form: null });
  root.append(body);
  return root;
}

/** Releases chart instances inside a card that is about to be replaced. */
export function disposeCard(el) {
  for (const c of el.querySelectorAll('.fs-chart')) c._chart?.release?.();
}

// ---------------------------------------------------------------------------

function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

const textOf = (t) => (t == null ? '' : typeof t === 'string' ? t : String(t.content ?? ''));

function renderText(t, ctx, className = 'fs-text') {
  const el = h('div', className);
  if (!t) return el;
  if (t.tag === 'lark_md' || t.tag === 'markdown') el.innerHTML = markdownToHtml(textOf(t), ctx);
  else el.textContent = textOf(t);
  if (t.text_size) el.classList.add(`fs-size-${t.text_size}`);
  if (t.text_align) el.style.textAlign = t.text_align;
  const color = safeColor(t.text_color);
  if (color) el.style.color = color;
  return el;
}

function renderHeader(header, ctx) {
  const template = /^[a-z]+$/.test(header.template ?? '') ? header.template : 'default';
  const el = h('div', `fs-header fs-tpl-${template}`);
  const titleRow = h('div', 'fs-header-title-row');
  titleRow.append(renderText(header.title, ctx, 'fs-header-title'));
  for (const tag of (header.text_tag_list ?? []).slice(0, 3)) titleRow.append(renderTextTag(tag));
  el.append(titleRow);
  if (header.subtitle && textOf(header.subtitle)) el.append(renderText(header.subtitle, ctx, 'fs-header-subtitle'));
  return el;
}

function renderTextTag(tag) {
  const color = /^[a-z-]+$/.test(tag?.color ?? '') ? tag.color : 'neutral';
  return h('span', `fs-tag fs-tag-${color}`, textOf(tag?.text));
}

function renderInto(parent, elements, ctx) {
  for (const el of Array.isArray(elements) ? elements : []) {
    const node = renderElement(el, ctx);
    if (node) parent.append(node);
  }
}

function renderElement(el, ctx) {
  if (!el || typeof el !== 'object') return null;
  const fn = RENDERERS[el.tag];
  if (!fn) return h('div', 'fs-unsupported', `[暂不支持的组件 unsupported component: ${String(el.tag)}]`);
  const node = fn(el, ctx);
  if (node && el.element_id) node.dataset.elementId = String(el.element_id);
  if (node && el.margin && /^[\d\spx-]+$/.test(el.margin)) node.style.margin = el.margin;
  return node;
}

const RENDERERS = {
  markdown(el, ctx) {
    const node = h('div', 'fs-md');
    node.innerHTML = markdownToHtml(el.content, ctx);
    if (el.text_size) node.classList.add(`fs-size-${el.text_size}`);
    if (el.text_align) node.style.textAlign = el.text_align;
    return node;
  },
  lark_md: (el, ctx) => RENDERERS.markdown(el, ctx),
  plain_text(el) {
    const node = h('div', 'fs-text', textOf(el));
    if (el.text_size) node.classList.add(`fs-size-${el.text_size}`);
    return node;
  },
  div(el, ctx) {
    const node = h('div', 'fs-div');
    if (el.text) node.append(renderText(el.text, ctx));
    if (Array.isArray(el.fields)) {
      const grid = h('div', 'fs-fields');
      for (const f of el.fields) {
        const cell = renderText(f.text, ctx);
        if (f.is_short) cell.classList.add('fs-field-short');
        grid.append(cell);
      }
      node.append(grid);
    }
    return node;
  },
  note(el, ctx) {
    const node = h('div', 'fs-note fs-size-notation');
    for (const e of el.elements ?? []) node.append(e.tag === 'img' ? RENDERERS.img(e, ctx) : renderText(e, ctx, 'fs-note-text'));
    return node;
  },
  hr: () => h('hr', 'fs-hr'),
  column_set(el, ctx) {
    const node = h('div', `fs-columns fs-flex-${/^[a-z]+$/.test(el.flex_mode ?? '') ? el.flex_mode : 'none'}`);
    if (el.background_style && el.background_style !== 'default') node.classList.add('fs-bg-grey');
    for (const col of el.columns ?? []) node.append(RENDERERS.column(col, ctx));
    return node;
  },
  column(el, ctx) {
    const node = h('div', 'fs-column');
    if (el.width === 'auto') node.style.flex = '0 0 auto';
    else if (/^\d+px$/.test(el.width ?? '')) node.style.flex = `0 0 ${el.width}`;
    else node.style.flex = `${Math.max(1, Math.min(5, Number(el.weight) || 1))} 1 0`;
    if (el.vertical_align) node.style.alignSelf = { top: 'flex-start', center: 'center', bottom: 'flex-end' }[el.vertical_align] ?? '';
    renderInto(node, el.elements, ctx);
    return node;
  },
  collapsible_panel(el, ctx) {
    const node = h('details', 'fs-panel');
    if (el.expanded) node.open = true;
    if (el.border) node.classList.add('fs-panel-border');
    const summary = h('summary', 'fs-panel-header');
    summary.append(renderText(el.header?.title ?? { tag: 'plain_text', content: '' }, ctx, 'fs-panel-title'));
    node.append(summary);
    const inner = h('div', 'fs-panel-body');
    renderInto(inner, el.elements, ctx);
    node.append(inner);
    return node;
  },
  img(el, ctx) {
    const node = h('figure', 'fs-img');
    const img = document.createElement('img');
    img.alt = textOf(el.alt) || '图片';
    img.loading = 'lazy';
    img.src = ctx.resourceUrl(String(el.img_key ?? ''));
    img.addEventListener('error', () => {
      node.replaceChildren(h('div', 'fs-img-missing', `[图片 image] ${textOf(el.alt) || el.img_key || ''}`));
    });
    node.append(img);
    if (el.title) node.append(renderText(el.title, ctx, 'fs-img-title'));
    return node;
  },
  form(el, ctx) {
    const node = h('form', 'fs-form');
    node.noValidate = true;
    node.addEventListener('submit', (e) => e.preventDefault());
    const form = { name: el.name, fields: [] };
    renderInto(node, el.elements, { ...ctx, form });
    return node;
  },
  input(el, ctx) {
    const multiline = el.input_type === 'multiline_text';
    const control = document.createElement(multiline ? 'textarea' : 'input');
    control.className = 'fs-input-control';
    if (multiline) control.rows = Number(el.rows) || 5;
    else control.type = el.input_type === 'password' ? 'password' : 'text';
    if (el.placeholder) control.placeholder = textOf(el.placeholder);
    control.value = el.default_value ?? '';
    const max = Number(el.max_length) || 1000;
    control.maxLength = max;
    control.disabled = !!el.disabled;
    if (el.name) control.name = el.name;
    const wrap = field(
      el,
      control,
      ctx,
      () => control.value,
      () => (control.value = el.default_value ?? ''),
    );
    const counter = h('div', 'fs-counter', `${control.value.length}/${max}`);
    control.addEventListener('input', () => {
      counter.textContent = `${control.value.length}/${max}`;
      wrap.classList.remove('fs-invalid');
    });
    wrap.querySelector('.fs-field-control').append(counter);
    return wrap;
  },
  select_static(el, ctx) {
    return selectField(
      el,
      ctx,
      (el.options ?? []).map((o) => ({ value: String(o.value), label: textOf(o.text) || String(o.value) })),
    );
  },
  select_person(el, ctx) {
    return selectField(el, ctx, personOptions(el, ctx));
  },
  multi_select_static(el, ctx) {
    return multiField(
      el,
      ctx,
      (el.options ?? []).map((o) => ({ value: String(o.value), label: textOf(o.text) || String(o.value) })),
    );
  },
  multi_select_person(el, ctx) {
    return multiField(el, ctx, personOptions(el, ctx));
  },
  date_picker: (el, ctx) => pickerField(el, ctx, 'date', el.initial_date),
  picker_time: (el, ctx) => pickerField(el, ctx, 'time', el.initial_time),
  picker_datetime: (el, ctx) => pickerField(el, ctx, 'datetime-local', el.initial_datetime?.replace(' ', 'T')),
  checker(el, ctx) {
    const node = h('label', 'fs-checker');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = !!el.checked;
    box.disabled = !!el.disabled;
    if (el.name) box.name = el.name;
    node.append(box, renderText(el.text, ctx, 'fs-checker-text'));
    const sync = () => node.classList.toggle('fs-checked', box.checked);
    sync();
    box.addEventListener('change', sync);
    if (ctx.form && el.name) {
      ctx.form.fields.push({
        tag: 'checker',
        name: el.name,
        required: !!el.required,
        read: () => box.checked,
        reset: () => {
          box.checked = !!el.checked;
          sync();
        },
        node,
      });
    } else {
      const value = callbackValue(el);
      if (value) box.addEventListener('change', () => ctx.act({ value, name: el.name, tag: 'checker' }).catch(() => undefined));
    }
    return node;
  },
  button(el, ctx) {
    const type = /^[a-z_]+$/.test(el.type ?? '') ? el.type : 'default';
    const size = /^[a-z]+$/.test(el.size ?? '') ? el.size : 'medium';
    const btn = h('button', `fs-btn fs-btn-${type} fs-btn-${size}`);
    btn.type = 'button';
    btn.append(h('span', 'fs-btn-label', textOf(el.text)));
    if (el.width === 'fill') btn.classList.add('fs-btn-fill');
    btn.disabled = !!el.disabled;
    if (el.disabled && el.disabled_tips) btn.title = textOf(el.disabled_tips);
    const form = ctx.form;
    const action = el.form_action_type ?? el.action_type;
    btn.addEventListener('click', async () => {
      if (el.confirm && !window.confirm(`${textOf(el.confirm.title)}\n${textOf(el.confirm.text)}`)) return;
      const url = (el.behaviors ?? []).find((b) => b.type === 'open_url');
      const linkUrl = url?.pc_url || url?.default_url || el.url || el.multi_url?.pc_url || el.multi_url?.url;
      if (linkUrl && /^https?:\/\//i.test(linkUrl)) window.open(linkUrl, '_blank', 'noopener');
      if (form && (action === 'reset' || action === 'form_reset')) {
        for (const f of form.fields) f.reset();
        return;
      }
      const value = callbackValue(el) ?? (form && (action === 'submit' || action === 'form_submit') ? {} : undefined);
      if (!value) return;
      const payload = { value, name: el.name, tag: 'button' };
      if (form && (action === 'submit' || action === 'form_submit')) {
        const { formValue, missing } = collectFormValue(
          form.fields.map((f) => ({ tag: f.tag, name: f.name, required: f.required, raw: f.read() })),
          { offset: ctx.utcOffset },
        );
        for (const f of form.fields) f.node.classList.toggle('fs-invalid', missing.includes(f.name));
        if (missing.length) {
          form.fields
            .find((f) => missing.includes(f.name))
            ?.node.querySelector('input,textarea,select')
            ?.focus();
          return;
        }
        payload.formValue = formValue;
      }
      btn.classList.add('fs-loading');
      btn.disabled = true;
      try {
        await ctx.act(payload);
      } finally {
        btn.classList.remove('fs-loading');
        btn.disabled = !!el.disabled;
      }
    });
    return btn;
  },
  action(el, ctx) {
    const node = h('div', 'fs-columns fs-flex-flow');
    renderInto(node, el.actions, ctx);
    return node;
  },
  person(el, ctx) {
    return h('span', 'fs-person', `@${ctx.userName(el.user_id) ?? el.user_id}`);
  },
  person_list(el, ctx) {
    const node = h('div', 'fs-person-list');
    for (const p of el.persons ?? []) node.append(h('span', 'fs-person', `@${ctx.userName(p.id) ?? p.id}`));
    return node;
  },
  table(el) {
    const node = h('div', 'fs-table-wrap');
    const table = h('table', 'fs-table');
    const cols = el.columns ?? [];
    const head = h('tr');
    for (const c of cols) head.append(h('th', '', c.display_name ?? c.name ?? ''));
    table.append(h('thead'));
    table.tHead.append(head);
    const body = h('tbody');
    for (const row of el.rows ?? []) {
      const tr = h('tr');
      for (const c of cols) {
        const v = row?.[c.name];
        tr.append(h('td', '', Array.isArray(v) ? v.map((x) => x?.text ?? x).join('、') : v == null ? '' : String(v)));
      }
      body.append(tr);
    }
    table.append(body);
    node.append(table);
    return node;
  },
  chart(el, ctx) {
    const node = h('div', 'fs-chart');
    const ratio = { '1:1': 1, '2:1': 0.5, '4:3': 0.75, '16:9': 0.5625 }[el.aspect_ratio] ?? 0.5625;
    const px = Number.parseInt(el.height, 10);
    if (el.height && el.height !== 'auto' && px > 0) node.style.height = `${Math.min(999, px)}px`;
    else node.style.aspectRatio = String(1 / ratio);
    node.dataset.loading = '1';
    node.append(h('div', 'fs-chart-status', '图表加载中… / loading chart'));
    // Render once the node is in the page and has a size.
    queueMicrotask(() => drawChart(node, el, ctx));
    return node;
  },
};

async function drawChart(node, el, ctx) {
  try {
    const VChart = await ctx.loadChart();
    await new Promise((r) => requestAnimationFrame(r));
    if (!node.isConnected) return;
    node.replaceChildren();
    const spec = { ...structuredClone(el.chart_spec ?? {}), animation: false };
    const chart = new VChart(spec, { dom: node, mode: 'desktop-browser', animation: false });
    node._chart = chart;
    await chart.renderAsync();
    delete node.dataset.loading;
    node.dataset.rendered = '1';
  } catch (e) {
    node.replaceChildren(h('div', 'fs-chart-status fs-chart-error', `图表渲染失败 / chart failed: ${e?.message ?? e}`));
  }
}

function callbackValue(el) {
  const cb = (el.behaviors ?? []).find((b) => b.type === 'callback');
  if (cb?.value && typeof cb.value === 'object') return cb.value;
  if (el.value && typeof el.value === 'object') return el.value; // 1.0 buttons
  return undefined;
}

function personOptions(el, ctx) {
  return (el.options ?? []).map((o) => ({ value: String(o.value), label: ctx.userName(String(o.value)) ?? String(o.value) }));
}

/** A labelled form control; registers itself with the surrounding form. */
function field(el, control, ctx, read, reset) {
  const wrap = h('div', 'fs-field');
  if (el.label_position === 'left') wrap.classList.add('fs-label-left');
  if (el.label) {
    const label = h('label', 'fs-label', textOf(el.label));
    if (el.required) label.append(h('span', 'fs-required', ' *'));
    wrap.append(label);
  }
  const box = h('div', 'fs-field-control');
  box.append(control);
  box.append(h('div', 'fs-field-error', '此项为必填 / Required'));
  wrap.append(box);
  if (el.width && /^(fill|auto|\d+px)$/.test(el.width)) wrap.dataset.width = el.width;
  if (ctx.form && el.name && FORM_FIELD_TAGS.has(el.tag)) {
    ctx.form.fields.push({ tag: el.tag, name: el.name, required: !!el.required, read, reset, node: wrap });
  }
  return wrap;
}

function selectField(el, ctx, options) {
  const select = document.createElement('select');
  select.className = 'fs-select';
  if (el.name) select.name = el.name;
  select.disabled = !!el.disabled;
  const ph = document.createElement('option');
  ph.value = '';
  ph.textContent = textOf(el.placeholder) || '请选择 / Select';
  select.append(ph);
  for (const o of options) {
    const opt = document.createElement('option');
    opt.value = o.value;
    opt.textContent = o.label;
    select.append(opt);
  }
  const initial = el.initial_option ?? (Number.isInteger(el.initial_index) ? options[el.initial_index - 1]?.value : undefined) ?? '';
  select.value = initial;
  select.addEventListener('change', () => select.closest('.fs-field')?.classList.remove('fs-invalid'));
  return field(
    el,
    select,
    ctx,
    () => select.value,
    () => (select.value = initial),
  );
}

function multiField(el, ctx, options) {
  const box = h('div', 'fs-multi');
  const initial = new Set((el.selected_values ?? []).map(String));
  const boxes = options.map((o) => {
    const label = h('label', 'fs-multi-option');
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.value = o.value;
    cb.checked = initial.has(o.value);
    cb.disabled = !!el.disabled;
    label.append(cb, document.createTextNode(o.label));
    const sync = () => label.classList.toggle('fs-selected', cb.checked);
    sync();
    cb.addEventListener('change', () => {
      sync();
      box.closest('.fs-field')?.classList.remove('fs-invalid');
    });
    box.append(label);
    return { cb, sync };
  });
  if (!options.length) box.append(h('span', 'fs-placeholder', textOf(el.placeholder) || '（无选项）'));
  return field(
    el,
    box,
    ctx,
    () => boxes.filter((b) => b.cb.checked).map((b) => b.cb.value),
    () => {
      for (const b of boxes) {
        b.cb.checked = initial.has(b.cb.value);
        b.sync();
      }
    },
  );
}

function pickerField(el, ctx, type, initial) {
  const input = document.createElement('input');
  input.type = type;
  input.className = 'fs-input-control fs-picker';
  if (el.name) input.name = el.name;
  input.disabled = !!el.disabled;
  input.value = initial ?? '';
  input.addEventListener('change', () => input.closest('.fs-field')?.classList.remove('fs-invalid'));
  return field(
    el,
    input,
    ctx,
    () => input.value,
    () => (input.value = initial ?? ''),
  );
}
