// Images: tags, size, age; remove; pull with per-layer progress.
import { get, del, jsonLines } from '../api.js';
import { h, table, heading, confirmAction, act, shortId, bytes, ago, say } from '../ui.js';
import { refreshOn } from '../bus.js';

function pullForm(onDone) {
  const ref = h('input', { type: 'text', id: 'pull-ref', placeholder: 'alpine:3.20', required: true, autocomplete: 'off' });
  const button = h('button', { type: 'submit', id: 'pull-button' }, 'Pull');
  const progress = h('div', { class: 'progress', id: 'pull-progress', 'aria-live': 'polite' });
  const status = h('p', { class: 'muted', id: 'pull-status' });
  const form = h('form', { class: 'card', 'aria-label': 'Pull an image' },
    h('div', { class: 'field' }, h('label', { for: 'pull-ref' }, 'Pull an image'), ref, button), progress, status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let image = ref.value.trim(), tag = 'latest';
    if (!image) return;
    const at = image.indexOf('@');
    const colon = image.lastIndexOf(':');
    if (at < 0 && colon > image.lastIndexOf('/')) { tag = image.slice(colon + 1); image = image.slice(0, colon); }
    const q = at >= 0 ? `fromImage=${encodeURIComponent(image)}` : `fromImage=${encodeURIComponent(image)}&tag=${encodeURIComponent(tag)}`;
    const layers = new Map();
    progress.replaceChildren();
    status.textContent = `Pulling ${ref.value.trim()}…`;
    let failed = null;
    await act(button, () => jsonLines('POST', `/images/create?${q}`, undefined, (m) => {
      if (m.error || m.errorDetail) { failed = m.error || m.errorDetail.message; return; }
      if (!m.id || !m.progressDetail) { if (m.status) status.textContent = m.status; return; }
      let entry = layers.get(m.id);
      if (!entry) {
        entry = { label: h('span', { class: 'mono' }, m.id), bar: h('progress', { max: 1, value: 0, 'aria-label': `Layer ${m.id}` }) };
        layers.set(m.id, entry);
        progress.append(entry.label, entry.bar);
      }
      const d = m.progressDetail;
      if (d.total) { entry.bar.max = d.total; entry.bar.value = d.current || 0; }
      if (/complete|already exists/i.test(m.status)) { entry.bar.max = 1; entry.bar.value = 1; }
      entry.bar.title = m.status;
    }));
    if (failed) { status.textContent = failed; say(failed, true); } else onDone();
  });
  return form;
}

export async function render(main, signal) {
  const body = h('div', {});
  main.replaceChildren(heading('Images'), pullForm(() => refresh()), body);
  const refresh = async () => {
    const list = await get('/images/json');
    if (signal.aborted) return;
    list.sort((a, b) => b.Created - a.Created);
    const rows = list.map((i) => {
      const tags = (i.RepoTags || []).filter((t) => t !== '<none>:<none>');
      const label = tags[0] || shortId(i.Id);
      const rm = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${label}` }, 'Remove');
      rm.addEventListener('click', async () => {
        if (await confirmAction(`Remove ${label}?`, tags.length > 1 ? `All its tags go: ${tags.join(', ')}.` : 'The image and its layers no other image uses are deleted.', 'Remove'))
          await act(rm, () => del(`/images/${encodeURIComponent(i.Id)}?force=${tags.length > 1 ? 1 : 0}`), `Removed ${label}`).then(refresh);
      });
      return h('tr', { 'data-id': i.Id },
        h('td', {}, h('a', { href: `#/images/${encodeURIComponent(i.Id)}` }, tags.length ? tags.join(', ') : '<none>')),
        h('td', { class: 'mono wide' }, shortId(i.Id)),
        h('td', {}, bytes(i.Size)),
        h('td', { class: 'muted wide' }, ago(i.Created)),
        h('td', {}, rm));
    });
    body.replaceChildren(table('Images', [['Tags'], ['Id', 'wide'], ['Size'], ['Created', 'wide'], ['Actions']], rows));
  };
  refreshOn(signal, ['image'], refresh);
  await refresh();
}
