/**
 * Waiting for planned times: never early (on the caller's clock, even one that
 * reads behind the timer's), an abort rejects only its own wait; and a synchronous client cannot
 * keep the event loop (where timers and the nemesis's deadlines run) for long.
 */
import { describe, expect, it } from 'vitest';
import * as gen from '../../lib/workload/gen.js';
import type { Client } from '../../lib/workload/client.js';
import { sleepUntil } from '../../lib/workload/timing.js';
import { runWorkload } from '../../lib/workload/workload.js';
import { fakeEnv } from './support.js';

/** A run's clock as the recorder keeps it: ns since a process.hrtime.bigint() reading. */
const clock = { startedMono: process.hrtime.bigint(), now: (): number => Number(process.hrtime.bigint() - clock.startedMono) };
const nowNs = (): number => clock.now();

describe('sleepUntil', () => {
  it('resolves each of many concurrent waiters at or after its own time', async () => {
    const start = nowNs();
    const late: number[] = [];
    // Short and long waits, shuffled.
    const offsets = [0.2, 5, 0.5, 8, 1, 3, 0.1, 6, 2, 4].map((ms) => ms * 1e6);
    await Promise.all(
      offsets.map(async (offset) => {
        await sleepUntil(clock, start + offset);
        late.push(nowNs() - (start + offset));
      }),
    );
    expect(late).toHaveLength(offsets.length);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(0);
  });

  it('rejects an aborted wait with the reason and leaves the others waiting', async () => {
    const start = nowNs();
    const controller = new AbortController();
    // One wait due soon, one far off.
    const soon = sleepUntil(clock, start + 2e6, controller.signal);
    const timed = sleepUntil(clock, start + 500e6, controller.signal);
    const other = sleepUntil(clock, start + 1e6);
    controller.abort(new Error('stop'));
    await expect(soon).rejects.toThrow('stop');
    await expect(timed).rejects.toThrow('stop');
    await other;
    expect(nowNs()).toBeGreaterThanOrEqual(start + 1e6);
    await expect(sleepUntil(clock, nowNs() + 1e6, controller.signal)).rejects.toThrow('stop');
  });

  it('resolves a precise wait at its time, never before, and lets an abort before the spin reject', async () => {
    for (const offset of [0.5, 3, 12]) {
      const at = nowNs() + offset * 1e6;
      await sleepUntil(clock, at, undefined, true);
      expect(nowNs()).toBeGreaterThanOrEqual(at);
    }
    const controller = new AbortController();
    const waiting = sleepUntil(clock, nowNs() + 50e6, controller.signal, true);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });

  it('waits on until the clock itself reads the time, when it runs behind the timer', async () => {
    // Reads 1 ms behind process.hrtime: the first wake-up comes early by that clock.
    const behind = { startedMono: clock.startedMono, now: (): number => clock.now() - 1e6 };
    const at = behind.now() + 2e6;
    await sleepUntil(behind, at);
    expect(behind.now()).toBeGreaterThanOrEqual(at);
  });
});

describe('dispatch loop', () => {
  it('yields to the event loop within a millisecond or so even when the client never awaits', async () => {
    // Each operation keeps the thread for 0.2 ms; yielding every few hundred operations held the loop for 50 ms.
    const client: Client<null> = {
      open: () => null,
      invoke: () => {
        const until = performance.now() + 0.2;
        while (performance.now() < until);
        return { type: 'ok' };
      },
    };
    let last = performance.now();
    const gaps: number[] = [];
    let ticking = true;
    const tick = (): void => {
      const t = performance.now();
      gaps.push(t - last);
      last = t;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await runWorkload({ concurrency: 2, client, generator: gen.limit(600, gen.repeat({ f: 'read' })), seed: 1 }, fakeEnv());
    ticking = false;
    // The median turn, so that a loaded machine's occasional stall does not count; the old gap was 50 ms.
    gaps.sort((a, b) => a - b);
    expect(gaps.length).toBeGreaterThan(20);
    expect(gaps[gaps.length >> 1]).toBeLessThan(10);
  });
});
