/** Fakes for the workload's pure-logic tests: an env without a cluster and a recording nemesis env. */
import { pino } from 'pino';
import { HistoryRecorder } from '../../lib/history/recorder.js';
import type { NetworkFaultHandle } from '../../lib/faults/network-fault.js';
import type { NemesisEnv } from '../../lib/workload/nemesis.js';
import type { WorkloadEnv } from '../../lib/workload/workload.js';

export const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** A nemesis env whose faults and process calls only append to `calls`. */
export function fakeNemesisEnv(calls: string[]): NemesisEnv {
  const fault = (name: string, kind: string, params: Record<string, unknown> = {}): NetworkFaultHandle => {
    let active = false;
    const handle: NetworkFaultHandle = {
      name,
      kind,
      params,
      get active() {
        return active;
      },
      apply: async () => {
        active = true;
        calls.push(`apply ${kind} ${JSON.stringify(params)}`);
      },
      heal: async () => {
        active = false;
        calls.push(`heal ${kind}`);
      },
      withNetworkAccess: () => handle,
    };
    return handle;
  };
  return {
    nodes: NODES,
    services: () => ['db'],
    partition: {
      isolateNode: (name, node) => fault(name, 'isolateNode', { node }),
      randomHalves: (name, seed) => fault(name, 'randomHalves', { seed }),
      majoritiesRing: (name, seed) => fault(name, 'majoritiesRing', { seed }),
      halves: (name) => fault(name, 'halves'),
      bridge: (name) => fault(name, 'bridge'),
      between: (name, a, b) => fault(name, 'between', { a, b }),
    },
    containers: {
      kill: async (node, service) => void calls.push(`kill ${node}/${service}`),
      stop: async (node, service) => void calls.push(`stop ${node}/${service}`),
      start: async (node, service) => void calls.push(`start ${node}/${service}`),
      pause: async (node, service) => void calls.push(`pause ${node}/${service}`),
      resume: async (node, service) => void calls.push(`resume ${node}/${service}`),
    },
    logger: pino({ level: 'silent' }),
  };
}

export function fakeEnv(overrides: Partial<WorkloadEnv> = {}): WorkloadEnv & { recorder: HistoryRecorder } {
  return {
    testName: 'unit',
    runId: 'abcde',
    recorder: new HistoryRecorder(),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    nodes: NODES,
    ...overrides,
  } as WorkloadEnv & { recorder: HistoryRecorder };
}
