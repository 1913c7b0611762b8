import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/synthetic-samples.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { type HeapEntry, SampleHeap } from './sample-heap.js';

function entries(n: number, seed: number): HeapEntry[] {
  const r = seededRandom(seed);
  // Whole-number times give many ties on start and intended start; seq breaks them.
  return Array.from({ length: n }, (_v, seq) => {
    const startMs = Math.floor(r() * 50);
    return {
      startMs,
      intendedStartMs: startMs - Math.floor(r() * 3),
      endMs: startMs + r() * 9,
      seq,
      outcome: Math.floor(r() * 8),
    };
  });
}

const byKey = (a: HeapEntry, b: HeapEntry) =>
  a.startMs - b.startMs || a.intendedStartMs - b.intendedStartMs || a.seq - b.seq;

function drain(b: { pop(out: HeapEntry): boolean }): HeapEntry[] {
  const out: HeapEntry[] = [];
  for (;;) {
    const e: HeapEntry = { startMs: 0, intendedStartMs: 0, endMs: 0, seq: 0, outcome: 0 };
    if (!b.pop(e)) return out;
    out.push(e);
  }
}

describe('SampleHeap and ReorderBuffer', () => {
  it.each([1, 2, 3])('give entries back sorted by (start, intended, seq), seed %i', (seed) => {
    const list = entries(3000, seed);
    const heap = new SampleHeap();
    const buffer = new ReorderBuffer();
    for (const e of list) {
      heap.push(e);
      buffer.push(e);
    }
    expect(buffer.size).toBe(3000);
    const sorted = [...list].sort(byKey);
    expect(drain(heap)).toEqual(sorted);
    expect(drain(buffer)).toEqual(sorted);
    expect(buffer.peekStart()).toBe(Number.POSITIVE_INFINITY);
  });

  it('merges mostly ordered arrivals with stragglers while being drained below a moving watermark', () => {
    const r = seededRandom(9);
    const buffer = new ReorderBuffer();
    const released: HeapEntry[] = [];
    const all: HeapEntry[] = [];
    // Starts every 1 ms; most complete at once, every 7th 40 ms later (it arrives behind later ones).
    const pending: HeapEntry[] = [];
    for (let t = 0; t < 2000; t++) {
      const e = { startMs: t, intendedStartMs: t, endMs: t + (t % 7 === 0 ? 40 : r()), seq: t, outcome: 0 };
      all.push(e);
      pending.push(e);
      pending.sort((a, b) => a.endMs - b.endMs);
      while (pending[0] && pending[0].endMs <= t) buffer.push(pending.shift()!);
      // Everything that started 50 ms ago has arrived.
      while (buffer.peekStart() < t - 50) {
        const e2 = { startMs: 0, intendedStartMs: 0, endMs: 0, seq: 0, outcome: 0 };
        buffer.pop(e2);
        released.push(e2);
      }
      expect(buffer.size).toBeLessThanOrEqual(60);
    }
    for (const e of pending) buffer.push(e);
    released.push(...drain(buffer));
    expect(released).toEqual(all);
  });
});
