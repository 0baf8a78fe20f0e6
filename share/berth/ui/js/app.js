// The dashboard's entry: logs in with the token `berth ui` put in the URL,
// then routes #/section[/id[/tab]] to a page module.
import { get, jsonLines } from './api.js';
import { h, say } from './ui.js';
import { publish } from './bus.js';
import * as containers from './pages/containers.js';
import * as container from './pages/container.js';
import * as compose from './pages/compose.js';
import * as images from './pages/images.js';
import * as image from './pages/image.js';
import * as networks from './pages/networks.js';
import * as volumes from './pages/volumes.js';
import * as events from './pages/events.js';

const main = document.getElementById('main');
let current = null;  // the page's AbortController: streams end when the page changes

let eventStream = null;
let loggedIn = false;
function startEvents() {
  if (eventStream) return;
  const ctrl = new AbortController();
  eventStream = ctrl;
  jsonLines('GET', '/events', ctrl.signal, publish)
    .catch(() => {})
    .finally(() => {
      if (eventStream === ctrl) eventStream = null;
      // The stream ended by itself (berthd restarted): follow it again shortly.
      if (!ctrl.signal.aborted && loggedIn && !document.hidden) setTimeout(startEvents, 2000);
    });
}

// Browsers allow six connections per site: a tab in the background gives
// its streams (events, logs, stats) back and renders afresh when shown. A
// terminal is kept: its shell session is worth more than the connection.
let paused = false;
document.addEventListener('visibilitychange', () => {
  if (!loggedIn) return;
  if (document.hidden) {
    if (/\/terminal$/.test(location.hash)) return;
    paused = true;
    if (current) current.abort();
    if (eventStream) eventStream.abort();
  } else if (paused) {
    paused = false;
    startEvents();
    route();
  }
});

async function login() {
  const m = location.hash.match(/^#token=([0-9a-f]+)$/);
  if (!m) return;
  history.replaceState(null, '', location.pathname + '#/containers');
  const res = await fetch('/ui/login', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: m[1] }),
  });
  if (!res.ok) {
    let msg = 'the login token was refused';
    try { msg = (await res.json()).message; } catch { /* keep the default */ }
    say(msg, true);
  }
}

function loggedOut() {
  loggedIn = false;
  if (current) current.abort();
  if (eventStream) eventStream.abort();
  document.getElementById('logout').hidden = true;
  main.replaceChildren(h('h1', {}, 'Not logged in'),
    h('div', { class: 'card notice' },
      h('p', {}, 'Run ', h('code', {}, 'berth ui'), ' on the machine berthd runs on and open the URL it prints. ',
        'Each URL logs in one browser once.')));
}

const routes = {
  containers: (p, sig) => (p[1] ? container.render(main, p[1], p[2] || 'logs', sig) : containers.render(main, sig)),
  compose: (p, sig) => compose.render(main, sig),
  images: (p, sig) => (p[1] ? image.render(main, decodeURIComponent(p[1]), sig) : images.render(main, sig)),
  networks: (p, sig) => networks.render(main, sig),
  volumes: (p, sig) => volumes.render(main, sig),
  events: (p, sig) => events.render(main, sig),
};

async function route() {
  const parts = (location.hash.replace(/^#\/?/, '') || 'containers').split('/');
  const section = routes[parts[0]] ? parts[0] : 'containers';
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (current) current.abort();
  current = new AbortController();
  const signal = current.signal;
  try {
    await routes[section](parts, signal);
  } catch (e) {
    if (signal.aborted) return;
    if (e.status === 401) return;
    main.replaceChildren(h('h1', {}, 'Something went wrong'), h('div', { class: 'card' }, e.message));
  }
}

async function start() {
  window.addEventListener('berth-logged-out', loggedOut);
  await login();
  try {
    const v = await get('/version');
    document.getElementById('engine').textContent = `berthd ${v.Version} · API ${v.ApiVersion}`;
  } catch (e) {
    if (e.status !== 401) say(e.message, true);
    if (e.status === 401) { loggedOut(); return; }
  }
  const out = document.getElementById('logout');
  out.hidden = false;
  out.addEventListener('click', async () => {
    await fetch('/ui/logout', { method: 'POST', credentials: 'same-origin' });
    loggedOut();
  });
  loggedIn = true;
  startEvents();
  window.addEventListener('hashchange', route);
  route();
}

start();
