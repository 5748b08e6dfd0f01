import { PakostiiError } from '../errors.js';

/**
 * A history (a file or an in-memory array) is malformed: names the source and
 * the line (1-based; for in-memory histories the event's index + 1) and says
 * what was expected there.
 */
export class HistoryFormatError extends PakostiiError {
  /** The file name, or `history` for an in-memory history. */
  readonly source: string;
  /** 1-based line of the offending event (0 when the problem is the whole input). */
  readonly line: number;
  constructor(source: string, line: number, problem: string, options: { hint?: string; cause?: unknown } = {}) {
    super(line > 0 ? `${source}:${line}: ${problem}` : `${source}: ${problem}`, options);
    this.source = source;
    this.line = line;
  }
}
