import { describe, expect, it } from 'vitest';
import { SampleQueue } from './sample-queue.js';

async function drain<T>(q: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of q) out.push(v);
  return out;
}

describe('SampleQueue', () => {
  it('delivers everything pushed before close, in order, to a late reader', async () => {
    const q = new SampleQueue<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    q.close();
    const got = await drain(q);
    expect(got).toHaveLength(5000);
    expect(got.every((v, i) => v === i)).toBe(true);
  });

  it('wakes a waiting reader and ends on close', async () => {
    const q = new SampleQueue<string>();
    const reading = drain(q);
    q.push('a');
    await Promise.resolve();
    q.push('b');
    q.close();
    q.push('ignored');
    expect(await reading).toEqual(['a', 'b']);
  });

  it('can be iterated only once', () => {
    const q = new SampleQueue<number>();
    q[Symbol.asyncIterator]();
    expect(() => q[Symbol.asyncIterator]()).toThrow(/once/);
  });
});
