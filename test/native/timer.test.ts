/**
 * The addon's timer thread (native/timer.cc through lib/native/timer.ts): never
 * early, in deadline order, abortable, sleeps instead of spinning, and keeps the
 * process alive only while a wait is pending.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addon } from '../../lib/native/addon.js';
import { spinUntilMono, wakeAtMono } from '../../lib/native/index.js';

const mono = (): bigint => process.hrtime.bigint();
const ms = (n: number): bigint => BigInt(Math.round(n * 1e6));

describe('wakeAtMono', () => {
  it('resolves many concurrent waits in deadline order, none before its deadline', async () => {
    await wakeAtMono(mono()); // the addon is loaded, its thread started
    const start = mono();
    // Shuffled deadlines, a few sharing one wake-up (0.05 ms apart), two already past. The
    // others are all at least 5 ms off: a wait that is due already when made resolves at once.
    const offsets = [12, 5.2, 8, 8.05, 17, -1, 5.5, 14, 8.1, 6, 25, 0, 10, 20, 7];
    const deadlines = offsets.map((o) => start + ms(o));
    const order: number[] = [];
    const early: bigint[] = [];
    await Promise.all(
      deadlines.map(async (deadline, i) => {
        await wakeAtMono(deadline);
        const now = mono();
        if (now < deadline) early.push(deadline - now);
        order.push(i);
      }),
    );
    expect(early).toEqual([]);
    const byDeadline = [...deadlines.keys()].sort((a, b) => (deadlines[a]! < deadlines[b]! ? -1 : deadlines[a]! > deadlines[b]! ? 1 : a - b));
    expect(order).toEqual(byDeadline);
  });

  it('takes a deadline as a number of ns too', async () => {
    const deadline = mono() + ms(2);
    await wakeAtMono(Number(deadline) + 1000); // a double may round the reading: a µs of margin
    expect(mono()).toBeGreaterThanOrEqual(deadline);
  });

  it('rejects an aborted wait with the signal reason and leaves the other waits alone', async () => {
    const start = mono();
    const controller = new AbortController();
    const reason = new Error('stop');
    const aborted = wakeAtMono(start + ms(5_000), controller.signal);
    const soon = wakeAtMono(start + ms(1), controller.signal);
    const other = wakeAtMono(start + ms(30));
    await soon;
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    await other;
    expect(mono()).toBeGreaterThanOrEqual(start + ms(30));
    expect(mono() - start).toBeLessThan(ms(2_000)); // the aborted wait was not waited for
    await expect(wakeAtMono(mono() + ms(1), controller.signal)).rejects.toBe(reason);
  });

  it('settles a cancelled native wait at once with false, and a due one with true', async () => {
    const cancelled = addon().timerWake(mono() + ms(60_000));
    cancelled.cancel();
    cancelled.cancel(); // idempotent
    await expect(cancelled.promise).resolves.toBe(false);
    await expect(addon().timerWake(mono() + ms(1)).promise).resolves.toBe(true);
    expect(() => addon().timerWake(-1)).toThrow(RangeError);
  });

  it('sleeps while waiting: a 200 ms wait costs the process far less than 200 ms of CPU', async () => {
    await wakeAtMono(mono() + ms(1)); // the thread is started
    const before = process.cpuUsage();
    await wakeAtMono(mono() + ms(200));
    const used = process.cpuUsage(before);
    // Spinning for the last 3 ms alone would cost 3 ms; a wait spent polling, all 200.
    expect((used.user + used.system) / 1000).toBeLessThan(20);
  });

  describe('the process', () => {
    const child = fileURLToPath(new URL('./timer-exit-child.mts', import.meta.url));
    const run = (mode: string): { how: string | null; afterMs: number | null; exitMs: number | null } => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', child, mode], { encoding: 'utf8', timeout: 30_000 });
      return JSON.parse(out.trim().split('\n').pop()!) as { how: string | null; afterMs: number | null; exitMs: number | null };
    };

    it('stays up for a pending wait, and exits promptly after it', () => {
      const result = run('wait');
      expect(result.how).toBe('woke');
      expect(result.afterMs).toBeGreaterThanOrEqual(200);
      expect(result.exitMs).toBeLessThan(200);
    });

    it('exits promptly once its only wait is aborted', () => {
      const result = run('abort');
      expect(result.how).toBe('rejected: stop');
      expect(result.afterMs).toBeLessThan(5_000);
      expect(result.exitMs).toBeLessThan(200);
    });
  });
});

describe('spinUntilMono', () => {
  it('returns at its deadline, not before, and gives up after 10 ms on a far one', () => {
    const deadline = mono() + ms(2);
    expect(spinUntilMono(deadline)).toBe(true);
    expect(mono()).toBeGreaterThanOrEqual(deadline);
    expect(spinUntilMono(mono() - ms(1))).toBe(true); // already past: at once

    const start = mono();
    expect(spinUntilMono(start + ms(60_000))).toBe(false);
    const spun = Number(mono() - start) / 1e6;
    expect(spun).toBeGreaterThanOrEqual(10);
    expect(spun).toBeLessThan(1000); // capped: a wrong deadline cannot hang the thread
  });
});
