// panels.js — the HTML around the canvases: tooltip, the logs of a moment, violations, fault table.

const LOG_WINDOW = 1; // s either side of the selected moment
const LOG_LINES_SHOWN = 400;

function showTooltip(text, x, y) {
  const tip = document.getElementById('tooltip');
  tip.textContent = text;
  tip.hidden = false;
  const w = tip.offsetWidth;
  tip.style.left = `${Math.min(window.innerWidth - w - 8, x + 12)}px`;
  tip.style.top = `${y + 14}px`;
}

function hideTooltip() {
  document.getElementById('tooltip').hidden = true;
}

/** Every node's log lines within ±1 s of t, merged in time order. */
function renderLogWindow(t) {
  const box = document.getElementById('log-window');
  const title = document.getElementById('log-window-title');
  if (!box) return;
  title.textContent = `Log lines from ${(t - LOG_WINDOW).toFixed(3)} s to ${(t + LOG_WINDOW).toFixed(3)} s`;
  const hits = [];
  for (const log of S.meta.logs) {
    for (let k = 0; k < log.times.length; k++) {
      const lt = log.times[k];
      if (lt !== null && lt >= t - LOG_WINDOW && lt <= t + LOG_WINDOW) hits.push({ t: lt, log, line: log.lines[k] });
    }
  }
  hits.sort((a, b) => a.t - b.t);
  box.textContent = '';
  if (hits.length === 0) {
    box.innerHTML = '<p class="muted">No log line of any node is stamped within ±1 s of this moment.</p>';
    return;
  }
  const table = document.createElement('table');
  table.className = 'log-lines';
  for (const h of hits.slice(0, LOG_LINES_SHOWN)) {
    const tr = table.insertRow();
    tr.className = h.log.stream;
    tr.insertCell().textContent = `${h.t >= t ? '+' : ''}${((h.t - t) * 1000).toFixed(0)} ms`;
    const where = tr.insertCell();
    const a = document.createElement('a');
    a.href = h.log.path;
    a.textContent = `${h.log.node}/${h.log.service} ${h.log.stream}`;
    where.appendChild(a);
    tr.insertCell().textContent = h.line;
  }
  box.appendChild(table);
  if (hits.length > LOG_LINES_SHOWN) {
    const more = document.createElement('p');
    more.className = 'muted';
    more.textContent = `… and ${hits.length - LOG_LINES_SHOWN} more lines: zoom in, or open the log files.`;
    box.appendChild(more);
  }
}

function setupPanels() {
  for (const button of document.querySelectorAll('button.copy')) {
    button.addEventListener('click', () => {
      const text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard?.writeText(text).then(
        () => (button.textContent = 'copied'),
        () => (button.textContent = 'select and copy'),
      );
    });
  }
  for (const link of document.querySelectorAll('a.time-link')) {
    link.addEventListener('click', (e) => {
      e.preventDefault();
      const t = Number(link.dataset.t);
      const span = Math.min(S.x1 - S.x0, Math.max(4, S.meta.duration / 10));
      setView(t - span / 2, t + span / 2);
      selectMoment(t, null);
    });
  }
  document.getElementById('zoom-reset')?.addEventListener('click', () => resetView());
  if (!S.d) return;
  // Violations: words for each op, and click → highlight and zoom there.
  for (const span of document.querySelectorAll('.op-text')) {
    const i = opByIndex(S.d, Number(span.dataset.op));
    span.textContent = i >= 0 ? describeOp(S.d, i).replace(/^op \d+: /, '') : '(not in the history)';
  }
  for (const button of document.querySelectorAll('button.show-violation')) {
    button.addEventListener('click', () => {
      const checker = S.meta.results.checkers[button.dataset.checker];
      showOps(checker.ops);
    });
  }
  // Anomalies of the transactional checkers: a button per example, and each transaction of a drawn cycle.
  for (const button of document.querySelectorAll('button.show-ops')) {
    button.addEventListener('click', () => showOps(button.dataset.ops.split(',').map(Number)));
  }
  for (const node of document.querySelectorAll('.cycle-graph g.txn')) {
    node.addEventListener('click', () => showOps([Number(node.dataset.op)]));
  }
  for (const link of document.querySelectorAll('a.op-link')) {
    link.addEventListener('click', (e) => {
      e.preventDefault();
      showOps([Number(link.dataset.op)]);
    });
  }
}

/** Highlight operations (by history index) in the lanes and zoom to them. */
function showOps(indices) {
  const rows = indices.map((k) => opByIndex(S.d, k)).filter((i) => i >= 0);
  S.highlight = rows;
  if (rows.length === 0) return redrawAll();
  let a = Infinity;
  let b = -Infinity;
  for (const i of rows) {
    a = Math.min(a, S.d.t0[i]);
    b = Math.max(b, S.d.t1[i]);
  }
  const pad = Math.max((b - a) * 0.15, 0.05);
  // Bring the first highlighted lane into view.
  const wrap = document.getElementById('lanes-wrap');
  const { rowH, viewH } = laneGeometry();
  const minLane = Math.min(...rows.map((i) => S.d.lane[i]));
  const y = minLane * rowH;
  if (y < wrap.scrollTop || y > wrap.scrollTop + viewH - rowH) wrap.scrollTop = Math.max(0, y - rowH);
  setView(a - pad, b + pad);
  selectMoment(rows.length === 1 ? S.d.t0[rows[0]] : (a + b) / 2, null);
  document.getElementById('lanes').scrollIntoView({ block: 'center', behavior: 'instant' });
}
