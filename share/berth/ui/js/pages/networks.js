// Networks: driver, subnets, containers; remove user-defined ones.
import { get, del } from '../api.js';
import { h, table, heading, confirmAction, act, shortId } from '../ui.js';
import { refreshOn } from '../bus.js';

const builtin = new Set(['bridge', 'host', 'none']);

export async function render(main, signal) {
  const body = h('div', {});
  main.replaceChildren(heading('Networks'), body);
  const refresh = async () => {
    const list = await get('/networks');
    if (signal.aborted) return;
    list.sort((a, b) => a.Name.localeCompare(b.Name));
    const rows = list.map((n) => {
      const subnets = ((n.IPAM && n.IPAM.Config) || []).map((c) => c.Subnet).filter(Boolean).join(', ');
      const rm = builtin.has(n.Name) ? h('span', { class: 'muted' }, 'built in')
        : h('button', { type: 'button', class: 'danger', 'aria-label': `Remove network ${n.Name}` }, 'Remove');
      if (!builtin.has(n.Name)) rm.addEventListener('click', async () => {
        if (await confirmAction(`Remove network ${n.Name}?`, 'Containers still connected to it make this fail.', 'Remove'))
          await act(rm, () => del(`/networks/${encodeURIComponent(n.Id)}`), `Removed ${n.Name}`).then(refresh);
      });
      const project = (n.Labels || {})['com.docker.compose.project'];
      return h('tr', {},
        h('td', {}, n.Name, project ? h('div', { class: 'muted' }, `compose: ${project}`) : null),
        h('td', { class: 'mono wide' }, shortId(n.Id)),
        h('td', {}, n.Driver), h('td', { class: 'wide' }, n.Scope),
        h('td', { class: 'mono' }, subnets || '-'),
        h('td', {}, n.Internal ? 'internal' : ''),
        h('td', {}, rm));
    });
    body.replaceChildren(table('Networks', [['Name'], ['Id', 'wide'], ['Driver'], ['Scope', 'wide'], ['Subnets'], [''], ['Actions']], rows));
  };
  refreshOn(signal, ['network'], refresh);
  await refresh();
}
