/**
 * zod schemas for scenario and matrix files. Parsing applies the defaults, so the output is
 * exactly `ScenarioConfig` / `MatrixConfig` (asserted at compile time at the bottom). Every object
 * is strict: an unknown key is an error, which catches typos. Rules that relate several fields
 * (unique names, versions known to the scenario) live in scenario-rules.ts and matrix-rules.ts.
 */
import { z } from 'zod';
import { CELL_STATUSES, CHECK_CATEGORIES } from '../common/run-record.js';
import {
  execMethodSchema,
  existingPlatformSchema,
  helmMethodSchema,
  kubernetesSchema,
  localMethodSchema,
  operatorMethodSchema,
  postgresMethodSchema,
} from './schema-methods.js';
import {
  axisValueSchema,
  nameSchema,
  nonNegativeInt,
  nonNegativeNumber,
  pathSchema,
  positiveInt,
  positiveNumber,
  ratioSchema,
  urlPathSchema,
  versionSchema,
} from './schema-parts.js';
import type { MatrixInput, ScenarioConfig } from './types.js';

export const API_VERSION = 'upgrade-harness/v1';
export const PLATFORM_NAMES = ['local', 'existing', 'kind', 'k3d', 'k3s'] as const;
export const METHOD_NAMES = ['local', 'exec', 'postgres', 'helm', 'operator'] as const;
export const STRATEGY_NAMES = ['rolling', 'recreate', 'blue-green'] as const;
export const ROLLBACK_POLICIES = ['never', 'on-failure', 'always'] as const;
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'] as const;
export const CONNECTION_MODES = ['reused', 'new'] as const;

// ---------------------------------------------------------------- scenario

const versionProbeSchema = z
  .strictObject({
    header: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Response header that carries the serving version.' }),
    jsonField: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Or a top-level JSON field of the response body.' }),
    sql: z.string().min(1).optional().meta({
      description:
        'Or, for SQL traffic (traffic.sql), a query whose first column of the first row is the serving version, e.g. "SHOW server_version".',
    }),
    unversioned: z.enum(['wrong', 'ignore']).optional().meta({
      description:
        'A successful response that says no version (an endpoint that does not report it, such as a health check): wrong (it fails the version check, the default) or ignore (left out of the version checks and counted apart).',
    }),
  })
  .meta({ description: 'Where each response says which version served it (set exactly one).' });

const endpointSchema = z.strictObject({
  name: nameSchema,
  class: z.string().min(1).default('default').meta({ description: 'Endpoint class, for budgets per class.' }),
  method: z.enum(HTTP_METHODS).default('GET'),
  path: urlPathSchema,
  weight: positiveNumber.default(1).meta({ description: 'Relative weight in the traffic mix.' }),
  expectStatus: z
    .array(z.number().int().min(100).max(599))
    .min(1)
    .default(() => [200]),
  body: z.string().optional(),
  headers: z.record(z.string().min(1), z.string()).optional(),
});

const writerSchema = z
  .strictObject({
    path: urlPathSchema.meta({ description: 'POST target for uniquely keyed writes.' }),
    rate: positiveNumber.meta({ description: 'Writes per second.' }),
    readPath: urlPathSchema.meta({ description: 'Where a key is read back; {{key}} is replaced.' }),
  })
  .meta({ description: 'Data-integrity writer: every acknowledged write must read back.' });

const trafficClassSchema = z.strictObject({
  rate: positiveNumber.optional().meta({
    description:
      "Requests per second per connection mode for this class's endpoints, spread by weight (without it they share traffic.rate).",
  }),
  timeoutMs: positiveInt.optional().meta({ description: "Request timeout of this class's requests." }),
});

const sqlStatementSchema = z.strictObject({
  name: nameSchema,
  class: z
    .string()
    .min(1)
    .default('default')
    .meta({ description: 'Statement class, for budgets per class.' }),
  sql: z.string().min(1).meta({ description: 'Run in its own transaction (several statements: no params).' }),
  weight: positiveNumber.default(1).meta({ description: 'Relative weight in the traffic mix.' }),
});

const sqlTrafficSchema = z
  .strictObject({
    statements: z.array(sqlStatementSchema).min(1),
    writer: z
      .strictObject({
        table: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/, {
            message: 'expected a table name such as "harness_ledger" or "app.ledger"',
          })
          .default('upgrade_harness_ledger')
          .meta({ description: 'Created (key text primary key) when missing.' }),
        rate: positiveNumber.meta({ description: 'Committed inserts per second.' }),
      })
      .optional()
      .meta({ description: 'Data-integrity writer: every committed key must read back after the upgrade.' }),
    poolSize: positiveInt.default(10).meta({ description: "Connections in the 'reused' pool." }),
  })
  .meta({
    description:
      "SQL traffic (PostgreSQL wire protocol) instead of HTTP endpoints: transactions on an open-model schedule against the installation's postgres:// URL.",
  });

const trafficSchema = z.strictObject({
  rate: positiveNumber.optional().meta({
    description:
      'Requests per second per connection mode, spread by weight over the endpoints whose class has no rate of its own.',
  }),
  classes: z.record(z.string().min(1), trafficClassSchema).optional().meta({
    description:
      'Rates and request timeouts per endpoint class (e.g. api / web / git), as load profiles size them per reference architecture.',
  }),
  connections: z
    .array(z.enum(CONNECTION_MODES))
    .min(1)
    .default(() => ['reused' as const]),
  timeoutMs: positiveInt
    .default(2000)
    .meta({ description: 'Request timeout of the writer and of classes without their own.' }),
  maxInFlight: positiveInt.default(256),
  endpoints: z
    .array(endpointSchema)
    .default(() => [])
    .meta({ description: 'HTTP endpoints to send traffic to (or traffic.sql for a database).' }),
  writer: writerSchema.optional(),
  sql: sqlTrafficSchema.optional(),
  rawSamples: z.boolean().default(false).meta({
    description:
      'Also write every sample to cells/<id>/samples.ndjson.gz (gzipped NDJSON) for offline analysis; the analysis itself folds samples in constant memory.',
  }),
});

const profileSchema = z.strictObject({
  rate: positiveNumber.optional().meta({ description: 'Replaces traffic.rate.' }),
  classRates: z.record(z.string().min(1), positiveNumber).optional().meta({
    description: 'Replaces (or gives) the rate of these endpoint classes, e.g. { api: 40, git: 4 }.',
  }),
  maxInFlight: positiveInt.optional(),
  writerRate: positiveNumber.optional(),
});

const classSloSchema = z.strictObject({
  successRatio: ratioSchema.optional().meta({ description: "Success ratio of this class's requests." }),
  maxDowntimeSeconds: nonNegativeNumber
    .optional()
    .meta({ description: 'Allowed downtime of each sampler of this class.' }),
});

const latencyLimitsShape = {
  p99Ms: positiveNumber.optional().meta({ description: 'Upper limit of the upgrade phase p99 (ms).' }),
  p99VsBaseline: positiveNumber.optional().meta({
    description: 'The upgrade phase p99 may be at most this many times the baseline phase p99 (e.g. 2).',
  }),
};

const latencySloSchema = z
  .strictObject({
    ...latencyLimitsShape,
    classes: z.record(z.string().min(1), z.strictObject(latencyLimitsShape)).optional(),
  })
  .meta({ description: 'Latency SLO of the upgrade phase: absolute and relative to the baseline phase.' });

const sloSchema = z.strictObject({
  successRatio: ratioSchema.default(0.999).meta({ description: 'Success ratio over the upgrade window.' }),
  maxDowntimeSeconds: nonNegativeNumber.default(0),
  minAchievedRateRatio: ratioSchema.default(0.9),
  maxScheduleLagP99Ms: positiveNumber.default(100).meta({
    description: 'Load self-check: p99 of how late requests were sent; above it the cell is inconclusive.',
  }),
  classes: z
    .record(z.string().min(1), classSloSchema)
    .optional()
    .meta({ description: 'SLOs per endpoint class (traffic.endpoints[].class) over the upgrade window.' }),
  latency: latencySloSchema.optional(),
  maxDowntimeSecondsPerSampler: z.record(z.string().min(1), nonNegativeNumber).optional().meta({
    description:
      'Allowed downtime per sampler, e.g. "list-items:new": 0.5; samplers not listed use the class\'s or the cell\'s maxDowntimeSeconds.',
  }),
});

const timingSchema = z.strictObject({
  baselineSeconds: nonNegativeNumber.default(3),
  settleSeconds: nonNegativeNumber.default(3),
  provisionTimeoutSeconds: positiveNumber.default(60),
  installTimeoutSeconds: positiveNumber.default(120),
  upgradeTimeoutSeconds: positiveNumber.default(180),
  rollbackTimeoutSeconds: positiveNumber.default(180),
  readyTimeoutSeconds: positiveNumber.default(20),
});

export const ScenarioSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Scenario'),
    name: nameSchema,
    description: z.string().optional(),
    versions: z.array(versionSchema).min(1).meta({ description: 'Known versions, oldest first.' }),
    versionProbe: versionProbeSchema,
    readiness: z.strictObject({ path: urlPathSchema.default('/readyz') }).prefault({}),
    local: localMethodSchema.optional(),
    exec: execMethodSchema.optional(),
    postgres: postgresMethodSchema.optional(),
    helm: helmMethodSchema.optional(),
    operator: operatorMethodSchema.optional(),
    kubernetes: kubernetesSchema.optional(),
    existing: existingPlatformSchema.optional(),
    traffic: trafficSchema,
    profiles: z.record(nameSchema, profileSchema).default(() => ({ default: {} })),
    slo: sloSchema.prefault({}),
    timing: timingSchema.prefault({}),
  })
  .meta({ title: 'upgrade-harness scenario', description: 'One product under test.' });

// ---------------------------------------------------------------- matrix

const expectationShape = {
  status: z.enum(CELL_STATUSES),
  reason: z.enum(CHECK_CATEGORIES).optional(),
};

const cellMatchShape = {
  platform: z.enum(PLATFORM_NAMES).optional(),
  method: z.enum(METHOD_NAMES).optional(),
  strategy: z.enum(STRATEGY_NAMES).optional(),
  path: pathSchema.optional(),
  rollback: z.enum(ROLLBACK_POLICIES).optional(),
  profile: nameSchema.optional(),
  custom: z.record(nameSchema, axisValueSchema).optional(),
};

const cellMatchSchema = z.strictObject(cellMatchShape);

const axesSchema = z.strictObject({
  platform: z
    .array(z.enum(PLATFORM_NAMES))
    .min(1)
    .default(() => ['local' as const]),
  method: z
    .array(z.enum(METHOD_NAMES))
    .min(1)
    .default(() => ['local' as const]),
  strategy: z
    .array(z.enum(STRATEGY_NAMES))
    .min(1)
    .default(() => ['rolling' as const]),
  path: z
    .array(pathSchema)
    .min(1)
    .meta({ description: 'Upgrade paths; at least one. A path with stops upgrades through each in turn.' }),
  rollback: z
    .array(z.enum(ROLLBACK_POLICIES))
    .min(1)
    .default(() => ['on-failure' as const]),
  profile: z
    .array(nameSchema)
    .min(1)
    .default(() => ['default']),
  custom: z
    .record(nameSchema, z.array(axisValueSchema).min(1))
    .default(() => ({}))
    .meta({ description: 'Extra axes: name -> values. They appear in cell ids and axes.' }),
});

export const MatrixSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Matrix'),
    name: nameSchema,
    description: z.string().optional(),
    scenario: z.string().min(1).meta({ description: 'Path of the scenario file, relative to this file.' }),
    catalog: z.string().min(1).optional().meta({
      description:
        "Path of a catalog file (the product's versions and required stops), relative to this file; paths may then use from: n-K, to: latest and via: required-stops.",
    }),
    axes: axesSchema,
    include: z
      .array(z.strictObject({ ...cellMatchShape, expect: z.strictObject(expectationShape).optional() }))
      .default(() => []),
    exclude: z.array(cellMatchSchema).default(() => []),
    expect: z.array(z.strictObject({ match: cellMatchSchema, ...expectationShape })).default(() => []),
    strategyOptions: z
      .strictObject({
        rolling: z
          .strictObject({ maxSurge: nonNegativeInt.default(1), maxUnavailable: nonNegativeInt.default(0) })
          .prefault({}),
      })
      .prefault({}),
    concurrency: positiveInt.default(1),
  })
  .meta({ title: 'upgrade-harness matrix', description: 'Axes expanded into cells for one scenario.' });

// ---------------------------------------------------------------- compile-time checks

type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

/** Fails to compile when the schema's output and `ScenarioConfig` drift apart. */
export type ScenarioSchemaMatchesType = Assert<Equals<z.output<typeof ScenarioSchema>, ScenarioConfig>>;
/** Fails to compile when the schema's output and `MatrixInput` (paths as written) drift apart. */
export type MatrixSchemaMatchesType = Assert<Equals<z.output<typeof MatrixSchema>, MatrixInput>>;
