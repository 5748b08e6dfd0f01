/**
 * Run by errors.test.ts with every capability dropped (setpriv): tries the
 * privileged calls and prints what the errors say, one JSON line per call.
 */
import { createBridge, createNetns } from '../../lib/native/index.js';
import { FaultEngine } from '../../lib/native/fault-engine.js';

const name = process.argv[2] ?? 'pknocaps';
const calls: Record<string, () => Promise<unknown>> = {
  netns: () => createNetns(`pk-${name}-n`),
  bridge: () => createBridge(`pkb-${name}`),
  engine: () => FaultEngine.load({ maxNodes: 2 }),
};
for (const [call, run] of Object.entries(calls)) {
  try {
    await run();
    console.log(JSON.stringify({ call, ok: true }));
  } catch (error) {
    const e = error as Error & { code?: string; hint?: string; op?: string };
    console.log(JSON.stringify({ call, ok: false, type: e.constructor.name, code: e.code, op: e.op, message: e.message, hint: e.hint }));
  }
}
