/**
 * The transactional checkers' anomalies on the page: each type with its
 * first example, a cycle drawn as a small static SVG graph (transactions on a
 * ring, each dependency an arrow labelled ww / wr / rw / process / realtime),
 * the explanation in words, and a button that highlights the example's
 * transactions in the lanes. Drawn here, not in the browser: the page shows
 * it before (or without) its script.
 */

/** An anomaly example as the checkers write it into results.json. */
interface Example {
  ops: number[];
  explanation: string;
  edges?: string[];
  partial?: boolean;
}

/** Longer cycles are listed in words only: a ring of more transactions is unreadable at this size. */
const MAX_DRAWN = 12;
const NODE_R = 19;
const EDGE_COLOURS: Record<string, string> = { ww: '#2563eb', wr: '#16a34a', rw: '#dc2626', process: '#6b7280', realtime: '#9333ea' };

/** The examples of a checker's result, by anomaly type, when it has any (list-append, rw-register). */
export function anomalyExamples(result: Record<string, unknown>): Array<[string, Example[]]> {
  const anomalies = result.anomalies;
  if (typeof anomalies !== 'object' || anomalies === null) return [];
  return Object.entries(anomalies as Record<string, unknown>)
    .filter((entry): entry is [string, Example[]] => Array.isArray(entry[1]) && entry[1].length > 0)
    .map(([type, list]) => [type, list.filter((x) => Array.isArray(x?.ops) && typeof x.explanation === 'string')] as [string, Example[]])
    .filter(([, list]) => list.length > 0);
}

/** The anomalies section of one checker's violation. */
export function anomaliesHtml(checker: string, result: Record<string, unknown>, esc: (s: string) => string): string {
  const examples = anomalyExamples(result);
  if (examples.length === 0) return '';
  const counts = (result.counts ?? {}) as Record<string, unknown>;
  return `<div class="anomalies" data-checker="${esc(checker)}">${examples
    .map(([type, list]) => {
      const x = list[0]!;
      const count = typeof counts[type] === 'number' ? ` <span class="muted">×${counts[type]}</span>` : '';
      const ops = x.ops.filter((n) => Number.isInteger(n));
      const id = `${checker}-${type}`.replace(/[^A-Za-z0-9-]/g, '_');
      return `<div class="anomaly" data-type="${esc(type)}">
<h4>${esc(type)}${count}</h4>
${x.edges && x.edges.length === ops.length && ops.length <= MAX_DRAWN ? cycleSvg(id, type, ops, x.edges, esc) : ''}
<p class="explanation">${esc(x.explanation)}</p>
${ops.length ? `<button type="button" class="show-ops" data-ops="${ops.join(',')}">Highlight ${ops.length === 1 ? 'this transaction' : `these ${ops.length} transactions`} in the lanes</button>` : ''}
</div>`;
    })
    .join('')}</div>`;
}

/** A cycle of transactions `ops[i] → ops[i+1]` (the last back to the first), edge `i` of type `edges[i]`; `id` keeps its marker ids unique in the page. */
export function cycleSvg(id: string, type: string, ops: readonly number[], edges: readonly string[], esc: (s: string) => string): string {
  const k = ops.length;
  const ring = k <= 2 ? 52 : Math.max(58, (k * (2 * NODE_R + 26)) / (2 * Math.PI));
  const size = 2 * (ring + NODE_R + 18);
  const c = size / 2;
  // Start at the top, clockwise.
  const at = (i: number): [number, number] => [c + ring * Math.sin((2 * Math.PI * i) / k), c - ring * Math.cos((2 * Math.PI * i) / k)];
  const arrows = edges.map((kind, i) => {
    const [x1, y1] = at(i);
    const [x2, y2] = at((i + 1) % k);
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len = Math.hypot(dx, dy);
    // Bend to the left of the direction of travel, so the two edges of a 2-cycle do not overlap.
    const bend = 0.18 * len + 6;
    const nx = dy / len;
    const ny = -dx / len;
    const cx = (x1 + x2) / 2 + nx * bend;
    const cy = (y1 + y2) / 2 + ny * bend;
    const trim = (x: number, y: number, towardX: number, towardY: number, by: number): [number, number] => {
      const d = Math.hypot(towardX - x, towardY - y);
      return [x + ((towardX - x) / d) * by, y + ((towardY - y) / d) * by];
    };
    const [sx, sy] = trim(x1, y1, cx, cy, NODE_R + 1);
    const [ex, ey] = trim(x2, y2, cx, cy, NODE_R + 5);
    const colour = EDGE_COLOURS[kind] ?? '#111827';
    const lx = (x1 + x2) / 4 + cx / 2;
    const ly = (y1 + y2) / 4 + cy / 2;
    return `<path class="dep ${esc(kind)}" d="M${f(sx)} ${f(sy)} Q${f(cx)} ${f(cy)} ${f(ex)} ${f(ey)}" stroke="${colour}" fill="none" stroke-width="1.8" marker-end="url(#${id}-${esc(kind)})"/>
<text class="dep-label" x="${f(lx)}" y="${f(ly)}" fill="${colour}" text-anchor="middle" dominant-baseline="middle">${esc(kind)}</text>`;
  });
  const nodes = ops.map((op, i) => {
    const [x, y] = at(i);
    return `<g class="txn" data-op="${op}"><title>transaction T${op} (click to show it in the lanes)</title><circle cx="${f(x)}" cy="${f(y)}" r="${NODE_R}"/><text x="${f(x)}" y="${f(y)}" text-anchor="middle" dominant-baseline="central">T${op}</text></g>`;
  });
  const markers = [...new Set(edges)]
    .map((kind) => `<marker id="${id}-${esc(kind)}" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="${EDGE_COLOURS[kind] ?? '#111827'}"/></marker>`)
    .join('');
  return `<figure class="cycle-graph"><svg width="${f(size)}" height="${f(size)}" viewBox="0 0 ${f(size)} ${f(size)}" role="img" aria-label="${esc(type)} cycle of ${k} transactions"><defs>${markers}</defs>${arrows.join('')}${nodes.join('')}</svg></figure>`;
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
