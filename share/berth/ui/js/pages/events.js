// The engine's event stream, newest first (the last 500).
import { h, heading } from '../ui.js';
import { onEngineEvent } from '../bus.js';

export function render(main, signal) {
  const filter = h('input', { type: 'search', id: 'event-filter', placeholder: 'container, image, start, …' });
  const tbody = h('tbody', { id: 'events' });
  const empty = h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'Waiting for events: start or stop a container.'));
  tbody.append(empty);
  main.replaceChildren(heading('Events'),
    h('div', { class: 'field' }, h('label', { for: 'event-filter' }, 'Filter'), filter),
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Events' },
      h('thead', {}, h('tr', {}, ['Time', 'Type', 'Action', 'Object'].map((t) => h('th', { scope: 'col' }, t)))), tbody)));
  const matches = (tr) => !filter.value || tr.textContent.toLowerCase().includes(filter.value.toLowerCase());
  filter.addEventListener('input', () => { for (const tr of tbody.rows) tr.hidden = tr !== empty && !matches(tr); });
  onEngineEvent(signal, (ev) => {
    empty.remove();
    const a = ev.Actor || {}, attrs = a.Attributes || {};
    const nanos = ev.timeNano ? ev.timeNano / 1e6 : ev.time * 1000;
    const obj = attrs.name || a.ID || '';
    const link = ev.Type === 'container' && a.ID ? h('a', { href: `#/containers/${a.ID}` }, obj) : obj;
    const tr = h('tr', {}, h('td', { class: 'muted' }, new Date(nanos).toLocaleTimeString()), h('td', {}, ev.Type),
      h('td', {}, ev.Action), h('td', { class: 'mono' }, link, attrs.image ? h('div', { class: 'muted' }, attrs.image) : null));
    tr.hidden = !matches(tr);
    tbody.prepend(tr);
    while (tbody.rows.length > 500) tbody.lastChild.remove();
  });
}
