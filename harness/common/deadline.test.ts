import { describe, expect, it } from 'vitest';
import { rejectAfter, untilAborted, valueWithin } from './deadline.js';
import { AbortedError } from './errors.js';

const never = new Promise<never>(() => undefined);
const later = <T>(value: T, ms: number) => new Promise<T>((done) => setTimeout(() => done(value), ms));

describe('deadline races', () => {
  it('untilAborted: the value, or the abort error once the signal aborts', async () => {
    expect(await untilAborted(Promise.resolve(1), new AbortController().signal)).toBe(1);
    const ac = new AbortController();
    const raced = untilAborted(never, ac.signal);
    ac.abort();
    await expect(raced).rejects.toBeInstanceOf(AbortedError);
    await expect(untilAborted(never, AbortSignal.abort(), () => new Error('timed out'))).rejects.toThrow(
      'timed out',
    );
    await expect(untilAborted(Promise.reject(new Error('no')), new AbortController().signal)).rejects.toThrow(
      'no',
    );
  });

  it('rejectAfter: the value in time, else the given error; a late rejection is not unhandled', async () => {
    expect(await rejectAfter(later('ok', 5), 1000, () => new Error('late'))).toBe('ok');
    await expect(rejectAfter(never, 20, () => new Error('late'))).rejects.toThrow('late');
    const rejectsLater = new Promise((_, reject) => setTimeout(() => reject(new Error('after')), 40));
    await expect(rejectAfter(rejectsLater, 10, () => new Error('late'))).rejects.toThrow('late');
    await later(undefined, 60);
  });

  it('valueWithin: the value in time, else undefined', async () => {
    expect(await valueWithin(later(3, 5), 1000)).toBe(3);
    expect(await valueWithin(never, 20)).toBeUndefined();
    await expect(valueWithin(Promise.reject(new Error('no')), 1000)).rejects.toThrow('no');
  });
});
