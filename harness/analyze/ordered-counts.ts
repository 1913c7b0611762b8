/**
 * Counts per key that remember the earliest time each key was seen, so folded results can list
 * keys in the order a pass over the samples sorted by start would have met them (the order the
 * array-based analysis produced its records in).
 */
export class OrderedCounts<K> {
  readonly #entries = new Map<K, { n: number; first: number }>();

  bump(key: K, at: number, by = 1): void {
    const e = this.#entries.get(key);
    if (e) {
      e.n += by;
      if (at < e.first) e.first = at;
    } else {
      this.#entries.set(key, { n: by, first: at });
    }
  }

  get(key: K): number {
    return this.#entries.get(key)?.n ?? 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Sum of all counts. */
  total(): number {
    let sum = 0;
    for (const e of this.#entries.values()) sum += e.n;
    return sum;
  }

  /** Adds every count of `other` (and its first times) into this one. */
  addAll(other: OrderedCounts<K>): void {
    for (const [k, e] of other.#entries) this.bump(k, e.first, e.n);
  }

  /** [key, count, first] with count > 0, earliest first (ties keep insertion order). */
  entries(): Array<[K, number, number]> {
    return [...this.#entries]
      .filter(([, e]) => e.n > 0)
      .map(([k, e]): [K, number, number] => [k, e.n, e.first])
      .sort((a, b) => a[2] - b[2]);
  }

  /** A plain record, keys named by `name`, in first-seen order; keys that map to one name are summed. */
  toRecord(name: (key: K) => string = String): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, n] of this.entries()) {
      const key = name(k);
      out[key] = (out[key] ?? 0) + n;
    }
    return out;
  }
}
