// Drawing on <canvas>: axes with ticks, heat maps, contour lines, points and lines.
// Written for gdlab's playground; no third-party code. Every function takes plain numbers.

export const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

// Size a canvas to its CSS box at the device's pixel ratio; returns a 2-D context in CSS pixels.
export function fitCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const rect = canvas.getBoundingClientRect();
  const w = Math.max(1, Math.round(rect.width));
  const h = Math.max(1, Math.round(rect.height));
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, width: w, height: h };
}

// "Nice" tick values (1, 2, 5 x 10^k steps) covering [lo, hi].
export function niceTicks(lo, hi, count = 6) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

export function formatNumber(v, digits = 4) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(1, digits - 2)).replace("e+", "e");
  return String(Number(v.toPrecision(digits)));
}

// A plotting area inside a canvas: data coordinates <-> CSS pixels.
export class Axes {
  constructor(canvas, { xlim, ylim, logy = false, equal = false, margin = {} } = {}) {
    const { ctx, width, height } = fitCanvas(canvas);
    this.canvas = canvas;
    this.ctx = ctx;
    this.width = width;
    this.height = height;
    this.m = { left: 56, right: 14, top: 12, bottom: 40, ...margin };
    this.logy = logy;
    let [x0, x1] = xlim;
    let [y0, y1] = ylim;
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    if (logy) { y0 = Math.log10(y0); y1 = Math.log10(y1); }
    this.pw = width - this.m.left - this.m.right;
    this.ph = height - this.m.top - this.m.bottom;
    if (equal) {  // the same data length per pixel on both axes (the gradient is then ⟂ to contours):
      // shrink the plotting area, centred, rather than widen the data range
      const sx = (x1 - x0) / this.pw, sy = (y1 - y0) / this.ph;
      if (sx > sy) { const ph = (y1 - y0) / sx; this.m.top += (this.ph - ph) / 2; this.ph = ph; }
      else { const pw = (x1 - x0) / sy; this.m.left += (this.pw - pw) / 2; this.pw = pw; }
    }
    this.x0 = x0; this.x1 = x1; this.y0 = y0; this.y1 = y1;
  }

  px(x) { return this.m.left + ((x - this.x0) / (this.x1 - this.x0)) * this.pw; }
  py(y) {
    const v = this.logy ? Math.log10(Math.max(y, 1e-300)) : y;
    return this.m.top + (1 - (v - this.y0) / (this.y1 - this.y0)) * this.ph;
  }
  // Pixel (CSS) -> data coordinates.
  invert(px, py) {
    const x = this.x0 + ((px - this.m.left) / this.pw) * (this.x1 - this.x0);
    let y = this.y0 + (1 - (py - this.m.top) / this.ph) * (this.y1 - this.y0);
    if (this.logy) y = Math.pow(10, y);
    return [x, y];
  }
  inside(px, py) {
    return px >= this.m.left && px <= this.m.left + this.pw && py >= this.m.top && py <= this.m.top + this.ph;
  }

  clip() {
    const c = this.ctx;
    c.save();
    c.beginPath();
    c.rect(this.m.left, this.m.top, this.pw, this.ph);
    c.clip();
  }
  unclip() { this.ctx.restore(); }

  frame({ xlabel = "", ylabel = "", grid = true } = {}) {
    const c = this.ctx;
    c.save();
    c.font = "11px system-ui, sans-serif";
    c.fillStyle = "#444";
    c.strokeStyle = "#ddd";
    c.lineWidth = 1;
    const xt = niceTicks(this.x0, this.x1, Math.max(2, Math.floor(this.pw / 70)));
    const yt = this.logy ? logTicks(this.y0, this.y1) : niceTicks(this.y0, this.y1, Math.max(2, Math.floor(this.ph / 45)));
    c.textAlign = "center";
    c.textBaseline = "top";
    for (const t of xt) {
      const x = this.px(t);
      if (grid) { c.beginPath(); c.moveTo(x, this.m.top); c.lineTo(x, this.m.top + this.ph); c.stroke(); }
      c.fillText(formatNumber(t, 3), x, this.m.top + this.ph + 4);
    }
    c.textAlign = "right";
    c.textBaseline = "middle";
    for (const t of yt) {
      const y = this.logy ? this.py(Math.pow(10, t)) : this.py(t);
      if (grid) { c.beginPath(); c.moveTo(this.m.left, y); c.lineTo(this.m.left + this.pw, y); c.stroke(); }
      c.fillText(this.logy ? formatNumber(Math.pow(10, t), 2) : formatNumber(t, 3), this.m.left - 5, y);
    }
    c.strokeStyle = "#888";
    c.strokeRect(this.m.left, this.m.top, this.pw, this.ph);
    c.font = "12px system-ui, sans-serif";
    c.fillStyle = "#222";
    c.textAlign = "center";
    c.textBaseline = "bottom";
    c.fillText(xlabel, this.m.left + this.pw / 2, Math.min(this.height - 3, this.m.top + this.ph + 34));
    c.save();
    c.translate(Math.max(12, this.m.left - 44), this.m.top + this.ph / 2);
    c.rotate(-Math.PI / 2);
    c.textBaseline = "middle";
    c.fillText(ylabel, 0, 0);
    c.restore();
    c.restore();
  }

  // A polyline through (xs[i], ys[i]); null/NaN values break the line.
  line(xs, ys, { color = "#222", width = 2, dash = null, alpha = 1 } = {}) {
    const c = this.ctx;
    c.save();
    c.strokeStyle = color;
    c.globalAlpha = alpha;
    c.lineWidth = width;
    c.lineJoin = "round";
    if (dash) c.setLineDash(dash);
    c.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i], y = ys[i];
      if (x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y) || (this.logy && y <= 0)) { pen = false; continue; }
      const X = this.px(x), Y = clampPx(this.py(y));
      if (pen) c.lineTo(X, Y); else { c.moveTo(X, Y); pen = true; }
    }
    c.stroke();
    c.restore();
  }

  points(xs, ys, { color = "#0072B2", colors = null, radius = 3, fill = true, edge = null, alpha = 0.9, shape = "circle" } = {}) {
    const c = this.ctx;
    c.save();
    c.globalAlpha = alpha;
    c.lineWidth = 1.3;
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
      const X = this.px(xs[i]), Y = this.py(ys[i]);
      const col = colors ? colors[i] : color;
      c.beginPath();
      if (shape === "square") c.rect(X - radius, Y - radius, 2 * radius, 2 * radius);
      else c.arc(X, Y, radius, 0, 2 * Math.PI);
      if (fill) { c.fillStyle = col; c.fill(); }
      if (edge || !fill) { c.strokeStyle = edge || col; c.stroke(); }
    }
    c.restore();
  }

  marker(x, y, { color = "#000", size = 7, shape = "star", label = null } = {}) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const c = this.ctx;
    const X = this.px(x), Y = this.py(y);
    c.save();
    c.fillStyle = color;
    c.strokeStyle = "#fff";
    c.lineWidth = 1.5;
    c.beginPath();
    if (shape === "star") {
      for (let k = 0; k < 10; k++) {
        const r = k % 2 ? size * 0.45 : size;
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        c.lineTo(X + r * Math.cos(a), Y + r * Math.sin(a));
      }
      c.closePath();
    } else if (shape === "square") {
      c.rect(X - size / 2, Y - size / 2, size, size);
    } else {
      c.arc(X, Y, size / 2, 0, 2 * Math.PI);
    }
    c.fill();
    c.stroke();
    if (label) {
      c.font = "11px system-ui, sans-serif";
      c.fillStyle = "#111";
      c.textAlign = "left";
      c.textBaseline = "bottom";
      c.fillText(label, X + size, Y - 2);
    }
    c.restore();
  }

  // A field of values on an nx x ny grid over [xlim] x [ylim] (row j: y_j, column i: x_i).
  heatmap(values, nx, ny, xlim, ylim, colorOf) {
    const off = document.createElement("canvas");
    off.width = nx;
    off.height = ny;
    const octx = off.getContext("2d");
    const img = octx.createImageData(nx, ny);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const [r, g, b, a] = colorOf(values[j * nx + i], j * nx + i);
        const k = ((ny - 1 - j) * nx + i) * 4;  // image rows go down, y goes up
        img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = a;
      }
    }
    octx.putImageData(img, 0, 0);
    const c = this.ctx;
    // each value is a cell centre: the image spans half a cell beyond the first and last centres
    const dx = (xlim[1] - xlim[0]) / (nx - 1), dy = (ylim[1] - ylim[0]) / (ny - 1);
    const X0 = this.px(xlim[0] - dx / 2), X1 = this.px(xlim[1] + dx / 2);
    const Y0 = this.py(ylim[1] + dy / 2), Y1 = this.py(ylim[0] - dy / 2);
    this.clip();
    c.imageSmoothingEnabled = true;
    c.drawImage(off, X0, Y0, X1 - X0, Y1 - Y0);
    this.unclip();
  }

  // Contour lines of a grid (marching squares, linear interpolation along cell edges).
  contours(values, nx, ny, xlim, ylim, levels, { color = "#333", width = 0.8, alpha = 0.7 } = {}) {
    const c = this.ctx;
    const gx = (i) => xlim[0] + (i / (nx - 1)) * (xlim[1] - xlim[0]);
    const gy = (j) => ylim[0] + (j / (ny - 1)) * (ylim[1] - ylim[0]);
    this.clip();
    c.save();
    c.strokeStyle = color;
    c.lineWidth = width;
    c.globalAlpha = alpha;
    c.beginPath();
    for (const level of levels) {
      for (let j = 0; j < ny - 1; j++) {
        for (let i = 0; i < nx - 1; i++) {
          const v = [values[j * nx + i], values[j * nx + i + 1], values[(j + 1) * nx + i + 1], values[(j + 1) * nx + i]];
          if (v.some((t) => t === null || !Number.isFinite(t))) continue;
          // corners: 0 (i, j), 1 (i+1, j), 2 (i+1, j+1), 3 (i, j+1); edges between them
          const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
          const cross = [];
          for (let e = 0; e < 4; e++) {
            const a = v[e], b = v[(e + 1) % 4];
            if ((a < level) !== (b < level)) {
              const t = (level - a) / (b - a);
              const [ia, ja] = corners[e], [ib, jb] = corners[(e + 1) % 4];
              cross.push([gx(ia + t * (ib - ia)), gy(ja + t * (jb - ja))]);
            }
          }
          for (let k = 0; k + 1 < cross.length; k += 2) {
            c.moveTo(this.px(cross[k][0]), this.py(cross[k][1]));
            c.lineTo(this.px(cross[k + 1][0]), this.py(cross[k + 1][1]));
          }
        }
      }
    }
    c.stroke();
    c.restore();
    this.unclip();
  }

  text(str, x, y, { color = "#222", align = "left", baseline = "top", font = "12px system-ui, sans-serif" } = {}) {
    const c = this.ctx;
    c.save();
    c.font = font;
    c.fillStyle = color;
    c.textAlign = align;
    c.textBaseline = baseline;
    c.fillText(str, x, y);
    c.restore();
  }
}

function clampPx(v) { return Math.max(-1e5, Math.min(1e5, v)); }

function logTicks(l0, l1) {
  const out = [];
  const step = Math.max(1, Math.ceil((l1 - l0) / 6));
  for (let k = Math.ceil(l0); k <= Math.floor(l1); k += step) out.push(k);
  if (out.length < 2) { out.length = 0; out.push(l0, (l0 + l1) / 2, l1); }
  return out;
}

// Linear interpolation through color stops [[t, "#rrggbb"], ...] for t in [0, 1].
export function ramp(stops) {
  const rgb = stops.map(([t, hex]) => [t, parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)]);
  return (t) => {
    t = Math.min(1, Math.max(0, t));
    for (let k = 1; k < rgb.length; k++) {
      if (t <= rgb[k][0]) {
        const [t0, r0, g0, b0] = rgb[k - 1], [t1, r1, g1, b1] = rgb[k];
        const u = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
        return [r0 + u * (r1 - r0), g0 + u * (g1 - g0), b0 + u * (b1 - b0)];
      }
    }
    return rgb[rgb.length - 1].slice(1);
  };
}

// Low loss dark blue → high loss pale yellow (stops picked for this page).
export const lossColors = ramp([[0, "#1b3a6b"], [0.25, "#2f6e9e"], [0.5, "#5aa6a8"], [0.75, "#b9d98c"], [1, "#fbf7d5"]]);
// P(class 1): blue (0) → white (0.5) → orange (1), the classes' point colors.
export const probaColors = ramp([[0, "#0072B2"], [0.5, "#ffffff"], [1, "#D55E00"]]);

export function hexToRgb(hex) {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}
