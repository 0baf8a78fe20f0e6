// Compose projects: containers grouped by the com.docker.compose.project label.
import { get } from '../api.js';
import { h, table, heading } from '../ui.js';
import { refreshOn } from '../bus.js';
import { row, headers, name } from './containers.js';

export async function render(main, signal) {
  const body = h('div', {});
  main.replaceChildren(heading('Compose projects'), body);
  const refresh = async () => {
    const list = await get('/containers/json?all=1&filters=' + encodeURIComponent(JSON.stringify({ label: ['com.docker.compose.project'] })));
    if (signal.aborted) return;
    const projects = new Map();
    for (const c of list) {
      const p = c.Labels['com.docker.compose.project'];
      if (!projects.has(p)) projects.set(p, []);
      projects.get(p).push(c);
    }
    if (!projects.size) {
      body.replaceChildren(h('div', { class: 'card' }, 'No Compose projects: containers started by ',
        h('code', {}, 'berth compose up'), ' or ', h('code', {}, 'docker compose up'), ' show here, grouped by project.'));
      return;
    }
    const sections = [...projects.keys()].sort().map((p) => {
      const cs = projects.get(p).sort((a, b) => name(a).localeCompare(name(b)));
      const running = cs.filter((c) => c.State === 'running').length;
      const dir = cs[0].Labels['com.docker.compose.project.working_dir'];
      const svcHeaders = [['Service'], ...headers];
      const rows = cs.map((c) => {
        const r = row(c, refresh);
        r.prepend(h('td', {}, c.Labels['com.docker.compose.service'] || '-'));
        return r;
      });
      return h('section', { class: 'project card', 'aria-label': `Project ${p}`, 'data-project': p },
        h('h2', {}, p, ' ', h('span', { class: 'muted' }, `${running}/${cs.length} running`)),
        dir ? h('p', { class: 'muted mono' }, dir) : null,
        table(`Containers of ${p}`, svcHeaders, rows));
    });
    body.replaceChildren(...sections);
  };
  refreshOn(signal, ['container'], refresh);
  await refresh();
}
