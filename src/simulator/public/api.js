// Calls to the simulator's own endpoints (which drive the stand-in).

async function request(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`);
  return data;
}

export const api = {
  state: () => request('GET', '/sim/api/state'),
  messages: (chatId) => request('GET', `/sim/api/messages?chat_id=${encodeURIComponent(chatId)}`),
  say: (from, chatId, text, mentionBot) => request('POST', '/sim/api/say', { from, chatId, text, mentionBot }),
  image: (from, chatId, base64) => request('POST', '/sim/api/image', { from, chatId, base64 }),
  click: (payload) => request('POST', '/sim/api/click', payload),
  clock: (body) => request('POST', '/sim/api/clock', body),
  resourceUrl: (key) => `/sim/api/resource/${encodeURIComponent(key)}`,
};

/** The stand-in's live events (message, message-updated, call, clock) as Server-Sent Events. */
export function subscribe(handlers) {
  const source = new EventSource('/sim/api/events');
  for (const [event, fn] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => fn(JSON.parse(e.data)));
  }
  return source;
}
