/** Human-readable text of a cleanup report, for `pakostii cleanup` and logs. */
import type { CleanedRun, CleanupReport } from './cleanup.js';

function objectsOf(run: CleanedRun): string[] {
  const lines: string[] = [];
  const add = (kind: string, items: readonly string[]) => {
    if (items.length > 0) lines.push(`    ${kind}: ${items.join(', ')}`);
  };
  add('containers', run.containerd?.containers ?? []);
  add('snapshots', run.containerd?.snapshots ?? []);
  add('leases', run.containerd?.leases ?? []);
  add('links', run.links);
  add('network namespaces', run.netns);
  add('cgroups', run.cgroups);
  add('work dirs', run.workDirs);
  add('exec scratch dirs', run.execDirs);
  add('subnet claims', run.subnetClaims);
  add('left alone (named in the run\'s log, no longer its own)', run.leftAlone ?? []);
  if (run.record) lines.push('    run record');
  return lines;
}

export function formatCleanupReport(report: CleanupReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  if (report.runs.length === 0 && report.strayFiles.length === 0) {
    return `nothing to clean up (${report.liveRuns.length} live run(s) left alone)`;
  }
  const lines: string[] = [];
  for (const run of report.runs) {
    const who = run.pid === undefined ? 'no record' : `test "${run.testName ?? '?'}", pid ${run.pid} gone`;
    lines.push(`run ${run.id} (${who}): ${verb}`);
    lines.push(...objectsOf(run));
    for (const error of run.errors) lines.push(`    FAILED ${error}`);
  }
  if (report.strayFiles.length > 0) lines.push(`${verb} ${report.strayFiles.length} stray state file(s)`);
  if (report.liveRuns.length > 0) lines.push(`left alone: live run(s) ${report.liveRuns.join(', ')}`);
  const failed = report.runs.filter((r) => r.errors.length > 0).length;
  if (failed > 0) lines.push(`${failed} run(s) could not be fully cleaned; their records are kept so the next cleanup retries`);
  return lines.join('\n');
}
