/**
 * The run's network: one bridge without address in a namespace of its own (the
 * switch namespace), the runner's namespace (index 0) and one namespace per
 * node (1..n), each joined to the bridge by a veth with the run's single XDP
 * fault program attached to its eth0. Records everything it creates so
 * teardown — also after a half-way failure — removes exactly that.
 *
 * Why the bridge is not in the host namespace: with br_netfilter loaded
 * (Docker, Kubernetes, libvirt hosts) every bridged IPv4 frame goes through the
 * iptables FORWARD chain of the bridge's namespace, whose policy is DROP on a
 * Docker host; the bridge's own nf_call_* options can only add filtering, never
 * remove what the host's sysctl asks for. In the switch namespace the chain is
 * the run's own, empty, so nodes reach each other whatever the host's firewall
 * says, and nothing of the host's is touched.
 *
 * Direct reach (opt-in): the host namespace itself joins the run's network
 * through one more address of the run's subnet, put on the host end of one more
 * veth (the uplink) whose other end is a port of the run's bridge. The kernel
 * adds with it exactly three routes, all on the uplink: the subnet's prefix
 * route (table main), the address's local route and the subnet's broadcast
 * route (table local); deleting the uplink at teardown (or by the janitor)
 * removes the address, the routes and the XDP attachment. The address is the
 * runner's for the fault program (node index 0), so faults that cut the runner
 * cut the test process too. Packets the host sends are judged at the node's
 * eth0 like the runner's; packets to the host are judged where they enter the
 * host, at the uplink.
 */
import type { Logger } from 'pino';
import * as native from '../native/index.js';
import type { FaultEngine } from '../native/index.js';
import type { ClusterPlan } from '../spec/plan.js';
import { updateRun } from '../host/run-records.js';
import { forgetObject, netnsStamp, noteObject } from '../host/run-objects.js';
import { allocateSubnet, releaseSubnet, type RunSubnet } from '../host/subnet-claims.js';
import { names } from '../host/names.js';
import { NETNS_DIR } from '../host/paths.js';
import { readFileSync } from 'node:fs';

export type NativeNetwork = Pick<
  typeof native,
  'createNetns' | 'deleteNetns' | 'createBridge' | 'deleteLink' | 'provisionNodeLink' | 'connectInNetns' | 'FaultEngine' | 'addAddress'
>;

/** How the test process reaches the nodes: port forwards only, or also their cluster addresses directly. */
export type Reach = 'forward' | 'direct';

/** What direct reach added to the host namespace (all on one link of the run). */
export interface DirectReach {
  /** The host-namespace link carrying the address (the host's end of a veth to the run's bridge), e.g. "pkabcde-up". */
  readonly link: string;
  /** The host's address on the run's network, e.g. "198.18.4.5". */
  readonly address: string;
  /** The subnet whose prefix route the kernel added with the address, e.g. "198.18.4.0/24". */
  readonly route: string;
}

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
  #uplink: string | undefined;
  readonly #namespaces = new Set<string>();
  readonly #hostVeths = new Set<string>();
  readonly #reach: Reach;
  #direct: DirectReach | undefined;

  constructor(runId: string, plan: ClusterPlan, logger: Logger, nativeApi: NativeNetwork = native, reach: Reach = 'forward') {
    this.#runId = runId;
    this.#plan = plan;
    this.#reach = reach;
    this.#logger = logger.child({ component: 'network_manager' });
    this.#native = nativeApi;
  }

  get runnerNetns(): string {
    return names.runnerNetns(this.#runId);
  }

  /** The namespace of the run's bridge and of the bridge-side veth ends (where slow links are shaped). */
  get switchNetns(): string {
    return names.switchNetns(this.#runId);
  }

  get engine(): FaultEngine {
    if (!this.#engine) throw new Error('network not provisioned');
    return this.#engine;
  }

  get subnet(): RunSubnet | undefined {
    return this.#subnet;
  }

  /** Set once direct reach is in place (reach: 'direct'). */
  get directReach(): DirectReach | undefined {
    return this.#direct;
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
    const direct = this.#reach === 'direct';
    // Direct reach takes one more address, after the last node's.
    this.#subnet = allocateSubnet(this.#runId, count + (direct ? 1 : 0));
    // Recorded for people and the janitor (the claim file is what reserves it).
    await updateRun(this.#runId, { subnet: this.#subnet.cidr });
    this.#engine = await this.#native.FaultEngine.load({ maxNodes: count });
    await this.#createNetns(this.switchNetns);
    const bridge = names.bridge(this.#runId);
    await this.#native.createBridge(bridge, this.switchNetns);
    this.#bridge = bridge;
    const members = [
      { name: '_runner', index: 0, netns: this.runnerNetns },
      ...this.#plan.nodes.map((n) => ({ name: n.name, index: n.index, netns: names.nodeNetns(this.#runId, n.name) })),
    ];
    // In cluster order: each member is a couple of milliseconds in the addon, and the
    // log then tells the story node by node. A failure leaves the rest to teardown.
    for (const m of members) await this.#provisionMember(m.name, m.index, m.netns);
    if (direct) await this.#provisionDirectReach(bridge, this.#subnet.address(count));
  }

  /** The host's address on the uplink to the bridge, judged as the runner's; see the file comment. */
  async #provisionDirectReach(bridge: string, address: string): Promise<void> {
    const subnet = this.#subnet!;
    const link = names.uplink(this.#runId);
    this.engine.setNodeAddress(address, 0);
    this.#uplink = link;
    // Noted before it exists (a kill right after creation must find it in the log), its ifindex after.
    noteObject(this.#runId, { kind: 'link', name: link });
    try {
      await this.#native.provisionNodeLink({
        netns: '',
        bridgeNetns: this.switchNetns,
        bridge,
        hostVeth: names.uplinkPort,
        ifname: link,
        cidr: `${address}/${subnet.prefix}`,
        engine: this.engine,
      });
    } catch (error) {
      if (codeOf(error) === 'EEXIST') {
        // The name was someone else's first: not ours to remove, now or after a crash.
        this.#uplink = undefined;
        forgetObject(this.#runId, { kind: 'link', name: link });
      }
      throw error;
    }
    const ifindex = identity(() => Number(readFileSync(`/sys/class/net/${link}/ifindex`, 'utf8')));
    if (ifindex !== undefined) noteObject(this.#runId, { kind: 'link', name: link, ifindex });
    this.#direct = Object.freeze({ link, address, route: subnet.cidr });
    this.#logger.info({ link, address, route: subnet.cidr }, 'direct reach ready: the test process reaches the nodes at their cluster addresses');
  }

  async #provisionMember(name: string, index: number, netns: string): Promise<void> {
    const subnet = this.#subnet!;
    const ip = subnet.address(index);
    await this.#createNetns(netns);
    const hostVeth = names.hostVeth(this.#runId, index);
    this.#hostVeths.add(hostVeth);
    await this.#native.provisionNodeLink({
      netns,
      bridgeNetns: this.switchNetns,
      bridge: this.#bridge!,
      hostVeth,
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

  /**
   * Noted in the run's object log before it exists, its stamp after: the janitor
   * removes a dead run's namespace only if the log names it (and the stamp still matches).
   */
  async #createNetns(netns: string): Promise<void> {
    noteObject(this.#runId, { kind: 'netns', name: netns });
    try {
      await this.#native.createNetns(netns);
    } catch (error) {
      // Not created, so not ours: neither teardown nor the janitor may remove what holds this name.
      forgetObject(this.#runId, { kind: 'netns', name: netns });
      throw error;
    }
    this.#namespaces.add(netns);
    const stamp = identity(() => netnsStamp(`${NETNS_DIR}/${netns}`));
    if (stamp !== undefined) noteObject(this.#runId, { kind: 'netns', name: netns, stamp });
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
    // The uplink takes direct reach's address, its routes and the XDP attachment
    // with it, at once: the host namespace holds nothing of the run from here on.
    const uplink = this.#uplink;
    if (uplink) await attempt(() => this.#native.deleteLink(uplink));
    this.#uplink = undefined;
    this.#direct = undefined;
    // Deleting the bridge-side end removes the pair at once (namespace deletion
    // would leave it to the kernel's asynchronous netns cleanup).
    const switchNetns = this.switchNetns;
    await Promise.all([...this.#hostVeths].map((veth) => attempt(() => this.#native.deleteLink(veth, switchNetns))));
    this.#hostVeths.clear();
    // The switch namespace takes the bridge with it.
    await Promise.all([...this.#namespaces].map((ns) => attempt(() => this.#native.deleteNetns(ns))));
    this.#namespaces.clear();
    this.#bridge = undefined;
    await attempt(() => this.#engine?.close());
    this.#engine = undefined;
    if (this.#subnet) await attempt(() => releaseSubnet(this.#runId));
    this.#subnet = undefined;
    return errors;
  }
}

/** An object's identity for the log; undefined where it cannot be read (a fake addon in unit tests). */
function identity<T>(read: () => T): T | undefined {
  try {
    const value = read();
    return typeof value === 'number' && !Number.isSafeInteger(value) ? undefined : value;
  } catch {
    return undefined;
  }
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
}

function isMissing(error: unknown): boolean {
  return codeOf(error) === 'ENOENT' || codeOf(error) === 'ENODEV';
}
