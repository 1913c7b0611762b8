/**
 * `--shard i/n`: one of n deterministic slices of a matrix's cells, so CI jobs on different
 * machines split a matrix without talking to each other. The cells are sorted by id (by UTF-16
 * code unit, never by locale, so every machine sorts alike) and dealt round-robin: the cell at
 * sorted position k (0-based) belongs to shard (k mod n) + 1. Dealing keeps the shards within one
 * cell of each other in size; the slices depend only on the set of ids, not on their order in the
 * matrix file. Adding a cell to the matrix may move others to another shard: every job of one CI
 * pipeline must run the same matrix (and the same --filter, which applies before sharding).
 * `shardSlice` records in the shard how many cells the whole (filtered) matrix had and a hash of
 * their ids, so `merge-reports` can tell a missing shard, or shards cut from different cell sets.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../common/errors.js';
import type { RunShard } from '../common/run-record.js';

const SHARD_PATTERN = /^(\d+)\/(\d+)$/;
const SHARD_HINT = 'write --shard INDEX/COUNT with whole numbers, 1 <= INDEX <= COUNT, e.g. --shard 2/3';

/** Parses `i/n` (1 <= i <= n, whole numbers); anything else is a UsageError that says why. */
export function parseShard(text: string): RunShard {
  const match = SHARD_PATTERN.exec(text.trim());
  if (!match) throw new UsageError(`invalid shard "${text}": expected INDEX/COUNT`, SHARD_HINT);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) {
    throw new UsageError(`invalid shard "${text}": the numbers are too large`, SHARD_HINT);
  }
  if (count < 1) throw new UsageError(`invalid shard "${text}": the count must be at least 1`, SHARD_HINT);
  if (index < 1 || index > count) {
    throw new UsageError(`invalid shard "${text}": the index must be between 1 and ${count}`, SHARD_HINT);
  }
  return { index, count };
}

export function formatShard(shard: RunShard): string {
  return `${shard.index}/${shard.count}`;
}

function byCodeUnit(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/**
 * sha256 (hex) of a set of cell ids: of the JSON list of the ids sorted by code unit, so the same
 * set gives the same hash on every machine whatever its order.
 */
export function cellIdsHash(ids: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([...ids].sort(byCodeUnit)))
    .digest('hex');
}

/**
 * The cells of one shard (as `shardCells`) and the shard to record in run.json: its index and
 * count, how many cells `cells` (the whole filtered matrix) has, and the hash of their ids.
 */
export function shardSlice<T extends { id: string }>(
  cells: readonly T[],
  shard: RunShard,
): { cells: T[]; shard: RunShard } {
  return {
    cells: shardCells(cells, shard),
    shard: {
      index: shard.index,
      count: shard.count,
      matrixCells: cells.length,
      matrixCellIdsHash: cellIdsHash(cells.map((c) => c.id)),
    },
  };
}

/** The cells of one shard, in their original order (the matrix's order). */
export function shardCells<T extends { id: string }>(cells: readonly T[], shard: RunShard): T[] {
  const sorted = cells.map((c) => c.id).sort(byCodeUnit);
  const mine = new Set(sorted.filter((_, k) => k % shard.count === shard.index - 1));
  return cells.filter((c) => mine.has(c.id));
}
