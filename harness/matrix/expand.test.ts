import { describe, expect, it } from 'vitest';
import { MatrixSchema } from '../config/schema.js';
import type { MatrixConfig } from '../config/types.js';
import { expandMatrix, matchesCell, resolveInclude } from './expand.js';

/** A matrix from the short form a user writes, with the schema's defaults. */
function matrix(fields: Record<string, unknown>): MatrixConfig {
  return MatrixSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Matrix',
    name: 'm',
    scenario: 's.yaml',
    ...fields,
  });
}

describe('expandMatrix', () => {
  it('takes the cartesian product in axis order, last axis fastest', () => {
    const cells = expandMatrix(
      matrix({
        axes: {
          strategy: ['rolling', 'recreate'],
          path: ['1 -> 2', '2 -> 3'],
          profile: ['default', 'heavy'],
        },
      }),
    );
    expect(cells.map((c) => c.id)).toEqual([
      'local-local-rolling-1-to-2-on-failure-default',
      'local-local-rolling-1-to-2-on-failure-heavy',
      'local-local-rolling-2-to-3-on-failure-default',
      'local-local-rolling-2-to-3-on-failure-heavy',
      'local-local-recreate-1-to-2-on-failure-default',
      'local-local-recreate-1-to-2-on-failure-heavy',
      'local-local-recreate-2-to-3-on-failure-default',
      'local-local-recreate-2-to-3-on-failure-heavy',
    ]);
  });

  it('builds the flat axes and appends custom axis values in sorted key order', () => {
    const cells = expandMatrix(
      matrix({ axes: { path: ['1 -> 2'], custom: { zone: ['a', 'b'], db: ['pg16'] } } }),
    );
    expect(cells.map((c) => c.id)).toEqual([
      'local-local-rolling-1-to-2-on-failure-default-pg16-a',
      'local-local-rolling-1-to-2-on-failure-default-pg16-b',
    ]);
    expect(cells[1]?.axes).toEqual({
      platform: 'local',
      method: 'local',
      strategy: 'rolling',
      from: '1',
      to: '2',
      rollback: 'on-failure',
      profile: 'default',
      db: 'pg16',
      zone: 'b',
    });
    expect(cells[1]?.custom).toEqual({ db: 'pg16', zone: 'b' });
  });

  it('gives the same axes the same id whatever the order of the axis values', () => {
    const a = expandMatrix(
      matrix({ axes: { path: ['1 -> 2', '2 -> 3'], custom: { x: ['p', 'q'], a: ['r'] } } }),
    );
    const b = expandMatrix(
      matrix({ axes: { path: ['2 -> 3', '1 -> 2'], custom: { a: ['r'], x: ['q', 'p'] } } }),
    );
    expect(new Set(b.map((c) => c.id))).toEqual(new Set(a.map((c) => c.id)));
    expect(a).toEqual(
      expandMatrix(matrix({ axes: { path: ['1 -> 2', '2 -> 3'], custom: { x: ['p', 'q'], a: ['r'] } } })),
    );
  });

  it('skips platform/method pairs that cannot work together', () => {
    const cells = expandMatrix(
      matrix({ axes: { platform: ['local', 'existing'], method: ['local', 'exec'], path: ['1 -> 2'] } }),
    );
    expect(cells.map((c) => `${c.platform}/${c.method}`)).toEqual(['local/local', 'existing/exec']);
  });

  it('removes cells matching an exclude on the fields it gives', () => {
    const cells = expandMatrix(
      matrix({
        axes: { strategy: ['rolling', 'recreate'], path: ['1 -> 2', '2 -> 3'], custom: { db: ['a', 'b'] } },
        exclude: [
          { strategy: 'recreate', path: '2 -> 3' },
          { custom: { db: 'b' }, strategy: 'rolling' },
        ],
      }),
    );
    expect(cells.map((c) => c.id)).toEqual([
      'local-local-rolling-1-to-2-on-failure-default-a',
      'local-local-rolling-2-to-3-on-failure-default-a',
      'local-local-recreate-1-to-2-on-failure-default-a',
      'local-local-recreate-1-to-2-on-failure-default-b',
    ]);
  });

  it('adds includes after the product, filling missing axes with first values', () => {
    const m = matrix({
      axes: { strategy: ['rolling', 'recreate'], path: ['1 -> 2'], custom: { db: ['a', 'b'] } },
      exclude: [{ strategy: 'recreate' }],
      include: [
        { strategy: 'blue-green', custom: { db: 'c' } },
        { strategy: 'recreate', rollback: 'always' },
      ],
    });
    const cells = expandMatrix(m);
    expect(cells.map((c) => c.id)).toEqual([
      'local-local-rolling-1-to-2-on-failure-default-a',
      'local-local-rolling-1-to-2-on-failure-default-b',
      'local-local-blue-green-1-to-2-on-failure-default-c',
      'local-local-recreate-1-to-2-always-default-a',
    ]);
  });

  it('attaches an include that equals an existing cell instead of duplicating it', () => {
    const cells = expandMatrix(
      matrix({
        axes: { path: ['1 -> 2', '2 -> 3'] },
        include: [
          { path: { from: '2', to: '3' }, expect: { status: 'failed', reason: 'downtime' } },
          { path: '2->3' },
        ],
      }),
    );
    expect(cells).toHaveLength(2);
    expect(cells[1]?.expect).toEqual({ status: 'failed', reason: 'downtime' });
    expect(cells[0]?.expect).toBeUndefined();
  });

  it('applies expect rules in order, later rules winning, after include expectations', () => {
    const cells = expandMatrix(
      matrix({
        axes: { strategy: ['rolling', 'recreate'], path: ['1 -> 2'] },
        include: [{ strategy: 'blue-green', expect: { status: 'errored' } }],
        expect: [
          { match: {}, status: 'passed' },
          { match: { strategy: 'recreate' }, status: 'failed', reason: 'downtime' },
        ],
      }),
    );
    expect(cells.map((c) => [c.strategy, c.expect])).toEqual([
      ['rolling', { status: 'passed' }],
      ['recreate', { status: 'failed', reason: 'downtime' }],
      ['blue-green', { status: 'passed' }],
    ]);
  });

  it('never gives two cells the same id, even when values with "-" spell the same id', () => {
    const cells = expandMatrix(
      matrix({ axes: { path: ['1 -> 2'], profile: ['x', 'x-y'], custom: { k: ['y-z', 'z'] } } }),
    );
    const ids = cells.map((c) => c.id);
    expect(new Set(ids).size).toBe(cells.length);
    expect(ids).toContain('local-local-rolling-1-to-2-on-failure-x-z');
    const clashing = ids.filter((id) => id.startsWith('local-local-rolling-1-to-2-on-failure-x-y-z-'));
    expect(clashing).toHaveLength(2);
    expect(clashing.every((id) => /-[0-9a-f]{8}$/.test(id))).toBe(true);
  });

  it('does not repeat cells when an axis lists a value twice', () => {
    const cells = expandMatrix(matrix({ axes: { path: ['1 -> 2', '1 -> 2'] } }));
    expect(cells).toHaveLength(1);
  });

  it('returns cells that do not share objects with the matrix', () => {
    const m = matrix({ axes: { path: ['1 -> 2'] } });
    const [cell] = expandMatrix(m);
    cell!.path.from = 'changed';
    expect(m.axes.path[0]?.from).toBe('1');
  });
});

describe('resolveInclude', () => {
  it('picks a method that works with the given platform', () => {
    const m = matrix({
      axes: { platform: ['local', 'existing'], method: ['local', 'exec'], path: ['1 -> 2'] },
    });
    expect(resolveInclude(m, { platform: 'existing' })).toMatchObject({
      platform: 'existing',
      method: 'exec',
    });
    expect(resolveInclude(m, { method: 'exec' })).toMatchObject({ platform: 'existing', method: 'exec' });
    expect(resolveInclude(m, {})).toMatchObject({ platform: 'local', method: 'local' });
  });
});

describe('matchesCell', () => {
  const cell = resolveInclude(matrix({ axes: { path: ['1 -> 2'], custom: { db: ['a'] } } }), {});
  it('matches on every given field only', () => {
    expect(matchesCell({}, cell)).toBe(true);
    expect(matchesCell({ path: { from: '1', to: '2' }, custom: { db: 'a' } }, cell)).toBe(true);
    expect(matchesCell({ path: { from: '1', to: '3' } }, cell)).toBe(false);
    expect(matchesCell({ custom: { db: 'b' } }, cell)).toBe(false);
    expect(matchesCell({ strategy: 'recreate' }, cell)).toBe(false);
  });
});
