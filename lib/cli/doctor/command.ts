/** `pakostii doctor [--json]`: is this machine able to run pakostii tests? */
import { Command } from 'commander';
import { addContainerdOptions, type ContainerdOptions } from '../options.js';
import { renderJson, renderTable } from './render.js';
import { runDoctor } from './run-checks.js';

export function doctorCommand(): Command {
  const command = new Command('doctor')
    .description('check kernel, privileges, BPF/XDP, containerd and the native addon; exits 1 when a run would fail')
    .option('--json', 'print the report as JSON');
  return addContainerdOptions(command).action(async (options: ContainerdOptions & { json?: boolean }) => {
    const report = await runDoctor({ containerdSocket: options.containerdSocket, namespace: options.namespace });
    process.stdout.write(`${options.json ? renderJson(report) : renderTable(report)}\n`);
    process.exitCode = report.ok ? 0 : 1;
  });
}
