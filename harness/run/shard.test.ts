import { describe, expect, it } from 'vitest';
import { UsageError } from '../common/errors.js';
import { cellIdsHash, formatShard, parseShard, shardCells, shardSlice } from './shard.js';

const cells = (ids: string[]) => ids.map((id) => ({ id }));
const ids = (list: Array<{ id: string }>) => list.map((c) => c.id);

/** Ids like a real matrix's, in matrix (not sorted) order. */
const MATRIX = cells([
  'local-local-rolling-1.0.0-to-1.1.0-always-default',
  'local-local-recreate-1.0.0-to-1.1.0-always-default',
  'local-local-rolling-1.1.0-to-2.0.0-never-default',
  'local-local-rolling-1.1.0-to-2.0.1-on-failure-default',
  'existing-exec-rolling-1.0.0-to-2.0.0-never-default',
  'existing-exec-rolling-1.0.0-to-3.0.0-never-default',
  'Zeta-upper-case-sorts-before-lower',
]);

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['2/3', { index: 2, count: 3 }],
    ['3/3', { index: 3, count: 3 }],
    [' 10/12 ', { index: 10, count: 12 }],
  ])('%s', (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
    expect(formatShard(parseShard(text))).toBe(text.trim());
  });

  it.each([
    ['0/3', 'between 1 and 3'],
    ['4/3', 'between 1 and 3'],
    ['1/0', 'at least 1'],
    ['0/0', 'at least 1'],
    ['-1/3', 'INDEX/COUNT'],
    ['1.5/3', 'INDEX/COUNT'],
    ['1/3.0', 'INDEX/COUNT'],
    ['2', 'INDEX/COUNT'],
    ['a/b', 'INDEX/COUNT'],
    ['1/2/3', 'INDEX/COUNT'],
    ['', 'INDEX/COUNT'],
    ['99999999999999999999/99999999999999999999', 'too large'],
  ])('rejects %j', (text, why) => {
    expect(() => parseShard(text)).toThrow(UsageError);
    expect(() => parseShard(text)).toThrow(why);
  });
});

describe('shardCells', () => {
  it('puts every cell in exactly one shard, for every shard count', () => {
    for (let n = 1; n <= MATRIX.length + 2; n += 1) {
      const seen = new Map<string, number>();
      const sizes: number[] = [];
      for (let i = 1; i <= n; i += 1) {
        const slice = shardCells(MATRIX, { index: i, count: n });
        sizes.push(slice.length);
        for (const c of slice) {
          expect(seen.has(c.id), `${c.id} in shards ${seen.get(c.id)} and ${i} of ${n}`).toBe(false);
          seen.set(c.id, i);
        }
      }
      expect([...seen.keys()].sort()).toEqual(ids(MATRIX).sort());
      // dealt round-robin: sizes differ by at most one
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('with one shard is every cell, in the matrix order', () => {
    expect(shardCells(MATRIX, { index: 1, count: 1 })).toEqual(MATRIX);
  });

  it('deals the cells sorted by id (code units, not locale), and keeps the matrix order within a shard', () => {
    const sorted = ids(MATRIX).sort();
    expect(sorted[0]).toBe('Zeta-upper-case-sorts-before-lower');
    const second = shardCells(MATRIX, { index: 2, count: 3 });
    expect(new Set(ids(second))).toEqual(new Set([sorted[1], sorted[4]]));
    const order = ids(MATRIX);
    expect(ids(second)).toEqual([...ids(second)].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  });

  it('depends on the set of ids only, not on their order', () => {
    const reversed = [...MATRIX].reverse();
    for (let i = 1; i <= 3; i += 1) {
      const a = ids(shardCells(MATRIX, { index: i, count: 3 })).sort();
      const b = ids(shardCells(reversed, { index: i, count: 3 })).sort();
      expect(b).toEqual(a);
    }
  });

  it('gives an empty slice when there are more shards than cells', () => {
    const two = cells(['b', 'a']);
    expect(ids(shardCells(two, { index: 1, count: 3 }))).toEqual(['a']);
    expect(ids(shardCells(two, { index: 2, count: 3 }))).toEqual(['b']);
    expect(shardCells(two, { index: 3, count: 3 })).toEqual([]);
  });
});

describe('shardSlice', () => {
  it('records how many cells the whole (filtered) matrix had and a hash of their ids', () => {
    const slice = shardSlice(MATRIX, { index: 2, count: 3 });
    expect(slice.cells).toEqual(shardCells(MATRIX, { index: 2, count: 3 }));
    expect(slice.shard).toEqual({
      index: 2,
      count: 3,
      matrixCells: MATRIX.length,
      matrixCellIdsHash: cellIdsHash(ids(MATRIX)),
    });
    expect(slice.shard.matrixCellIdsHash).toMatch(/^[0-9a-f]{64}$/);
    // every shard of one matrix records the same cell set
    const third = shardSlice([...MATRIX].reverse(), { index: 3, count: 3 }).shard;
    expect(third.matrixCellIdsHash).toBe(slice.shard.matrixCellIdsHash);
  });

  it('hashes the set of ids, not their order, and tells other sets apart', () => {
    expect(cellIdsHash(['b', 'a'])).toBe(cellIdsHash(['a', 'b']));
    expect(cellIdsHash(['a', 'b'])).not.toBe(cellIdsHash(['a']));
    expect(cellIdsHash(['a', 'b'])).not.toBe(cellIdsHash(['a', 'c']));
    // no separator trick makes two sets one
    expect(cellIdsHash(['a\nb'])).not.toBe(cellIdsHash(['a', 'b']));
    expect(cellIdsHash([])).toMatch(/^[0-9a-f]{64}$/);
  });
});
