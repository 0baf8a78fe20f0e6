// Small DOM helpers shared by the pages.
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// On a phone-sized window each row becomes a card whose cells carry their
// column's name (style.css, data-label).
export function table(label, headers, rows) {
  for (const r of rows)
    [...r.cells].forEach((td, i) => {
      if (!headers[i] || !headers[i][0]) return;
      td.dataset.label = headers[i][0];
      if (td.childNodes.length > 1) td.replaceChildren(h('div', {}, ...td.childNodes));
    });
  return h('div', { class: 'table-wrap' },
    h('table', { 'aria-label': label },
      h('thead', {}, h('tr', {}, headers.map(([text, cls]) => h('th', { scope: 'col', class: cls }, text)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'Nothing here.')))));
}

let statusTimer;
export function say(message, isError = false) {
  const s = document.getElementById('status');
  s.className = 'status' + (isError ? ' error' : '');
  s.textContent = message;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { s.textContent = ''; }, isError ? 8000 : 4000);
}

// A modal confirmation (the <dialog> in index.html); resolves true on OK.
export function confirmAction(title, text, okLabel) {
  const d = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  d.returnValue = '';
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
    d.querySelector('button[value="cancel"]').focus();
  });
}

// Runs an action from a button: disables it meanwhile, reports the outcome.
export async function act(button, work, done) {
  button.disabled = true;
  try {
    await work();
    if (done) say(done);
  } catch (e) {
    say(e.message, true);
  } finally {
    button.disabled = false;
  }
}

export function shortId(id) { return (id || '').replace(/^sha256:/, '').slice(0, 12); }

export function bytes(n) {
  if (n === undefined || n === null || isNaN(n)) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i && n < 10 ? 1 : 0)} ${units[i]}`;
}

export function ago(seconds) {
  const d = Math.max(0, Date.now() / 1000 - seconds);
  if (d < 60) return `${Math.floor(d)} seconds ago`;
  if (d < 3600) return `${Math.floor(d / 60)} minutes ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} hours ago`;
  return `${Math.floor(d / 86400)} days ago`;
}

export function badge(text, kind) { return h('span', { class: `badge ${kind || text}` }, text); }

export function heading(text, ...extra) { return h('h1', {}, text, ...extra); }

// A command line as a shell would take it back: words with spaces or quotes quoted.
export function shellWords(args) {
  return (args || []).map((a) => (a === '' || /[\s'"\\$`]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a)).join(' ');
}
