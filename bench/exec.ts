/**
 * Running tools from the bench (allowed here, never in lib/): argv arrays only,
 * no shell. `timedExec` measures a whole fork+exec+wait, which is what an
 * exec-based fault injector pays per operation.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Children run from the repository root, so `node --import tsx` finds tsx. */
const CWD = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ExecOutput {
  stdout: string;
  stderr: string;
}

/** Run argv to completion; rejects with the tool's stderr when it exits non-zero. */
export function run(argv: readonly string[], options: { allowFailure?: boolean; timeoutMs?: number } = {}): Promise<ExecOutput> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(file!, args, { cwd: CWD, encoding: 'utf8', maxBuffer: 64 << 20, timeout: options.timeoutMs ?? 120_000 }, (error, stdout, stderr) => {
      if (error && !options.allowFailure) {
        reject(new Error(`${argv.join(' ')} failed: ${stderr.trim() || error.message}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** Wall time of one run of argv, in microseconds (fork + exec + the tool's work + wait). */
export async function timedExec(argv: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint();
  await run(argv);
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** A long-running helper whose stdout is read line by line. */
export class Helper {
  readonly child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly exited: Promise<number>;
  #stderr = '';

  constructor(argv: readonly string[]) {
    const [file, ...args] = argv;
    this.child = spawn(file!, args, { cwd: CWD, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.#lines.push(...parts);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('exit', (code, signal) => {
        if (partial) this.#lines.push(partial);
        for (const wake of this.#waiters.splice(0)) wake();
        resolve(code ?? (signal ? 128 : 1));
      });
    });
  }

  get stderr(): string {
    return this.#stderr;
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  /** Resolves with the first line matching `test`; rejects on exit or timeout. */
  async waitForLine(test: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#lines.find(test);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.child.spawnargs.join(' ')} exited before printing the expected line: ${this.#stderr.trim()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.child.spawnargs.join(' ')}: no expected line after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
