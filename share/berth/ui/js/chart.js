// A small line chart on a canvas: the last `capacity` points of one series.
export class LineChart {
  constructor(canvas, { capacity = 60, color = '#4493f8', format = (v) => String(v), min = 0 } = {}) {
    Object.assign(this, { canvas, capacity, color, format, min, points: [] });
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(canvas);
  }
  push(v) {
    this.points.push(v);
    if (this.points.length > this.capacity) this.points.shift();
    this.canvas.dataset.points = String(this.points.length);
    this.canvas.dataset.last = String(v);
    this.draw();
  }
  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, hgt = c.clientHeight;
    if (!w || !hgt) return;
    c.width = w * dpr; c.height = hgt * dpr;
    const g = c.getContext('2d');
    g.scale(dpr, dpr);
    g.clearRect(0, 0, w, hgt);
    const style = getComputedStyle(document.body);
    const line = style.getPropertyValue('--line') || '#ccc', muted = style.getPropertyValue('--muted') || '#888';
    const max = Math.max(this.min + 1e-9, ...this.points) * 1.15;
    g.strokeStyle = line; g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = Math.round(4 + (hgt - 20) * i / 4) + 0.5;
      g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke();
    }
    g.fillStyle = muted; g.font = '11px sans-serif';
    g.fillText(this.format(max), 4, 14);
    if (this.points.length < 2) return;
    const step = w / (this.capacity - 1), x0 = w - step * (this.points.length - 1);
    const y = (v) => 4 + (hgt - 20) * (1 - v / max);
    g.beginPath();
    this.points.forEach((v, i) => (i ? g.lineTo(x0 + i * step, y(v)) : g.moveTo(x0, y(v))));
    g.strokeStyle = this.color; g.lineWidth = 2; g.stroke();
    g.lineTo(x0 + (this.points.length - 1) * step, hgt - 16); g.lineTo(x0, hgt - 16); g.closePath();
    g.globalAlpha = 0.15; g.fillStyle = this.color; g.fill(); g.globalAlpha = 1;
  }
  dispose() { this.observer.disconnect(); }
}
