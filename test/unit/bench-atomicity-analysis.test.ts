/**
 * The atomicity bench's verdicts (bench/atomicity-analysis.ts) on hand-made
 * timelines: a leak or a loss must be counted, and packets whose send
 * interval crosses a window edge must not be judged either way.
 */
import { describe, expect, it } from 'vitest';
import { classify, type SentPacket, type Timeline } from '../../bench/atomicity-analysis.js';

// Two cycles: apply called 100, applied 110, heal called 200, healed 210; apply 300/310, heal 400/410; end 500.
const timeline: Timeline = {
  applyCalled: BigInt64Array.from([100n, 300n]),
  applied: BigInt64Array.from([110n, 310n]),
  healCalled: BigInt64Array.from([200n, 400n]),
  healed: BigInt64Array.from([210n, 410n]),
  end: 500n,
};

const packet = (seq: number, before: bigint, after: bigint): SentPacket => ({ seq, before, after });

describe('atomicity classification', () => {
  it('counts a packet sent inside a cut window that arrived as a leak', () => {
    const sent = [packet(0, 120n, 130n), packet(1, 320n, 330n)];
    const c = classify(timeline, sent, (seq) => (seq === 1 ? 350n : undefined));
    expect(c.in_cut_windows).toBe(2);
    expect(c.leaked_after_apply).toBe(1);
    expect(c.leaked_confirmed).toBe(1); // arrived at 350 < heal called at 400
  });

  it('does not confirm a leak that arrived only after heal() was called', () => {
    const c = classify(timeline, [packet(0, 120n, 130n)], () => 205n);
    expect(c.leaked_after_apply).toBe(1);
    expect(c.leaked_confirmed).toBe(0);
  });

  it('counts a packet sent inside an open window that never arrived as dropped, including the last window', () => {
    const sent = [packet(0, 220n, 230n), packet(1, 420n, 430n), packet(2, 250n, 260n)];
    const c = classify(timeline, sent, (seq) => (seq === 2 ? 270n : undefined));
    expect(c.in_open_windows).toBe(3);
    expect(c.dropped_after_heal).toBe(2);
  });

  it('leaves packets sent during apply()/heal() or across a window edge unjudged', () => {
    const sent = [
      packet(0, 100n, 105n), // while apply() ran
      packet(1, 105n, 115n), // straddles "applied"
      packet(2, 195n, 205n), // straddles "heal called"
      packet(3, 205n, 215n), // straddles "healed"
      packet(4, 295n, 305n), // straddles the next "apply called"
    ];
    const c = classify(timeline, sent, () => undefined);
    expect(c.ambiguous).toBe(5);
    expect(c.in_cut_windows + c.in_open_windows).toBe(0);
    expect(c.leaked_after_apply + c.dropped_after_heal).toBe(0);
  });

  it('ignores packets before the first apply and after the end', () => {
    const c = classify(timeline, [packet(0, 10n, 20n), packet(1, 510n, 520n)], () => undefined);
    expect(c.before_first_apply).toBe(1);
    expect(c.in_open_windows + c.in_cut_windows + c.ambiguous).toBe(0);
  });
});
