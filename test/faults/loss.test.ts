/**
 * t.network.loss on real traffic: over ≥ 10,000 UDP datagrams the share lost
 * stays within 5 standard deviations of the binomial expectation, only in the
 * faulted direction; two losses on one pair compose as independent drops;
 * healing one keeps the other; loss composes with a cut.
 */
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { SpecError } from '../../lib/errors.js';
import { captureLogger } from '../e2e/support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { Agents } from './agents.js';

const NODES = ['n1', 'n2', 'n3'];
const cluster = () => {
  const c = spec.newCluster();
  for (const n of NODES) c.addNode(spec.newNode(n));
  return c;
};

/** Received count of `sent` is within 5 σ of a binomial with drop probability p. */
function expectLoss(received: number, sent: number, percent: number): void {
  const p = percent / 100;
  const sigma = Math.sqrt(sent * p * (1 - p));
  const expected = sent * (1 - p);
  expect(Math.abs(received - expected), `received ${received}/${sent}, expected ≈ ${expected} (σ ${sigma.toFixed(1)})`).toBeLessThan(5 * sigma);
}

const N = 20_000;

describe('packet loss', () => {
  it('drops the given share one way, composes, heals', async () => {
    const { logger } = captureLogger();
    const measured: string[] = [];
    const result = await new Test('faults_loss', cluster(), { logger }).run(async (t) => {
      const agents = await Agents.start(t, NODES);
      try {
        expect(await agents.udp('n1', 'n2', 2_000)).toBe(2_000); // baseline: the sink keeps up

        const loss30 = t.network.loss('flaky n1→n2', { from: 'n1', to: 'n2', percent: 30 });
        expect(loss30.kind).toBe('loss');
        await loss30.apply();
        const forward = await agents.udp('n1', 'n2', N);
        measured.push(`30%: ${forward}/${N}`);
        expectLoss(forward, N, 30);
        const reverse = await agents.udp('n2', 'n1', N);
        expect(reverse).toBeGreaterThanOrEqual(N * 0.999); // the reverse direction is untouched
        expect(await agents.udp('n1', 'n3', 2_000)).toBe(2_000); // other destinations too

        // Two losses on one pair: independent drops, 1 - 0.7 * 0.5 = 65 %.
        const loss50 = t.network.loss('worse', { from: ['n1'], to: ['n2', 'n3'], percent: 50 });
        await loss50.apply();
        const both = await agents.udp('n1', 'n2', N);
        measured.push(`30%+50%: ${both}/${N}`);
        expectLoss(both, N, 65);
        const toN3 = await agents.udp('n1', 'n3', N);
        measured.push(`50% (n3): ${toN3}/${N}`);
        expectLoss(toN3, N, 50);

        // Heal one: the other stays.
        await loss30.heal();
        const after = await agents.udp('n1', 'n2', N);
        measured.push(`50% after heal of 30%: ${after}/${N}`);
        expectLoss(after, N, 50);

        // Loss composed with a cut: the cut wins for its direction.
        const cut = t.network.partition.oneWay('n1 deaf', 'n2', 'n1');
        await cut.apply();
        expect(await agents.udp('n2', 'n1', 2_000)).toBe(0);
        expectLoss(await agents.udp('n1', 'n2', N), N, 50);
        await cut.heal();
        await loss50.heal();
        expect(await agents.udp('n1', 'n2', 2_000)).toBe(2_000);
        expect(t.network.faults()).toEqual([]);

        expect(() => t.network.loss('bad', { from: 'n1', to: 'n2', percent: 0 })).toThrow(SpecError);
        expect(() => t.network.loss('bad', { from: 'n1', to: 'n2', percent: 120 })).toThrow(/at most 100/);
        expect(() => t.network.loss('bad', { from: 'n1', to: 'n1', percent: 10 })).toThrow(/same single node/);

        expect(() => t.network.delay('slow', { from: 'nX', to: 'n2', ms: 100 })).toThrow(SpecError); // names first
      } finally {
        await agents.stop();
      }
    });
    console.log(`loss measured: ${measured.join('; ')}`);
    await expectNoLeaks(result.id);
  }, 240_000);
});
