import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.js';
import { loadMatrix, loadScenario, parseScenario, validateFile } from './load.js';
import type { LocalProcessServiceConfig } from './types.js';

const HERE = relative(process.cwd(), dirname(fileURLToPath(import.meta.url)));
const VALID = join(HERE, 'testdata', 'valid');

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const MINIMAL = `apiVersion: upgrade-harness/v1
kind: Scenario
name: tiny
versions: [1.0.0, 1.1.0]
versionProbe: { jsonField: version }
traffic:
  rate: 10
  endpoints:
    - { name: home, path: / }
`;

describe('loadScenario', () => {
  it('loads the valid scenario with defaults applied', async () => {
    const scenario = await loadScenario(join(VALID, 'scenario.yaml'));
    expect(scenario.name).toBe('reference-app');
    expect(scenario.versions).toEqual(['1.0.0', '1.1.0', '2.0.0', '2.0.1']);
    const web = scenario.local?.services.find((s) => s.name === 'web') as LocalProcessServiceConfig;
    expect(web).toMatchObject({
      replicas: 3,
      command: ['node', 'releases/{{version}}/server.mjs'],
      env: { DATABASE_URL: '{{services.db.url}}', PORT: '{{port}}' },
      front: true,
      stopGraceSeconds: 10,
    });
    expect(scenario.local?.services.find((s) => s.name === 'db')).toEqual({
      name: 'db',
      postgres: { version: '17', database: 'app' },
    });
    // A command written as one string is split on whitespace; a single hook string is one command.
    expect(scenario.local?.hooks.install).toEqual([
      ['node', 'releases/{{version}}/migrate.mjs', '--phase', 'install'],
    ]);
    expect(scenario.local?.hooks.preUpgrade).toEqual([
      ['node', 'releases/{{version}}/migrate.mjs', '--phase', 'pre'],
    ]);
    expect(scenario.traffic).toMatchObject({
      timeoutMs: 2000,
      maxInFlight: 256,
      connections: ['reused', 'new'],
    });
    expect(scenario.traffic.endpoints[0]).toEqual({
      name: 'list-items',
      class: 'api',
      method: 'GET',
      path: '/api/items',
      weight: 1,
      expectStatus: [200],
    });
    expect(scenario.slo).toEqual({
      successRatio: 0.999,
      maxDowntimeSeconds: 0,
      minAchievedRateRatio: 0.9,
      maxScheduleLagP99Ms: 100,
    });
    expect(scenario.timing).toEqual({
      baselineSeconds: 3,
      settleSeconds: 3,
      provisionTimeoutSeconds: 60,
      installTimeoutSeconds: 120,
      upgradeTimeoutSeconds: 180,
      rollbackTimeoutSeconds: 180,
      readyTimeoutSeconds: 20,
    });
  });

  it('fills every default of a minimal file', () => {
    const scenario = parseScenario(MINIMAL);
    expect(scenario.profiles).toEqual({ default: {} });
    expect(scenario.readiness).toEqual({ path: '/readyz' });
    expect(scenario.traffic.connections).toEqual(['reused']);
    expect(scenario.traffic.endpoints[0]).toMatchObject({
      class: 'default',
      method: 'GET',
      expectStatus: [200],
    });
    expect(scenario.local).toBeUndefined();
  });

  it('does not share default objects between parses', () => {
    const a = parseScenario(MINIMAL);
    a.profiles.default!.rate = 99;
    a.traffic.connections.push('new');
    const b = parseScenario(MINIMAL);
    expect(b.profiles).toEqual({ default: {} });
    expect(b.traffic.connections).toEqual(['reused']);
  });

  it('turns env numbers and booleans into strings and keeps exec commands', () => {
    const scenario = parseScenario(
      `${MINIMAL}exec:
  install: ./install.sh {{version}}
  upgrade: [[./upgrade.sh, '{{version}}'], "kubectl rollout status deploy/app"]
  env: { RETRIES: 3, VERBOSE: true }
existing:
  urls: [http://127.0.0.1:8080]
`,
    );
    expect(scenario.exec).toEqual({
      install: [['./install.sh', '{{version}}']],
      upgrade: [
        ['./upgrade.sh', '{{version}}'],
        ['kubectl', 'rollout', 'status', 'deploy/app'],
      ],
      rollback: [],
      env: { RETRIES: '3', VERBOSE: 'true' },
    });
  });

  it('reports a missing file at 1:1 with the path as given', async () => {
    const error = await configError(loadScenario('no/such/scenario.yaml'));
    expect(error.issues).toEqual([
      { file: 'no/such/scenario.yaml', line: 1, column: 1, path: '', message: 'file not found' },
    ]);
    expect(error.code).toBe('CONFIG_INVALID');
  });

  it('reports every problem of a file at once, in file order', async () => {
    const error = await configError(loadScenario(join(HERE, 'testdata', 'broken', 's-many-issues.yaml')));
    expect(error.issues.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '4:7 name',
      '11:14 local.services[0].front',
      '13:9 traffic.rate',
      '17:3 timing.baselineSecs',
    ]);
  });

  it('reports all rule violations together', () => {
    const text = `apiVersion: upgrade-harness/v1
kind: Scenario
name: rules
versions: [1.0.0, 1.0.0]
versionProbe: { header: x-version, jsonField: version }
local:
  services:
    - { name: web, command: "node a.mjs", front: true }
    - { name: web, command: "node b.mjs {{services.nope.url}}", front: true }
traffic:
  rate: 1
  endpoints:
    - { name: a, path: /a }
    - { name: a, path: /b }
`;
    let error: unknown;
    try {
      parseScenario(text, 'rules.yaml');
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((i) => i.path);
    expect(paths).toEqual([
      'versions[1]',
      'versionProbe.jsonField',
      'local.services[1].name',
      'local.services[1].command[2]',
      'local.services[1].front',
      'traffic.endpoints[1].name',
    ]);
    expect((error as ConfigError).message.split('\n')[0]).toBe(
      'rules.yaml:4:19 versions[1]: version 1.0.0 is listed twice (first at versions[0])',
    );
  });

  it('rejects a matrix file given as a scenario', async () => {
    const error = await configError(loadScenario(join(VALID, 'matrix.yaml')));
    expect(error.issues.find((i) => i.path === 'kind')?.message).toBe('expected "Scenario", got "Matrix"');
  });
});

describe('loadMatrix', () => {
  it('resolves the scenario next to the matrix and expands the cells', async () => {
    const plan = await loadMatrix(join(VALID, 'matrix.yaml'));
    expect(plan.matrixFile).toBe(join(VALID, 'matrix.yaml'));
    expect(plan.scenarioFile).toBe(join(VALID, 'scenario.yaml'));
    expect(plan.scenario.name).toBe('reference-app');
    expect(plan.matrix.axes.platform).toEqual(['local']);
    expect(plan.matrix.axes.path).toEqual([
      { from: '1.0.0', to: '1.1.0' },
      { from: '1.1.0', to: '2.0.0' },
    ]);
    expect(plan.matrix.strategyOptions).toEqual({ rolling: { maxSurge: 1, maxUnavailable: 0 } });
    expect(plan.matrix.concurrency).toBe(2);
    expect(plan.cells.map((c) => c.id)).toEqual([
      'local-local-rolling-1.0.0-to-1.1.0-on-failure-default',
      'local-local-rolling-1.1.0-to-2.0.0-on-failure-default',
      'local-local-recreate-1.0.0-to-1.1.0-on-failure-default',
      'local-local-rolling-2.0.0-to-2.0.1-always-default',
    ]);
    expect(plan.cells[2]?.expect).toEqual({ status: 'failed', reason: 'downtime' });
    expect(plan.cells[3]?.expect).toEqual({ status: 'failed', reason: 'rollback' });
    expect(plan.cells[0]?.expect).toBeUndefined();
  });

  it('reports the problems of the matrix and of its scenario together', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'uh-config-'));
    try {
      await writeFile(join(dir, 's.yaml'), MINIMAL.replace('rate: 10', 'rate: lots'));
      await writeFile(
        join(dir, 'm.yaml'),
        'apiVersion: upgrade-harness/v1\nkind: Matrix\nname: m\nscenario: s.yaml\naxes:\n  path: ["1.0.0 -> 1.1.0"]\n  strategy: [canary]\n',
      );
      const error = await configError(loadMatrix(join(dir, 'm.yaml')));
      expect(error.issues.map((i) => [i.file, i.path])).toEqual([
        [join(dir, 'm.yaml'), 'axes.strategy[0]'],
        [join(dir, 's.yaml'), 'traffic.rate'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('validateFile', () => {
  it('tells a scenario from a matrix by kind', async () => {
    const scenario = await validateFile(join(VALID, 'scenario.yaml'));
    expect(scenario.kind).toBe('Scenario');
    const matrix = await validateFile(join(VALID, 'matrix.yaml'));
    expect(matrix.kind).toBe('Matrix');
    if (matrix.kind === 'Matrix') expect(matrix.plan.cells).toHaveLength(4);
  });

  it('asks for a kind when there is none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'uh-config-'));
    try {
      const file = join(dir, 'x.yaml');
      await writeFile(file, 'apiVersion: upgrade-harness/v1\nname: x\n');
      const error = await configError(validateFile(file));
      expect(error.issues).toEqual([
        {
          file,
          line: 1,
          column: 1,
          path: 'kind',
          message: 'required field is missing (expected Scenario or Matrix)',
        },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a match that names a strategy', () => {
  it('is an error for methods that ignore the strategy axis (it would match no cell)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'uh-config-'));
    try {
      await writeFile(
        join(dir, 's.yaml'),
        `apiVersion: upgrade-harness/v1
kind: Scenario
name: pg
versions: ["17.9", "17.10"]
versionProbe: { sql: SHOW server_version }
postgres: {}
traffic:
  rate: 10
  sql: { statements: [{ name: one, sql: SELECT 1 }] }
`,
      );
      await writeFile(
        join(dir, 'm.yaml'),
        `apiVersion: upgrade-harness/v1
kind: Matrix
name: m
scenario: s.yaml
axes:
  method: [postgres]
  strategy: [rolling, recreate]
  path: ["17.9 -> 17.10"]
exclude:
  - { strategy: recreate }
`,
      );
      const error = await configError(loadMatrix(join(dir, 'm.yaml')));
      const issue = error.issues.find((i) => i.path === 'exclude[0].strategy');
      expect(issue?.message).toMatch(/^postgres ignores the strategy axis .* drop strategy here$/);
      expect(issue?.line).toBe(10);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
