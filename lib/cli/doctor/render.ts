/** `pakostii doctor` output: an aligned table for people, or JSON for scripts. */
import type { CheckResult, CheckStatus } from './check.js';
import type { DoctorReport } from './run-checks.js';

const MARK: Record<CheckStatus, string> = { ok: '✓', fail: '✗', warn: '!' };

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

export function renderTable(report: DoctorReport): string {
  const rows: string[][] = [
    ['CHECK', 'STATUS', 'DETAIL', 'FIX'],
    ...report.checks.map((c: CheckResult) => [c.name, MARK[c.status], c.detail, c.hint ?? '']),
  ];
  // The last column is not padded: hints can be long and wrap on their own.
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  const lines = rows.map((r) =>
    [pad(r[0]!, widths[0]!), pad(r[1]!, widths[1]!), pad(r[2]!, widths[2]!), r[3]!].join('  ').trimEnd(),
  );
  const failed = report.checks.filter((c) => c.status === 'fail');
  lines.push(
    '',
    report.ok
      ? 'All required checks passed: pakostii can run tests here.'
      : `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}. Fix them (see FIX) and rerun pakostii doctor.`,
  );
  return lines.join('\n');
}

export function renderJson(report: DoctorReport): string {
  return JSON.stringify(report, null, 2);
}
