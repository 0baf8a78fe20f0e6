// Volumes: driver, mount point, labels; remove.
import { get, del } from '../api.js';
import { h, table, heading, confirmAction, act } from '../ui.js';
import { refreshOn } from '../bus.js';

export async function render(main, signal) {
  const body = h('div', {});
  main.replaceChildren(heading('Volumes'), body);
  const refresh = async () => {
    const res = await get('/volumes');
    if (signal.aborted) return;
    const list = (res.Volumes || []).sort((a, b) => a.Name.localeCompare(b.Name));
    const rows = list.map((v) => {
      const rm = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove volume ${v.Name}` }, 'Remove');
      rm.addEventListener('click', async () => {
        if (await confirmAction(`Remove volume ${v.Name}?`, 'Its data is deleted. A volume in use cannot be removed.', 'Remove'))
          await act(rm, () => del(`/volumes/${encodeURIComponent(v.Name)}`), `Removed ${v.Name}`).then(refresh);
      });
      const project = (v.Labels || {})['com.docker.compose.project'];
      return h('tr', {},
        h('td', { class: 'mono' }, v.Name, project ? h('div', { class: 'muted' }, `compose: ${project}`) : null),
        h('td', {}, v.Driver),
        h('td', { class: 'mono wide' }, v.Mountpoint),
        h('td', { class: 'muted wide' }, v.CreatedAt ? new Date(v.CreatedAt).toLocaleString() : '-'),
        h('td', {}, rm));
    });
    body.replaceChildren(table('Volumes', [['Name'], ['Driver'], ['Mount point', 'wide'], ['Created', 'wide'], ['Actions']], rows));
  };
  refreshOn(signal, ['volume'], refresh);
  await refresh();
}
