/**
 * t.workload() on a real cluster: three busybox web nodes, clients reading
 * over HTTP from inside the cluster network, a nemesis of partitions and kills.
 * The history is streamed to history.jsonl, run.json holds the seed and the
 * zero of history time, nemesis faults line up with faults.jsonl on the same
 * clock, everything is healed/restarted at the end. A client whose open throws
 * fails the run with node and process, and the run leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gen, nemesis, spec, Test, TestFailedError, type Client, type HistoryEvent } from '../../lib/index.js';
import { parseTimeline } from '../../lib/faults/timeline.js';
import { parseEDNString } from 'edn-data';
import { parseEdn } from '../../lib/history/edn.js';
import { captureLogger, webService } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';

const NODES = ['w1', 'w2', 'w3'];

function webCluster(): spec.ClusterSpec {
  const cluster = spec.newCluster();
  for (const node of NODES) cluster.addNode(spec.newNode(node).runs(webService(node)));
  return cluster;
}

describe('t.workload on a real cluster', () => {
  it('records clients and nemesis in history.jsonl, on the clock of faults.jsonl, and heals at the end', async () => {
    const { logger, lines } = captureLogger();
    let history: readonly HistoryEvent[] = [];
    const result = await new Test('workload_web', webCluster(), { logger }).run(async (t) => {
      const client: Client<string> = {
        open: (node) => node,
        invoke: async (node, _op, { signal }) => {
          const res = await t.http.get(`http://${node}:8080/index.html`, { signal, timeoutMs: 1000 });
          return res.status === 200 ? { type: 'ok', value: res.body.trim() } : { type: 'fail', error: `HTTP ${res.status}` };
        },
      };
      const out = await t.workload({
        concurrency: 6,
        client,
        generator: gen.timeLimit(6000, gen.stagger(100, gen.repeat({ f: 'read' }))),
        nemesis: nemesis.compose(nemesis.partitions({ everyMs: 1000, jitterMs: 300, durationMs: 700 }), nemesis.kills({ everyMs: 1500, jitterMs: 200, durationMs: 800 })),
        recoveryMs: 200,
        final: gen.each({ f: 'read' }),
        opTimeoutMs: 1500,
        seed: 1234,
      });
      history = out.history;
      expect(out.seed).toBe(1234);
    });
    const dir = result.artifactsDir;
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, string | number>;
    expect(run).toMatchObject({ test: 'workload_web', runId: result.id, seed: 1234 });
    expect(String(run.replay)).toMatch(/^PAKOSTII_SEED=1234 /);
    expect(BigInt(run.endedMono!)).toBeGreaterThan(BigInt(run.startedMono!));
    expect(lines.find((l) => l.msg === 'workload seed 1234')).toMatchObject({ seed: 1234, seed_source: 'option' });

    const file = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryEvent);
    expect(file).toEqual(JSON.parse(JSON.stringify(history)));
    // history.edn: Jepsen's form, read by a real EDN parser and by our reader into the same history.
    const edn = readFileSync(join(dir, 'history.edn'), 'utf8');
    // The whole file as one EDN vector of op maps (Jepsen writes one map per line).
    const maps = parseEDNString(`[${edn}]`, { mapAs: 'object', keywordAs: 'string', listAs: 'array' }) as Array<Record<string, unknown>>;
    expect(maps).toHaveLength(file.length);
    expect(maps[0]).toMatchObject({ index: 0, type: 'invoke' });
    expect(parseEdn(edn).history).toEqual(file);
    const clientOps = file.filter((e) => e.type === 'invoke' && e.process !== 'nemesis');
    expect(clientOps.length).toBeGreaterThan(200);
    expect(new Set(clientOps.map((e) => e.node))).toEqual(new Set(NODES));
    // The final reads, after the heal: one per thread, all ok.
    const healAt = file.findIndex((e) => e.process === 'nemesis' && e.f === 'heal' && e.type === 'ok');
    expect(healAt).toBeGreaterThan(0);
    const finals = file.slice(healAt + 1).filter((e) => e.process !== 'nemesis' && e.type !== 'invoke');
    expect(finals.length).toBeGreaterThanOrEqual(6);
    expect(finals.every((e) => e.type === 'ok'), JSON.stringify(finals)).toBe(true);

    // Nemesis ops carry planned and actual times; each fault in faults.jsonl lies right after its invoke.
    const started = BigInt(run.startedMono!);
    const timeline = parseTimeline(readFileSync(join(dir, 'faults.jsonl'), 'utf8'));
    const nemesisInvokes = file.filter((e) => e.process === 'nemesis' && e.type === 'invoke' && e.f !== 'heal');
    expect(nemesisInvokes.map((e) => e.f)).toEqual(expect.arrayContaining(['start-partition', 'stop-partition', 'kill', 'start']));
    for (const e of nemesisInvokes) expect(typeof e.planned).toBe('number');
    const applies = timeline.filter((l) => l.event === 'apply');
    const starts = nemesisInvokes.filter((e) => e.f === 'start-partition');
    expect(applies.length).toBe(starts.length);
    applies.forEach((apply, i) => {
      const at = Number(BigInt(apply.mono) - started);
      expect(at - starts[i]!.time).toBeGreaterThanOrEqual(0);
      expect(at - starts[i]!.time).toBeLessThan(50e6);
    });
    // Healed: as many heals as applies; every kill followed by a start.
    expect(timeline.filter((l) => l.event === 'heal').length).toBe(applies.length);
    // (a start refused while the killed task was still exiting is retried: it has a process_failed line)
    const count = (event: string, kind: string): number => timeline.filter((l) => l.event === event && l.kind === kind).length;
    expect(count('process', 'start') - count('process_failed', 'start')).toBe(count('process', 'kill'));
    await expectNoLeaks(result.id);
  }, 180_000);

  it('a client whose open throws fails the run with node and process, and the run tears down cleanly', async () => {
    const { logger } = captureLogger();
    const error = await new Test('workload_open_fails', webCluster(), { logger })
      .run(async (t) => {
        await t.workload({
          concurrency: 3,
          client: {
            open: (node, process) => {
              if (node === 'w2') throw new Error('connection refused');
              return process;
            },
            invoke: () => ({ type: 'ok' }),
          },
          generator: gen.repeat({ f: 'read' }),
        });
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestFailedError);
    expect((error as Error).message).toMatch(/client open failed for process 1 on node "w2": connection refused/);
    await expectNoLeaks((error as TestFailedError).id);
  }, 120_000);
});
