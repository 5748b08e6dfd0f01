/**
 * Checks one partition: the polynomial register algorithm when it applies,
 * the WGL search otherwise, and the counterexample in words. Pure and
 * synchronous, so it runs the same on the main thread and in a worker.
 */
import type { Validity } from '../history/types.js';
import type { Model } from './model.js';
import { registerModel } from './models.js';
import type { PartitionProblem } from './prepare.js';
import { checkRegisterZones, type RegisterOp, type ZoneConflict } from './register-zones.js';
import { wglSearch, type SearchLimits } from './wgl.js';
import { completedAt, describeOp, describeState, instant, span } from './words.js';

export interface LinearizationStep {
  /** History index of the operation's invoke. */
  op: number;
  /** The model state after it, in words. */
  state: string;
  description: string;
}

export interface PartitionVerdict {
  partition: string;
  valid: Validity;
  /** Operations checked in this partition. */
  operations: number;
  ms: number;
  algorithm: 'register-zones' | 'search';
  summary: string;
  /** Configurations the search explored. */
  explored?: number;
  /** For a violation: invoke indices of the operations involved. */
  ops?: number[];
  linearization?: LinearizationStep[];
}

/** Default time the register algorithm may spend afterwards, searching for a linearizable prefix to show. */
export const DEFAULT_EXPLAIN_MS = 1_000;

/**
 * The history up to the last completion among the conflicting operations (later
 * completions become unknown): the same conflict, a much smaller search.
 */
function truncate(problem: PartitionProblem, involved: readonly number[]): PartitionProblem {
  let cutoff = -1;
  for (const i of involved) {
    const op = problem.ops[i]!;
    cutoff = Math.max(cutoff, op.call, Number.isFinite(op.ret) ? op.ret : -1);
  }
  const out: PartitionProblem = { name: problem.name, ops: [], source: [] };
  problem.ops.forEach((op, i) => {
    if (op.call > cutoff) return;
    if (op.ret > cutoff) {
      if (op.input.f === 'read') return;
      out.ops.push({ ...op, output: undefined, ret: Infinity });
    } else out.ops.push(op);
    out.source.push(problem.source[i]!);
  });
  return out;
}

function zonesInput(problem: PartitionProblem): RegisterOp[] | undefined {
  const ops: RegisterOp[] = [];
  for (const op of problem.ops) {
    if (op.input.f !== 'read' && op.input.f !== 'write') return undefined;
    const known = Number.isFinite(op.ret);
    ops.push({ f: op.input.f, value: op.input.f === 'read' ? op.output : op.input.value, known, call: op.call, ret: op.ret });
  }
  return ops;
}

function searchVerdict<State>(
  model: Model<State>,
  problem: PartitionProblem,
  limits: SearchLimits,
  started: number,
): PartitionVerdict {
  const outcome = wglSearch(model, problem.ops, limits);
  const base = { partition: problem.name, operations: problem.ops.length, algorithm: 'search' as const, explored: outcome.explored };
  if (outcome.kind === 'linearizable') {
    return { ...base, valid: true, ms: Date.now() - started, summary: `linearizable (${problem.ops.length} operations)` };
  }
  if (outcome.kind === 'unknown') {
    return { ...base, valid: 'unknown', ms: Date.now() - started, summary: `unknown: ${outcome.reason} after exploring ${outcome.explored} configurations` };
  }
  const src = problem.source;
  const linearization = outcome.prefix.map((i, k) => ({
    op: src[i]!.invoke,
    state: describeState(model, outcome.states[k]!),
    description: describeOp(model, src[i]!),
  }));
  const stuck = src[outcome.stuck]!;
  const finalState = outcome.states.length > 0 ? outcome.states[outcome.states.length - 1]! : model.init();
  // The last prefix operation that changed the state explains where that state came from.
  let since = '';
  const ops = [stuck.invoke];
  for (let k = outcome.prefix.length - 1; k >= 0; k -= 1) {
    const before = k > 0 ? describeState(model, outcome.states[k - 1]!) : describeState(model, model.init());
    if (before !== linearization[k]!.state) {
      const changer = src[outcome.prefix[k]!]!;
      since = ` since ${describeOp(model, changer)} (${completedAt(changer)})`;
      ops.push(changer.invoke);
      break;
    }
  }
  const where = problem.name === '' ? '' : ` [partition ${JSON.stringify(problem.name)}]`;
  const summary =
    `${describeOp(model, stuck)} (${span(stuck)}) cannot be linearized${where}: after the longest linearizable prefix ` +
    `(${outcome.prefix.length} operations) the ${model.name ?? 'object'} held ${describeState(model, finalState)}${since}, ` +
    'and no pending operation can take effect first';
  return { ...base, valid: false, ms: Date.now() - started, summary, ops: ops.sort((a, b) => a - b), linearization };
}

function zoneSummary(problem: PartitionProblem, conflict: ZoneConflict): string {
  const src = problem.source;
  const model = registerModel;
  const d = (i: number): string => describeOp(model, src[i]!);
  const held = (z: { write: number; value: unknown; firstReturn: number; lastCall: number; from: number; to: number }): string => {
    const value = describeState(model, z.value);
    const by = z.write >= 0 ? ` (written by ${d(z.write)})` : ' (the initial value)';
    return `${value}${by}`;
  };
  const at = (position: number): string => instant(src, position);
  switch (conflict.kind) {
    case 'no-write':
      return `${d(conflict.read)} (${span(src[conflict.read]!)}) read a value no successful or pending write wrote`;
    case 'read-before-write':
      return `${d(conflict.read)} ${completedAt(src[conflict.read]!)}, before ${d(conflict.write)} was invoked (${span(src[conflict.write]!)})`;
    case 'overlap': {
      const { first, second } = conflict;
      return (
        `the register must hold ${held(first)} from ${at(first.from)} until ${at(first.to)} (${d(first.lastCall)} was invoked then), ` +
        `but it must hold ${held(second)} from ${at(second.from)} (${d(second.firstReturn)} completed then) until ${at(second.to)}: ` +
        'the two intervals overlap'
      );
    }
    case 'inside': {
      const { inner, outer } = conflict;
      return (
        `${held(inner)} can only be in the register between ${at(inner.from)} and ${at(inner.to)}, ` +
        `but the register must hold ${held(outer)} from ${at(outer.from)} to ${at(outer.to)}, which covers that whole interval`
      );
    }
  }
}

/** Checks one partition against the model within the limits. */
export function checkPartition<State>(
  model: Model<State>,
  problem: PartitionProblem,
  limits: SearchLimits,
  explainMs = DEFAULT_EXPLAIN_MS,
): PartitionVerdict {
  const started = Date.now();
  // The built-in register's semantics (also when spread into a model with other options): its step function.
  const zonesOps = (model as Model<unknown>).step === registerModel.step ? zonesInput(problem) : undefined;
  if (zonesOps !== undefined) {
    const outcome = checkRegisterZones(zonesOps);
    const base = { partition: problem.name, operations: problem.ops.length, algorithm: 'register-zones' as const };
    if (outcome.kind === 'linearizable') {
      return { ...base, valid: true, ms: Date.now() - started, summary: `linearizable (${problem.ops.length} operations)` };
    }
    if (outcome.kind === 'violation') {
      const verdict: PartitionVerdict = {
        ...base,
        valid: false,
        ms: 0,
        summary: zoneSummary(problem, outcome.reason),
        ops: outcome.ops.map((i) => problem.source[i]!.invoke),
      };
      // The verdict is decided; a short search only adds the longest linearizable prefix to show.
      if (explainMs > 0) {
        const prefixLimits = { ...limits, deadline: Math.min(limits.deadline, Date.now() + explainMs) };
        const search = searchVerdict(model, truncate(problem, outcome.ops), prefixLimits, started);
        if (search.valid === false && search.linearization !== undefined) verdict.linearization = search.linearization;
      }
      verdict.ms = Date.now() - started;
      return verdict;
    }
  }
  return searchVerdict(model, problem, limits, started);
}
