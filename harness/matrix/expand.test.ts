import { describe, expect, it } from 'vitest';
import { resolveMatrix } from '../config/resolve-paths.js';
import { MatrixSchema } from '../config/schema.js';
import type { CatalogConfig, MatrixConfig } from '../config/types.js';
import {
  baseCellId,
  expandMatrix,
  flatAxes,
  formatPathValue,
  matchesCell,
  pathMatches,
  resolveInclude,
} from './expand.js';

/** A matrix from the short form a user writes, with the schema's defaults, its paths resolved. */
function matrix(fields: Record<string, unknown>, catalog?: CatalogConfig): MatrixConfig {
  const input = MatrixSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Matrix',
    name: 'm',
    scenario: 's.yaml',
    ...fields,
  });
  const resolved = resolveMatrix(input, catalog);
  if (resolved.problems.length > 0) throw new Error(JSON.stringify(resolved.problems));
  return resolved.matrix;
}

const CATALOG: CatalogConfig = {
  apiVersion: 'upgrade-harness/v1',
  kind: 'Catalog',
  name: 'gitlab',
  versions: ['17.1.8', '17.3.7', '17.5.5', '17.8.7', '17.11.6', '18.0.4', '18.1.3', '18.2.1'],
  requiredStops: ['17.3.7', '17.5.5', '17.8.7', '17.11.6'],
};

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

describe('paths with stops', () => {
  it('puts the stops in the key, the id (after the path) and the flat axes', () => {
    const cells = expandMatrix(
      matrix(
        {
          axes: {
            path: [
              { from: '17.3.7', to: '18.2.1', via: 'direct' },
              { from: '17.3.7', to: '18.2.1', via: 'required-stops' },
              '17.3.7 -> 17.8.7 -> 18.2.1',
            ],
          },
        },
        CATALOG,
      ),
    );
    expect(cells.map((c) => c.id)).toEqual([
      'local-local-rolling-17.3.7-to-18.2.1-on-failure-default',
      'local-local-rolling-17.3.7-to-18.2.1-via-17.5.5-17.8.7-17.11.6-on-failure-default',
      'local-local-rolling-17.3.7-to-18.2.1-via-17.8.7-on-failure-default',
    ]);
    expect(cells[0]?.path).toEqual({ from: '17.3.7', to: '18.2.1' });
    expect(cells[0]?.axes).not.toHaveProperty('via');
    expect(cells[1]?.path).toEqual({ from: '17.3.7', to: '18.2.1', via: ['17.5.5', '17.8.7', '17.11.6'] });
    expect(cells[1]?.axes.via).toBe('17.5.5,17.8.7,17.11.6');
    expect(formatPathValue(cells[2]!.path)).toBe('17.3.7 -> 17.8.7 -> 18.2.1');
  });

  it('keeps the ids of paths without stops as they were', () => {
    const cell = { ...resolveInclude(matrix({ axes: { path: ['1 -> 2'] } }), {}) };
    expect(baseCellId(cell)).toBe('local-local-rolling-1-to-2-on-failure-default');
    expect(baseCellId({ ...cell, path: { from: '1', to: '2', via: [] } })).toBe(baseCellId(cell));
  });

  it('excludes on from and to whatever the stops, or on the exact stops when the match gives them', () => {
    const axes = {
      path: [
        { from: '17.3.7', to: '18.2.1' },
        { from: '17.3.7', to: '18.2.1', via: ['17.8.7'] },
        { from: '17.3.7', to: '18.2.1', via: ['17.5.5', '17.8.7'] },
        '17.5.5 -> 18.2.1',
      ],
    };
    const ids = (exclude: unknown[]) =>
      expandMatrix(matrix({ axes, exclude })).map((c) => formatPathValue(c.path));
    expect(ids([{ path: { from: '17.3.7', to: '18.2.1' } }])).toEqual(['17.5.5 -> 18.2.1']);
    expect(ids([{ path: { from: '17.3.7', to: '18.2.1', via: ['17.8.7'] } }])).toEqual([
      '17.3.7 -> 18.2.1',
      '17.3.7 -> 17.5.5 -> 17.8.7 -> 18.2.1',
      '17.5.5 -> 18.2.1',
    ]);
    expect(ids([{ path: { from: '17.3.7', to: '18.2.1', via: 'direct' } }])).toEqual([
      '17.3.7 -> 17.8.7 -> 18.2.1',
      '17.3.7 -> 17.5.5 -> 17.8.7 -> 18.2.1',
      '17.5.5 -> 18.2.1',
    ]);
  });

  it('applies expect rules and includes with stops', () => {
    const cells = expandMatrix(
      matrix(
        {
          axes: { path: [{ from: '17.3.7', to: '18.2.1', via: 'direct' }] },
          include: [{ path: { from: 'n-3', to: 'latest', via: 'required-stops' } }],
          expect: [{ match: { path: { from: '17.11.6', to: '18.2.1' } }, status: 'failed' }],
        },
        CATALOG,
      ),
    );
    expect(cells.map((c) => [c.id, c.expect?.status])).toEqual([
      ['local-local-rolling-17.3.7-to-18.2.1-on-failure-default', undefined],
      ['local-local-rolling-17.11.6-to-18.2.1-on-failure-default', 'failed'],
    ]);
  });

  it('tells a match path apart by its stops only when it gives them', () => {
    const path = { from: 'a', to: 'c', via: ['b'] };
    expect(pathMatches({ from: 'a', to: 'c' }, path)).toBe(true);
    expect(pathMatches({ from: 'a', to: 'c', via: ['b'] }, path)).toBe(true);
    expect(pathMatches({ from: 'a', to: 'c', via: [] }, path)).toBe(false);
    expect(pathMatches({ from: 'a', to: 'c', via: [] }, { from: 'a', to: 'c' })).toBe(true);
    expect(pathMatches({ from: 'a', to: 'c', via: ['x'] }, path)).toBe(false);
  });
});

describe('methods that ignore the strategy', () => {
  const kube = (extra: Record<string, unknown> = {}) =>
    matrix({
      axes: {
        platform: ['local', 'kind'],
        method: ['local', 'postgres', 'helm'],
        strategy: ['recreate', 'rolling'],
        path: ['1 -> 2'],
      },
      ...extra,
    });

  it('get one cell per path, with the first strategy, and no strategy in the id or axes', () => {
    const cells = expandMatrix(kube());
    expect(cells.map((c) => c.id)).toEqual([
      'local-local-recreate-1-to-2-on-failure-default',
      'local-local-rolling-1-to-2-on-failure-default',
      'local-postgres-1-to-2-on-failure-default',
      'kind-helm-1-to-2-on-failure-default',
    ]);
    const helm = cells[3]!;
    expect(helm.strategy).toBe('recreate');
    expect(helm.axes).toEqual({
      platform: 'kind',
      method: 'helm',
      from: '1',
      to: '2',
      rollback: 'on-failure',
      profile: 'default',
    });
    expect(flatAxes(cells[0]!)).toHaveProperty('strategy', 'recreate');
  });

  it('fold an include that differs only by strategy into the existing cell', () => {
    const cells = expandMatrix(
      kube({ include: [{ method: 'helm', strategy: 'rolling', expect: { status: 'failed' } }] }),
    );
    expect(cells).toHaveLength(4);
    expect(cells[3]).toMatchObject({ id: 'kind-helm-1-to-2-on-failure-default', strategy: 'recreate' });
    expect(cells[3]?.expect).toEqual({ status: 'failed' });
  });

  it('are not matched by a rule that names a strategy', () => {
    const cells = expandMatrix(
      kube({
        exclude: [{ strategy: 'recreate' }],
        expect: [{ match: { strategy: 'rolling' }, status: 'failed' }],
      }),
    );
    expect(cells.map((c) => [c.id, c.expect?.status])).toEqual([
      ['local-local-rolling-1-to-2-on-failure-default', 'failed'],
      ['local-postgres-1-to-2-on-failure-default', undefined],
      ['kind-helm-1-to-2-on-failure-default', undefined],
    ]);
  });

  it('keep the strategy for exec, whose commands may use {{axes.strategy}}', () => {
    const cells = expandMatrix(
      matrix({
        axes: {
          platform: ['existing'],
          method: ['exec'],
          strategy: ['rolling', 'recreate'],
          path: ['1 -> 2'],
        },
      }),
    );
    expect(cells.map((c) => c.id)).toEqual([
      'existing-exec-rolling-1-to-2-on-failure-default',
      'existing-exec-recreate-1-to-2-on-failure-default',
    ]);
  });
});
