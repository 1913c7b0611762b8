import { describe, expect, it } from 'vitest';
import { slope } from './measure.js';

describe('slope', () => {
  it('is the least-squares slope, 0 for fewer than two points or a vertical spread', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2);
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 0 },
        { x: 2, y: 1 },
      ]),
    ).toBeCloseTo(0);
    expect(slope([{ x: 1, y: 5 }])).toBe(0);
    expect(
      slope([
        { x: 1, y: 5 },
        { x: 1, y: 7 },
      ]),
    ).toBe(0);
  });
});
