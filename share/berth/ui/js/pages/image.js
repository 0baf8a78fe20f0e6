// One image: its config, layers and history.
import { get } from '../api.js';
import { h, table, heading, shortId, bytes, ago, shellWords } from '../ui.js';

export async function render(main, id, signal) {
  const [img, hist] = await Promise.all([get(`/images/${encodeURIComponent(id)}/json`), get(`/images/${encodeURIComponent(id)}/history`)]);
  if (signal.aborted) return;
  const cfg = img.Config || {};
  const layers = (img.RootFS && img.RootFS.Layers) || [];
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/images' }, '← Images')),
    heading((img.RepoTags || [])[0] || shortId(img.Id)),
    h('div', { class: 'card' }, h('dl', { class: 'props' },
      h('dt', {}, 'Id'), h('dd', { class: 'mono' }, img.Id),
      h('dt', {}, 'Tags'), h('dd', {}, (img.RepoTags || []).join(', ') || '-'),
      h('dt', {}, 'Size'), h('dd', {}, bytes(img.Size)),
      h('dt', {}, 'Created'), h('dd', {}, new Date(img.Created).toLocaleString()),
      h('dt', {}, 'Platform'), h('dd', {}, `${img.Os}/${img.Architecture}${img.Variant ? '/' + img.Variant : ''}`),
      h('dt', {}, 'Command'), h('dd', { class: 'mono' }, shellWords([...(cfg.Entrypoint || []), ...(cfg.Cmd || [])]) || '-'),
      h('dt', {}, 'Working dir'), h('dd', { class: 'mono' }, cfg.WorkingDir || '/'),
      h('dt', {}, 'Exposed ports'), h('dd', { class: 'mono' }, Object.keys(cfg.ExposedPorts || {}).join(', ') || '-'),
      h('dt', {}, 'Env'), h('dd', { class: 'mono' }, (cfg.Env || []).join(' '))),
    ),
    h('h2', {}, `Layers (${layers.length})`),
    table('Layers', [['#'], ['Diff id']], layers.map((l, i) => h('tr', {}, h('td', {}, i + 1), h('td', { class: 'mono' }, l)))),
    h('h2', {}, 'History'),
    table('History', [['Created', 'wide'], ['Created by'], ['Size']], hist.map((e) =>
      h('tr', {}, h('td', { class: 'muted wide' }, e.Created ? ago(e.Created) : '-'),
        h('td', { class: 'mono' }, (e.CreatedBy || '').replace(/^\/bin\/sh -c #\(nop\)\s*/, '')),
        h('td', {}, bytes(e.Size))))));
}
