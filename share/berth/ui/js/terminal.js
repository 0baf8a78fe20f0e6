// The exec terminal: xterm.js (vendor/xterm, MIT) over a WebSocket to
// /ui/exec/ID, which starts a shell with a TTY in the container. Binary
// messages carry the terminal's bytes both ways; text ones control
// ({"resize":[cols,rows]} up, {"exit":N} or {"error":MSG} down).
import { Terminal } from '../vendor/xterm/xterm.mjs';
import { FitAddon } from '../vendor/xterm/addon-fit.mjs';
import { h } from './ui.js';

let cssLoaded = false;
function loadCss() {
  if (cssLoaded) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/xterm/xterm.css' }));
  cssLoaded = true;
}

export function openTerminal(content, c, signal) {
  loadCss();
  const shell = h('select', { id: 'term-shell' }, ['/bin/sh', '/bin/bash', '/bin/ash'].map((s) => h('option', { value: s }, s)));
  const connect = h('button', { type: 'button', id: 'term-connect' }, 'Connect');
  const state = h('span', { class: 'muted', id: 'term-state', role: 'status' });
  const box = h('div', { class: 'term', id: 'terminal' });
  content.replaceChildren(
    h('div', { class: 'field' }, h('label', { for: 'term-shell' }, 'Shell'), shell, connect, state), box);
  if (c.State.Status !== 'running') {
    state.textContent = 'The container is not running: start it to open a terminal.';
    connect.disabled = true;
    return;
  }
  const term = new Terminal({ cursorBlink: true, fontSize: 14, convertEol: false, scrollback: 5000,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace' });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(box);
  fit.fit();
  let ws = null;
  const enc = new TextEncoder();
  const sendSize = () => {
    if (!ws || ws.readyState !== 1) return;
    ws.send(JSON.stringify({ resize: [term.cols, term.rows] }));
    box.dataset.size = `${term.rows} ${term.cols}`;  // what the exec's TTY was told (`stty size` order)
  };
  // Tab belongs to the shell inside a terminal; F6 moves the focus out of it (to Connect).
  term.attachCustomKeyEventHandler((e) => {
    if (e.key !== 'F6') return true;
    if (e.type === 'keydown') { e.preventDefault(); connect.focus(); }
    return false;
  });
  term.onData((d) => { if (ws && ws.readyState === 1) ws.send(enc.encode(d)); });
  term.onResize(sendSize);
  const ro = new ResizeObserver(() => { try { fit.fit(); } catch { /* hidden */ } });
  ro.observe(box);
  const open = () => {
    if (ws) ws.close();
    term.reset();
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ui/exec/${encodeURIComponent(c.Id)}?shell=${encodeURIComponent(shell.value)}`;
    ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    state.textContent = 'connecting…';
    ws.onopen = () => { state.textContent = `connected: ${shell.value}`; sendSize(); term.focus(); };
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') { term.write(new Uint8Array(m.data)); return; }
      const msg = JSON.parse(m.data);
      if ('exit' in msg) state.textContent = `${shell.value} exited with code ${msg.exit}`;
      if (msg.error) state.textContent = `error: ${msg.error}`;
    };
    ws.onclose = (e) => {
      if (state.textContent.startsWith('connect')) state.textContent = e.code === 1006 ? 'the terminal could not start (is that shell in the image?)' : 'disconnected';
    };
  };
  connect.addEventListener('click', open);
  signal.addEventListener('abort', () => { if (ws) ws.close(); ro.disconnect(); term.dispose(); });
  open();
}
