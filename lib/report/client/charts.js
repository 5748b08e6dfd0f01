// charts.js — the uPlot charts: latency scatter (points drawn from the columns), quantiles, throughput.
// Zoom is ours: a drag selects, setView() sets the x scale of every chart and canvas at once.

const CHART_HEIGHT = 240;
const Y_AXIS_SIZE = 72;

function baseOptions(title, width, yAxis, series, extraDraw) {
  return {
    width,
    height: CHART_HEIGHT,
    padding: [10, 16, 0, 0],
    legend: { show: series.length > 2 },
    scales: { x: { time: false } },
    axes: [
      { values: (u, vals) => vals.map((v) => `${+v.toFixed(6)} s`), size: 36 },
      { size: Y_AXIS_SIZE, label: yAxis.label, labelSize: 16, values: yAxis.values },
    ],
    series,
    cursor: {
      sync: { key: 'pakostii' },
      drag: { x: true, y: false, setScale: false },
      points: { show: false },
      bind: { dblclick: () => () => (resetView(), null) },
    },
    hooks: {
      drawClear: [(u) => shadeChart(u, title === 'latency')],
      draw: [
        (u) => {
          if (extraDraw) timed(title, extraDraw, u);
          const b = u.bbox;
          drawMoment(u.ctx, S.moment, (t) => u.valToPos(t, 'x', true), b.left, b.left + b.width, b.top, b.top + b.height);
        },
      ],
      setSelect: [
        (u) => {
          const w = u.select.width;
          if (w > 4) setView(u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + w, 'x'));
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        },
      ],
    },
  };
}

function shadeChart(u, labelled) {
  const b = u.bbox;
  const ctx = u.ctx;
  ctx.save();
  shadeFaults(ctx, S.meta.periods, S.meta.duration, (t) => u.valToPos(t, 'x', true), b.left, b.left + b.width, b.top, b.top + b.height);
  if (labelled) {
    const dpr = window.devicePixelRatio || 1;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    for (const p of S.meta.periods) {
      const x = u.valToPos(Math.max(p.from, u.scales.x.min), 'x', true);
      const end = u.valToPos(p.to === null ? S.meta.duration : p.to, 'x', true);
      if (end < b.left || x > b.left + b.width) continue;
      ctx.fillStyle = p.process ? PROC_FAULT_SOLID : NET_FAULT_SOLID;
      ctx.fillText(`${p.name} (${p.kind})`, x + 3 * dpr, b.top + 2 * dpr + (p.process ? 13 * dpr : 0));
    }
  }
  ctx.restore();
}

/** Interaction shared with the canvases: wheel zooms around the cursor; a click selects a moment. */
function bindChartInteractions(u) {
  u.over.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      zoomAround(u.posToVal(e.offsetX, 'x'), e.deltaY > 0 ? 1.25 : 0.8);
    },
    { passive: false },
  );
  let downX = null;
  u.over.addEventListener('mousedown', (e) => (downX = e.clientX));
  u.over.addEventListener('click', (e) => {
    if (downX !== null && Math.abs(e.clientX - downX) < 4) selectMoment(u.posToVal(e.offsetX, 'x'), u.hoverOp ?? null);
  });
}

function latencyChart(el, width) {
  const d = S.d;
  const lo = 10 ** Math.floor(Math.log10(d.minLat * 1e3));
  const hi = 10 ** Math.ceil(Math.log10(d.maxLat * 1e3) + 1e-9);
  const opts = baseOptions('latency', width, { label: 'latency', values: (u, vals) => vals.map((v) => (v == null ? '' : fmtDuration(v / 1e3))) }, [{}, { label: 'latency', stroke: 'transparent', paths: () => null, points: { show: false } }], drawScatter);
  opts.scales.y = { distr: 3, log: 10, range: [lo, hi] };
  const u = new uPlot(opts, [[0, S.meta.duration], [null, null]], el);
  u.logLo = Math.log10(lo);
  u.logHi = Math.log10(hi);
  bindChartInteractions(u);
  u.over.addEventListener('mousemove', (e) => hoverScatter(u, e));
  u.over.addEventListener('mouseleave', () => hideTooltip());
  return u;
}

/** Every completed client operation as a point (invoke time, latency); one point per pixel cell per style. */
function drawScatter(u) {
  const d = S.d;
  const b = u.bbox;
  const ctx = u.ctx;
  const dpr = window.devicePixelRatio || 1;
  const x0 = u.scales.x.min;
  const x1 = u.scales.x.max;
  const kx = b.width / (x1 - x0);
  const ky = b.height / (u.logHi - u.logLo);
  const cell = Math.max(1, Math.round(2 * dpr));
  const gw = Math.ceil(b.width / cell) + 1;
  const gh = Math.ceil(b.height / cell) + 1;
  const seen = new Uint16Array(gw * gh);
  u.hitGrid = new Int32Array(gw * gh).fill(-1);
  u.hitCell = cell;
  u.hitW = gw;
  const nf = d.fns.length;
  const masks = scatterMasks(nf, 2.2 * dpr);
  // Points are written straight into a pixel buffer (a million fills or sprite draws take seconds
  // in a software-rendered canvas; this is one pass of integer writes), then drawn in one go.
  const W = Math.max(1, Math.floor(b.width));
  const H = Math.max(1, Math.floor(b.height));
  const image = new ImageData(W, H);
  const pixels = new Uint32Array(image.data.buffer);
  const colors = TYPE_COLOR_LIST.map(rgba32);
  const end = lowerBound(d.t0, x1 + 1e-12);
  const begin = lowerBound(d.t0, x0);
  // ok first, failures and infos on top.
  for (const pass of [0, 2, 1]) {
    const color = colors[pass];
    for (let i = begin; i < end; i++) {
      if (d.type[i] !== pass) continue;
      const ll = d.logLat[i];
      if (ll !== ll || d.lane[i] === d.nemesisLane) continue;
      const px = (d.t0[i] - x0) * kx;
      const py = b.height - (ll - u.logLo) * ky;
      const c = ((px / cell) | 0) + ((py / cell) | 0) * gw;
      const style = pass * nf + d.fn[i] + 1;
      u.hitGrid[c] = i;
      if (seen[c] === style) continue;
      seen[c] = style;
      const m = masks[d.fn[i]];
      const cx = px | 0;
      const cy = py | 0;
      for (let k = 0; k < m.length; k += 2) {
        const x = cx + m[k];
        const y = cy + m[k + 1];
        if (x >= 0 && x < W && y >= 0 && y < H) pixels[y * W + x] = color;
      }
    }
  }
  const layer = (drawScatter.layer ??= document.createElement('canvas'));
  layer.width = W;
  layer.height = H;
  layer.getContext('2d').putImageData(image, 0, 0);
  ctx.drawImage(layer, b.left, b.top);
}

/** The pixels of each function's shape, as (dx, dy) pairs, rasterised once. */
function scatterMasks(nf, r) {
  const key = `${nf}:${r}`;
  if (scatterMasks.cache && scatterMasks.cache.key === key) return scatterMasks.cache.masks;
  const size = Math.ceil(2 * r + 5);
  const half = Math.floor(size / 2);
  const masks = [];
  for (let f = 0; f < nf; f++) {
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    const c = canvas.getContext('2d');
    const path = new Path2D();
    shapePath(path, SHAPES[f % SHAPES.length], half + 0.5, half + 0.5, r);
    c.fill(path);
    const alpha = c.getImageData(0, 0, size, size).data;
    const offsets = [];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (alpha[(y * size + x) * 4 + 3] >= 110) offsets.push(x - half, y - half);
    masks.push(Int32Array.from(offsets));
  }
  scatterMasks.cache = { key, masks };
  return masks;
}

/** '#rrggbb' → a little-endian RGBA pixel. */
function rgba32(hex) {
  const n = parseInt(hex.slice(1), 16);
  return ((255 << 24) | ((n & 0xff) << 16) | (n & 0xff00) | (n >> 16)) >>> 0;
}

function hoverScatter(u, e) {
  if (!u.hitGrid) return;
  const dpr = window.devicePixelRatio || 1;
  const cx = (e.offsetX * dpr) / u.hitCell;
  const cy = (e.offsetY * dpr) / u.hitCell;
  let found = -1;
  for (let r = 0; r <= 3 && found < 0; r++) {
    for (let dy = -r; dy <= r && found < 0; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const x = Math.floor(cx) + dx;
        const y = Math.floor(cy) + dy;
        if (x < 0 || y < 0 || x >= u.hitW) continue;
        const op = u.hitGrid[x + y * u.hitW];
        if (op !== undefined && op >= 0) {
          found = op;
          break;
        }
      }
    }
  }
  u.hoverOp = found >= 0 ? found : null;
  if (found >= 0) showTooltip(describeOp(S.d, found), e.clientX, e.clientY);
  else hideTooltip();
}

/** Time buckets over the whole run for the quantile and throughput charts. */
function buckets() {
  const duration = Math.max(S.meta.duration, 1e-3);
  const raw = duration / 240;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const width = Math.max(0.01, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw));
  const count = Math.max(1, Math.ceil(duration / width));
  const xs = Float64Array.from({ length: count }, (_, k) => (k + 0.5) * width);
  return { width, count, xs };
}

function quantileChart(el, width) {
  const d = S.d;
  const { width: w, count, xs } = buckets();
  // Counting sort of latencies by completion bucket, then each bucket sorted on its own.
  const bucketOf = new Int32Array(d.n).fill(-1);
  const sizes = new Uint32Array(count + 1);
  for (let i = 0; i < d.n; i++) {
    const lat = d.lat[i];
    if (!(lat >= 0) || d.lane[i] === d.nemesisLane || d.type[i] !== 0) continue;
    const k = Math.floor(d.t1[i] / w);
    if (k >= count) continue;
    bucketOf[i] = k;
    sizes[k + 1]++;
  }
  for (let k = 1; k <= count; k++) sizes[k] += sizes[k - 1];
  const sorted = new Float32Array(sizes[count]);
  const fill = sizes.slice(0, count);
  for (let i = 0; i < d.n; i++) if (bucketOf[i] >= 0) sorted[fill[bucketOf[i]]++] = d.lat[i] * 1e3;
  const qs = [0.5, 0.95, 0.99, 1];
  const series = qs.map(() => new Array(count).fill(null));
  for (let k = 0; k < count; k++) {
    const a = sizes[k];
    const b = sizes[k + 1];
    if (b <= a) continue;
    const part = sorted.subarray(a, b).sort();
    qs.forEach((q, j) => (series[j][k] = part[Math.min(part.length - 1, Math.floor(q * part.length))]));
  }
  const colors = ['#2563eb', '#7c3aed', '#db2777', '#6b7280'];
  const names = ['p50', 'p95', 'p99', 'max'];
  const opts = baseOptions('quantiles', width, { label: 'ok latency', values: (u, vals) => vals.map((v) => (v == null ? '' : fmtDuration(v / 1e3))) }, [
    {},
    ...names.map((label, j) => ({ label, stroke: colors[j], width: 1.5, spanGaps: false, points: { show: count < 60 }, value: (u, v) => (v == null ? '—' : fmtDuration(v / 1e3)) })),
  ]);
  opts.scales.y = { distr: 3, log: 10 };
  const u = new uPlot(opts, [Array.from(xs), ...series], el);
  bindChartInteractions(u);
  return u;
}

function throughputChart(el, width) {
  const d = S.d;
  const { width: w, count, xs } = buckets();
  const rates = [0, 1, 2].map(() => new Float64Array(count));
  for (let i = 0; i < d.n; i++) {
    const type = d.type[i];
    if (type > 2 || d.lane[i] === d.nemesisLane) continue;
    const k = Math.floor(d.t1[i] / w);
    if (k < count) rates[type][k] += 1 / w;
  }
  const opts = baseOptions('throughput', width, { label: 'ops/s', values: (u, vals) => vals.map((v) => (v == null ? '' : v >= 1000 ? `${(v / 1000).toFixed(1)}k` : `${+v.toFixed(1)}`)) }, [
    {},
    ...['ok', 'fail', 'info'].map((label) => ({ label, stroke: TYPE_COLORS[label], width: 1.5, points: { show: count < 60 }, value: (u, v) => (v == null ? '—' : `${v.toFixed(1)}/s`) })),
  ]);
  opts.scales.y = { range: (u, min, max) => [0, Math.max(1, max * 1.05)] };
  const u = new uPlot(opts, [Array.from(xs), ...rates.map((r) => Array.from(r))], el);
  bindChartInteractions(u);
  return u;
}
