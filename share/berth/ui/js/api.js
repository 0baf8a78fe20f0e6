// The dashboard's calls: berthd's Docker API relayed under /api (same origin,
// the session cookie goes along by itself).
export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function failure(res) {
  let msg = `${res.status} ${res.statusText}`;
  try { const j = await res.json(); if (j.message) msg = j.message; } catch { /* not JSON */ }
  return new ApiError(res.status, msg);
}

export async function call(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.body = JSON.stringify(body);
    opts.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch('/api' + path, opts);
  if (res.status === 401) window.dispatchEvent(new Event('berth-logged-out'));
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const del = (path) => call('DELETE', path);

// A streamed answer: onChunk(Uint8Array, contentType) for each piece, until
// the stream ends or signal aborts. Resolves when it ends.
export async function stream(method, path, signal, onChunk) {
  const res = await fetch('/api' + path, { method, signal, credentials: 'same-origin' });
  if (res.status === 401) window.dispatchEvent(new Event('berth-logged-out'));
  if (!res.ok) throw await failure(res);
  const type = res.headers.get('Content-Type') || '';
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onChunk(value, type);
  }
}

// Newline-delimited JSON (events, stats, pull progress).
export function jsonLines(method, path, signal, onObject) {
  const dec = new TextDecoder();
  let buf = '';
  return stream(method, path, signal, (bytes) => {
    buf += dec.decode(bytes, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onObject(JSON.parse(line));
    }
  });
}

// Docker's multiplexed stream (8-byte headers: stream, 0, 0, 0, size BE32)
// split into (stream, bytes); a TTY container's raw stream is all stdout.
export class Demux {
  constructor(raw) { this.raw = raw; this.buf = new Uint8Array(0); }
  feed(bytes, out) {
    if (this.raw) { out(1, bytes); return; }
    const b = new Uint8Array(this.buf.length + bytes.length);
    b.set(this.buf); b.set(bytes, this.buf.length);
    let off = 0;
    while (b.length - off >= 8) {
      const size = ((b[off + 4] << 24) >>> 0) + (b[off + 5] << 16) + (b[off + 6] << 8) + b[off + 7];
      if (b.length - off - 8 < size) break;
      out(b[off], b.subarray(off + 8, off + 8 + size));
      off += 8 + size;
    }
    this.buf = b.slice(off);
  }
}
