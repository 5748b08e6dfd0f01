/**
 * Pure classification of the atomicity probe's packets against the apply/heal
 * timeline (all times are CLOCK_MONOTONIC nanoseconds). A packet counts for a
 * window only if its whole send interval [before, after] lies inside it:
 *   cut window  i = (applied[i], healCalled[i])     — must never arrive
 *   open window i = (healed[i], applyCalled[i + 1]) — must always arrive
 * (the last open window ends at `end`). Everything else — packets sent while
 * apply() or heal() was running, or straddling a boundary — is "ambiguous" and
 * judged by neither rule.
 */

export interface Timeline {
  applyCalled: BigInt64Array;
  applied: BigInt64Array;
  healCalled: BigInt64Array;
  healed: BigInt64Array;
  /** When the harness stopped toggling (the policy stays healed after). */
  end: bigint;
}

export interface SentPacket {
  seq: number;
  before: bigint;
  after: bigint;
}

export interface Classification {
  in_cut_windows: number;
  in_open_windows: number;
  ambiguous: number;
  before_first_apply: number;
  /** Sent inside a cut window and received. Must be 0. */
  leaked_after_apply: number;
  /** Of those, received before heal() was even called (cannot be in-flight reordering). */
  leaked_confirmed: number;
  /** Sent inside an open window and never received. Must be 0. */
  dropped_after_heal: number;
}

/** Largest i with values[i] <= t, or -1. */
function lastAtOrBefore(values: BigInt64Array, t: bigint): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * `arrival(seq)` gives the receive time of a packet, or undefined when it never arrived.
 */
export function classify(timeline: Timeline, sent: readonly SentPacket[], arrival: (seq: number) => bigint | undefined): Classification {
  const c: Classification = {
    in_cut_windows: 0,
    in_open_windows: 0,
    ambiguous: 0,
    before_first_apply: 0,
    leaked_after_apply: 0,
    leaked_confirmed: 0,
    dropped_after_heal: 0,
  };
  const cycles = timeline.applyCalled.length;
  for (const packet of sent) {
    if (packet.after >= timeline.end) continue; // after the harness stopped: not judged
    const i = lastAtOrBefore(timeline.applyCalled, packet.before);
    if (i < 0) {
      c.before_first_apply++;
      continue;
    }
    const received = arrival(packet.seq);
    const openEnd = i + 1 < cycles ? timeline.applyCalled[i + 1]! : timeline.end;
    if (packet.before > timeline.applied[i]! && packet.after < timeline.healCalled[i]!) {
      c.in_cut_windows++;
      if (received !== undefined) {
        c.leaked_after_apply++;
        if (received < timeline.healCalled[i]!) c.leaked_confirmed++;
      }
    } else if (packet.before > timeline.healed[i]! && packet.after < openEnd) {
      c.in_open_windows++;
      if (received === undefined) c.dropped_after_heal++;
    } else {
      c.ambiguous++;
    }
  }
  return c;
}
