/**
 * Growable typed arrays and the scalar table: the storage of
 * {@link EventColumns}, where a history of millions of events lives in a few
 * flat arrays instead of tens of millions of small objects (which the garbage
 * collector would otherwise walk again and again).
 */

export class Int32Store {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(x: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = x;
  }
  /** Room for `n` elements in all. */
  grow(n: number): void {
    if (n <= this.data.length) return;
    const bigger = new Int32Array(Math.max(n, 16, this.data.length * 2));
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }
}

export class Float64Store {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  push(x: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(Math.max(16, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
}

export class Uint8Store {
  data: Uint8Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Uint8Array(capacity);
  }
  push(x: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint8Array(Math.max(16, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
}

export type Scalar = number | string;

/**
 * Scalars (keys and list elements) as int32 ids. The common case, an integer
 * in [0, 2^30), is its own id; anything else gets an id from 2^30 up. Two
 * scalars have the same id exactly when they are `===` (so `1` and `"1"`
 * differ, as they do in a checker's maps; -0 is 0, as it is there).
 */
export const DIRECT_SCALARS = 0x40000000;

export class ScalarTable {
  private readonly ids = new Map<Scalar, number>();
  private readonly values: Scalar[] = [];

  id(v: Scalar): number {
    if (typeof v === 'number' && v >= 0 && v < DIRECT_SCALARS && Number.isInteger(v)) return v;
    let id = this.ids.get(v);
    if (id === undefined) {
      id = DIRECT_SCALARS + this.values.length;
      this.ids.set(v, id);
      this.values.push(v);
    }
    return id;
  }

  value(id: number): Scalar {
    return id < DIRECT_SCALARS ? id : this.values[id - DIRECT_SCALARS]!;
  }
}

/** Strings (function names) as small ids. */
export class StringTable {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];

  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(s, id);
      this.values.push(s);
    }
    return id;
  }
}
