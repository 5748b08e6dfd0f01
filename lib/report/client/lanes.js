// lanes.js — one lane per process, each operation a bar from invoke to completion, on one canvas.
// Only the visible rows and the operations in the visible time window are drawn; bars narrower
// than a pixel merge, so a million operations cost one pass over the window.

const LANES_MAX_HEIGHT = 420;

function laneGeometry() {
  const rows = S.d.lanes.length;
  const rowH = Math.max(6, Math.min(20, Math.floor(LANES_MAX_HEIGHT / Math.max(1, rows))));
  return { rows, rowH, viewH: Math.min(LANES_MAX_HEIGHT, rows * rowH) };
}

function setupLanes() {
  const wrap = document.getElementById('lanes-wrap');
  const canvas = document.getElementById('lanes');
  const { rows, rowH, viewH } = laneGeometry();
  wrap.style.height = `${viewH + 2}px`;
  let spacer = wrap.querySelector('.spacer');
  if (!spacer) {
    spacer = document.createElement('div');
    spacer.className = 'spacer';
    wrap.appendChild(spacer);
  }
  spacer.style.height = `${Math.max(0, rows * rowH - viewH)}px`;
  wrap.addEventListener('scroll', () => drawLanes());
  bindTimeCanvas(canvas, (x, y) => laneOpAt(x, y + wrap.scrollTop));
  canvas.addEventListener('wheel', (e) => {
    if (rows * rowH > viewH && !e.ctrlKey) return; // let the rows scroll
    e.preventDefault();
    zoomAround(S.pxToTime(e.offsetX), e.deltaY > 0 ? 1.25 : 0.8);
  }, { passive: false });
}

function drawLanes() {
  const d = S.d;
  const canvas = document.getElementById('lanes');
  const wrap = document.getElementById('lanes-wrap');
  const { rows, rowH, viewH } = laneGeometry();
  const W = S.width;
  const ctx = sizeCanvas(canvas, W, viewH);
  const left = S.plotLeft;
  const right = W - S.plotRight;
  const top = wrap.scrollTop;
  const first = Math.floor(top / rowH);
  const last = Math.min(rows - 1, Math.ceil((top + viewH) / rowH));
  const toPx = S.timeToPx;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, viewH);
  shadeFaults(ctx, S.meta.periods, S.meta.duration, toPx, left, right, 0, viewH);
  ctx.font = `${Math.min(12, rowH - 1)}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  const x0 = S.x0;
  const x1 = S.x1;
  const barH = Math.max(2, rowH - 3);
  for (let r = first; r <= last; r++) {
    const y = r * rowH - top;
    if (r % 2) {
      ctx.fillStyle = 'rgba(0,0,0,0.025)';
      ctx.fillRect(left, y, right - left, rowH);
    }
    const list = d.laneOps[r];
    const lastOp = list.length ? list[list.length - 1] : -1;
    const retired = lastOp >= 0 && d.type[lastOp] === 2;
    ctx.fillStyle = retired ? '#9ca3af' : '#374151';
    const name = d.lanes[r];
    ctx.fillText(name === 'nemesis' ? 'nemesis' : `p${name}${retired ? ' ✝' : ''}`, 4, y + rowH / 2);
    // First op that may reach into the window: ends ascend along a lane.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d.t1[list[mid]] < x0) lo = mid + 1;
      else hi = mid;
    }
    let lastEnd = -Infinity;
    let lastType = -1;
    for (let k = lo; k < list.length; k++) {
      const i = list[k];
      const t0 = d.t0[i];
      if (t0 > x1) break;
      const a = Math.max(left, toPx(t0));
      const b = Math.min(right, toPx(d.t1[i]));
      const type = d.type[i];
      if (b <= lastEnd && type === lastType) continue;
      ctx.fillStyle = TYPE_COLOR_LIST[type];
      ctx.fillRect(a, y + 1.5, Math.max(1, b - a), barH);
      lastEnd = Math.max(lastEnd, a + Math.max(1, b - a));
      lastType = type;
    }
  }
  // Highlighted operations (a violation) on top, outlined so they stand out at any zoom.
  if (S.highlight.length) {
    ctx.save();
    for (const i of S.highlight) {
      const r = d.lane[i];
      if (r < first || r > last) continue;
      const y = r * rowH - top;
      const a = Math.max(left - 2, toPx(d.t0[i]));
      const b = Math.min(right + 2, toPx(d.t1[i]));
      const w = Math.max(3, b - a);
      ctx.fillStyle = HIGHLIGHT;
      ctx.fillRect(a, y + 1, w, rowH - 2);
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(a - 1, y + 0.5, w + 2, rowH - 1);
    }
    ctx.restore();
  }
  ctx.fillStyle = '#e5e7eb';
  ctx.fillRect(left - 1, 0, 1, viewH);
  drawMoment(ctx, S.moment, toPx, left, right, 0, viewH);
}

/** The operation under (x, y) in lane-content coordinates, or -1. */
function laneOpAt(x, y) {
  const d = S.d;
  const { rows, rowH } = laneGeometry();
  const r = Math.floor(y / rowH);
  if (r < 0 || r >= rows || x < S.plotLeft) return -1;
  const t = S.pxToTime(x);
  const slack = (S.x1 - S.x0) / S.plotWidth() * 3; // 3 px
  const list = d.laneOps[r];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d.t1[list[mid]] < t - slack) lo = mid + 1;
    else hi = mid;
  }
  if (lo < list.length && d.t0[list[lo]] <= t + slack) return list[lo];
  return -1;
}

/**
 * Pan by dragging, select a moment (and an operation) by clicking, describe what is
 * under the pointer. `hit(x, y)` returns the operation under a point or -1.
 */
function bindTimeCanvas(canvas, hit) {
  let drag = null;
  canvas.addEventListener('mousedown', (e) => {
    drag = { x: e.clientX, x0: S.x0, x1: S.x1, moved: false };
    e.preventDefault();
  });
  window.addEventListener('mousemove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    const dt = (dx / S.plotWidth()) * (drag.x1 - drag.x0);
    setView(drag.x0 - dt, drag.x1 - dt);
  });
  window.addEventListener('mouseup', (e) => {
    if (!drag) return;
    const wasDrag = drag.moved;
    drag = null;
    if (wasDrag || e.target !== canvas) return;
    const op = hit ? hit(e.offsetX, e.offsetY) : -1;
    selectMoment(S.pxToTime(e.offsetX), op >= 0 ? op : null);
  });
  canvas.addEventListener('mousemove', (e) => {
    if (drag && drag.moved) return;
    const op = hit ? hit(e.offsetX, e.offsetY) : -1;
    if (op >= 0) showTooltip(describeOp(S.d, op), e.clientX, e.clientY);
    else hideTooltip();
  });
  canvas.addEventListener('mouseleave', () => hideTooltip());
  canvas.addEventListener('dblclick', () => resetView());
}
