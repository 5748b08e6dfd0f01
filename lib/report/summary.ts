/** The terminal summary printed at the end of a run: verdicts, counts, the counterexample in one line, the report's path. */
import { relative, isAbsolute } from 'node:path';
import type { ReportModel } from './report-data.js';

export function summaryLines(model: ReportModel, reportPath: string): string[] {
  const lines: string[] = [];
  const { run, results } = model.files;
  const ops = model.ops;
  const seed = run.seed === undefined || run.seed === null ? '' : `, seed ${String(run.seed)}`;
  const clientOps = ops ? Object.values(ops.counts).reduce((n, c) => n + c.ok + c.fail + c.info + c.pending, 0) : 0;
  lines.push(`${run.test ?? 'run'} ${run.runId ?? ''}: ${ops ? `${clientOps} operations, ` : ''}${model.faults.length} fault events in ${model.duration.toFixed(1)} s${seed}`);
  if (ops) {
    for (const [f, c] of Object.entries(ops.counts)) {
      lines.push(`  ${f.padEnd(12)} ok ${c.ok}  fail ${c.fail}  info ${c.info}${c.pending ? `  no reply ${c.pending}` : ''}`);
    }
  }
  if (results) {
    for (const [name, r] of Object.entries(results.checkers)) {
      const word = r.valid === true ? 'VALID' : r.valid === false ? 'INVALID' : 'UNKNOWN';
      lines.push(`  ${name}: ${word}${r.summary ? ` — ${firstLine(String(r.summary))}` : ''}`);
    }
  } else if (ops) {
    lines.push('  not checked (no results.json)');
  }
  if (typeof run.replay === 'string' && results?.valid === false) lines.push(`  replay: ${run.replay}`);
  lines.push(`  report: ${display(reportPath)}`);
  return lines;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
