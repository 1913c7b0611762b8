/**
 * Rules between a scenario's traffic and what refers to it: every endpoint gets a rate, and every
 * class or sampler named by a rate, a profile or an SLO exists (a misspelt name would otherwise be
 * a limit that is never judged).
 */
import { didYouMean } from './suggest.js';
import type { ScenarioConfig } from './types.js';
import type { ConfigProblem } from './zod-issues.js';

/** The class and endpoint name the data-integrity writer's requests carry (see load/builtin). */
const WRITER_CLASS = 'write';
const WRITER_ENDPOINT = 'writer';

function list(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}

function unknownNames(
  names: readonly string[],
  known: readonly string[],
  pathOf: (name: string) => PropertyKey[],
  what: string,
): ConfigProblem[] {
  return names
    .filter((name) => !known.includes(name))
    .map((name) => ({
      path: pathOf(name),
      message: `${what} "${name}" does not exist (known: ${list(known)})${didYouMean(name, known)}`,
    }));
}

/** HTTP endpoints or SQL statements: exactly one kind, and what only the other kind has is refused. */
function trafficKindRules(scenario: ScenarioConfig): ConfigProblem[] {
  const { traffic } = scenario;
  if (!traffic.sql) {
    return traffic.endpoints.length > 0
      ? []
      : [
          {
            path: ['traffic'],
            message:
              'nothing to send: list HTTP endpoints in traffic.endpoints (or SQL statements in traffic.sql for a database)',
          },
        ];
  }
  const problems: ConfigProblem[] = [];
  const only = (key: string, instead: string) =>
    problems.push({ path: ['traffic', key], message: `is for HTTP traffic; with traffic.sql ${instead}` });
  if (traffic.endpoints.length > 0)
    only('endpoints', 'list SQL statements in traffic.sql.statements instead');
  if (traffic.writer) only('writer', 'use traffic.sql.writer (a table of committed keys) instead');
  if (traffic.classes) only('classes', 'every statement shares traffic.rate');
  for (const [name, profile] of Object.entries(scenario.profiles))
    if (profile.classRates)
      problems.push({
        path: ['profiles', name, 'classRates'],
        message:
          'is for HTTP traffic; with traffic.sql every statement shares the rate (set profiles.<name>.rate)',
      });
  return problems;
}

export function trafficRules(scenario: ScenarioConfig): ConfigProblem[] {
  const { traffic, slo } = scenario;
  const problems: ConfigProblem[] = trafficKindRules(scenario);
  // SQL statements are named and classed like endpoints: samplers are `<name>:<connection>` either way.
  const items: ReadonlyArray<{ name: string; class: string }> = traffic.sql?.statements ?? traffic.endpoints;
  const hasWriter = traffic.writer !== undefined || traffic.sql?.writer !== undefined;
  const endpointClasses = [...new Set(items.map((e) => e.class))];
  const judgedClasses = hasWriter ? [...endpointClasses, WRITER_CLASS] : endpointClasses;
  const classRate = (name: string) => traffic.classes?.[name]?.rate;

  const withoutRate = items.filter((e) => classRate(e.class) === undefined);
  if (withoutRate.length > 0 && traffic.rate === undefined) {
    const names = withoutRate.map((e) => `"${e.name}" (class ${e.class})`);
    const kind = traffic.sql ? 'statements' : 'endpoints';
    problems.push({
      path: ['traffic'],
      message: `rate is missing: ${kind} ${names.join(', ')} have no rate of their own in traffic.classes; set traffic.rate (requests per second per connection mode)${traffic.sql ? '' : ' or traffic.classes.<class>.rate'}`,
    });
  }
  if (withoutRate.length === 0 && items.length > 0) {
    const unused =
      'applies to no endpoint: every endpoint class has its own rate in traffic.classes; remove it';
    if (traffic.rate !== undefined) problems.push({ path: ['traffic', 'rate'], message: unused });
    for (const [name, profile] of Object.entries(scenario.profiles))
      if (profile.rate !== undefined) problems.push({ path: ['profiles', name, 'rate'], message: unused });
  }

  problems.push(
    ...unknownNames(
      Object.keys(traffic.classes ?? {}),
      endpointClasses,
      (name) => ['traffic', 'classes', name],
      'endpoint class',
    ),
  );
  for (const [profileName, profile] of Object.entries(scenario.profiles))
    problems.push(
      ...unknownNames(
        Object.keys(profile.classRates ?? {}),
        endpointClasses,
        (name) => ['profiles', profileName, 'classRates', name],
        'endpoint class',
      ),
    );
  problems.push(
    ...unknownNames(
      Object.keys(slo.classes ?? {}),
      judgedClasses,
      (name) => ['slo', 'classes', name],
      'endpoint class',
    ),
    ...unknownNames(
      Object.keys(slo.latency?.classes ?? {}),
      judgedClasses,
      (name) => ['slo', 'latency', 'classes', name],
      'endpoint class',
    ),
  );
  const samplers = items.flatMap((e) => traffic.connections.map((c) => `${e.name}:${c}`));
  if (hasWriter) samplers.push(`${WRITER_ENDPOINT}:reused`);
  problems.push(
    ...unknownNames(
      Object.keys(slo.maxDowntimeSecondsPerSampler ?? {}),
      samplers,
      (name) => ['slo', 'maxDowntimeSecondsPerSampler', name],
      'sampler',
    ),
  );
  return problems;
}
