/** Several checkers over one history, as one checker: false if any says false, else unknown if any does. */
import type { CheckContext, CheckResult, Checker, History, Validity } from '../history/types.js';

export interface ComposedResult extends CheckResult {
  checkers: Record<string, CheckResult>;
}

export function compose(checkers: Record<string, Checker>): Checker {
  return {
    name: 'compose',
    async check(history: History, context?: CheckContext): Promise<ComposedResult> {
      const results: Record<string, CheckResult> = {};
      for (const [name, checker] of Object.entries(checkers)) {
        try {
          results[name] = await checker.check(history, context);
        } catch (error) {
          // A malformed history for one checker is that checker's unknown, not everyone's.
          results[name] = { valid: 'unknown', summary: `${name} could not check: ${(error as Error).message}` };
        }
      }
      const entries = Object.entries(results);
      const valid: Validity = entries.some(([, r]) => r.valid === false) ? false : entries.some(([, r]) => r.valid === 'unknown') ? 'unknown' : true;
      const pick = entries.find(([, r]) => r.valid === valid && valid !== true);
      const summary = pick === undefined ? `all ${entries.length} checkers valid` : `${pick[0]}: ${pick[1].summary}`;
      return { valid, summary, checkers: results };
    },
  };
}
