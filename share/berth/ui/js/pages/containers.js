// Containers: state, health, ports, image, uptime; start, stop, restart, remove.
import { get, post, del } from '../api.js';
import { h, table, badge, heading, confirmAction, act, shortId } from '../ui.js';
import { refreshOn } from '../bus.js';

export function name(c) { return (c.Names && c.Names[0] || '').replace(/^\//, '') || shortId(c.Id); }

export function health(status) {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status || '');
  return m ? (m[1] === 'health: starting' ? 'starting' : m[1]) : null;
}

export function ports(c) {
  const seen = new Set();
  return (c.Ports || []).filter((p) => p.PublicPort).map((p) => `${p.IP && p.IP !== '0.0.0.0' ? p.IP + ':' : ''}${p.PublicPort}→${p.PrivatePort}/${p.Type}`)
    .filter((t) => !seen.has(t) && seen.add(t)).join(', ');
}

// The buttons a container's state allows; after each, `changed()` runs.
export function actions(c, changed) {
  const id = c.Id, n = name(c), running = c.State === 'running' || c.State === 'restarting' || c.State === 'paused';
  const b = (label, cls, fn) => h('button', { type: 'button', class: cls, 'aria-label': `${label} ${n}`, onclick: (e) => fn(e.currentTarget) }, label);
  const out = [];
  if (!running) out.push(b('Start', '', (btn) => act(btn, () => post(`/containers/${id}/start`), `Started ${n}`).then(changed)));
  if (running) {
    out.push(b('Stop', 'quiet', async (btn) => {
      if (await confirmAction(`Stop ${n}?`, 'Its main process gets SIGTERM, then SIGKILL after the stop timeout.', 'Stop'))
        await act(btn, () => post(`/containers/${id}/stop`), `Stopped ${n}`).then(changed);
    }));
    out.push(b('Restart', 'quiet', async (btn) => {
      if (await confirmAction(`Restart ${n}?`, 'The container is stopped and started again.', 'Restart'))
        await act(btn, () => post(`/containers/${id}/restart`), `Restarted ${n}`).then(changed);
    }));
  }
  out.push(b('Remove', 'danger', async (btn) => {
    if (await confirmAction(`Remove ${n}?`, running ? 'It is running: it will be killed and removed, with its anonymous volumes.' :
      'The container and its anonymous volumes are removed.', 'Remove'))
      await act(btn, () => del(`/containers/${id}?force=1&v=1`), `Removed ${n}`).then(changed);
  }));
  return h('div', { class: 'row-actions' }, out);
}

export function stateCell(c) {
  const hs = health(c.Status);
  return h('td', {}, badge(c.State), hs ? [' ', badge(hs)] : null);
}

export function row(c, refresh) {
  const n = name(c);
  return h('tr', { 'data-id': c.Id, 'data-name': n, 'data-state': c.State },
    h('td', {}, h('a', { href: `#/containers/${c.Id}` }, n), h('div', { class: 'muted mono' }, shortId(c.Id))),
    h('td', { class: 'mono' }, c.Image),
    stateCell(c),
    h('td', { class: 'muted' }, c.Status),
    h('td', { class: 'mono wide' }, ports(c)),
    h('td', {}, actions(c, refresh)));
}

export const headers = [['Name'], ['Image'], ['State'], ['Status'], ['Ports', 'wide'], ['Actions']];

export async function render(main, signal) {
  const body = h('div', {});
  main.replaceChildren(heading('Containers'), body);
  const refresh = async () => {
    const list = await get('/containers/json?all=1');
    if (signal.aborted) return;
    list.sort((a, b) => name(a).localeCompare(name(b)));
    body.replaceChildren(table('Containers', headers, list.map((c) => row(c, refresh))));
  };
  refreshOn(signal, ['container'], refresh);
  await refresh();
}
