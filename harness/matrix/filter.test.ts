import { describe, expect, it } from 'vitest';
import { UsageError } from '../common/errors.js';
import { resolveMatrix } from '../config/resolve-paths.js';
import { MatrixSchema } from '../config/schema.js';
import { expandMatrix } from './expand.js';
import { filterCells } from './filter.js';

const cells = expandMatrix(
  resolveMatrix(
    MatrixSchema.parse({
      apiVersion: 'upgrade-harness/v1',
      kind: 'Matrix',
      name: 'm',
      scenario: 's.yaml',
      axes: {
        strategy: ['rolling', 'recreate'],
        path: ['1.0.0 -> 1.1.0', '1.1.0 -> 2.0.0'],
        custom: { db: ['pg16', 'pg17'] },
      },
    }),
  ).matrix,
);

const ids = (filters: string[]) => filterCells(cells, filters).map((c) => c.id);

describe('filterCells', () => {
  it('keeps every cell without filters', () => {
    expect(ids([])).toHaveLength(8);
  });

  it('matches key=value on built-in and custom axes', () => {
    expect(ids(['strategy=recreate'])).toHaveLength(4);
    expect(ids(['from=1.1.0', 'db=pg17'])).toEqual([
      'local-local-rolling-1.1.0-to-2.0.0-on-failure-default-pg17',
      'local-local-recreate-1.1.0-to-2.0.0-on-failure-default-pg17',
    ]);
  });

  it('accepts alternatives and wildcards in a value, and path=FROM->TO', () => {
    expect(ids(['strategy=rolling,recreate', 'db=pg1*'])).toHaveLength(8);
    expect(ids(['path=1.0.0 -> 1.1.0', 'strategy=rolling'])).toEqual([
      'local-local-rolling-1.0.0-to-1.1.0-on-failure-default-pg16',
      'local-local-rolling-1.0.0-to-1.1.0-on-failure-default-pg17',
    ]);
    expect(ids(['to=2.?.0'])).toHaveLength(4);
  });

  it('matches a piece of the id, or a glob over the whole id', () => {
    expect(ids(['recreate-1.0.0'])).toHaveLength(2);
    expect(ids(['*-pg16'])).toHaveLength(4);
    expect(ids(['pg16'])).toHaveLength(4);
    expect(ids(['local-*-recreate-*-to-2.0.0-*-pg17'])).toEqual([
      'local-local-recreate-1.1.0-to-2.0.0-on-failure-default-pg17',
    ]);
    expect(ids(['rolling', 'nothing-like-this'])).toEqual([]);
  });

  it('rejects an unknown axis key, naming the known ones', () => {
    expect(() => ids(['stratgy=rolling'])).toThrow(UsageError);
    try {
      ids(['stratgy=rolling']);
    } catch (err: unknown) {
      expect((err as UsageError).message).toBe('unknown axis "stratgy" in cell filter "stratgy=rolling"');
      expect((err as UsageError).hint).toContain(
        'db, from, id, method, path, platform, profile, rollback, strategy, to',
      );
    }
  });

  it('rejects empty filters and values', () => {
    expect(() => ids(['  '])).toThrow(UsageError);
    expect(() => ids(['strategy='])).toThrow(UsageError);
  });
});
