/**
 * Card JSON checks the platform performs when a card is sent, replied, updated
 * or returned in a callback answer ("卡片 JSON 2.0 结构", "发送消息"). The stand-in rejects what Feishu would reject, so the bot's
 * card builders are exercised against the same rules in tests.
 */

export interface CardCheckOk {
  ok: true;
  card: Record<string, unknown>;
  /** '2.0' for JSON 2.0 cards, '1.0' for legacy cards, 'template' / 'card' for references. */
  schema: '2.0' | '1.0' | 'template' | 'card';
}
export interface CardCheckError {
  ok: false;
  code: number;
  msg: string;
}
export type CardCheck = CardCheckOk | CardCheckError;

export const CARD_MAX_BYTES = 30 * 1024;
export const CARD_MAX_ELEMENTS = 200;

/** Components that report a value into a form and therefore need a `name` there. */
const INTERACTIVE_TAGS = new Set([
  'input',
  'select_static',
  'multi_select_static',
  'select_person',
  'multi_select_person',
  'date_picker',
  'picker_time',
  'picker_datetime',
  'checker',
  'button',
  'select_img',
]);
/** Tags JSON 2.0 removed (卡片 JSON 2.0 版本更新说明). */
const REMOVED_IN_V2 = new Set(['action', 'note']);
/** Tags a form may not contain. */
const FORBIDDEN_IN_FORM = new Set(['form', 'table', 'chart']);

function cardBuildError(subCode: number, errMsg: string, errorValue = ''): CardCheckError {
  // Feishu packs the card builder's own error into `msg` after `ext=`.
  return {
    ok: false,
    code: 230099,
    msg: `Failed to create card content, ext=ErrCode: ${subCode}; ErrMsg: ${errMsg}; ErrorValue: ${errorValue}; `,
  };
}

type Node = Record<string, unknown>;

function isObject(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Child components of a node: `elements`, `columns`, and a checker's `button_area.buttons`. */
function childrenOf(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of ['elements', 'columns']) {
    const list = node[key];
    if (Array.isArray(list)) for (const c of list) if (isObject(c)) out.push(c);
  }
  const area = node['button_area'];
  if (isObject(area) && Array.isArray(area['buttons'])) {
    for (const c of area['buttons']) if (isObject(c)) out.push(c);
  }
  return out;
}

/**
 * How Feishu counts a card against its 200-element limit ("卡片 JSON 2.0 结构":
 * "最多支持 200 个元素（如 tag 为 plain_text 的文本元素）或组件"): every object
 * with a `tag` counts, wherever it sits — containers, columns, buttons, and the
 * text objects inside them (a header's title and subtitle, a button's label,
 * a select's options, a text_tag's text, a div's text). The header counts too.
 * Kept apart from the bot's own budget on purpose: the stand-in is the judge.
 */
function countTagged(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countTagged(v), 0);
  if (!isObject(value)) return 0;
  let n = typeof value['tag'] === 'string' ? 1 : 0;
  for (const v of Object.values(value)) n += countTagged(v);
  return n;
}

function elementLimitError(card: Node): CardCheckError | undefined {
  const count = countTagged(card);
  return count > CARD_MAX_ELEMENTS ? cardBuildError(11310, 'element exceeds the limit', String(count)) : undefined;
}

function findTag(nodes: Node[], pred: (tag: string) => boolean, depth = 0): { tag: string; depth: number } | undefined {
  for (const node of nodes) {
    const tag = typeof node['tag'] === 'string' ? node['tag'] : '';
    if (pred(tag)) return { tag, depth };
    const hit = findTag(childrenOf(node), pred, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

function collect(nodes: Node[], out: Node[] = []): Node[] {
  for (const node of nodes) {
    out.push(node);
    collect(childrenOf(node), out);
  }
  return out;
}

function isSubmitButton(node: Node): boolean {
  return node['tag'] === 'button' && (node['form_action_type'] === 'submit' || node['action_type'] === 'form_submit');
}

/**
 * Form rules. The platform documents sub-code 200530 only for an empty name;
 * the stand-in uses it for every form rule so callers see one family.
 */
function checkForms(rootElements: Node[]): CardCheckError | undefined {
  // A form may only sit directly in body.elements.
  const nested = rootElements
    .flatMap((el) => (el['tag'] === 'form' ? [] : [el]))
    .map((el) => findTag(childrenOf(el), (t) => t === 'form'))
    .find((hit) => hit !== undefined);
  if (nested) return cardBuildError(200530, 'form can only be placed at the root of body.elements', 'form');

  const formNames = new Set<string>();
  for (const form of rootElements.filter((el) => el['tag'] === 'form')) {
    const formName = form['name'];
    if (typeof formName !== 'string' || formName === '') {
      return cardBuildError(200530, 'form name is required', 'form');
    }
    if (formNames.has(formName)) return cardBuildError(200530, 'form name must be unique in the card', formName);
    formNames.add(formName);

    const inner = childrenOf(form);
    const forbidden = findTag(inner, (t) => FORBIDDEN_IN_FORM.has(t));
    if (forbidden) return cardBuildError(200530, `form cannot contain ${forbidden.tag}`, forbidden.tag);

    const all = collect(inner);
    const names = new Set<string>();
    for (const node of all) {
      const tag = String(node['tag'] ?? '');
      if (!INTERACTIVE_TAGS.has(tag)) continue;
      const name = node['name'];
      if (typeof name !== 'string' || name === '') {
        return cardBuildError(200530, `the name of ${tag} in form ${formName} is empty`, tag);
      }
      if (names.has(name)) return cardBuildError(200530, `duplicate component name in form ${formName}`, name);
      names.add(name);
    }
    if (!all.some(isSubmitButton)) {
      return cardBuildError(200530, `form ${formName} has no button with form_action_type "submit"`, formName);
    }
  }
  return undefined;
}

function checkV2(card: Node): CardCheckError | undefined {
  const body = card['body'];
  if (!isObject(body) || !Array.isArray(body['elements'])) {
    return cardBuildError(200621, 'schema 2.0 card needs body.elements to be an array', 'body');
  }
  const elements = body['elements'].filter(isObject);
  if (elements.length !== body['elements'].length) {
    return cardBuildError(200621, 'every item of body.elements must be an object', 'body.elements');
  }
  const untagged = collect(elements).find((n) => typeof n['tag'] !== 'string');
  if (untagged) return cardBuildError(200621, 'component is missing its tag', JSON.stringify(untagged).slice(0, 80));

  // 折叠面板: `header` is required; a form inside is caught by checkForms (a form sits only at the root).
  const headless = collect(elements).find((n) => n['tag'] === 'collapsible_panel' && !isObject(n['header']));
  if (headless) return cardBuildError(200621, 'collapsible_panel requires header', 'collapsible_panel');

  const removed = findTag(elements, (t) => REMOVED_IN_V2.has(t));
  if (removed) return cardBuildError(200861, 'cards of schema V2 no longer support this capability', removed.tag);

  const tooMany = elementLimitError(card);
  if (tooMany) return tooMany;

  const config = card['config'];
  if (isObject(config) && config['update_multi'] === false) {
    return cardBuildError(200621, 'schema 2.0 card only supports update_multi: true', 'config.update_multi');
  }
  return checkForms(elements);
}

/**
 * The bytes a message's `content` adds to a request body: the card JSON as a
 * JSON string, quotes and backslashes escaped. Feishu's 30 KB is the request
 * body's ("发送消息": 卡片及富文本消息请求体最大不能超过 30 KB), so a card of
 * 29 KB with many quotes may still be refused.
 */
export const contentBodyBytes = (content: string) => Buffer.byteLength(JSON.stringify(content), 'utf8');

/**
 * Validate a card given as the `content` string of a message. The size is the
 * request body's (`bodyBytes`, or the content as carried in one when there is
 * no request, as in a callback answer).
 */
export function validateCardContent(content: string, bodyBytes = contentBodyBytes(content)): CardCheck {
  if (bodyBytes > CARD_MAX_BYTES) {
    return { ok: false, code: 230025, msg: `The message content is too long: the request body of a card exceeds ${CARD_MAX_BYTES / 1024} KB.` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return { ok: false, code: 230001, msg: 'invalid message content: content is not valid JSON' };
  }
  return validateCard(parsed);
}

/** Validate an already-parsed card object. */
export function validateCard(card: unknown): CardCheck {
  if (!isObject(card)) return { ok: false, code: 230001, msg: 'invalid message content: a card must be a JSON object' };

  // References: template cards and CardKit entities ("发送消息").
  if (card['type'] === 'template') {
    const data = card['data'];
    if (!isObject(data) || typeof data['template_id'] !== 'string' || data['template_id'] === '') {
      return cardBuildError(200380, 'template not found: data.template_id is required', 'template_id');
    }
    return { ok: true, card, schema: 'template' };
  }
  if (card['type'] === 'card') {
    const data = card['data'];
    if (!isObject(data) || typeof data['card_id'] !== 'string') {
      return { ok: false, code: 230001, msg: 'invalid message content: data.card_id is required' };
    }
    return { ok: true, card, schema: 'card' };
  }

  if (card['schema'] === '2.0') {
    const err = checkV2(card);
    return err ?? { ok: true, card, schema: '2.0' };
  }
  if (card['schema'] !== undefined) {
    return cardBuildError(200621, `unknown card schema ${JSON.stringify(card['schema'])}`, 'schema');
  }
  // Legacy 1.0 card: needs elements (or i18n_elements) or a header.
  const hasBody = Array.isArray(card['elements']) || isObject(card['i18n_elements']) || isObject(card['header']);
  if (!hasBody) return cardBuildError(200621, 'card has neither header nor elements', '');
  const tooMany = elementLimitError(card);
  if (tooMany) return tooMany;
  return { ok: true, card, schema: '1.0' };
}

/** '2.0' | '1.0' | … for a stored card, used for the "no 2.0 → 1.0 update" rule. */
export function cardSchemaOf(card: unknown): string | undefined {
  if (!isObject(card)) return undefined;
  if (card['type'] === 'template' || card['type'] === 'card') return String(card['type']);
  return card['schema'] === '2.0' ? '2.0' : '1.0';
}

const DAY_MS = 24 * 3600_000;
/** A sent card can be updated for 14 days after it is sent (更新应用发送的消息卡片; 230031). */
export const PATCH_WINDOW_MS = 14 * DAY_MS;
/**
 * How long after it is sent a card takes clicks: 14 days for Card JSON 2.0,
 * 30 for 1.0, counted from when the message was sent — an update does not
 * restart it ("发出卡片的可交互时间" — 卡片 JSON 2.0 版本更新说明; 配置卡片交互).
 */
export const interactionWindowMs = (card: unknown) => (cardSchemaOf(card) === '1.0' ? 30 * DAY_MS : 14 * DAY_MS);
