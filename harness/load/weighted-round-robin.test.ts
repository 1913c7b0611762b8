import { describe, expect, it } from 'vitest';
import { SmoothWeightedRoundRobin } from './weighted-round-robin.js';

describe('SmoothWeightedRoundRobin', () => {
  it('spreads picks by weight, interleaved, deterministically', () => {
    const rr = new SmoothWeightedRoundRobin([
      { item: 'a', weight: 5 },
      { item: 'b', weight: 1 },
      { item: 'c', weight: 1 },
    ]);
    const seq = Array.from({ length: 14 }, () => rr.next());
    expect(seq.slice(0, 7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    expect(seq.slice(7)).toEqual(seq.slice(0, 7));
  });

  it('honours fractional weights over a long run', () => {
    const rr = new SmoothWeightedRoundRobin([
      { item: 'x', weight: 0.25 },
      { item: 'y', weight: 0.75 },
    ]);
    const counts = { x: 0, y: 0 };
    for (let i = 0; i < 400; i++) counts[rr.next() as 'x' | 'y']++;
    expect(counts).toEqual({ x: 100, y: 300 });
  });

  it('rejects empty lists and non-positive weights', () => {
    expect(() => new SmoothWeightedRoundRobin([])).toThrow();
    expect(() => new SmoothWeightedRoundRobin([{ item: 'a', weight: 0 }])).toThrow(/positive/);
  });
});
