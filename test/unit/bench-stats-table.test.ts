/**
 * The bench's pure plumbing: nearest-rank percentiles (a reported p99 must be
 * a latency that was observed) and the table's verdicts (a baseline below
 * 1000× our p50, a missed toggle target, or a kernel-echo delay accuracy
 * outside its target must read MISSED).
 */
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/results.js';
import type { DelayAccuracyPoint, DelayBenchResult } from '../../bench/shaping-delay.js';
import { percentile, round, summarize } from '../../bench/stats.js';
import { buildRows } from '../../bench/table.js';

describe('bench percentiles', () => {
  it('returns an observed sample (nearest rank), never an interpolation', () => {
    const samples = [5, 1, 4, 2, 3, 100, 6, 7, 8, 9];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(100);
    expect(percentile(samples, 90)).toBe(9);
    expect(summarize(samples)).toEqual({ p50: 5, p99: 100, max: 100, samples: 10 });
  });

  it('is NaN without samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it('rounds to 2 decimals below 10, 1 below 1000, integers above', () => {
    expect(round(1.2345)).toBe(1.23);
    expect(round(123.456)).toBe(123.5);
    expect(round(12_345.6)).toBe(12_346);
  });
});

function results(overrides: Partial<BenchResults>): BenchResults {
  return {
    machine: { kernel: 'k', cpus: 2, node: 'v20', cpu_model: 'cpu', loadavg_start: 0, loadavg_end: 0 },
    started_at: '',
    duration_s: 0,
    toggle: {},
    errors: [],
    ...overrides,
  };
}

const toggle = (p50: number, p99: number) => ({
  apply_p50_us: p50,
  apply_p99_us: p99,
  heal_p50_us: p50,
  heal_p99_us: p99,
  apply_max_us: p99,
  heal_max_us: p99,
  samples: 1000,
  cut_pairs: 6,
  ready_ms: 1,
});

describe('bench table verdicts', () => {
  it('judges toggle targets and baseline ratios against our 3-node apply p50', () => {
    const rows = buildRows(
      results({
        toggle: { nodes3: toggle(2, 60), nodes100: toggle(40, 90) },
        baselines: {
          iptables_exec_us: 50_000,
          iptables_delete_exec_us: 50_000,
          ip_xdp_exec_us: 50_000,
          ip_xdp_off_exec_us: 50_000,
          load_attach_inprocess_us: 1_500, // 750× our 2 µs: missed
          detach_unload_inprocess_us: 2_000, // exactly 1000×: met
          load_attach_source: 'addon',
          load_attach_c_us: 1,
          detach_unload_c_us: 1,
          map_update_c_us: 1,
          xdp_object: 'o',
          samples: 1,
        },
      }),
    );
    const status = (metric: string) => rows.find((r) => r.metric === metric)?.status;
    expect(rows.find((r) => r.section === 'toggle 3 nodes' && r.metric === 'apply p50 / p99')?.status).toBe('MISSED'); // p99 60 > 50
    expect(rows.find((r) => r.section === 'toggle 100 nodes' && r.metric === 'apply p50 / p99')?.status).toBe('met');
    expect(status('iptables -A via ip netns exec')).toBe('met');
    expect(status('load+attach in-process')).toBe('MISSED');
    expect(status('detach+unload in-process')).toBe('met');
    expect(rows.find((r) => r.metric === 'load+attach in-process')?.value).toContain('750 ×');
  });

  it('shows n/a rather than a verdict for a bench that did not run', () => {
    const rows = buildRows(results({}));
    const leak = rows.find((r) => r.metric === 'leaked after apply');
    expect(leak?.value).toBe('n/a');
    expect(leak?.status).toBe('-');
  });
});

const accuracy = (probe: DelayAccuracyPoint['probe'], asked_ms: number, p99_error_ratio: number, line_dropped = 0): DelayAccuracyPoint => ({
  asked_ms,
  probe,
  rate_pps: 20_000,
  probes: 80_000,
  lost: 0,
  line_dropped,
  thread_cpu: 0.45,
  line_wait_ms: 20,
  median_error_ms: 0.03,
  p99_added_ms: asked_ms * (1 + p99_error_ratio),
  p99_error_ratio,
  base_p50_ms: 0.005,
  base_p99_ms: 0.03,
  p999_added_ms: asked_ms * 1.1,
  max_added_ms: asked_ms * 1.2,
});

describe('bench table: delay accuracy', () => {
  it('judges the kernel echo at 10 and 100 ms only, on the p99 ratio and the line losses', () => {
    const engine = {
      accuracy: [
        accuracy('kernel echo', 1, 0.5),
        accuracy('kernel echo', 10, 0.051),
        accuracy('kernel echo', 100, 0.003),
        accuracy('kernel echo', 100, 0.003, 1),
        accuracy('UDP echo', 10, 0.5),
      ],
      jitter: [],
      throughput: [],
    } as Partial<DelayBenchResult> as DelayBenchResult;
    const shaping = { bandwidth: [], delay: { supported: true, detail: 'delay-line' }, delay_engine: engine } as Partial<BenchResults['shaping']>;
    const rows = buildRows(results({ shaping: shaping as BenchResults['shaping'] })).filter((r) => r.metric.includes('added RTT'));
    expect(rows.map((r) => r.status)).toEqual(['', 'MISSED', 'met', 'MISSED', '']);
    expect(rows[1]!.metric).toContain('kernel echo');
    expect(rows[4]!.metric).toContain('UDP echo');
  });
});
