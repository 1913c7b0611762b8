/**
 * Rules that relate several fields of a scenario, applied after the schema. Each returns every
 * problem it finds, located by field path.
 */

import { isExactPostgresVersion, POSTGRES_VERSIONS } from '../platforms/local/postgres-versions.js';
import { formatPath } from './locate.js';
import { didYouMean } from './suggest.js';
import { trafficRules } from './traffic-rules.js';
import type { LocalProcessServiceConfig, ScenarioConfig } from './types.js';
import type { ConfigProblem } from './zod-issues.js';

const SERVICE_TEMPLATE = /\{\{\s*services\.([^.}\s]+)[^}]*\}\}/g;

export function known(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

/** Problems for every value listed more than once; `label` turns a value into words. */
export function duplicates<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  pathOf: (index: number) => PropertyKey[],
  label: (key: string) => string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const first = new Map<string, number>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, index);
    else
      problems.push({
        path: pathOf(index),
        message: `${label(key)} is listed twice (first at ${formatPath(pathOf(earlier))})`,
      });
  });
  return problems;
}

function isProcess(service: { name: string }): service is LocalProcessServiceConfig {
  return !('postgres' in service);
}

function frontRules(scenario: ScenarioConfig): ConfigProblem[] {
  const services = scenario.local?.services ?? [];
  const fronts = services.flatMap((service, index) => (isProcess(service) && service.front ? [index] : []));
  if (fronts.length === 1) return [];
  if (fronts.length === 0) {
    return [
      {
        path: ['local', 'services'],
        message:
          'exactly one process service must have front: true (the one the traffic goes to); none has it',
      },
    ];
  }
  const firstIndex = fronts[0] ?? 0;
  const firstName = services[firstIndex]?.name ?? '';
  return fronts.slice(1).map((index) => ({
    path: ['local', 'services', index, 'front'],
    message: `only one service may have front: true; services[${firstIndex}] (${firstName}) already has it`,
  }));
}

/** Every string in `value` with its path, for template checks. */
function strings(
  value: unknown,
  path: PropertyKey[],
  out: Array<{ text: string; path: PropertyKey[] }>,
): void {
  if (typeof value === 'string') out.push({ text: value, path });
  else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      strings(item, [...path, index], out);
    });
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) strings(item, [...path, key], out);
  }
}

function templateRules(scenario: ScenarioConfig): ConfigProblem[] {
  const names = (scenario.local?.services ?? []).map((s) => s.name);
  const found: Array<{ text: string; path: PropertyKey[] }> = [];
  const { local, exec, traffic, existing } = scenario;
  strings({ local, exec, traffic, existing }, [], found);
  const problems: ConfigProblem[] = [];
  for (const { text, path } of found) {
    for (const match of text.matchAll(SERVICE_TEMPLATE)) {
      const name = match[1] ?? '';
      if (names.includes(name)) continue;
      problems.push({
        path,
        message: `template ${match[0]} refers to service "${name}", which is not defined in local.services (known: ${known(names)})${didYouMean(name, names)}`,
      });
    }
  }
  return problems;
}

export function scenarioRules(scenario: ScenarioConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  problems.push(
    ...duplicates(
      scenario.versions,
      (v) => v,
      (i) => ['versions', i],
      (v) => `version ${v}`,
    ),
  );
  const probe = scenario.versionProbe;
  const probes = (['header', 'jsonField', 'sql'] as const).filter((k) => probe[k] !== undefined);
  if (probes.length === 0) {
    problems.push({
      path: ['versionProbe'],
      message: scenario.traffic.sql
        ? 'set sql: a query whose first column names the serving version, e.g. "SHOW server_version"'
        : 'set header or jsonField: the part of each response that names the serving version',
    });
  } else if (probes.length > 1) {
    problems.push({
      path: ['versionProbe', probes[1] as string],
      message: `set only one of header, jsonField or sql (${probes.join(' and ')} are set)`,
    });
  } else if (scenario.traffic.sql && probe.sql === undefined) {
    problems.push({
      path: ['versionProbe', probes[0] as string],
      message:
        'SQL traffic (traffic.sql) reads the version with versionProbe.sql, e.g. "SHOW server_version"',
    });
  } else if (!scenario.traffic.sql && probe.sql !== undefined) {
    problems.push({
      path: ['versionProbe', 'sql'],
      message: 'versionProbe.sql is for SQL traffic (traffic.sql); HTTP traffic reads header or jsonField',
    });
  }
  if (scenario.local) {
    problems.push(
      ...duplicates(
        scenario.local.services,
        (s) => s.name,
        (i) => ['local', 'services', i, 'name'],
        (name) => `service name "${name}"`,
      ),
    );
    problems.push(...frontRules(scenario));
  }
  problems.push(
    ...duplicates(
      scenario.traffic.endpoints,
      (e) => e.name,
      (i) => ['traffic', 'endpoints', i, 'name'],
      (name) => `endpoint name "${name}"`,
    ),
  );
  problems.push(
    ...duplicates(
      scenario.traffic.connections,
      (c) => c,
      (i) => ['traffic', 'connections', i],
      (c) => `connection mode "${c}"`,
    ),
  );
  const writer = scenario.traffic.writer;
  if (writer && !/\{\{\s*key\s*\}\}/.test(writer.readPath)) {
    problems.push({
      path: ['traffic', 'writer', 'readPath'],
      message: `must contain {{key}} where the written key goes, e.g. "${writer.path.replace(/\/$/, '')}/{{key}}"`,
    });
  }
  if (Object.keys(scenario.profiles).length === 0) {
    problems.push({ path: ['profiles'], message: 'define at least one load profile, e.g. "default: {}"' });
  }
  problems.push(...templateRules(scenario));
  problems.push(...trafficRules(scenario));
  if (scenario.postgres) {
    scenario.versions.forEach((version, i) => {
      if (!isExactPostgresVersion(version))
        problems.push({
          path: ['versions', i],
          message: `the postgres method needs exact PostgreSQL versions this machine has binaries for (known: ${POSTGRES_VERSIONS.filter(isExactPostgresVersion).join(', ')}); got "${version}"`,
        });
    });
  }
  return problems;
}
