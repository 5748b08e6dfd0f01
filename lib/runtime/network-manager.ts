/**
 * The run's network: one bridge without host address, the runner's namespace
 * (index 0) and one namespace per node (1..n), each joined to the bridge by a
 * veth with the run's single XDP fault program attached to its eth0. Records
 * everything it creates so teardown — also after a half-way failure — removes
 * exactly that.
 */
import type { Logger } from 'pino';
import * as native from '../native/index.js';
import type { FaultEngine } from '../native/index.js';
import type { ClusterPlan } from '../spec/plan.js';
import { updateRun } from '../host/run-records.js';
import { allocateSubnet, releaseSubnet, type RunSubnet } from '../host/subnet-claims.js';
import { names } from '../host/names.js';
import { NETNS_DIR } from '../host/paths.js';

export type NativeNetwork = Pick<
  typeof native,
  'createNetns' | 'deleteNetns' | 'createBridge' | 'deleteLink' | 'provisionNodeLink' | 'connectInNetns' | 'FaultEngine'
>;

export interface NodeNetwork {
  readonly name: string;
  readonly index: number;
  readonly ip: string;
  readonly netns: string;
}

export class NetworkManager {
  readonly #runId: string;
  readonly #plan: ClusterPlan;
  readonly #logger: Logger;
  readonly #native: NativeNetwork;
  readonly #nodes = new Map<string, NodeNetwork>();
  // What exists, for teardown (reverse order of creation).
  #subnet: RunSubnet | undefined;
  #engine: FaultEngine | undefined;
  #bridge: string | undefined;
  readonly #namespaces = new Set<string>();
  readonly #hostVeths = new Set<string>();

  constructor(runId: string, plan: ClusterPlan, logger: Logger, nativeApi: NativeNetwork = native) {
    this.#runId = runId;
    this.#plan = plan;
    this.#logger = logger.child({ component: 'network_manager' });
    this.#native = nativeApi;
  }

  get runnerNetns(): string {
    return names.runnerNetns(this.#runId);
  }

  get engine(): FaultEngine {
    if (!this.#engine) throw new Error('network not provisioned');
    return this.#engine;
  }

  get subnet(): RunSubnet | undefined {
    return this.#subnet;
  }

  node(name: string): NodeNetwork {
    const node = this.#nodes.get(name);
    if (!node) throw new Error(`node ${name} has no network`);
    return node;
  }

  get nodes(): readonly NodeNetwork[] {
    return [...this.#nodes.values()];
  }

  netnsPath(node: string): string {
    return `${NETNS_DIR}/${this.node(node).netns}`;
  }

  async provision(): Promise<void> {
    this.#logger.info('preparing network');
    const count = this.#plan.nodes.length + 1; // + the runner
    this.#subnet = allocateSubnet(this.#runId, count);
    // Recorded for people and the janitor (the claim file is what reserves it).
    await updateRun(this.#runId, { subnet: this.#subnet.cidr });
    this.#engine = await this.#native.FaultEngine.load({ maxNodes: count });
    const bridge = names.bridge(this.#runId);
    await this.#native.createBridge(bridge);
    this.#bridge = bridge;
    const members = [
      { name: '_runner', index: 0, netns: this.runnerNetns },
      ...this.#plan.nodes.map((n) => ({ name: n.name, index: n.index, netns: names.nodeNetns(this.#runId, n.name) })),
    ];
    // In cluster order: each member is a couple of milliseconds in the addon, and the
    // log then tells the story node by node. A failure leaves the rest to teardown.
    for (const m of members) await this.#provisionMember(m.name, m.index, m.netns);
  }

  async #provisionMember(name: string, index: number, netns: string): Promise<void> {
    const subnet = this.#subnet!;
    const ip = subnet.address(index);
    await this.#native.createNetns(netns);
    this.#namespaces.add(netns);
    const hostVeth = names.hostVeth(this.#runId, index);
    this.#hostVeths.add(hostVeth);
    await this.#native.provisionNodeLink({
      netns,
      bridge: this.#bridge!,
      hostVeth,
      peerVeth: names.peerVeth(this.#runId, index),
      ifname: names.nodeIf,
      cidr: `${ip}/${subnet.prefix}`,
      engine: this.engine,
    });
    this.engine.setNodeAddress(ip, index);
    if (index === 0) {
      this.#logger.debug({ namespace: netns, ip }, 'network ready for the runner');
    } else {
      this.#nodes.set(name, Object.freeze({ name, index, ip, netns }));
      this.#logger.info({ namespace: netns, ip }, `network ready for node ${name}`);
    }
  }

  /** Best-effort: tries every step, returns the errors (missing objects are not errors). */
  async teardown(): Promise<unknown[]> {
    const errors: unknown[] = [];
    const attempt = async (what: () => Promise<void> | void): Promise<void> => {
      try {
        await what();
      } catch (error) {
        if (!isMissing(error)) errors.push(error);
      }
    };
    // Deleting the host end removes the pair at once (namespace deletion would
    // leave it to the kernel's asynchronous netns cleanup).
    await Promise.all([...this.#hostVeths].map((veth) => attempt(() => this.#native.deleteLink(veth))));
    this.#hostVeths.clear();
    await Promise.all([...this.#namespaces].map((ns) => attempt(() => this.#native.deleteNetns(ns))));
    this.#namespaces.clear();
    const bridge = this.#bridge;
    if (bridge) await attempt(() => this.#native.deleteLink(bridge));
    this.#bridge = undefined;
    await attempt(() => this.#engine?.close());
    this.#engine = undefined;
    if (this.#subnet) await attempt(() => releaseSubnet(this.#runId));
    this.#subnet = undefined;
    return errors;
  }
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 'ENOENT'
    || (typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 'ENODEV');
}
