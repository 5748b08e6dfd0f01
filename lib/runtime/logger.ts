/**
 * Default logger: pretty lines (pino-pretty) when stdout is a terminal, JSON
 * lines otherwise or when PAKOSTII_LOG_FORMAT=json. Writes are synchronous so
 * the last lines ("test failed", teardown) are never lost when the process exits
 * right after a run.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogFormat = 'pretty' | 'json';

export function defaultLogFormat(env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): LogFormat {
  const asked = env.PAKOSTII_LOG_FORMAT?.toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  return isTTY ? 'pretty' : 'json';
}

export function createDefaultLogger(options: { format?: LogFormat; level?: string } = {}): Logger {
  const format = options.format ?? defaultLogFormat();
  const level = options.level ?? process.env.PAKOSTII_LOG_LEVEL ?? 'info';
  const base = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'json') return pino(base, pino.destination({ dest: 1, sync: true }));
  return pino(
    base,
    pretty({
      sync: true,
      destination: 1,
      colorize: Boolean(process.stdout.isTTY),
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
      // "error" is our message string ("test failed" error=...): keep it on the line.
      errorLikeObjectKeys: ['err'],
    }),
  );
}
