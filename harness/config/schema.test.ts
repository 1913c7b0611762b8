import { describe, expect, it } from 'vitest';
import { configErrorMap } from './messages.js';
import { MatrixSchema, ScenarioSchema } from './schema.js';
import { argvSchema, commandsSchema, pathSchema, splitCommand } from './schema-parts.js';
import { problemsFromZod } from './zod-issues.js';

function problems(schema: typeof ScenarioSchema | typeof MatrixSchema, data: unknown) {
  const result = schema.safeParse(data, { error: configErrorMap, reportInput: true });
  if (result.success) return [];
  return problemsFromZod(result.error, schema, data).map((p) => `${p.path.join('.')}: ${p.message}`);
}

const scenario = {
  apiVersion: 'upgrade-harness/v1',
  kind: 'Scenario',
  name: 's',
  versions: ['1.0.0', '1.1.0'],
  versionProbe: { header: 'x-version' },
  traffic: { rate: 1, endpoints: [{ name: 'a', path: '/' }] },
};

describe('commands', () => {
  it('splits a string on whitespace and keeps {{ templates }} whole', () => {
    expect(splitCommand('  node  releases/{{ version }}/server.mjs --port {{port}} ')).toEqual([
      'node',
      'releases/{{ version }}/server.mjs',
      '--port',
      '{{port}}',
    ]);
    expect(argvSchema.parse('psql -c select')).toEqual(['psql', '-c', 'select']);
    expect(argvSchema.parse(['sleep', 1])).toEqual(['sleep', '1']);
  });

  it('reads a single string as one command and a list as several', () => {
    expect(commandsSchema.parse('a b')).toEqual([['a', 'b']]);
    expect(commandsSchema.parse(['a b', ['c', 'd e']])).toEqual([
      ['a', 'b'],
      ['c', 'd e'],
    ]);
  });

  it('rejects empty commands', () => {
    expect(argvSchema.safeParse('   ').success).toBe(false);
    expect(argvSchema.safeParse([]).success).toBe(false);
  });
});

describe('paths', () => {
  it('normalizes "FROM -> TO" and {from, to} to the same shape', () => {
    expect(pathSchema.parse('1.0.0 -> 1.1.0')).toEqual({ from: '1.0.0', to: '1.1.0' });
    expect(pathSchema.parse('1.0.0-rc.1->1.0.0')).toEqual({ from: '1.0.0-rc.1', to: '1.0.0' });
    expect(pathSchema.parse({ from: '1.0.0', to: '1.1.0' })).toEqual({ from: '1.0.0', to: '1.1.0' });
    expect(pathSchema.safeParse('1.0.0 => 1.1.0').success).toBe(false);
  });
});

describe('schema messages', () => {
  it('accepts a short scenario', () => {
    expect(problems(ScenarioSchema, scenario)).toEqual([]);
  });

  it('says which service shape was meant, by the keys given', () => {
    const local = (service: unknown) => ({ ...scenario, local: { services: [service] } });
    expect(
      problems(ScenarioSchema, local({ name: 'db', postgres: { version: 17, database: 'app' } })),
    ).toEqual(['local.services.0.postgres.version: expected a string, got 17; put the value in quotes']);
    expect(
      problems(ScenarioSchema, local({ name: 'db', postgress: { version: '17', database: 'app' } })),
    ).toEqual([
      'local.services.0.postgres: required field is missing (expected a map of key: value pairs)',
      'local.services.0.postgress: unknown key "postgress" (did you mean "postgres"?); allowed keys: name, postgres',
    ]);
    expect(problems(ScenarioSchema, local({ name: 'web', command: 'x', replica: 2 }))).toEqual([
      expect.stringContaining('local.services.0.replica: unknown key "replica" (did you mean "replicas"?)'),
    ]);
    expect(problems(ScenarioSchema, local('web'))).toEqual([
      'local.services.0: expected a service: {name, postgres: {version, database}} or {name, command, ...}, got "web"',
    ]);
  });

  it('names the allowed values of an enum and whole numbers', () => {
    const data = {
      ...scenario,
      traffic: {
        rate: 1,
        maxInFlight: 2.5,
        connections: ['reused', 'fresh'],
        endpoints: [{ name: 'a', path: 'x' }],
      },
    };
    expect(problems(ScenarioSchema, data)).toEqual([
      'traffic.connections.1: expected one of: reused, new; got "fresh"',
      'traffic.maxInFlight: expected a whole number, got 2.5',
      'traffic.endpoints.0.path: expected a URL path starting with "/", got "x"',
    ]);
  });

  it('locates a bad profile name at the key', () => {
    const result = ScenarioSchema.safeParse(
      { ...scenario, profiles: { Heavy: {} } },
      { error: configErrorMap },
    );
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(problemsFromZod(result.error, ScenarioSchema, {})).toEqual([
        {
          path: ['profiles', 'Heavy'],
          target: 'key',
          message:
            'invalid key: expected a name of lowercase letters, digits and "-" that starts with a letter or digit, got "Heavy"',
        },
      ]);
    }
  });

  it('applies matrix defaults', () => {
    const matrix = MatrixSchema.parse({
      apiVersion: 'upgrade-harness/v1',
      kind: 'Matrix',
      name: 'm',
      scenario: 's.yaml',
      axes: { path: ['1 -> 2'] },
    });
    expect(matrix).toEqual({
      apiVersion: 'upgrade-harness/v1',
      kind: 'Matrix',
      name: 'm',
      scenario: 's.yaml',
      axes: {
        platform: ['local'],
        method: ['local'],
        strategy: ['rolling'],
        path: [{ from: '1', to: '2' }],
        rollback: ['on-failure'],
        profile: ['default'],
        custom: {},
      },
      include: [],
      exclude: [],
      expect: [],
      strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
      concurrency: 1,
    });
  });
});

describe('slo', () => {
  it('adds no per-class, latency or per-sampler SLO unless written (defaults: as before)', () => {
    const slo = ScenarioSchema.parse(scenario).slo;
    expect(slo).toEqual({
      successRatio: 0.999,
      maxDowntimeSeconds: 0,
      minAchievedRateRatio: 0.9,
      maxScheduleLagP99Ms: 100,
    });
  });

  it('reads SLOs per class, latency limits and downtime per sampler', () => {
    const slo = ScenarioSchema.parse({
      ...scenario,
      slo: {
        classes: { api: { successRatio: 0.99 }, web: { maxDowntimeSeconds: 1 } },
        latency: { p99Ms: 500, p99VsBaseline: 2, classes: { api: { p99VsBaseline: 1.5 } } },
        maxDowntimeSecondsPerSampler: { 'list-items:new': 0.5 },
      },
    }).slo;
    expect(slo.classes).toEqual({ api: { successRatio: 0.99 }, web: { maxDowntimeSeconds: 1 } });
    expect(slo.latency).toEqual({ p99Ms: 500, p99VsBaseline: 2, classes: { api: { p99VsBaseline: 1.5 } } });
    expect(slo.maxDowntimeSecondsPerSampler).toEqual({ 'list-items:new': 0.5 });
    expect(slo.successRatio).toBe(0.999);
  });

  it('rejects bad SLO values and keys with their path', () => {
    expect(
      problems(ScenarioSchema, {
        ...scenario,
        slo: {
          classes: { api: { successRatio: 2 } },
          latency: { p99VsBaseline: 0 },
          maxDowntimeSecondsPerSampler: { 'a:new': -1 },
        },
      }),
    ).toEqual([
      'slo.classes.api.successRatio: must be at most 1, got 2',
      'slo.latency.p99VsBaseline: must be greater than 0, got 0',
      'slo.maxDowntimeSecondsPerSampler.a:new: must be at least 0, got -1',
    ]);
  });
});
