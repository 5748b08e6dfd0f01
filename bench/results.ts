/**
 * Shape of bench/results/latest.json. The keys of the schema are
 * required numbers; each section may carry extra detail fields.
 */
import type { AtomicityResult } from './atomicity.js';
import type { BaselineResults } from './baselines.js';
import type { ClusterResult } from './cluster.js';
import type { ElleResult } from './elle.js';
import type { MemoryResult } from './memory.js';
import type { CheckerBenchResult } from './checker.js';
import type { PacketPathResult } from './packet-path.js';
import type { ReportBenchResult } from './report.js';
import type { ShapingResult } from './shaping.js';
import type { PortForwardResult } from './portforward.js';
import type { ToggleBreakdown } from './toggle-breakdown.js';
import type { ToggleResult } from './toggle.js';
import type { WorkloadBenchResult } from './workload.js';

export interface ProvisionResults {
  per_node_ms: Record<string, number>;
  teardown_per_node_ms: Record<string, number>;
  exec_ip_per_node_ms: number;
  exec_ip_nodes: number;
  repetitions: Record<string, number>;
  /** Runner CPU (user + system) per node while bringing nodes up, by node count. */
  up_cpu_per_node_ms: Record<string, number>;
  /** 100 nodes brought up one at a time (how NetworkManager.provision() goes today). */
  per_node_sequential_ms: Record<string, number>;
  up_concurrency: number;
}

export interface BenchResults {
  machine: {
    kernel: string;
    cpus: number;
    node: string;
    cpu_model: string;
    /** 1-minute load average at the start and end: other work on the machine skews every figure. */
    loadavg_start: number;
    loadavg_end: number;
  };
  started_at: string;
  duration_s: number;
  toggle: { nodes3?: ToggleResult; nodes100?: ToggleResult; nodes3_info_logging?: { apply_p50_us: number; heal_p50_us: number };
    /** The 3-node toggle layer by layer (bench/toggle-breakdown.ts). */
    breakdown?: ToggleBreakdown;
    /** What the fault program costs per packet (bench/packet-path.ts). */
    packet_path?: PacketPathResult;
  };
  baselines?: BaselineResults;
  atomicity?: AtomicityResult;
  provision?: ProvisionResults;
  cluster?: ClusterResult;
  portforward?: PortForwardResult;
  memory?: MemoryResult;
  workload?: WorkloadBenchResult;
  report?: ReportBenchResult;
  checker?: CheckerBenchResult;
  shaping?: ShapingResult;
  /** The list-append checker end to end, by history size (transactions). */
  elle?: ElleResult;
  /** Benches that failed, with their error (their section is then missing). */
  errors: Array<{ bench: string; error: string }>;
}
