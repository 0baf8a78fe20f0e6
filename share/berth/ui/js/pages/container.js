// One container: its summary and actions, then tabs: live logs (follow,
// search), live CPU/memory/network graphs, a terminal, and the inspect JSON.
import { get, stream, jsonLines, Demux } from '../api.js';
import { h, heading, badge, shortId, bytes, shellWords } from '../ui.js';
import { refreshOn } from '../bus.js';
import { actions, health, ports } from './containers.js';
import { LineChart } from '../chart.js';
import { openTerminal } from '../terminal.js';

const tabs = [['logs', 'Logs'], ['stats', 'Stats'], ['terminal', 'Terminal'], ['inspect', 'Inspect']];

function summary(c, changed) {
  const s = c.State || {};
  const n = c.Name.replace(/^\//, '');
  const hs = s.Health && s.Health.Status;
  const listItem = { Id: c.Id, Names: [c.Name], State: s.Status };
  const pub = [];
  for (const [port, binds] of Object.entries((c.NetworkSettings || {}).Ports || {}))
    for (const b of binds || []) pub.push({ PublicPort: b.HostPort, PrivatePort: port.split('/')[0], Type: port.split('/')[1], IP: b.HostIp });
  return h('div', { class: 'card' },
    h('dl', { class: 'props' },
      h('dt', {}, 'State'), h('dd', {}, badge(s.Status), hs && hs !== 'none' ? [' ', badge(hs)] : null),
      h('dt', {}, 'Image'), h('dd', { class: 'mono' }, c.Config.Image),
      h('dt', {}, 'Id'), h('dd', { class: 'mono' }, c.Id),
      h('dt', {}, s.Running ? 'Up since' : 'Finished'),
      h('dd', {}, new Date(s.Running ? s.StartedAt : s.FinishedAt).toLocaleString(), s.Running ? '' : ` (exit code ${s.ExitCode})`),
      h('dt', {}, 'Command'), h('dd', { class: 'mono' }, shellWords([...(c.Config.Entrypoint || []), ...(c.Config.Cmd || [])])),
      h('dt', {}, 'Ports'), h('dd', { class: 'mono' }, ports({ Ports: pub }) || '-')),
    h('div', { style: 'margin-top:.8em' }, actions(listItem, changed)));
}

export async function render(main, id, tab, signal) {
  if (!tabs.some(([t]) => t === tab)) tab = 'logs';
  const head = h('div', {}), content = h('section', { 'aria-label': tab });
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Container views' },
    tabs.map(([t, label]) => h('a', { href: `#/containers/${id}/${t}`, 'aria-current': t === tab ? 'page' : null }, label)));
  let c = await get(`/containers/${id}/json`);
  const title = heading(c.Name.replace(/^\//, ''), h('span', { class: 'muted mono', style: 'font-size:.6em' }, shortId(c.Id)));
  main.replaceChildren(h('p', {}, h('a', { href: '#/containers' }, '← Containers')), title, head, nav, content);
  const refresh = async () => {
    c = await get(`/containers/${id}/json`);
    if (!signal.aborted) head.replaceChildren(summary(c, refresh));
  };
  head.replaceChildren(summary(c, refresh));
  refreshOn(signal, ['container'], () => refresh().catch(() => {}), 300, (ev) => (ev.Actor || {}).ID === c.Id);
  if (tab === 'logs') logs(content, c, signal);
  else if (tab === 'stats') stats(content, c, signal);
  else if (tab === 'terminal') openTerminal(content, c, signal);
  else content.replaceChildren(h('pre', { class: 'logs' }, JSON.stringify(c, null, 2)));
}

function logs(content, c, signal) {
  const out = h('pre', { class: 'logs', id: 'logs', tabindex: '0', 'aria-label': 'Log output' });
  const search = h('input', { type: 'search', id: 'log-search', placeholder: 'text or /regex/' });
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true });
  const stderrOnly = h('input', { type: 'checkbox', id: 'log-stderr' });
  content.replaceChildren(
    h('div', { class: 'field' },
      h('label', { for: 'log-search' }, 'Search'), search,
      h('label', {}, follow, ' Follow'), h('label', {}, stderrOnly, ' stderr only')),
    out);
  const lines = [];  // [stream, text]
  let pending = ['', ''];
  const matcher = () => {
    const q = search.value;
    if (!q) return null;
    const m = /^\/(.+)\/$/.exec(q);
    try { return m ? new RegExp(m[1], 'i') : new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'); } catch { return null; }
  };
  const lineNode = ([s, text], re) => {
    const span = h('span', { class: s === 2 ? 'stderr' : null });
    if (re) {
      let last = 0;
      text.replace(new RegExp(re.source, 'gi'), (m, ...rest) => {
        const at = rest[rest.length - 2];
        span.append(text.slice(last, at), h('mark', {}, m));
        last = at + m.length;
        return m;
      });
      span.append(text.slice(last));
    } else span.textContent = text;
    span.append('\n');
    return span;
  };
  const visible = (l, re) => (!stderrOnly.checked || l[0] === 2) && (!re || re.test(l[1]));
  const redraw = () => {
    const re = matcher();
    out.replaceChildren(...lines.filter((l) => visible(l, re)).map((l) => lineNode(l, re)));
    if (follow.checked) out.scrollTop = out.scrollHeight;
  };
  search.addEventListener('input', redraw);
  stderrOnly.addEventListener('change', redraw);
  follow.addEventListener('change', () => { if (follow.checked) out.scrollTop = out.scrollHeight; });
  const dec = [new TextDecoder(), new TextDecoder(), new TextDecoder()];
  let demux = null;
  stream('GET', `/containers/${c.Id}/logs?follow=1&stdout=1&stderr=1&tail=1000`, signal, (bytes, type) => {
    demux = demux || new Demux(!type.includes('multiplexed') && c.Config.Tty);
    demux.feed(bytes, (s, data) => {
      const si = s === 2 ? 2 : 1;
      const text = pending[si - 1] + dec[si].decode(data, { stream: true });
      const parts = text.split('\n');
      pending[si - 1] = parts.pop();
      const re = matcher();
      for (const p of parts) {
        const l = [si, p.replace(/\r$/, '')];
        lines.push(l);
        if (visible(l, re)) out.append(lineNode(l, re));
      }
      if (lines.length > 5000) { lines.splice(0, lines.length - 5000); redraw(); }
      if (follow.checked) out.scrollTop = out.scrollHeight;
    });
  }).catch((e) => { if (!signal.aborted) out.append(h('span', { class: 'stderr' }, `[log stream ended: ${e.message}]\n`)); });
}

function stats(content, c, signal) {
  const card = (id, title) => {
    const value = h('div', { class: 'value', id: `${id}-value` }, '-');
    const canvas = h('canvas', { id: `${id}-chart`, role: 'img', 'aria-label': `${title} over the last minute` });
    return [h('div', { class: 'card chart' }, h('h2', {}, title), value, canvas), value, canvas];
  };
  const [cpuCard, cpuValue, cpuCanvas] = card('cpu', 'CPU');
  const [memCard, memValue, memCanvas] = card('mem', 'Memory');
  const [netCard, netValue, netCanvas] = card('net', 'Network (received + sent)');
  const note = h('p', { class: 'muted' });
  content.replaceChildren(h('div', { class: 'charts' }, cpuCard, memCard, netCard), note);
  const cpu = new LineChart(cpuCanvas, { format: (v) => `${v.toFixed(1)} %`, color: '#4493f8' });
  const mem = new LineChart(memCanvas, { format: bytes, color: '#a371f7' });
  const net = new LineChart(netCanvas, { format: (v) => `${bytes(v)}/s`, color: '#3fb950' });
  signal.addEventListener('abort', () => { cpu.dispose(); mem.dispose(); net.dispose(); });
  if (c.State.Status !== 'running') note.textContent = 'The container is not running: the graphs move while it runs.';
  let prevNet = null, prevTime = null;
  jsonLines('GET', `/containers/${c.Id}/stats?stream=1`, signal, (s) => {
    const cs = s.cpu_stats || {}, pc = s.precpu_stats || {};
    const cpuDelta = (cs.cpu_usage?.total_usage || 0) - (pc.cpu_usage?.total_usage || 0);
    const sysDelta = (cs.system_cpu_usage || 0) - (pc.system_cpu_usage || 0);
    const cpus = cs.online_cpus || cs.cpu_usage?.percpu_usage?.length || 1;
    const pct = sysDelta > 0 && cpuDelta >= 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;
    cpu.push(pct);
    cpuValue.textContent = `${pct.toFixed(2)} %`;
    const ms = s.memory_stats || {};
    const used = (ms.usage || 0) - (ms.stats?.inactive_file || 0);
    mem.push(used);
    memValue.textContent = `${bytes(used)}${ms.limit ? ' / ' + bytes(ms.limit) : ''}`;
    let total = 0;
    for (const n of Object.values(s.networks || {})) total += (n.rx_bytes || 0) + (n.tx_bytes || 0);
    const t = Date.parse(s.read) / 1000;
    const rate = prevNet !== null && t > prevTime ? Math.max(0, (total - prevNet) / (t - prevTime)) : 0;
    prevNet = total; prevTime = t;
    net.push(rate);
    netValue.textContent = `${bytes(rate)}/s`;
  }).catch((e) => { if (!signal.aborted) note.textContent = `Stats stream ended: ${e.message}`; });
}
