/**
 * Everything the page shows, gathered from the artifacts directory, and its
 * embedded form: one gzip'd blob, base64 in the HTML —
 *   [u32 LE meta length][meta JSON, UTF-8][padding to 8][typed columns …]
 * The meta JSON holds the small things (run, verdicts, faults, string tables,
 * log lines); operations are typed columns (a few bytes each), never one JSON
 * object per operation.
 */
import { gzipSync } from 'node:zlib';
import type { CheckResult, Validity } from '../history/types.js';
import { faultPeriods, faultRows, type FaultEventRow, type FaultPeriod } from './fault-periods.js';
import { readTimedLog, type TimedLog } from './log-lines.js';
import { readOpColumns, type OpColumns } from './op-columns.js';
import type { RunFiles, RunInfo } from './run-files.js';

export interface ReportModel {
  files: RunFiles;
  ops?: OpColumns;
  /** s from run start to its end (or its last event). */
  duration: number;
  /** Wall clock of time zero, ms since the epoch (NaN when nothing tells it). */
  wallZeroMs: number;
  faults: FaultEventRow[];
  periods: FaultPeriod[];
  logs: TimedLog[];
}

export async function buildModel(files: RunFiles): Promise<ReportModel> {
  const ops = files.historyPath ? await readOpColumns(files.historyPath) : undefined;
  if (ops && ops.badLines > 0) files.warnings.push(`history.jsonl: ${ops.badLines} line(s) were not history events and were skipped`);
  const { run, faults: entries } = files;
  const monoZero = parseBigInt(run.startedMono) ?? (entries[0] ? BigInt(entries[0].mono) : 0n);
  let wallZeroMs = run.startedWall ? Date.parse(run.startedWall) : Number.NaN;
  if (Number.isNaN(wallZeroMs) && entries[0]) wallZeroMs = Date.parse(entries[0].wall) - Number(BigInt(entries[0].mono) - monoZero) / 1e6;
  const faults = faultRows(entries, monoZero, ops?.nemesis ?? []);
  let logs = files.logs.map((file) => readTimedLog(files.dir, file, Number.isNaN(wallZeroMs) ? 0 : wallZeroMs));
  if (Number.isNaN(wallZeroMs)) {
    // Nothing but the logs tells the time: zero is the earliest stamped line.
    const first = Math.min(...logs.flatMap((l) => l.times.filter((t) => !Number.isNaN(t)).slice(0, 1)));
    if (Number.isFinite(first)) {
      wallZeroMs = first * 1000;
      logs = logs.map((l) => ({ ...l, times: l.times.map((t) => t - first) }));
    }
  }
  const ended = parseBigInt(run.endedMono);
  const lastFault = faults.reduce((max, f) => Math.max(max, f.t), 0);
  // The run's end, or its last event if something was stamped later (a completion after endedMono).
  const duration = Math.max(ended !== undefined ? Number(ended - monoZero) / 1e9 : 0, ops?.lastTime ?? 0, lastFault);
  return { files, ...(ops ? { ops } : {}), duration, wallZeroMs, faults, periods: faultPeriods(faults), logs };
}

/** The embedded blob, base64. */
export function encodeModel(model: ReportModel): string {
  const columns: Array<{ name: string; array: ArrayBufferView & { length: number } }> = [];
  const ops = model.ops;
  if (ops) {
    for (const name of ['t0', 'lat', 'lane', 'fn', 'type', 'index', 'vin', 'vout', 'node'] as const) columns.push({ name, array: ops[name] });
  }
  const layout: Array<{ name: string; type: string; offset: number; length: number }> = [];
  let offset = 0;
  for (const { name, array } of columns) {
    layout.push({ name, type: array.constructor.name, offset, length: array.length });
    offset = align8(offset + array.byteLength);
  }
  const meta = Buffer.from(JSON.stringify(metaOf(model, layout)), 'utf8');
  const head = align8(4 + meta.length);
  const blob = Buffer.alloc(head + offset);
  blob.writeUInt32LE(meta.length, 0);
  meta.copy(blob, 4);
  columns.forEach(({ array }, i) => {
    Buffer.from(array.buffer, array.byteOffset, array.byteLength).copy(blob, head + layout[i]!.offset);
  });
  return gzipSync(blob, { level: 6 }).toString('base64');
}

function metaOf(model: ReportModel, layout: unknown): unknown {
  const { ops, files } = model;
  return {
    run: runMeta(files.run),
    duration: model.duration,
    wallZeroMs: Number.isNaN(model.wallZeroMs) ? null : model.wallZeroMs,
    results: files.results ? { valid: files.results.valid, checkers: checkersMeta(files.results.checkers) } : null,
    ops: ops
      ? { count: ops.count, fns: ops.fns, lanes: ops.lanes, nodes: ops.nodes, strings: ops.strings, columns: layout }
      : null,
    faults: model.faults,
    periods: model.periods,
    logs: model.logs.map((l) => ({
      node: l.file.node,
      service: l.file.service,
      stream: l.file.stream,
      path: l.file.path,
      size: l.size,
      elided: l.elided,
      times: l.times.map((t) => (Number.isNaN(t) ? null : Math.round(t * 1e4) / 1e4)),
      lines: l.lines,
    })),
  };
}

function runMeta(run: RunInfo): Record<string, unknown> {
  return { test: run.test ?? null, runId: run.runId ?? null, seed: run.seed ?? null, replay: run.replay ?? null, startedWall: run.startedWall ?? null };
}

/** What the page uses of a checker's result: verdict, words, the ops to highlight and the linearization. */
function checkersMeta(checkers: Record<string, CheckResult>): Record<string, { valid: Validity; summary: string; ops: number[]; partition: string | null; linearization: unknown[] }> {
  const out: ReturnType<typeof checkersMeta> = {};
  for (const [name, r] of Object.entries(checkers ?? {})) {
    out[name] = {
      valid: r.valid,
      summary: String(r.summary ?? ''),
      ops: Array.isArray(r.ops) ? r.ops.filter((n): n is number => typeof n === 'number') : [],
      partition: typeof r.partition === 'string' ? r.partition : null,
      linearization: Array.isArray(r.linearization) ? r.linearization : [],
    };
  }
  return out;
}

function parseBigInt(text: string | undefined): bigint | undefined {
  if (typeof text !== 'string' || !/^\d+$/.test(text)) return undefined;
  return BigInt(text);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
