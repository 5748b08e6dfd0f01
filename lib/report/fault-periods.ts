/**
 * faults.jsonl → what the page draws: every event on the run's time axis, the
 * periods a fault was in force (network: apply → heal; process: pause →
 * resume, kill/stop → start), and the fault table's rows with the nemesis's
 * planned time when the history has one.
 */
import type { TimelineEntry } from '../faults/timeline.js';
import type { NemesisOp } from './op-columns.js';

export interface FaultEventRow {
  /** s since run start. */
  t: number;
  event: TimelineEntry['event'];
  name: string;
  kind: string;
  params: string;
  auto?: boolean;
  error?: string;
  /** The nemesis's planned time (s) of the operation behind this event, when known. */
  planned?: number;
}

export interface FaultPeriod {
  name: string;
  kind: string;
  from: number;
  /** null: still in force when the run ended. */
  to: number | null;
  process: boolean;
}

/** Process faults that end a period, by the kinds that open one. */
const PROCESS_PERIODS: Record<string, string[]> = { pause: ['resume'], kill: ['start', 'restart'], stop: ['start', 'restart'] };
/** How far before a fault event its nemesis invoke may be (s). */
const PLANNED_MATCH_WINDOW = 5;

export function faultRows(entries: TimelineEntry[], monoZero: bigint, nemesis: NemesisOp[]): FaultEventRow[] {
  const rows = entries.map((e): FaultEventRow => ({
    t: Number(BigInt(e.mono) - monoZero) / 1e9,
    event: e.event,
    name: e.name,
    kind: e.kind,
    params: JSON.stringify(e.params ?? {}),
    ...(e.auto ? { auto: true } : {}),
    ...(e.error ? { error: e.error } : {}),
  }));
  // Each planned nemesis invoke explains the first fault event at or after it (within the window).
  const planned = nemesis.filter((n) => n.planned !== undefined).sort((a, b) => a.time - b.time);
  let next = 0;
  for (const row of rows.filter((r) => r.event !== 'process_failed' && r.event !== 'process_ready' && !r.auto).sort((a, b) => a.t - b.t)) {
    while (next < planned.length && planned[next]!.time < row.t - PLANNED_MATCH_WINDOW) next++;
    const op = planned[next];
    if (op && op.time <= row.t + 1e-3) {
      row.planned = op.planned!;
      next++;
    }
  }
  return rows;
}

export function faultPeriods(rows: FaultEventRow[]): FaultPeriod[] {
  const periods: FaultPeriod[] = [];
  const open = new Map<string, FaultPeriod>();
  for (const row of [...rows].sort((a, b) => a.t - b.t)) {
    if (row.event === 'apply') {
      const period = { name: row.name, kind: row.kind, from: row.t, to: null, process: false };
      periods.push(period);
      open.set(`net:${row.name}`, period);
    } else if (row.event === 'heal') {
      const period = open.get(`net:${row.name}`);
      if (period) period.to = row.t;
      open.delete(`net:${row.name}`);
    } else if (row.event === 'process') {
      const key = `proc:${row.name}`;
      const current = open.get(key);
      if (current && PROCESS_PERIODS[current.kind]?.includes(row.kind)) {
        current.to = row.t;
        open.delete(key);
      }
      if (PROCESS_PERIODS[row.kind] && !open.has(key)) {
        const period = { name: row.name, kind: row.kind, from: row.t, to: null, process: true };
        periods.push(period);
        open.set(key, period);
      }
    }
  }
  return periods;
}
