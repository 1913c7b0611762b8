import { describe, expect, it } from 'vitest';
import { hopDetail, hopFailure, hopName, hopsOf } from './hops.js';

describe('hopsOf', () => {
  it('walks from through every stop to to', () => {
    const hops = hopsOf({ from: '17.3.0', via: ['17.5.5', '17.8.7'], to: '18.2.1' });
    expect(hops.map(hopDetail)).toEqual(['17.3.0 → 17.5.5', '17.5.5 → 17.8.7', '17.8.7 → 18.2.1']);
    expect(hops.map(hopName)).toEqual([
      'hop 1/3 17.3.0 → 17.5.5',
      'hop 2/3 17.5.5 → 17.8.7',
      'hop 3/3 17.8.7 → 18.2.1',
    ]);
    expect(hopFailure(hops[1]!, 'never ready')).toBe('hop 2/3 17.5.5 → 17.8.7: never ready');
  });

  it('is one hop without stops, and its failure is the message alone', () => {
    for (const path of [
      { from: '1', to: '2' },
      { from: '1', to: '2', via: [] },
    ]) {
      const hops = hopsOf(path);
      expect(hops).toEqual([{ index: 1, count: 1, from: '1', to: '2' }]);
      expect(hopFailure(hops[0]!, 'never ready')).toBe('never ready');
    }
  });
});
