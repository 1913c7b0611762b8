import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.js';
import { validateFile } from './load.js';

// Relative, as a user would type it: issues must keep the path as given.
const DIR = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'broken'));

interface Expectation {
  line: number;
  column: number;
  /** A phrase the issue's message contains. */
  phrase: string;
  /** Dotted path of the issue, when it has one. */
  path?: string;
  /** The file the issue is in, when not the file itself (a matrix's scenario). */
  in?: string;
}

/** Every file in testdata/broken and where its (first matching) problem must be reported. */
const EXPECTED: Record<string, Expectation> = {
  's-syntax-error.yaml': { line: 6, column: 1, phrase: 'YAML syntax error: Flow sequence' },
  's-unquoted-template.yaml': { line: 10, column: 32, phrase: 'must be quoted' },
  's-duplicate-key.yaml': { line: 7, column: 1, phrase: 'duplicate key "name" (first defined on line 4)' },
  's-wrong-api-version.yaml': {
    line: 2,
    column: 13,
    phrase: 'expected "upgrade-harness/v1", got "upgrade-harness/v2"',
  },
  's-wrong-kind.yaml': {
    line: 3,
    column: 7,
    phrase: 'expected one of: Scenario, Matrix, Catalog; got "Senario" (did you mean',
  },
  's-unknown-key-top.yaml': {
    line: 16,
    column: 1,
    path: 'slos',
    phrase: 'unknown key "slos" (did you mean "slo"?)',
  },
  's-unknown-key-nested.yaml': {
    line: 10,
    column: 7,
    path: 'local.services[0].comand',
    phrase: 'unknown key "comand" (did you mean "command"?); allowed keys: name, replicas, command',
  },
  's-unknown-key-postgres.yaml': {
    line: 13,
    column: 9,
    path: 'local.services[0].postgres.port',
    phrase: 'allowed keys: version, database',
  },
  's-missing-required.yaml': {
    line: 12,
    column: 1,
    path: 'traffic',
    phrase: 'nothing to send: list HTTP endpoints in traffic.endpoints (or SQL statements in traffic.sql',
  },
  's-missing-top-level.yaml': { line: 2, column: 1, path: 'versions', phrase: 'required field is missing' },
  's-postgres-inexact-version.yaml': {
    line: 5,
    column: 12,
    path: 'versions[0]',
    phrase:
      'the postgres method needs exact PostgreSQL versions this machine has binaries for (known: 17.9, 17.10); got "17"',
  },
  's-sql-header-probe.yaml': {
    line: 6,
    column: 25,
    path: 'versionProbe.header',
    phrase: 'SQL traffic (traffic.sql) reads the version with versionProbe.sql',
  },
  's-slo-unknown-class.yaml': {
    line: 18,
    column: 10,
    path: 'slo.classes.apy',
    phrase: 'endpoint class "apy" does not exist (known: api) (did you mean "api"?)',
  },
  's-traffic-missing-rate.yaml': {
    line: 12,
    column: 1,
    path: 'traffic',
    phrase: 'rate is missing: endpoints "home" (class web) have no rate of their own',
  },
  's-unknown-sampler.yaml': {
    line: 18,
    column: 18,
    phrase: 'sampler "items:fresh" does not exist (known: items:reused)',
  },
  's-wrong-type.yaml': { line: 13, column: 9, path: 'traffic.rate', phrase: 'expected a number, got "fast"' },
  's-negative-rate.yaml': {
    line: 13,
    column: 9,
    path: 'traffic.rate',
    phrase: 'must be greater than 0, got -5',
  },
  's-ratio-above-one.yaml': {
    line: 17,
    column: 17,
    path: 'slo.successRatio',
    phrase: 'must be at most 1, got 1.5',
  },
  's-bad-latency-key.yaml': {
    line: 19,
    column: 14,
    path: 'slo.latency.classes.api.p99ms',
    phrase: 'unknown key "p99ms" (did you mean "p99Ms"?)',
  },
  's-bad-http-method.yaml': {
    line: 15,
    column: 30,
    path: 'traffic.endpoints[0].method',
    phrase: 'expected one of: GET, POST, PUT, DELETE, HEAD; got "FETCH"',
  },
  's-bad-name.yaml': { line: 4, column: 7, path: 'name', phrase: 'expected a name of lowercase letters' },
  's-duplicate-service.yaml': { line: 12, column: 13, phrase: 'service name "web" is listed twice' },
  's-two-front.yaml': {
    line: 14,
    column: 14,
    path: 'local.services[1].front',
    phrase: 'only one service may have front',
  },
  's-no-front.yaml': {
    line: 8,
    column: 3,
    path: 'local.services',
    phrase: 'exactly one process service must have front',
  },
  's-bad-template.yaml': {
    line: 14,
    column: 23,
    path: 'local.services[1].env.DATABASE_URL',
    phrase: 'refers to service "dbx", which is not defined',
  },
  's-duplicate-version.yaml': {
    line: 8,
    column: 5,
    path: 'versions[2]',
    phrase: 'version 1.0.0 is listed twice',
  },
  's-unquoted-number-version.yaml': {
    line: 5,
    column: 12,
    path: 'versions[0]',
    phrase: 'put the value in quotes',
  },
  's-empty-versions.yaml': { line: 5, column: 11, path: 'versions', phrase: 'must not be empty' },
  's-command-wrong-type.yaml': { line: 10, column: 16, phrase: 'expected a command: a string such as' },
  's-version-probe-empty.yaml': {
    line: 6,
    column: 15,
    path: 'versionProbe',
    phrase: 'set header or jsonField',
  },
  's-writer-read-path.yaml': { line: 19, column: 15, phrase: 'must contain {{key}}' },
  's-empty-file.yaml': { line: 1, column: 1, phrase: 'the file is empty' },
  's-many-issues.yaml': {
    line: 17,
    column: 3,
    phrase: 'unknown key "baselineSecs" (did you mean "baselineSeconds"?)',
  },
  'm-bad-strategy.yaml': {
    line: 7,
    column: 23,
    path: 'axes.strategy[1]',
    phrase: 'expected one of: rolling, recreate, blue-green; got "canary"',
  },
  'm-version-not-in-catalog.yaml': {
    line: 9,
    column: 26,
    path: 'axes.path[1].to',
    phrase: "version 18.3.0 is not in the scenario's versions (known: 1.0.0, 1.1.0, 2.0.0, 2.0.1)",
  },
  'm-path-string-unknown-version.yaml': {
    line: 8,
    column: 7,
    path: 'axes.path[0].to',
    phrase: 'version 1.2.0 is not',
  },
  'm-path-from-after-to.yaml': {
    line: 8,
    column: 13,
    path: 'axes.path[0].from',
    phrase: 'comes after 1.1.0',
  },
  'm-bad-path-string.yaml': {
    line: 7,
    column: 10,
    phrase: 'expected an upgrade path such as "1.0.0 -> 1.1.0"',
  },
  'm-unknown-profile.yaml': { line: 8, column: 22, phrase: 'profile "hevy" is not defined' },
  'm-postgres-http-traffic.yaml': {
    line: 8,
    column: 12,
    path: 'axes.method[0]',
    phrase: 'method postgres needs a "postgres" section (database, setup) in the scenario',
  },
  'm-exec-without-section.yaml': {
    line: 8,
    column: 19,
    path: 'axes.method[1]',
    phrase: 'method exec needs an "exec"',
  },
  'm-incompatible-include.yaml': {
    line: 9,
    column: 32,
    phrase: 'platform local does not work with method exec',
  },
  'm-unknown-custom-axis-exclude.yaml': {
    line: 11,
    column: 15,
    path: 'exclude[0].custom.sise',
    phrase: 'unknown custom axis "sise" (known: size)',
  },
  'm-exclude-unknown-value.yaml': {
    line: 9,
    column: 15,
    phrase: 'blue-green is not a value of axes.strategy',
  },
  'm-custom-axis-reserved.yaml': { line: 9, column: 5, phrase: 'has the name of a built-in axis' },
  'm-empty-path-axis.yaml': { line: 8, column: 9, path: 'axes.path', phrase: 'must not be empty' },
  'm-missing-path-axis.yaml': { line: 6, column: 1, path: 'axes.path', phrase: 'required field is missing' },
  'm-unknown-axis.yaml': { line: 7, column: 3, phrase: 'unknown key "paths" (did you mean "path"?)' },
  'm-missing-scenario-file.yaml': {
    line: 5,
    column: 11,
    path: 'scenario',
    phrase: 'scenario file not found',
  },
  'm-broken-scenario.yaml': {
    line: 13,
    column: 9,
    phrase: 'expected a number, got "fast"',
    in: `${DIR}/s-wrong-type.yaml`,
  },
  'm-zero-concurrency.yaml': { line: 8, column: 14, phrase: 'must be greater than 0, got 0' },
  'm-bad-expect-status.yaml': { line: 10, column: 13, phrase: 'got "fail" (did you mean "failed"?)' },
  'm-everything-excluded.yaml': { line: 6, column: 1, path: 'axes', phrase: 'the matrix has no cells' },
};

async function issuesOf(file: string): Promise<ConfigError> {
  try {
    await validateFile(file);
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

describe('broken config corpus', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

  it('has an expectation for every file and a file for every expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(24);
    expect(files.filter((f) => !(f in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((f) => !files.includes(f))).toEqual([]);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.phrase}`, async () => {
      const file = join(DIR, name);
      const error = await issuesOf(file);
      const issue = error.issues.find((i) => i.message.includes(expected.phrase));
      expect(issue, error.message).toBeDefined();
      expect(issue?.file).toBe(expected.in ?? file);
      expect({ line: issue?.line, column: issue?.column }).toEqual({
        line: expected.line,
        column: expected.column,
      });
      if (expected.path !== undefined) expect(issue?.path).toBe(expected.path);
      // The formatted message is what a person reads: file:line:col first.
      expect(error.message).toContain(`${expected.in ?? file}:${expected.line}:${expected.column}`);
    });
  }
});
