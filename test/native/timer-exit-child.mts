/**
 * Run by timer.test.ts: one wait of the addon's timer, then nothing left to do.
 * Mode "wait": a 200 ms wait nobody awaits (only the timer can keep the process
 * up); mode "abort": a 60 s wait aborted after 20 ms. Prints one JSON line at
 * exit: whether the wait settled, how, and the ms from then to the exit.
 */
import { wakeAtMono } from '../../lib/native/index.js';

const mode = process.argv[2] ?? 'wait';
const start = process.hrtime.bigint();
let settled: { how: string; at: bigint } | undefined;
process.on('exit', () => {
  const exitMs = settled ? Number(process.hrtime.bigint() - settled.at) / 1e6 : null;
  const afterMs = settled ? Number(settled.at - start) / 1e6 : null;
  console.log(JSON.stringify({ how: settled?.how ?? null, afterMs, exitMs }));
});

if (mode === 'wait') {
  void wakeAtMono(start + 200_000_000n).then(() => (settled = { how: 'woke', at: process.hrtime.bigint() }));
} else {
  const controller = new AbortController();
  wakeAtMono(start + 60_000_000_000n, controller.signal).then(
    () => (settled = { how: 'woke', at: process.hrtime.bigint() }),
    (error: Error) => (settled = { how: `rejected: ${error.message}`, at: process.hrtime.bigint() }),
  );
  setTimeout(() => controller.abort(new Error('stop')), 20);
}
