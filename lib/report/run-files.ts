/**
 * Reads what a run left in its artifacts directory, files only (so a report
 * can be rebuilt from an old run or a copy from CI): run.json, results.json,
 * faults.jsonl and the list of container log files. The history is streamed
 * separately (op-columns.ts): it can be a million lines.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseTimeline, TIMELINE_FILE, type TimelineEntry } from '../faults/timeline.js';
import { ARTIFACT_FILES, type CheckResult, type Validity } from '../history/types.js';

/** run.json as ARTIFACT_FILES documents it; every field optional (old runs, runs without a workload). */
export interface RunInfo {
  test?: string;
  runId?: string;
  seed?: string | number;
  startedMono?: string;
  startedWall?: string;
  endedMono?: string;
  replay?: string;
  [extra: string]: unknown;
}

export interface RunResults {
  valid: Validity;
  checkers: Record<string, CheckResult>;
}

export interface LogFile {
  node: string;
  service: string;
  stream: 'stdout' | 'stderr';
  /** Relative to the artifacts directory, '/'-separated (a link target in the page). */
  path: string;
}

export interface RunFiles {
  dir: string;
  run: RunInfo;
  results?: RunResults;
  faults: TimelineEntry[];
  /** Absolute path of history.jsonl when the run recorded one. */
  historyPath?: string;
  logs: LogFile[];
  /** Problems reading a file: shown in the page, never fatal. */
  warnings: string[];
}

export function readRunFiles(dir: string): RunFiles {
  const warnings: string[] = [];
  const json = <T>(name: string): T | undefined => {
    const path = join(dir, name);
    if (!isRegularFile(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (error) {
      warnings.push(`${name}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const run = { ...runFromDirName(dir), ...(json<RunInfo>(ARTIFACT_FILES.run) ?? {}) };
  const results = json<RunResults>(ARTIFACT_FILES.results);
  let faults: TimelineEntry[] = [];
  const faultsPath = join(dir, TIMELINE_FILE);
  if (isRegularFile(faultsPath)) {
    try {
      faults = parseTimeline(readFileSync(faultsPath, 'utf8'));
    } catch (error) {
      warnings.push(`${TIMELINE_FILE}: ${(error as Error).message}`);
    }
  }
  const historyPath = join(dir, ARTIFACT_FILES.history);
  return {
    dir,
    run,
    ...(results && typeof results === 'object' && results.checkers ? { results } : {}),
    faults,
    ...(isRegularFile(historyPath) ? { historyPath } : {}),
    logs: listLogs(dir),
    warnings,
  };
}

/** `<test>-<id>`: the run id is the last dash-separated part (test names may contain dashes). */
function runFromDirName(dir: string): RunInfo {
  const name = basename(dir);
  const dash = name.lastIndexOf('-');
  return dash > 0 ? { test: name.slice(0, dash), runId: name.slice(dash + 1) } : { test: name };
}

function listLogs(dir: string): LogFile[] {
  const logs: LogFile[] = [];
  const root = join(dir, 'logs');
  for (const node of subdirs(root)) {
    for (const service of subdirs(join(root, node))) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (isRegularFile(join(root, node, service, stream))) logs.push({ node, service, stream, path: `logs/${node}/${service}/${stream}` });
      }
    }
  }
  return logs;
}

function subdirs(path: string): string[] {
  if (!existsSync(path) || !lstatSync(path).isDirectory()) return [];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Never follow a symlink out of the artifacts directory. */
export function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
