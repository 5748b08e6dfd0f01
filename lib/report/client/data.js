// data.js — decode the embedded blob: [u32 meta length][meta JSON][pad 8][typed columns], gzip'd, base64.

const TYPE_NAMES = ['ok', 'fail', 'info', 'pending'];

async function decodeReportData() {
  const text = document.getElementById('report-data').textContent.trim();
  let bytes;
  if (typeof Uint8Array.fromBase64 === 'function') {
    bytes = Uint8Array.fromBase64(text);
  } else {
    const bin = atob(text);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const buffer = await new Response(stream).arrayBuffer();
  const metaLength = new DataView(buffer).getUint32(0, true);
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, metaLength)));
  const head = (4 + metaLength + 7) & ~7;
  const cols = {};
  if (meta.ops) {
    for (const c of meta.ops.columns) {
      const Type = { Float64Array, Float32Array, Uint32Array, Uint16Array, Uint8Array }[c.type];
      cols[c.name] = new Type(buffer, head + c.offset, c.length);
    }
  }
  return { meta, cols };
}

/** Derived per-operation facts the views share. */
function deriveOps(meta, cols) {
  const ops = meta.ops;
  if (!ops) return null;
  const n = ops.count;
  const t1 = new Float64Array(n);
  const logLat = new Float32Array(n); // log10 of latency in ms, for the scatter's log axis
  let maxLat = 0;
  let minLat = Infinity;
  const nemesisLane = ops.lanes.indexOf('nemesis');
  for (let i = 0; i < n; i++) {
    const lat = cols.lat[i];
    const done = lat === lat; // not NaN
    t1[i] = done ? cols.t0[i] + lat : meta.duration;
    logLat[i] = lat > 0 ? Math.log10(lat * 1e3) : NaN;
    if (done && cols.lane[i] !== nemesisLane) {
      if (lat > maxLat) maxLat = lat;
      if (lat > 0 && lat < minLat) minLat = lat;
    }
  }
  // Per lane: its operations in time order (a process runs one at a time, so end times ascend too).
  const laneCounts = new Uint32Array(ops.lanes.length);
  for (let i = 0; i < n; i++) laneCounts[cols.lane[i]]++;
  const laneOps = Array.from(laneCounts, (c) => new Uint32Array(c));
  const fill = new Uint32Array(ops.lanes.length);
  for (let i = 0; i < n; i++) {
    const l = cols.lane[i];
    laneOps[l][fill[l]++] = i;
  }
  // Lane end: a process retired by an `info` (or never answered) ends there.
  const laneEnd = laneOps.map((list) => (list.length ? t1[list[list.length - 1]] : 0));
  return {
    n,
    t0: cols.t0,
    t1,
    lat: cols.lat,
    logLat,
    lane: cols.lane,
    fn: cols.fn,
    type: cols.type,
    index: cols.index,
    vin: cols.vin,
    vout: cols.vout,
    node: cols.node,
    fns: ops.fns,
    lanes: ops.lanes,
    nodes: ops.nodes,
    strings: ops.strings,
    laneOps,
    laneEnd,
    nemesisLane,
    minLat: Number.isFinite(minLat) ? minLat : 1e-6,
    maxLat: maxLat || 1e-3,
  };
}

/** Row of the operation whose invoke has history index `index`, or -1. */
function opByIndex(d, index) {
  let lo = 0;
  let hi = d.n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = d.index[mid];
    if (v === index) return mid;
    if (v < index) lo = mid + 1;
    else hi = mid - 1;
  }
  for (let i = 0; i < d.n; i++) if (d.index[i] === index) return i; // unsorted hand-made history
  return -1;
}

function describeOp(d, i) {
  const proc = d.lanes[d.lane[i]];
  const who = proc === 'nemesis' ? 'nemesis' : `process ${proc}`;
  const type = TYPE_NAMES[d.type[i]];
  const vin = d.strings[d.vin[i]];
  const vout = d.strings[d.vout[i]];
  const lat = d.lat[i];
  const took = lat === lat ? ` in ${fmtDuration(lat)}` : '';
  const node = d.node[i] ? ` on ${d.nodes[d.node[i]]}` : '';
  const result = type === 'pending' ? 'no reply' : `${type}${vout ? ` ${vout}` : ''}`;
  return `op ${d.index[i]}: ${who} ${d.fns[d.fn[i]]}${vin ? ` ${vin}` : ''} → ${result}${took}${node}, invoked at ${d.t0[i].toFixed(3)} s`;
}

function fmtDuration(s) {
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(s >= 0.1 ? 0 : 1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}

/** First i with arr[i] >= v (arr ascending). */
function lowerBound(arr, v, lo = 0, hi = arr.length) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
