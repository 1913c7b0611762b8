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

export function trafficRules(scenario: ScenarioConfig): ConfigProblem[] {
  const { traffic, slo } = scenario;
  const problems: ConfigProblem[] = [];
  const endpointClasses = [...new Set(traffic.endpoints.map((e) => e.class))];
  const judgedClasses = traffic.writer ? [...endpointClasses, WRITER_CLASS] : endpointClasses;
  const classRate = (name: string) => traffic.classes?.[name]?.rate;

  const withoutRate = traffic.endpoints.filter((e) => classRate(e.class) === undefined);
  if (withoutRate.length > 0 && traffic.rate === undefined) {
    const names = withoutRate.map((e) => `"${e.name}" (class ${e.class})`);
    problems.push({
      path: ['traffic'],
      message: `rate is missing: endpoints ${names.join(', ')} have no rate of their own in traffic.classes; set traffic.rate (requests per second per connection mode) or traffic.classes.<class>.rate`,
    });
  }
  if (withoutRate.length === 0) {
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
  const samplers = traffic.endpoints.flatMap((e) => traffic.connections.map((c) => `${e.name}:${c}`));
  if (traffic.writer) samplers.push(`${WRITER_ENDPOINT}:reused`);
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
