/**
 * The client adapter a workload drives: the user's wrapper around a real
 * client library (etcd3, ioredis, pg …). One client per process: opened for
 * the process's node, used for one operation at a time, closed when the
 * process retires or the workload ends.
 */
import type { Op } from './generator.js';

/** How an operation ended: `ok` (happened), `fail` (definitely did not happen), `info` (unknown). */
export interface Completion {
  type: 'ok' | 'fail' | 'info';
  /** The value read or written; defaults to the invoke's value. */
  value?: unknown;
  /** Why it failed or is unknown. */
  error?: string;
}

/** What invoke() gets besides the operation. */
export interface InvokeContext {
  /** Aborted when the operation times out (opTimeoutMs) or the run is interrupted. */
  readonly signal: AbortSignal;
  readonly process: number;
  readonly node: string;
}

export interface Client<C = unknown> {
  /** A connection for `process`, talking to `node`. A throw fails the workload before any operation (or retries, for a replacement process). */
  open(node: string, process: number): C | Promise<C>;
  /** Perform `op`; a throw or a timeout is recorded as `info` with the error. */
  invoke(client: C, op: Op, context: InvokeContext): Completion | Promise<Completion>;
  /** Release the connection (errors are logged, not fatal). */
  close?(client: C): void | Promise<void>;
}

export const ok = (value?: unknown): Completion => (value === undefined ? { type: 'ok' } : { type: 'ok', value });
export const fail = (error?: string, value?: unknown): Completion => ({ type: 'fail', ...(error === undefined ? {} : { error }), ...(value === undefined ? {} : { value }) });
export const info = (error?: string, value?: unknown): Completion => ({ type: 'info', ...(error === undefined ? {} : { error }), ...(value === undefined ? {} : { value }) });
