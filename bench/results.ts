/**
 * Shape of bench/results/latest.json. The keys of the schema are
 * required numbers; each section may carry extra detail fields.
 */
import type { AtomicityResult } from './atomicity.js';
import type { BaselineResults } from './baselines.js';
import type { ClusterResult } from './cluster.js';
import type { MemoryResult } from './memory.js';
import type { PortForwardResult } from './portforward.js';
import type { ToggleResult } from './toggle.js';

export interface ProvisionResults {
  per_node_ms: Record<string, number>;
  teardown_per_node_ms: Record<string, number>;
  exec_ip_per_node_ms: number;
  exec_ip_nodes: number;
  repetitions: Record<string, number>;
}

export interface BenchResults {
  machine: { kernel: string; cpus: number; node: string; cpu_model: string };
  started_at: string;
  duration_s: number;
  toggle: { nodes3?: ToggleResult; nodes100?: ToggleResult; nodes3_info_logging?: { apply_p50_us: number; heal_p50_us: number } };
  baselines?: BaselineResults;
  atomicity?: AtomicityResult;
  provision?: ProvisionResults;
  cluster?: ClusterResult;
  portforward?: PortForwardResult;
  memory?: MemoryResult;
  /** Benches that failed, with their error (their section is then missing). */
  errors: Array<{ bench: string; error: string }>;
}
