/**
 * Shared helpers of the e2e suites: a logger that captures the story and the
 * images they use. Leak checks: test/helpers/leak-audit.ts.
 */
import { pino, type Logger } from 'pino';

import { spec } from '../../lib/index.js';

export const BUSYBOX = process.env.PAKOSTII_BUSYBOX_IMAGE ?? 'pakostii.local/busybox:latest';
export const ETCD = process.env.PAKOSTII_ETCD_IMAGE ?? 'pakostii.local/etcd:3.4';

export interface LogLine {
  level: string;
  msg: string;
  test_id?: string;
  [field: string]: unknown;
}

/** A pino logger that keeps every line (and echoes it when PAKOSTII_E2E_ECHO=1). */
export function captureLogger(): { logger: Logger; lines: LogLine[]; messages: () => string[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug', base: undefined, formatters: { level: (label: string) => ({ level: label }) } },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as LogLine);
        if (process.env.PAKOSTII_E2E_ECHO) process.stdout.write(line);
      },
    },
  );
  return { logger, lines, messages: () => lines.map((l) => l.msg) };
}

/** A busybox httpd on :8080 serving "<node>\n" at /index.html, ready once the port answers. */
export function webService(node: string): spec.ContainerSpec {
  return spec
    .newContainer('web', BUSYBOX)
    .withFile('/www/index.html', `${node}\n`)
    .withCommand(['httpd', '-f', '-p', '8080', '-h', '/www'])
    .withReadiness(spec.tcpProbe({ port: 8080 }));
}
