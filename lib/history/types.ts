/**
 * The in-memory form of a history, in Jepsen's model: every operation is an
 * `invoke` event followed by exactly one completion (`ok`, `fail` or `info`)
 * on the same process, or by nothing when the run ended first. A process has
 * at most one operation in flight; after an `info` the process is retired and
 * a fresh process number takes its slot. Nemesis operations appear in the same
 * history with process `'nemesis'`.
 *
 * This module is the contract between the workload runner (which records),
 * the readers/writers (JSONL, Jepsen EDN), the checkers and the report.
 */

/** The kind of a history event. */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

/** A client process number, or the nemesis. */
export type ProcessId = number | 'nemesis';

/**
 * One line of `history.jsonl` and one element of a {@link History}.
 * `value` is any JSON value (Jepsen's `nil` is `null`).
 */
export interface HistoryEvent {
  /** Position in the history, 0-based, dense. */
  index: number;
  /** ns since the run started, on the monotonic clock of `faults.jsonl` (0 when unknown, e.g. a file without times). */
  time: number;
  process: ProcessId;
  type: EventType;
  /** The operation's function, e.g. `read`, `write`, `cas`, `txn`, `start-partition`. */
  f: string;
  value: unknown;
  /** The node the process talks to (client ops) or the fault's targets (nemesis). */
  node?: string;
  /** An error description for `fail`/`info` completions. */
  error?: string;
  /** A key for keyed histories whose key is not part of `value` (Jepsen's kv `:key`). */
  key?: string;
  /** Nemesis only: the planned time of the fault (ns since run start); `time` is the actual one. */
  planned?: number;
}

/** A history: events in order of `index`. */
export type History = readonly HistoryEvent[];

/** A checker's answer. `'unknown'` when it could not decide (timeout, memory cap, unsupported input) — never a guess. */
export type Validity = true | false | 'unknown';

/** What every checker returns; checkers add their own fields. */
export interface CheckResult {
  valid: Validity;
  /** One line a person can read, e.g. the counterexample's summary or why the answer is unknown. */
  summary: string;
  [detail: string]: unknown;
}

/**
 * Standard optional fields of a {@link CheckResult} that the report and the
 * terminal summary understand. Checkers may add more.
 */
export interface CheckResultDetails {
  /** History indices of the `invoke` events of the operations a counterexample involves (highlighted in the report). */
  ops?: number[];
  /** For linearizability: the partition (e.g. key) that failed. */
  partition?: string;
  /**
   * For linearizability: the longest linearizable prefix found, in order, with
   * the model state after each step, in words.
   */
  linearization?: Array<{ op: number; state: string; description: string }>;
}

/** Everything a checker may use besides the history. */
export interface CheckContext {
  /** Abort when the run is cancelled; a checker then answers `'unknown'`. */
  signal?: AbortSignal;
  /** A time budget in ms; past it a checker answers `'unknown'`. */
  timeoutMs?: number;
}

/** A checker: a pure function of a history. */
export interface Checker {
  /** A short name, e.g. `linearizable`, `set`, `list-append`. */
  readonly name: string;
  check(history: History, context?: CheckContext): CheckResult | Promise<CheckResult>;
}

/**
 * File names inside a run's artifacts directory, next to `faults.jsonl` and `logs/`.
 * - `run.json`: `{ test, runId, seed?, startedMono, startedWall, endedMono?, replay? }` —
 *   `startedMono` is `process.hrtime.bigint()` at run start as a decimal string,
 *   the zero of every history `time` (and what turns `faults.jsonl`'s `mono` into seconds);
 *   `replay` is the shell command that replays the run with the same seed.
 * - `history.jsonl`: one {@link HistoryEvent} per line, written as it happens.
 * - `history.edn`: the same history in Jepsen's EDN form.
 * - `results.json`: `{ valid: Validity, checkers: { [name]: CheckResult } }`.
 * - `report.html`: the self-contained report.
 */
export const ARTIFACT_FILES = {
  run: 'run.json',
  history: 'history.jsonl',
  historyEdn: 'history.edn',
  results: 'results.json',
  report: 'report.html',
} as const;

/**
 * Modes of a run's artifacts: configs and logs may hold secrets, so not
 * world-readable. Readable by the group of the directory (the invoking user's
 * under sudo: they read their own reports), writable by root alone.
 */
export const ARTIFACT_FILE_MODE = 0o640;
/** setgid: everything made inside inherits the directory's group. */
export const ARTIFACT_DIR_MODE = 0o2750;
