/**
 * The history recorder: Jepsen's history, kept in memory (in columns, see
 * recorded-events.ts; objects are made when `history` is read) and streamed to
 * `history.jsonl` as it happens. Events are stamped when they happen and
 * written with one write(2) per event-loop turn (and synchronously at close and
 * on process exit), so recording stays cheap and a crash of the runner loses
 * at most the events of its last turn.
 *
 * The recorder enforces the model: every operation is an `invoke` followed by
 * exactly one `ok`/`fail`/`info` on the same process; a process has at most
 * one operation in flight; after an `info` a client process is retired (the
 * operation may still take effect) and must not invoke again.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { StateError } from '../errors.js';
import { JsonlWriter } from './jsonl-writer.js';
import { IDLE, ProcessStates, RETIRED } from './process-states.js';
import { NO_NAME, RecordedEvents, TYPE_NUMBERS } from './recorded-events.js';
import { ARTIFACT_FILE_MODE, type EventType, type History, type HistoryEvent, type ProcessId } from './types.js';

/** Optional fields of an event. */
export interface EventExtras {
  node?: string;
  key?: string;
  error?: string;
  /** Nemesis: planned time, ns since the run started. */
  planned?: number;
}

export interface RecorderOptions {
  /** history.jsonl to append to (created 0644); none: memory only. */
  path?: string;
  /** process.hrtime.bigint() of the run's start: the zero of `time`. Default: now. */
  startedMono?: bigint;
  /** Called once if the file cannot be written (the run goes on; the history stays in memory). */
  onWriteError?: (error: unknown) => void;
}

export class HistoryRecorder {
  readonly path: string | undefined;
  /** process.hrtime.bigint() at the zero of `time`. */
  readonly startedMono: bigint;
  readonly #events = new RecordedEvents();
  /** The events read so far as objects: {@link history} extends it on each read. */
  readonly #read: HistoryEvent[] = [];
  /** Each process's in-flight invoke (its index), or idle, or retired. */
  readonly #states = new ProcessStates();
  readonly #onWriteError: ((error: unknown) => void) | undefined;
  /** startedMono as whole seconds and the ns beyond them, the form process.hrtime() reads. */
  readonly #startedSeconds: number;
  readonly #startedNanos: number;
  #fd: number | undefined;
  /** Reused for every write; grows with a turn's events (and is dropped after a very large one). */
  readonly #writer = new JsonlWriter();
  #written = 0;
  #flushScheduled = false;
  #writeFailed = false;
  #closed = false;
  /** The lowest process number no one has used or reserved. */
  #nextProcess = 0;
  readonly #flushOnExit = (): void => this.flush();
  readonly #flushSoon = (): void => this.flush();

  constructor(options: RecorderOptions = {}) {
    this.path = options.path;
    this.startedMono = options.startedMono ?? process.hrtime.bigint();
    this.#startedSeconds = Number(this.startedMono / 1_000_000_000n);
    this.#startedNanos = Number(this.startedMono % 1_000_000_000n);
    this.#onWriteError = options.onWriteError;
    if (this.path !== undefined) {
      this.#fd = openSync(this.path, 'a', ARTIFACT_FILE_MODE);
      process.on('exit', this.#flushOnExit);
    }
  }

  /**
   * The events so far, as objects. Each read extends the same array with the events recorded
   * since the last read, so hold on to it only as a snapshot and read `history` again for more.
   */
  get history(): History {
    const read = this.#read;
    for (let i = read.length; i < this.#events.length; i++) read.push(this.#events.event(i));
    return read;
  }

  /** How many events were recorded (without making objects of them). */
  get length(): number {
    return this.#events.length;
  }

  /** How many client operations were invoked, nemesis ones not counted (without making objects). */
  clientOperations(): number {
    return this.#events.clientInvokes();
  }

  /** ns since the run started, now. */
  now(): number {
    // process.hrtime() reads the clock of hrtime.bigint() without making two BigInts per event;
    // the result is the same integer (exact in a double for 104 days).
    const t = process.hrtime();
    return (t[0] - this.#startedSeconds) * 1e9 + (t[1] - this.#startedNanos);
  }

  /** The lowest client process number not used or reserved yet (a second workload in a run starts here). */
  nextProcess(): number {
    return this.#nextProcess;
  }

  /** Reserve `count` process numbers from nextProcess() on. */
  reserveProcesses(count: number): void {
    this.#nextProcess += count;
  }

  /** Whether `process` has an operation in flight. */
  inFlight(process: ProcessId): boolean {
    return this.#states.get(process) >= 0;
  }

  /** Start an operation. Throws StateError when the process already has one in flight or was retired. */
  invoke(process: ProcessId, f: string, value: unknown = null, extras?: EventExtras): HistoryEvent {
    const state = this.#states.get(process);
    if (state >= 0) {
      const inFlight = this.#events.event(state).f;
      throw new StateError(`history: process ${String(process)} invoked ${JSON.stringify(f)} while its ${JSON.stringify(inFlight)} is in flight`, {
        hint: 'a process has at most one operation in flight: complete it with ok/fail/info first',
      });
    }
    if (state === RETIRED) {
      throw new StateError(`history: process ${process} was retired after an info and cannot invoke again`, {
        hint: 'use a fresh process number (the runner uses process + concurrency)',
      });
    }
    if (typeof f !== 'string' || f.length === 0) {
      throw new StateError(`history: f must be a non-empty string, got ${JSON.stringify(f)}`, { hint: "e.g. 'read', 'write', 'cas'" });
    }
    if (typeof process === 'number' && process >= this.#nextProcess) this.#nextProcess = process + 1;
    const events = this.#events;
    const node = extras?.node;
    const key = extras?.key;
    const index = this.#record(process, TYPE_NUMBERS.invoke, events.nameId(f), value, node === undefined ? NO_NAME : events.nameId(node), key === undefined ? NO_NAME : events.nameId(key), extras);
    this.#states.set(process, index);
    return events.event(index);
  }

  /** The operation happened; `value` defaults to the invoke's value (e.g. a write). */
  ok(process: ProcessId, value?: unknown, extras?: EventExtras): HistoryEvent {
    return this.#complete(process, 'ok', value, extras);
  }

  /** The operation definitely did not happen. */
  fail(process: ProcessId, value?: unknown, extras?: EventExtras): HistoryEvent {
    return this.#complete(process, 'fail', value, extras);
  }

  /** Unknown outcome: the operation may or may not have happened (or may yet). A client process is retired. */
  info(process: ProcessId, value?: unknown, extras?: EventExtras): HistoryEvent {
    const event = this.#complete(process, 'info', value, extras);
    if (typeof process === 'number') this.#states.set(process, RETIRED);
    return event;
  }

  /** Write what is pending now (also runs at the end of each event-loop turn with events, and on exit). */
  flush(): void {
    this.#flushScheduled = false;
    const events = this.#events;
    if (this.#written >= events.length || this.#fd === undefined) return;
    const writer = this.#writer;
    for (let i = this.#written; i < events.length; i++) writer.add(events, i);
    this.#written = events.length;
    try {
      for (let done = 0; done < writer.length; ) done += writeSync(this.#fd, writer.buffer, done, writer.length - done);
    } catch (error) {
      if (!this.#writeFailed) this.#onWriteError?.(error);
      this.#writeFailed = true;
    }
    writer.clear();
  }

  /** Flush and close the file; the in-memory history stays readable. Later events are kept in memory only. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    process.off('exit', this.#flushOnExit);
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #complete(process: ProcessId, type: EventType, value: unknown, extras: EventExtras | undefined): HistoryEvent {
    const op = this.#states.get(process);
    if (op < 0) {
      throw new StateError(`history: ${type} for process ${String(process)}, which has no operation in flight`, {
        hint: 'call invoke(process, f, value) first; each invoke gets exactly one ok/fail/info',
      });
    }
    this.#states.set(process, IDLE);
    const events = this.#events;
    const invoked = events.chunk(op);
    const slot = events.slot(op);
    const node = extras?.node;
    const key = extras?.key;
    const index = this.#record(
      process,
      TYPE_NUMBERS[type],
      invoked.f[slot]!,
      value === undefined ? invoked.value[slot] : value,
      node === undefined ? invoked.node[slot]! : events.nameId(node),
      key === undefined ? invoked.key[slot]! : events.nameId(key),
      extras,
    );
    return events.event(index);
  }

  #record(process: ProcessId, type: number, f: number, value: unknown, node: number, key: number, extras: EventExtras | undefined): number {
    const index = this.#events.push(this.now(), process, type, f, value, node, key, extras?.error, extras?.planned);
    if (!this.#flushScheduled && this.#fd !== undefined) {
      this.#flushScheduled = true;
      setImmediate(this.#flushSoon);
    }
    return index;
  }
}
