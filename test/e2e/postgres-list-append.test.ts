/**
 * PostgreSQL 15's isolation levels under the list-append workload
 * (examples/postgres-list-append.ts), each level in its own run, checked by
 * the list-append checker against what the level is known to allow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIsolationLevel } from '../../examples/postgres-list-append.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { captureLogger } from './support.js';

/** Anomalies no PostgreSQL level allows (G0, G1 and reads no database could return), in any variant. */
const NEVER = /^(G0|G1a|G1b|G1c|internal|duplicate-elements|incompatible-order|lost-append|duplicate-appends)(-process|-realtime)?$/;
const DURATION_MS = 10_000;

describe('PostgreSQL list-append (examples/postgres-list-append.ts)', () => {
  it('read committed: read/write skew (G-single or G2-item) found, no G0 or G1', async () => {
    const { run, result } = await checkIsolationLevel({ isolation: 'read-committed', durationMs: DURATION_MS, testOptions: { logger: captureLogger().logger } });
    expect(result.stats.ok).toBeGreaterThan(100);
    expect(result.anomalyTypes.filter((a) => NEVER.test(a))).toEqual([]);
    expect(result.anomalyTypes.some((a) => /^(G-single|G2-item)/.test(a)), result.summary).toBe(true);
    expect(result.valid).toBe(true); // everything found is allowed by read committed
    expect(result.not.some((m) => m === 'snapshot-isolation' || m === 'repeatable-read')).toBe(true);
    // The run's report draws the anomalies it allowed, each cycle as a graph.
    const report = readFileSync(join(run.artifactsDir, 'report.html'), 'utf8');
    expect(report).toContain('id="allowed-anomalies"');
    expect(report).toMatch(/<figure class="cycle-graph">/);
    await expectNoLeaks(run.id);
  }, 180_000);

  it('repeatable read (snapshot isolation): write skew (G2-item) found, no G-single and no G1', async () => {
    const { run, result } = await checkIsolationLevel({ isolation: 'repeatable-read', durationMs: DURATION_MS, testOptions: { logger: captureLogger().logger } });
    expect(result.stats.ok).toBeGreaterThan(100);
    expect(result.anomalyTypes.filter((a) => NEVER.test(a) || a.startsWith('G-single') || a === 'nonrepeatable-read')).toEqual([]);
    expect(result.anomalyTypes, result.summary).toContain('G2-item');
    expect(result.valid).toBe(true); // claimed model: snapshot-isolation
    expect(result.not).toEqual(['repeatable-read']);
    const example = result.anomalies['G2-item']![0]!;
    expect(example.steps!.filter((s) => s.endsWith('(rw)')).length).toBeGreaterThanOrEqual(2);
    await expectNoLeaks(run.id);
  }, 180_000);

  it('serializable: no anomalies; serialization failures are recorded as fail', async () => {
    const { run, history, result } = await checkIsolationLevel({ isolation: 'serializable', durationMs: DURATION_MS, testOptions: { logger: captureLogger().logger } });
    expect(result.stats.ok).toBeGreaterThan(100);
    expect(result.anomalyTypes).toEqual([]);
    expect(result.valid).toBe(true);
    const failures = history.filter((e) => e.type === 'fail');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.some((e) => e.error?.startsWith('40001'))).toBe(true);
    await expectNoLeaks(run.id);
  }, 180_000);
});
