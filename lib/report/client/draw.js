// draw.js — colours, shapes, ticks and the fault shading every time view shares.

const TYPE_COLORS = { ok: '#2563eb', fail: '#dc2626', info: '#d97706', pending: '#9ca3af' };
const TYPE_COLOR_LIST = [TYPE_COLORS.ok, TYPE_COLORS.fail, TYPE_COLORS.info, TYPE_COLORS.pending];
const NET_FAULT = 'rgba(124, 58, 237, 0.13)';
const NET_FAULT_SOLID = '#7c3aed';
const PROC_FAULT = 'rgba(13, 148, 136, 0.16)';
const PROC_FAULT_SOLID = '#0d9488';
const HIGHLIGHT = '#db2777';
const SELECTED = '#111827';
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross', 'bar'];

/** Size a canvas to its CSS box at the device pixel ratio; returns the 2D context scaled to CSS pixels. */
function sizeCanvas(canvas, cssWidth, cssHeight) {
  const dpr = window.devicePixelRatio || 1;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.max(1, Math.round(cssWidth * dpr));
  canvas.height = Math.max(1, Math.round(cssHeight * dpr));
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Add a shape at (x, y) of half-size r to a Path2D. */
function shapePath(path, shape, x, y, r) {
  switch (shape) {
    case 'square':
      path.rect(x - r, y - r, 2 * r, 2 * r);
      break;
    case 'triangle':
      path.moveTo(x, y - r - 0.5);
      path.lineTo(x + r + 0.5, y + r);
      path.lineTo(x - r - 0.5, y + r);
      path.closePath();
      break;
    case 'diamond':
      path.moveTo(x, y - r - 1);
      path.lineTo(x + r + 1, y);
      path.lineTo(x, y + r + 1);
      path.lineTo(x - r - 1, y);
      path.closePath();
      break;
    case 'cross':
      path.rect(x - r - 0.5, y - 0.75, 2 * r + 1, 1.5);
      path.rect(x - 0.75, y - r - 0.5, 1.5, 2 * r + 1);
      break;
    case 'bar':
      path.rect(x - r - 0.5, y - 0.9, 2 * r + 1, 1.8);
      break;
    default:
      path.moveTo(x + r, y);
      path.arc(x, y, r, 0, 2 * Math.PI);
  }
}

/** Round tick positions for [min, max] with about `count` ticks. */
function niceTicks(min, max, count) {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmtSeconds(t, span) {
  const digits = span < 0.05 ? 4 : span < 0.5 ? 3 : span < 5 ? 2 : span < 50 ? 1 : 0;
  return `${t.toFixed(digits)} s`;
}

/**
 * Shade every fault period between x pixels of a time→px mapping, inside [top, bottom].
 * `toPx` maps seconds to pixels in ctx's current coordinates.
 */
function shadeFaults(ctx, periods, duration, toPx, left, right, top, bottom) {
  for (const p of periods) {
    const a = Math.max(left, toPx(p.from));
    const b = Math.min(right, toPx(p.to === null ? duration : p.to));
    if (b < left || a > right) continue;
    ctx.fillStyle = p.process ? PROC_FAULT : NET_FAULT;
    ctx.fillRect(a, top, Math.max(1, b - a), bottom - top);
  }
}

/** The selected moment: a vertical line. */
function drawMoment(ctx, t, toPx, left, right, top, bottom) {
  if (t === null) return;
  const x = toPx(t);
  if (x < left || x > right) return;
  ctx.save();
  ctx.strokeStyle = SELECTED;
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(Math.round(x) + 0.5, top);
  ctx.lineTo(Math.round(x) + 0.5, bottom);
  ctx.stroke();
  ctx.restore();
}
