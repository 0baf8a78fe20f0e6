// The engine's event stream, read once (app.js) and handed to every page
// that listens: lists refresh when something changes, not on a timer.
const listeners = new Set();
export function publish(ev) { for (const fn of listeners) fn(ev); }
// Calls fn(event) for each event until signal aborts.
export function onEngineEvent(signal, fn) {
  listeners.add(fn);
  signal.addEventListener('abort', () => listeners.delete(fn), { once: true });
}
// An exec (a healthcheck's every few seconds, a terminal) changes no list.
const quiet = (ev) => /^exec_/.test(ev.Action || '');

// fn() at most once per `ms` for a burst of events of `types` (and, when
// given, only those `only(ev)` accepts).
export function refreshOn(signal, types, fn, ms = 300, only = null) {
  let timer = null;
  onEngineEvent(signal, (ev) => {
    if (!types.includes(ev.Type) || quiet(ev) || (only && !only(ev)) || timer) return;
    timer = setTimeout(() => { timer = null; if (!signal.aborted) fn(); }, ms);
  });
}
