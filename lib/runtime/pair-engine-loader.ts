/**
 * How the run loads a per-pair engine (the shaping classifier, the delay line):
 * once, on the first fault that needs it, then taught every node's address
 * (the runner is index 0) before anyone uses it. Runs whose faults never need
 * the engine never load it.
 */
import type { NetworkManager } from './network-manager.js';

interface NodeAddressed {
  setNodeAddress(ipv4: string, index: number): void;
}

export class PairEngineLoader<E extends NodeAddressed> {
  readonly #network: NetworkManager;
  readonly #load: (maxNodes: number) => Promise<E>;
  #engine: Promise<E> | undefined;
  #loaded: E | undefined;

  constructor(network: NetworkManager, load: (maxNodes: number) => Promise<E>) {
    this.#network = network;
    this.#load = load;
  }

  /** The engine, loading it on the first call. */
  get(): Promise<E> {
    if (!this.#engine) {
      const network = this.#network;
      this.#engine = this.#load(network.engine.maxNodes).then((engine) => {
        const runnerIp = network.subnet?.address(0);
        if (runnerIp !== undefined) engine.setNodeAddress(runnerIp, 0);
        for (const node of network.nodes) engine.setNodeAddress(node.ip, node.index);
        this.#loaded = engine;
        return engine;
      });
      this.#engine.catch(() => undefined); // awaited by whoever asked; a failure is theirs to report
    }
    return this.#engine;
  }

  /** Whether get() was ever called (so teardown knows whether to wait for it). */
  get started(): boolean {
    return this.#engine !== undefined;
  }

  /** The engine once loaded (synchronous, for the apply/heal path), else undefined. */
  get loaded(): E | undefined {
    return this.#loaded;
  }
}
