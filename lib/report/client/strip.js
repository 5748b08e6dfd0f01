// strip.js — the fault timeline: one row per fault, its periods as labelled bars, process
// events as markers, and the shared time axis. It is the whole timeline of a run without history.

const STRIP_ROW = 20;
const STRIP_AXIS = 24;

function stripRows() {
  const names = [];
  const seen = new Set();
  const add = (key) => {
    if (!seen.has(key)) {
      seen.add(key);
      names.push(key);
    }
  };
  for (const p of S.meta.periods) add(`${p.process ? 'proc' : 'net'}:${p.name}`);
  for (const f of S.meta.faults) add(`${f.event === 'apply' || f.event === 'heal' ? 'net' : 'proc'}:${f.name}`);
  return names;
}

function drawStrip() {
  const canvas = document.getElementById('fault-strip');
  const rows = stripRows();
  const W = S.width;
  const H = Math.max(1, rows.length) * STRIP_ROW + STRIP_AXIS;
  const ctx = sizeCanvas(canvas, W, H);
  const left = S.plotLeft;
  const right = W - S.plotRight;
  const toPx = S.timeToPx;
  const body = H - STRIP_AXIS;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  shadeFaults(ctx, S.meta.periods, S.meta.duration, toPx, left, right, 0, body);
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  if (rows.length === 0) {
    ctx.fillStyle = '#6b7280';
    ctx.fillText('no faults in this run', left + 6, STRIP_ROW / 2);
  }
  const rowOf = new Map(rows.map((key, r) => [key, r]));
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, 0, right - left, body);
  ctx.clip();
  for (const p of S.meta.periods) {
    const r = rowOf.get(`${p.process ? 'proc' : 'net'}:${p.name}`);
    const a = toPx(p.from);
    const b = toPx(p.to === null ? S.meta.duration : p.to);
    const y = r * STRIP_ROW;
    ctx.fillStyle = p.process ? PROC_FAULT_SOLID : NET_FAULT_SOLID;
    ctx.globalAlpha = 0.8;
    ctx.fillRect(a, y + 3, Math.max(2, b - a), STRIP_ROW - 6);
    ctx.globalAlpha = 1;
    const label = `${p.name} · ${p.kind}${p.to === null ? ' (until the end)' : ''}`;
    const textX = Math.max(a, left) + 4;
    const fits = ctx.measureText(label).width < b - textX - 4;
    ctx.fillStyle = fits ? '#fff' : '#111827';
    ctx.fillText(label, fits ? textX : Math.max(b, left) + 4, y + STRIP_ROW / 2);
  }
  for (const f of S.meta.faults) {
    if (f.event === 'apply' || f.event === 'heal') continue;
    const r = rowOf.get(`proc:${f.name}`);
    const x = toPx(f.t);
    const y = r * STRIP_ROW;
    ctx.fillStyle = f.event === 'process_failed' ? TYPE_COLORS.fail : '#111827';
    ctx.beginPath();
    ctx.moveTo(x - 4, y + 2);
    ctx.lineTo(x + 4, y + 2);
    ctx.lineTo(x, y + 9);
    ctx.closePath();
    ctx.fill();
    const periodic = S.meta.periods.some((p) => p.process && p.name === f.name && (p.from === f.t || p.to === f.t));
    if (!periodic) ctx.fillText(`${f.name} · ${f.kind}${f.event === 'process_failed' ? ' (failed)' : ''}`, x + 6, y + STRIP_ROW / 2 + 2);
  }
  ctx.restore();
  // Row names on the left margin, in the lanes' label column.
  ctx.fillStyle = '#374151';
  ctx.font = '11px system-ui, sans-serif';
  rows.forEach((key, r) => {
    const name = key.slice(key.indexOf(':') + 1);
    ctx.fillText(name.length > 11 ? `${name.slice(0, 10)}…` : name, 4, r * STRIP_ROW + STRIP_ROW / 2);
  });
  // The time axis.
  ctx.fillStyle = '#e5e7eb';
  ctx.fillRect(left, body, right - left, 1);
  ctx.fillStyle = '#374151';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  const span = S.x1 - S.x0;
  for (const t of niceTicks(S.x0, S.x1, Math.max(2, Math.floor((right - left) / 110)))) {
    const x = toPx(t);
    if (x < left || x > right) continue;
    ctx.fillRect(x, body, 1, 4);
    ctx.fillText(fmtSeconds(t, span), x, body + 6);
  }
  ctx.textAlign = 'left';
  drawMoment(ctx, S.moment, toPx, left, right, 0, body);
}

function setupStrip() {
  const canvas = document.getElementById('fault-strip');
  bindTimeCanvas(canvas, null);
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoomAround(S.pxToTime(e.offsetX), e.deltaY > 0 ? 1.25 : 0.8);
  }, { passive: false });
}
