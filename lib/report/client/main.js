// main.js — the shared view (time window, selected moment, highlighted operations) and start-up.

const S = {
  meta: null,
  d: null,
  charts: [],
  x0: 0,
  x1: 1,
  moment: null,
  highlight: [],
  width: 800,
  plotLeft: Y_AXIS_SIZE,
  plotRight: 16,
  plotWidth() {
    return Math.max(1, S.width - S.plotLeft - S.plotRight);
  },
  timeToPx(t) {
    return S.plotLeft + ((t - S.x0) / (S.x1 - S.x0)) * S.plotWidth();
  },
  pxToTime(x) {
    return S.x0 + ((x - S.plotLeft) / S.plotWidth()) * (S.x1 - S.x0);
  },
};

let redrawQueued = false;

function fullRange() {
  return [0, Math.max(S.meta.duration, 1e-3)];
}

function setView(a, b) {
  const [lo, hi] = fullRange();
  let span = Math.min(hi - lo, Math.max(1e-6, b - a));
  a = Math.max(lo, Math.min(a, hi - span));
  S.x0 = a;
  S.x1 = a + span;
  for (const u of S.charts) u.setScale('x', { min: S.x0, max: S.x1 });
  const zoomed = S.x0 > lo || S.x1 < hi;
  document.getElementById('zoom-range').textContent = zoomed ? `showing ${S.x0.toFixed(3)} s – ${S.x1.toFixed(3)} s of ${hi.toFixed(1)} s` : '';
  queueCanvasRedraw();
}

function resetView() {
  const [lo, hi] = fullRange();
  setView(lo, hi);
}

function zoomAround(t, factor) {
  const a = t - (t - S.x0) * factor;
  const b = t + (S.x1 - t) * factor;
  setView(a, b);
}

function selectMoment(t, op) {
  S.moment = t;
  if (op !== null && op !== undefined && S.d) {
    const box = document.getElementById('selected-op');
    if (box) box.textContent = describeOp(S.d, op);
  }
  renderLogWindow(t);
  redrawAll();
}

function queueCanvasRedraw() {
  if (redrawQueued) return;
  redrawQueued = true;
  requestAnimationFrame(() => {
    redrawQueued = false;
    drawCanvases();
  });
}

function drawCanvases() {
  timed('strip', drawStrip);
  if (S.d) timed('lanes', drawLanes);
}

function timed(name, fn, ...args) {
  const a = performance.now();
  fn(...args);
  api.drawMs[name] = Math.round((performance.now() - a) * 10) / 10;
}

function redrawAll() {
  for (const u of S.charts) u.redraw(false);
  drawCanvases();
}

function pageWidth() {
  const main = document.querySelector('main');
  const style = getComputedStyle(main);
  return Math.max(480, Math.floor(main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)));
}

async function start() {
  const started = performance.now();
  const mark = (name) => (api.marks[name] = Math.round(performance.now()));
  mark('script');
  const { meta, cols } = await decodeReportData();
  mark('decoded');
  S.meta = meta;
  S.d = deriveOps(meta, cols);
  mark('derived');
  S.width = pageWidth();
  const [lo, hi] = fullRange();
  S.x0 = lo;
  S.x1 = hi;
  if (S.d) {
    S.charts.push(latencyChart(document.getElementById('latency-chart'), S.width));
    S.charts.push(quantileChart(document.getElementById('quantile-chart'), S.width));
    S.charts.push(throughputChart(document.getElementById('throughput-chart'), S.width));
    for (const u of S.charts) u.setScale('x', { min: lo, max: hi });
    // Align the canvases' plot area with uPlot's.
    const u = S.charts[0];
    const dpr = window.devicePixelRatio || 1;
    S.plotLeft = u.bbox.left / dpr;
    S.plotRight = S.width - (u.bbox.left + u.bbox.width) / dpr;
    mark('charts');
    setupLanes();
  }
  setupStrip();
  setupPanels();
  drawCanvases();
  mark('canvases');
  window.addEventListener('resize', () => {
    S.width = pageWidth();
    for (const u of S.charts) u.setSize({ width: S.width, height: CHART_HEIGHT });
    drawCanvases();
  });
  // First full paint: everything drawn and a frame presented.
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  api.paintMs = performance.now();
  api.setupMs = api.paintMs - started;
  api.ready = true;
  document.body.dataset.painted = 'true';
}

/** For tests and people in the console: the view's state, read-only. */
const api = {
  ready: false,
  paintMs: null,
  setupMs: null,
  error: null,
  /** ms since navigation start at each start-up step. */
  marks: {},
  /** ms the last draw of each view took. */
  drawMs: {},
  view: () => [S.x0, S.x1],
  moment: () => S.moment,
  highlighted: () => S.highlight.map((i) => S.d.index[i]),
  operations: () => (S.d ? S.d.n : 0),
  timeToPx: (t) => S.timeToPx(t),
  periods: () => S.meta.periods,
  plotLeft: () => S.plotLeft,
  laneRowHeight: () => (S.d ? laneGeometry().rowH : 0),
  setView: (a, b) => setView(a, b),
  selectMoment: (t) => selectMoment(t, null),
};
window.pakostiiReport = api;

start().catch((error) => {
  api.error = String(error && error.stack ? error.stack : error);
  const box = document.createElement('p');
  box.className = 'error';
  box.textContent = `The report could not be drawn: ${error}`;
  document.querySelector('main').prepend(box);
  throw error;
});
