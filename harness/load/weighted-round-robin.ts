/**
 * Smooth weighted round-robin (as nginx does): deterministic, and spreads each item's share
 * evenly over the sequence instead of in runs (weights 5:1:1 give a a b a c a a, not a a a a a b c).
 */
export class SmoothWeightedRoundRobin<T> {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly items: ReadonlyArray<{ item: T; weight: number }>) {
    if (items.length === 0) throw new Error('weighted round-robin needs at least one item');
    for (const { weight } of items) {
      if (!(weight > 0) || !Number.isFinite(weight))
        throw new Error(`weight must be a positive number, got ${weight}`);
    }
    this.current = items.map(() => 0);
    this.total = items.reduce((sum, i) => sum + i.weight, 0);
  }

  next(): T {
    let best = 0;
    for (let i = 0; i < this.items.length; i++) {
      this.current[i] = (this.current[i] ?? 0) + (this.items[i]?.weight ?? 0);
      if ((this.current[i] ?? 0) > (this.current[best] ?? 0)) best = i;
    }
    this.current[best] = (this.current[best] ?? 0) - this.total;
    return (this.items[best] as { item: T }).item;
  }
}
