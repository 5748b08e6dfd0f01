/**
 * What a run created, as a stack of undo steps: each resource pushes its own
 * undo right before it is created (so a half-created resource is undone too),
 * and teardown unwinds the stack, last created first. Every step runs whatever
 * the others did; their errors are collected, not thrown.
 */

/** An undo step; it may return errors it collected itself instead of throwing the first. */
export type Undo = () => Promise<void | readonly unknown[]> | void;

export class TeardownStack {
  readonly #steps: Array<{ readonly what: string; readonly undo: Undo }> = [];

  /** Register the undo of something about to be created. */
  push(what: string, undo: Undo): void {
    this.#steps.push({ what, undo });
  }

  /** What is registered, last created first (for logs and tests). */
  get pending(): string[] {
    return this.#steps.map((s) => s.what).reverse();
  }

  /** Run every undo, last pushed first, each once; resolves with every error. */
  async unwind(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
      try {
        const collected = await step.undo();
        if (collected) errors.push(...collected);
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }
}
