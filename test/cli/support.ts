/** Runs the `pakostii` CLI from source (lib/cli/main.ts through tsx) as a child process, like a user would. */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_SOURCE = join(REPO_ROOT, 'lib', 'cli', 'main.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** argv prefix, e.g. ['setpriv', '--bounding-set=-bpf']: the CLI runs under it. */
  wrapper?: string[];
  timeoutMs?: number;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const argv = [...(options.wrapper ?? []), process.execPath, '--import', 'tsx', CLI_SOURCE, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { cwd: REPO_ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

export interface DoctorCheckJson {
  name: string;
  status: 'ok' | 'fail' | 'warn';
  detail: string;
  hint?: string;
  required: boolean;
}

export function parseDoctor(stdout: string): { ok: boolean; checks: DoctorCheckJson[] } {
  return JSON.parse(stdout) as { ok: boolean; checks: DoctorCheckJson[] };
}
