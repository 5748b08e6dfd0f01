/**
 * Consistency models and the anomalies each one proscribes (Adya's PL
 * levels as Elle and Jepsen name them). A history that shows an anomaly
 * violates every model that proscribes it and every stronger model; the
 * checker reports the weakest violated ones.
 */

/** Each model with the models it directly implies (is stronger than). */
const IMPLIES: Record<string, string[]> = {
  'strict-serializable': ['strong-session-serializable', 'strong-snapshot-isolation'],
  'strong-snapshot-isolation': ['strong-session-snapshot-isolation'],
  'strong-session-serializable': ['serializable', 'strong-session-snapshot-isolation'],
  'strong-session-snapshot-isolation': ['snapshot-isolation'],
  serializable: ['repeatable-read', 'snapshot-isolation'],
  'snapshot-isolation': ['read-committed'],
  'repeatable-read': ['read-committed'],
  'read-committed': ['read-uncommitted'],
  'read-uncommitted': [],
};

export const MODELS = Object.keys(IMPLIES);

/** The weakest models that proscribe each anomaly. */
export const PROSCRIBED_BY: Record<string, string[]> = {
  G0: ['read-uncommitted'],
  G1a: ['read-committed'],
  G1b: ['read-committed'],
  G1c: ['read-committed'],
  // Adya's G2-item is any cycle with an item anti-dependency, so G-single and G-nonadjacent are G2-item too.
  'G-single': ['snapshot-isolation', 'repeatable-read'],
  // Snapshot isolation allows a cycle only when two of its rw edges are adjacent (Cerone and Gotsman;
  // Elle's G-nonadjacent). All our edges are item edges, so this is Elle's G-nonadjacent-item: G2-item too.
  'G-nonadjacent': ['snapshot-isolation', 'repeatable-read'],
  'G2-item': ['repeatable-read'],
  'G0-process': ['strong-session-snapshot-isolation'],
  'G1c-process': ['strong-session-snapshot-isolation'],
  'G-single-process': ['strong-session-snapshot-isolation'],
  'G-nonadjacent-process': ['strong-session-snapshot-isolation'],
  'G2-item-process': ['strong-session-serializable'],
  'G0-realtime': ['strong-snapshot-isolation'],
  'G1c-realtime': ['strong-snapshot-isolation'],
  'G-single-realtime': ['strong-snapshot-isolation'],
  'G-nonadjacent-realtime': ['strong-snapshot-isolation'],
  'G2-item-realtime': ['strict-serializable'],
  'lost-append': ['strong-snapshot-isolation'],
  // A later read of a key in the same transaction shows others' commits (Elle reports this as internal).
  'nonrepeatable-read': ['snapshot-isolation', 'repeatable-read'],
  // Reads no database could produce under any model.
  internal: ['read-uncommitted'],
  'duplicate-elements': ['read-uncommitted'],
  'incompatible-order': ['read-uncommitted'],
  // rw-register: the known facts order a key's versions in a cycle (Elle: PL-1 needs a total version order).
  'cyclic-versions': ['read-uncommitted'],
  // rw-register: a read of a value no transaction wrote.
  'garbage-read': ['read-uncommitted'],
  'duplicate-appends': [],
  'duplicate-writes': [],
};

function stronger(model: string): string[] {
  return MODELS.filter((m) => IMPLIES[m]!.includes(model));
}

/** Every model violated by the anomalies: those proscribing one, and all stronger models. */
export function violatedModels(anomalies: readonly string[]): Set<string> {
  const violated = new Set<string>();
  const queue = anomalies.flatMap((a) => PROSCRIBED_BY[a] ?? []);
  while (queue.length > 0) {
    const m = queue.pop()!;
    if (violated.has(m)) continue;
    violated.add(m);
    queue.push(...stronger(m));
  }
  return violated;
}

/** The violated models none of whose weaker models is violated. */
export function weakestViolated(violated: ReadonlySet<string>): string[] {
  return MODELS.filter((m) => violated.has(m) && !IMPLIES[m]!.some((weaker) => violated.has(weaker)));
}

/** The anomalies a model proscribes (directly or through a weaker model it implies). */
export function anomaliesProscribedBy(model: string): string[] {
  return Object.keys(PROSCRIBED_BY).filter((a) => violatedModels([a]).has(model));
}
