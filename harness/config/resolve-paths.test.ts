import { describe, expect, it } from 'vitest';
import { resolveMatrix, resolvePath } from './resolve-paths.js';
import { MatrixSchema } from './schema.js';
import { pathSchema } from './schema-parts.js';
import type { CatalogConfig, PathInput } from './types.js';

const CATALOG: CatalogConfig = {
  apiVersion: 'upgrade-harness/v1',
  kind: 'Catalog',
  name: 'gitlab',
  versions: ['17.1.8', '17.3.7', '17.5.5', '17.8.7', '17.11.6', '18.0.4', '18.1.3', '18.2.1'],
  requiredStops: ['17.3.7', '17.5.5', '17.8.7', '17.11.6'],
};

const AT = ['axes', 'path', 0];

function resolved(path: PathInput, catalog: CatalogConfig | undefined = CATALOG) {
  const result = resolvePath(path, AT, catalog);
  expect(result.problems).toEqual([]);
  return result.path;
}

function problems(path: PathInput, catalog?: CatalogConfig) {
  const result = resolvePath(path, AT, catalog);
  expect(result.path).toBeUndefined();
  return result.problems.map((p) => [p.path.join('.'), p.message]);
}

describe('pathSchema (as written)', () => {
  it('reads a chain of versions as stops', () => {
    expect(pathSchema.parse('17.3.7 -> 17.5.5 -> 17.8.7->18.2.1')).toEqual({
      from: '17.3.7',
      to: '18.2.1',
      via: ['17.5.5', '17.8.7'],
    });
    expect(pathSchema.parse('1.0.0-rc.1->1.0.0')).toEqual({ from: '1.0.0-rc.1', to: '1.0.0' });
    expect(pathSchema.parse({ from: 'n-2', to: 'latest', via: 'required-stops' })).toEqual({
      from: 'n-2',
      to: 'latest',
      via: 'required-stops',
    });
    expect(pathSchema.safeParse('1.0.0 -> -> 2.0.0').success).toBe(false);
  });

  it('names the via forms and a near miss', () => {
    const result = pathSchema.safeParse({ from: '1', to: '2', via: 'required-stop' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(
      'expected via: required-stops, direct, or a list of versions, got \\"required-stop\\" (did you mean \\"required-stops\\"?)',
    );
    const empty = pathSchema.safeParse({ from: '1', to: '2', via: [] });
    expect(JSON.stringify(empty.error?.issues)).toContain('use via: direct for no stops');
  });
});

describe('resolvePath', () => {
  it('keeps a path of versions as one hop', () => {
    expect(resolvePath({ from: '17.3.7', to: '18.2.1' }, AT, undefined).path).toEqual({
      from: '17.3.7',
      to: '18.2.1',
    });
    expect(resolved({ from: '17.3.7', to: '18.2.1', via: 'direct' })).toEqual({
      from: '17.3.7',
      to: '18.2.1',
    });
  });

  it("takes the catalog's required stops strictly between from and to, in catalog order", () => {
    expect(resolved({ from: '17.3.7', to: '18.2.1', via: 'required-stops' })).toEqual({
      from: '17.3.7',
      to: '18.2.1',
      via: ['17.5.5', '17.8.7', '17.11.6'],
    });
    expect(resolved({ from: '17.1.8', to: '17.8.7', via: 'required-stops' })).toEqual({
      from: '17.1.8',
      to: '17.8.7',
      via: ['17.3.7', '17.5.5'],
    });
    // No required stop in between: one hop.
    expect(resolved({ from: '18.0.4', to: '18.2.1', via: 'required-stops' })).toEqual({
      from: '18.0.4',
      to: '18.2.1',
    });
  });

  it('keeps explicit stops as listed', () => {
    expect(resolved({ from: '17.3.7', to: '18.2.1', via: ['17.5.5', '17.8.7'] })).toEqual({
      from: '17.3.7',
      to: '18.2.1',
      via: ['17.5.5', '17.8.7'],
    });
  });

  it('counts n-K back from to and reads latest as the last version', () => {
    expect(resolved({ from: 'n-1', to: 'latest' })).toEqual({ from: '18.1.3', to: '18.2.1' });
    expect(resolved({ from: 'n-3', to: '18.0.4', via: 'direct' })).toEqual({ from: '17.5.5', to: '18.0.4' });
    expect(resolved({ from: 'n-7', to: 'latest', via: 'required-stops' })).toEqual({
      from: '17.1.8',
      to: '18.2.1',
      via: ['17.3.7', '17.5.5', '17.8.7', '17.11.6'],
    });
  });

  it('says n-K, latest and required-stops need a catalog', () => {
    expect(problems({ from: 'n-2', to: '18.2.1' })).toEqual([
      [
        'axes.path.0.from',
        "from: n-2 is the version 2 place(s) before to in a catalog's versions, but the matrix names no catalog; add catalog: <file> (a Catalog file of versions and requiredStops) to the matrix, or write the version",
      ],
    ]);
    expect(problems({ from: '17.3.7', to: 'latest', via: 'required-stops' })).toEqual([
      [
        'axes.path.0.to',
        expect.stringContaining("to: latest is a catalog's last version, but the matrix names no catalog"),
      ],
      [
        'axes.path.0.via',
        expect.stringMatching(
          /^via: required-stops takes .* names no catalog; .* or list the stops: via: \[STOP, \.\.\.\]$/,
        ),
      ],
    ]);
  });

  it('says how many versions the catalog has when n-K goes past its start', () => {
    expect(problems({ from: 'n-4', to: '17.8.7' }, CATALOG)).toEqual([
      [
        'axes.path.0.from',
        'from: n-4 is 4 version(s) before 17.8.7, but catalog gitlab has only 3 before it (8 version(s): 17.1.8, 17.3.7, 17.5.5, 17.8.7, 17.11.6, 18.0.4, 18.1.3, 18.2.1)',
      ],
    ]);
  });

  it('needs to in the catalog to count back from it, and from and to for required stops', () => {
    expect(problems({ from: 'n-1', to: '19.0.0' }, CATALOG)).toEqual([
      [
        'axes.path.0.from',
        expect.stringContaining(
          "counts back from 19.0.0 in catalog gitlab's versions, but 19.0.0 is not one of them",
        ),
      ],
    ]);
    expect(problems({ from: '16.0.0', to: '19.0.0', via: 'required-stops' }, CATALOG)).toEqual([
      [
        'axes.path.0.via',
        expect.stringContaining("needs from and to in catalog gitlab's versions; 16.0.0 and 19.0.0 are not"),
      ],
    ]);
  });

  it('only lets from count back, and not by 0', () => {
    expect(problems({ from: '17.3.7', to: 'n-1' }, CATALOG)).toEqual([
      [
        'axes.path.0.to',
        'n-1 counts back from to, so only from can be n-1; write a version (or latest) here',
      ],
    ]);
    expect(problems({ from: 'n-0', to: 'latest' }, CATALOG)).toEqual([
      ['axes.path.0.from', 'from: n-0 would be to itself; write n-1 (the version before to) or more'],
    ]);
  });
});

describe('resolveMatrix', () => {
  const input = MatrixSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Matrix',
    name: 'm',
    scenario: 's.yaml',
    axes: {
      path: [
        { from: 'n-1', to: 'latest' },
        { from: '17.3.7', to: '18.2.1', via: 'direct' },
      ],
    },
    include: [{ path: { from: '17.5.5', to: '18.0.4', via: 'direct' } }],
    exclude: [{ path: { from: '17.3.7', to: '18.2.1', via: 'direct' } }, { path: '17.3.7 -> 18.2.1' }],
    expect: [{ match: { path: { from: '17.3.7', to: '18.2.1', via: 'required-stops' } }, status: 'failed' }],
  });

  it('resolves the paths of axes, include, exclude and expect', () => {
    const { matrix, problems: found, unresolved } = resolveMatrix(input, CATALOG);
    expect(found).toEqual([]);
    expect(unresolved).toEqual([]);
    expect(matrix.axes.path).toEqual([
      { from: '18.1.3', to: '18.2.1' },
      { from: '17.3.7', to: '18.2.1' },
    ]);
    // A cell's `direct` path has no via; a match's asks for no stops ([]); without via it fits any.
    expect(matrix.include[0]?.path).toEqual({ from: '17.5.5', to: '18.0.4' });
    expect(matrix.exclude.map((e) => e.path)).toEqual([
      { from: '17.3.7', to: '18.2.1', via: [] },
      { from: '17.3.7', to: '18.2.1' },
    ]);
    expect(matrix.expect[0]?.match.path).toEqual({
      from: '17.3.7',
      to: '18.2.1',
      via: ['17.5.5', '17.8.7', '17.11.6'],
    });
    expect(input.axes.path[0]).toEqual({ from: 'n-1', to: 'latest' });
  });

  it('lists the paths it cannot resolve and keeps them as written', () => {
    const { matrix, problems: found, unresolved } = resolveMatrix(input);
    expect(found.map((p) => p.path.join('.'))).toEqual([
      'axes.path.0.to',
      'axes.path.0.from',
      'expect.0.match.path.via',
    ]);
    expect(unresolved).toEqual([
      ['axes', 'path', 0],
      ['expect', 0, 'match', 'path'],
    ]);
    expect(matrix.axes.path[0]).toEqual({ from: 'n-1', to: 'latest' });
  });
});

describe('a match whose required stops are none', () => {
  it('asks for no stops (via: []), so it does not match a cell with explicit stops', () => {
    // 18.0.4 → 18.2.1 has no required stop between: the match means "that path, direct".
    const match = resolvePath({ from: '18.0.4', to: '18.2.1', via: 'required-stops' }, AT, CATALOG, 'match');
    expect(match.path).toEqual({ from: '18.0.4', to: '18.2.1', via: [] });
    // As a cell's path, no stops is no via.
    const cell = resolvePath({ from: '18.0.4', to: '18.2.1', via: 'required-stops' }, AT, CATALOG, 'cell');
    expect(cell.path).toEqual({ from: '18.0.4', to: '18.2.1' });
  });
});

describe('a cell path that skips required stops', () => {
  it('is an error when it says nothing about stops; via: direct skips them on purpose', () => {
    expect(problems({ from: '17.3.7', to: '18.2.1' }, CATALOG)).toEqual([
      [
        'axes.path.0',
        '17.3.7 → 18.2.1 skips the required upgrade stops 17.5.5, 17.8.7, 17.11.6 of catalog gitlab; write via: required-stops (or list them in via), or via: direct to skip them on purpose',
      ],
    ]);
    expect(resolved({ from: '17.3.7', to: '18.2.1', via: 'direct' })).toEqual({
      from: '17.3.7',
      to: '18.2.1',
    });
    // Nothing required between: fine without via.
    expect(resolved({ from: '18.0.4', to: '18.2.1' })).toEqual({ from: '18.0.4', to: '18.2.1' });
    // A match (exclude/expect) is not a path to run: no such rule.
    expect(resolvePath({ from: '17.3.7', to: '18.2.1' }, AT, CATALOG, 'match').path).toEqual({
      from: '17.3.7',
      to: '18.2.1',
    });
  });
});
