import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../common/errors.js';
import { compareNumericVersions, loadCatalog, parseCatalog } from './catalog.js';
import { loadMatrix } from './load.js';

const HERE = relative(process.cwd(), dirname(fileURLToPath(import.meta.url)));
const FIXTURES = join(HERE, 'testdata', 'catalog');

function issuesOf(run: () => unknown): ConfigIssue[] {
  try {
    run();
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

async function issuesOfAsync(promise: Promise<unknown>): Promise<ConfigIssue[]> {
  try {
    await promise;
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const at = (i: ConfigIssue) => [`${i.line}:${i.column}`, i.path, i.message];

describe('catalog files', () => {
  it('loads the fixture with its versions and required stops', async () => {
    const catalog = await loadCatalog(join(FIXTURES, 'gitlab.yaml'));
    expect(catalog.name).toBe('gitlab');
    expect(catalog.versions).toHaveLength(8);
    expect(catalog.requiredStops).toEqual(['17.3.7', '17.5.5', '17.8.7', '17.11.6']);
  });

  it('defaults requiredStops to none', () => {
    const catalog = parseCatalog(
      'apiVersion: upgrade-harness/v1\nkind: Catalog\nname: c\nversions: ["1.0"]\n',
    );
    expect(catalog.requiredStops).toEqual([]);
  });

  it('reports schema problems at their position with the field path', () => {
    const text = [
      'apiVersion: upgrade-harness/v1',
      'kind: Catalog',
      'name: GitLab',
      'versions: ["17.1.8", "17 3 7"]',
      'requiredStop: ["17.1.8"]',
    ].join('\n');
    expect(issuesOf(() => parseCatalog(text, 'c.yaml')).map(at)).toEqual([
      ['3:7', 'name', expect.stringContaining('expected a name of lowercase letters')],
      ['4:22', 'versions[1]', expect.stringContaining('expected a version such as "1.2.3"')],
      [
        '5:1',
        'requiredStop',
        expect.stringContaining('unknown key "requiredStop" (did you mean "requiredStops"?)'),
      ],
    ]);
  });

  it('reports duplicates, versions out of order and required stops that are not versions', () => {
    const text = [
      'apiVersion: upgrade-harness/v1',
      'kind: Catalog',
      'name: gitlab',
      'versions: ["17.1.8", "17.3.7", "17.3.7", "17.11.6", "17.5.5"]',
      'requiredStops:',
      '  - "17.3.7"',
      '  - "17.5.6"',
      '  - "17.3.7"',
    ].join('\n');
    expect(issuesOf(() => parseCatalog(text, 'c.yaml')).map(at)).toEqual([
      ['4:32', 'versions[2]', 'version 17.3.7 is listed twice (first at versions[1])'],
      [
        '4:53',
        'versions[4]',
        'version 17.5.5 is older than 17.11.6, listed before it; versions are oldest first',
      ],
      [
        '7:5',
        'requiredStops[1]',
        'required stop 17.5.6 is not in the catalog\'s versions (known: 17.1.8, 17.3.7, 17.3.7, 17.11.6, 17.5.5) (did you mean "17.5.5"?)',
      ],
      ['8:5', 'requiredStops[2]', 'required stop 17.3.7 is listed twice (first at requiredStops[0])'],
    ]);
  });

  it('compares dotted numeric versions only', () => {
    expect(compareNumericVersions('17.11.6', '17.3.7')).toBeGreaterThan(0);
    expect(compareNumericVersions('1.0', '1.0.0')).toBe(0);
    expect(compareNumericVersions('1.0.0-rc.1', '1.0.0')).toBeUndefined();
  });
});

describe('matrices with a catalog', () => {
  let dir: string;
  const scenario = join(process.cwd(), FIXTURES, 'scenario.yaml');
  const catalog = join(process.cwd(), FIXTURES, 'gitlab.yaml');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-catalog-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A matrix of the fixture scenario; `lines` follow `axes:` (line 8 onwards). */
  async function write(lines: string[], options: { catalog?: string | null; scenario?: string } = {}) {
    const named = options.catalog === undefined ? catalog : options.catalog;
    const file = join(dir, 'm.yaml');
    await writeFile(
      file,
      [
        'apiVersion: upgrade-harness/v1',
        'kind: Matrix',
        'name: m',
        `scenario: ${options.scenario ?? scenario}`,
        named === null ? '# no catalog' : `catalog: ${named}`,
        'axes:',
        '  platform: [existing]',
        '  method: [exec]',
        ...lines,
      ].join('\n'),
    );
    return file;
  }

  it('loads the fixture matrix: every path form, exclude without via, include and expect', async () => {
    const plan = await loadMatrix(join(FIXTURES, 'matrix.yaml'));
    expect(plan.catalogFile).toBe(join(FIXTURES, 'gitlab.yaml'));
    expect(plan.catalog?.name).toBe('gitlab');
    expect(plan.cells.map((c) => [c.id, c.expect?.status])).toEqual([
      ['existing-exec-rolling-17.3.7-to-18.2.1-never-default', undefined],
      ['existing-exec-rolling-17.3.7-to-18.2.1-via-17.5.5-17.8.7-17.11.6-never-default', 'failed'],
      ['existing-exec-rolling-18.0.4-to-18.2.1-never-default', undefined],
      ['existing-exec-rolling-17.8.7-to-17.11.6-never-default', undefined],
    ]);
    expect(plan.cells[1]?.path).toEqual({
      from: '17.3.7',
      to: '18.2.1',
      via: ['17.5.5', '17.8.7', '17.11.6'],
    });
    expect(plan.cells[1]?.axes.via).toBe('17.5.5,17.8.7,17.11.6');
    expect(plan.matrix.axes.path[2]).toEqual({ from: '18.0.4', to: '18.2.1' });
  });

  it("reports a missing catalog file at the matrix's catalog field", async () => {
    const file = await write(['  path: ["17.3.7 -> 18.2.1"]'], { catalog: 'catalogs/nope.yaml' });
    expect((await issuesOfAsync(loadMatrix(file))).map((i) => [i.file, ...at(i)])).toEqual([
      [
        file,
        '5:10',
        'catalog',
        `catalog file not found: ${join(dir, 'catalogs/nope.yaml')} (the path is relative to the matrix file)`,
      ],
    ]);
  });

  it("reports a broken catalog's problems in the catalog file, with the matrix's", async () => {
    const broken = join(dir, 'c.yaml');
    await writeFile(broken, 'apiVersion: upgrade-harness/v1\nkind: Catalogue\nname: c\nversions: []\n');
    const file = await write(['  path: ["17.3.7 -> 18.2.1"]', '  strategy: [canary]'], { catalog: 'c.yaml' });
    expect((await issuesOfAsync(loadMatrix(file))).map((i) => [i.file, i.line, i.path])).toEqual([
      [file, 10, 'axes.strategy[0]'],
      [broken, 2, 'kind'],
      [broken, 4, 'versions'],
    ]);
  });

  it('says precisely that n-K, latest and required-stops need a catalog', async () => {
    const file = await write(
      [
        '  path:',
        '    - { from: n-2, to: latest }',
        '    - { from: 17.3.7, to: 18.2.1, via: required-stops }',
      ],
      { catalog: null },
    );
    expect((await issuesOfAsync(loadMatrix(file))).map(at)).toEqual([
      [
        '10:15',
        'axes.path[0].from',
        "from: n-2 is the version 2 place(s) before to in a catalog's versions, but the matrix names no catalog; add catalog: <file> (a Catalog file of versions and requiredStops) to the matrix, or write the version",
      ],
      [
        '10:24',
        'axes.path[0].to',
        expect.stringContaining("to: latest is a catalog's last version, but the matrix names no catalog"),
      ],
      ['11:40', 'axes.path[1].via', expect.stringContaining('via: required-stops takes the stops')],
    ]);
  });

  it('names the catalog size when n-K goes past its start, without repeating the problem in rules', async () => {
    const file = await write([
      '  path: [{ from: n-9, to: latest }]',
      'exclude:',
      '  - path: { from: 17.3.7, to: 18.2.1 }',
    ]);
    expect((await issuesOfAsync(loadMatrix(file))).map(at)).toEqual([
      [
        '9:18',
        'axes.path[0].from',
        expect.stringContaining(
          'from: n-9 is 9 version(s) before 18.2.1, but catalog gitlab has only 7 before it (8 version(s):',
        ),
      ],
    ]);
  });

  it("checks every resolved version against the scenario's, naming what the file said", async () => {
    const file = await write([
      '  path:',
      '    - { from: n-7, to: latest, via: direct }',
      '    - { from: 17.3.7, to: 18.2.1, via: [17.5.5, 17.6.0] }',
    ]);
    expect((await issuesOfAsync(loadMatrix(file))).map(at)).toEqual([
      [
        '10:15',
        'axes.path[0].from',
        "version 17.1.8 (from: n-7) is not in the scenario's versions (known: 17.3.7, 17.5.5, 17.8.7, 17.11.6, 18.0.4, 18.1.3, 18.2.1)",
      ],
      [
        '11:49',
        'axes.path[1].via[1]',
        expect.stringContaining("stop 17.6.0 is not in the scenario's versions"),
      ],
    ]);
  });

  it('names a required stop the scenario does not know as one', async () => {
    const scenarioFile = join(dir, 's.yaml');
    await writeFile(
      scenarioFile,
      [
        'apiVersion: upgrade-harness/v1',
        'kind: Scenario',
        'name: s',
        'versions: ["17.3.7", "17.8.7", "18.2.1"]',
        'versionProbe: { jsonField: version }',
        'exec: { install: ["x"], upgrade: ["x"], rollback: ["x"] }',
        'existing: { urls: ["http://127.0.0.1:9"] }',
        'traffic: { rate: 1, endpoints: [{ name: home, path: / }] }',
      ].join('\n'),
    );
    const file = await write(['  path: [{ from: 17.3.7, to: 18.2.1, via: required-stops }]'], {
      scenario: 's.yaml',
    });
    expect((await issuesOfAsync(loadMatrix(file))).map(at)).toEqual([
      [
        '9:38',
        'axes.path[0].via[0]',
        "stop 17.5.5 (a required stop of the catalog) is not in the scenario's versions (known: 17.3.7, 17.8.7, 18.2.1)",
      ],
      [
        '9:38',
        'axes.path[0].via[2]',
        expect.stringContaining('stop 17.11.6 (a required stop of the catalog) is not'),
      ],
    ]);
  });

  it('wants stops ascending, strictly between from and to', async () => {
    const file = await write([
      '  path:',
      '    - "17.3.7 -> 17.8.7 -> 17.5.5 -> 18.2.1"',
      '    - { from: 17.3.7, to: 18.0.4, via: [17.5.5, 18.0.4] }',
      '    - { from: 17.5.5, to: 18.0.4, via: [17.3.7] }',
    ]);
    expect((await issuesOfAsync(loadMatrix(file))).map(at)).toEqual([
      [
        '10:7',
        'axes.path[0].via[1]',
        expect.stringContaining("stop 17.5.5 must come after 17.8.7 in the scenario's versions"),
      ],
      ['11:49', 'axes.path[1].via[1]', expect.stringContaining('stop 18.0.4 must come before 18.0.4')],
      ['12:41', 'axes.path[2].via[0]', expect.stringContaining('stop 17.3.7 must come after 17.5.5')],
    ]);
  });

  it("wants stops ascending in the catalog's versions too", async () => {
    const scenarioFile = join(dir, 's.yaml');
    await writeFile(
      scenarioFile,
      [
        'apiVersion: upgrade-harness/v1',
        'kind: Scenario',
        'name: s',
        // Out of order on purpose: the scenario's order alone would accept 17.8.7 before 17.5.5.
        'versions: ["17.3.7", "17.8.7", "17.5.5", "18.2.1"]',
        'versionProbe: { jsonField: version }',
        'exec: { install: ["x"], upgrade: ["x"], rollback: ["x"] }',
        'existing: { urls: ["http://127.0.0.1:9"] }',
        'traffic: { rate: 1, endpoints: [{ name: home, path: / }] }',
      ].join('\n'),
    );
    const file = await write(['  path: ["17.3.7 -> 17.8.7 -> 17.5.5 -> 18.2.1"]'], { scenario: 's.yaml' });
    expect((await issuesOfAsync(loadMatrix(file))).map(at)).toEqual([
      [
        '9:10',
        'axes.path[0].via[1]',
        expect.stringContaining("stop 17.5.5 must come after 17.8.7 in catalog gitlab's versions"),
      ],
    ]);
  });

  it('checks that an exclude or expect path with via names a path of the matrix', async () => {
    const file = await write([
      '  path: [{ from: 17.3.7, to: 18.2.1, via: required-stops }]',
      'exclude:',
      '  - path: { from: 17.3.7, to: 18.2.1, via: [17.8.7] }',
      'expect:',
      '  - match: { path: { from: 17.3.7, to: 18.2.1 } }',
      '    status: failed',
    ]);
    expect((await issuesOfAsync(loadMatrix(file))).map(at)).toEqual([
      [
        '11:11',
        'exclude[0].path',
        expect.stringContaining(
          '17.3.7 -> 17.8.7 -> 18.2.1 is not a value of axes.path or of any include (known: 17.3.7 -> 17.5.5 -> 17.8.7 -> 17.11.6 -> 18.2.1)',
        ),
      ],
    ]);
  });
});
