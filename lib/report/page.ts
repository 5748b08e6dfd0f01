/**
 * The HTML of report.html: the static parts rendered here (header, verdicts,
 * counts, violations, fault table, log links — readable even before the script
 * ran), the charts and lanes drawn by the inlined client script from the
 * embedded data.
 */
import { anomaliesHtml, anomalyExamples } from './anomaly-graphs.js';
import { reportAssets } from './assets.js';
import { OP_TYPES } from './op-columns.js';
import { encodeModel, type ReportModel } from './report-data.js';

export function renderPage(model: ReportModel): string {
  const assets = reportAssets();
  const { run, results } = model.files;
  const title = `${run.test ?? 'run'} ${run.runId ?? ''}`.trim();
  const hasHistory = model.ops !== undefined;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — pakostii report</title>
<style>${assets.uplotCss}</style>
<style>${assets.clientCss}</style>
</head><body class="${hasHistory ? 'with-history' : 'no-history'}">
${header(model)}
<main>
<section id="timeline-section"><h2>Faults over time</h2>
<div class="hint">Drag on a chart to zoom, wheel to zoom, drag the lanes to pan, double-click to reset; click anywhere for the logs of that moment.</div>
<div class="zoombar"><button id="zoom-reset" type="button">Reset zoom</button> <span id="zoom-range"></span></div>
<canvas id="fault-strip" class="strip"></canvas></section>
${hasHistory ? historySections(model.ops!.fns) : '<p class="note">This run recorded no history: the page shows its fault timeline and logs.</p>'}
${violations(model)}
${allowedAnomalies(model)}
${faultTable(model)}
${logSection(model)}
${model.files.warnings.length ? `<section><h2>Warnings</h2><ul>${model.files.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>` : ''}
</main>
<div id="tooltip" hidden></div>
<script id="report-data" type="application/octet-stream">${encodeModel(model)}</script>
<script>${inline(assets.uplotJs)}</script>
<script>${inline(assets.clientJs)}</script>
</body></html>
`;
  function header(m: ReportModel): string {
    const counts = m.ops?.counts ?? {};
    const seed = run.seed === undefined || run.seed === null ? '' : String(run.seed);
    const replay = typeof run.replay === 'string' ? run.replay : '';
    return `<header>
<div class="title"><h1>${esc(run.test ?? 'run')}</h1>
<dl class="facts">
<dt>run</dt><dd id="run-id">${esc(run.runId ?? '?')}</dd>
<dt>started</dt><dd>${esc(run.startedWall ?? (Number.isNaN(m.wallZeroMs) ? '?' : new Date(m.wallZeroMs).toISOString()))}</dd>
<dt>duration</dt><dd id="duration">${m.duration.toFixed(1)} s</dd>
<dt>seed</dt><dd id="seed">${seed ? esc(seed) : '<span class="muted">none recorded</span>'}</dd>
</dl>
${replay ? `<div class="replay"><span>replay:</span> <code id="replay-command">${esc(replay)}</code> <button type="button" class="copy" data-copy="replay-command">copy</button></div>` : seed ? `<div class="replay muted">no replay command recorded; replay with seed ${esc(seed)}</div>` : ''}
</div>
<div class="verdicts">${verdicts()}</div>
${Object.keys(counts).length ? `<table class="counts"><thead><tr><th>function</th>${OP_TYPES.map((t) => `<th class="${t}">${t === 'pending' ? 'no reply' : t}</th>`).join('')}</tr></thead><tbody>${Object.entries(counts)
      .map(([f, c]) => `<tr><td>${esc(f)}</td>${OP_TYPES.map((t) => `<td class="${c[t] ? t : 'zero'}">${c[t]}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>` : ''}
</header>`;
  }

  function verdicts(): string {
    if (!results) return hasHistory ? '<div class="verdict unknown"><b>NOT CHECKED</b><span>no results.json</span></div>' : '';
    const entries = Object.entries(results.checkers);
    const overall = `<div class="verdict overall ${cls(results.valid)}" id="overall-verdict"><b>${word(results.valid)}</b><span>overall</span></div>`;
    return (
      overall +
      entries
        .map(([name, r]) => `<div class="verdict ${cls(r.valid)}" data-checker="${esc(name)}"><b>${word(r.valid)}</b><span>${esc(name)}</span><small>${esc(String(r.summary ?? ''))}</small></div>`)
        .join('')
    );
  }
}

/** The point shapes of the latency chart, by function (the client draws them in this order). */
const SHAPE_GLYPHS = ['●', '■', '▲', '◆', '✚', '▬'];

function historySections(fns: string[]): string {
  const shapes = fns.map((f, i) => `${SHAPE_GLYPHS[i % SHAPE_GLYPHS.length]} ${esc(f)}`).join(' · ');
  return `<section><h2>Latency</h2><div class="legend-note">every completed operation at its invoke time; colour = outcome (<span class="ok">ok</span>, <span class="fail">fail</span>, <span class="info">info</span>), shape = function (${shapes}); shaded = faults in force</div><div id="latency-chart" class="chart"></div></section>
<section><h2>Latency quantiles</h2><div id="quantile-chart" class="chart"></div></section>
<section><h2>Throughput by completion</h2><div id="throughput-chart" class="chart"></div></section>
<section><h2>Processes</h2><div class="hint">one lane per process (retired processes keep their lane); a bar from invoke to completion</div><div id="lanes-wrap"><canvas id="lanes"></canvas></div><div id="selected-op" class="hint"></div></section>`;
}

function violations(model: ReportModel): string {
  const checkers = Object.entries(model.files.results?.checkers ?? {}).filter(([, r]) => r.valid === false);
  if (checkers.length === 0) return '';
  return `<section id="violations"><h2>Violations</h2>${checkers
    .map(([name, r]) => {
      const ops = Array.isArray(r.ops) ? r.ops.filter((n): n is number => typeof n === 'number') : [];
      const steps = Array.isArray(r.linearization) ? (r.linearization as Array<{ op?: unknown; state?: unknown; description?: unknown }>) : [];
      return `<div class="violation" data-checker="${esc(name)}">
<h3>${esc(name)}${typeof r.partition === 'string' ? ` <span class="muted">partition ${esc(r.partition)}</span>` : ''}</h3>
<p class="summary">${esc(String(r.summary ?? ''))}</p>
${ops.length ? `<p><button type="button" class="show-violation" data-checker="${esc(name)}">Show these ${ops.length} operation(s) in the timeline</button></p><ul class="violation-ops" data-checker="${esc(name)}">${ops.map((i) => `<li><a href="#" class="op-link" data-op="${i}">op ${i}</a> <span class="op-text" data-op="${i}"></span></li>`).join('')}</ul>` : ''}
${anomaliesHtml(name, r as Record<string, unknown>, esc)}
${steps.length ? `<h4>Linearization of the longest linearizable prefix</h4><table class="linearization"><thead><tr><th>#</th><th>operation</th><th>model state after</th></tr></thead><tbody>${steps
        .map((s, k) => `<tr><td>${k + 1}</td><td><a href="#" class="op-link" data-op="${Number(s.op)}">${esc(String(s.description ?? `op ${String(s.op)}`))}</a></td><td><code>${esc(String(s.state ?? ''))}</code></td></tr>`)
        .join('')}</tbody></table>` : ''}
</div>`;
    })
    .join('')}</section>`;
}

/** Anomalies a transactional checker found but the claimed models allow (the run is still valid): shown, not as violations. */
function allowedAnomalies(model: ReportModel): string {
  const checkers = Object.entries(model.files.results?.checkers ?? {}).filter(([, r]) => r.valid !== false && anomalyExamples(r as Record<string, unknown>).length > 0);
  if (checkers.length === 0) return '';
  return `<section id="allowed-anomalies"><h2>Anomalies the claimed models allow</h2>${checkers
    .map(([name, r]) => `<div class="allowed" data-checker="${esc(name)}"><h3>${esc(name)}</h3><p class="summary">${esc(String(r.summary ?? ''))}</p>${anomaliesHtml(name, r as Record<string, unknown>, esc)}</div>`)
    .join('')}</section>`;
}

function faultTable(model: ReportModel): string {
  if (model.faults.length === 0) return '<section id="faults"><h2>Faults</h2><p class="muted">No faults were applied in this run.</p></section>';
  const rows = [...model.faults].sort((a, b) => a.t - b.t);
  return `<section id="faults"><h2>Faults</h2><table class="faults"><thead><tr><th>actual (s)</th><th>planned (s)</th><th>late by</th><th>event</th><th>name</th><th>kind</th><th>parameters</th></tr></thead><tbody>${rows
    .map(
      (f) =>
        `<tr class="${f.event}${f.auto ? ' auto' : ''}" data-t="${f.t}"><td><a href="#" class="time-link" data-t="${f.t}">${f.t.toFixed(3)}</a></td><td>${f.planned === undefined ? '' : f.planned.toFixed(3)}</td><td>${f.planned === undefined ? '' : `${((f.t - f.planned) * 1000).toFixed(1)} ms`}</td><td>${esc(f.event)}${f.auto ? ' (teardown)' : ''}</td><td>${esc(f.name)}</td><td>${esc(f.kind)}</td><td><code>${esc(f.params)}</code>${f.error ? ` <span class="error">${esc(f.error)}</span>` : ''}</td></tr>`,
    )
    .join('')}</tbody></table></section>`;
}

function logSection(model: ReportModel): string {
  const byService = new Map<string, string[]>();
  for (const l of model.logs) {
    const key = `${l.file.node}/${l.file.service}`;
    const size = l.size === 0 ? 'empty' : l.size < 1024 ? `${l.size} B` : `${(l.size / 1024).toFixed(1)} KiB`;
    (byService.get(key) ?? byService.set(key, []).get(key)!).push(`<a href="${esc(l.file.path)}">${l.file.stream}</a> <span class="muted">(${size})</span>`);
  }
  return `<section id="logs"><h2>Logs</h2><ul class="log-files">${[...byService]
    .map(([key, links]) => `<li><b>${esc(key)}</b> ${links.join(' · ')}</li>`)
    .join('')}</ul>
<h3 id="log-window-title">Log lines around a moment</h3><div class="hint">Click a chart, a lane or a fault to see every node's lines within ±1 s.</div>
<div id="log-window"></div></section>`;
}

function word(v: unknown): string {
  return v === true ? 'VALID' : v === false ? 'INVALID' : 'UNKNOWN';
}

function cls(v: unknown): string {
  return v === true ? 'valid' : v === false ? 'invalid' : 'unknown';
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inlined scripts must not close their <script> element early. */
function inline(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}
