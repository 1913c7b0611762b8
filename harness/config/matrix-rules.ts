/**
 * Rules that relate a matrix to itself and to its scenario, applied after both parsed. Every
 * problem is returned, located by field path in the matrix file.
 */
import { isCompatible, PLATFORM_METHODS, platformsFor } from '../matrix/compat.js';
import {
  BUILTIN_AXES,
  formatPathValue,
  resolveInclude,
  STRATEGY_METHODS,
  usesStrategy,
} from '../matrix/expand.js';
import { postgresMajor } from '../platforms/local/postgres-versions.js';
import { duplicates, known } from './scenario-rules.js';
import { didYouMean } from './suggest.js';
import type {
  CatalogConfig,
  CellMatch,
  MatrixConfig,
  MatrixInput,
  MethodName,
  PathConfig,
  PathInput,
  PlatformName,
  ScenarioConfig,
} from './types.js';
import type { ConfigProblem } from './zod-issues.js';

type Path = PropertyKey[];

/** What a loaded path was resolved from, to name it in messages, and the catalog it came from. */
export interface PathContext {
  /** The matrix as written: where a path said n-K, latest or required-stops. */
  input?: MatrixInput;
  catalog?: CatalogConfig;
}

/** ` (from: n-2)` when the file said something else than the version. */
function origin(written: PathInput | undefined, end: 'from' | 'to', version: string): string {
  const said = written?.[end];
  return said !== undefined && said !== version ? ` (${end}: ${said})` : '';
}

function stopOrigin(written: PathInput | undefined): string {
  return written?.via === 'required-stops' ? ' (a required stop of the catalog)' : '';
}

/**
 * The first stop out of place in `order` (oldest first): stops must ascend, strictly between from
 * and to. Versions `order` does not list are skipped.
 */
function misplacedStop(
  path: PathConfig,
  order: readonly string[],
): { index: number; stop: string; after?: string; before?: string } | undefined {
  const position = (v: string) => order.indexOf(v);
  let previous = position(path.from) >= 0 ? path.from : undefined;
  const to = position(path.to);
  for (const [index, stop] of (path.via ?? []).entries()) {
    const at = position(stop);
    if (at < 0) continue;
    if (previous !== undefined && at <= position(previous)) return { index, stop, after: previous };
    if (to >= 0 && at >= to) return { index, stop, before: path.to };
    previous = stop;
  }
  return undefined;
}

function orderMessage(
  found: NonNullable<ReturnType<typeof misplacedStop>>,
  where: string,
  order: readonly string[],
): string {
  const place = found.after !== undefined ? `after ${found.after}` : `before ${found.before}`;
  return `stop ${found.stop} must come ${place} in ${where} (oldest first: ${known([...order])}); stops go from older to newer, strictly between from and to`;
}

function pathRules(
  path: PathConfig,
  at: Path,
  scenario: ScenarioConfig,
  written?: PathInput,
  catalog?: CatalogConfig,
): ConfigProblem[] {
  const versions = scenario.versions;
  const problems: ConfigProblem[] = [];
  for (const end of ['from', 'to'] as const) {
    const version = path[end];
    if (!versions.includes(version)) {
      problems.push({
        path: [...at, end],
        message: `version ${version}${origin(written, end, version)} is not in the scenario's versions (known: ${known(versions)})`,
      });
    }
  }
  const stops = path.via ?? [];
  stops.forEach((stop, j) => {
    if (versions.includes(stop)) return;
    problems.push({
      path: [...at, 'via', j],
      message: `stop ${stop}${stopOrigin(written)} is not in the scenario's versions (known: ${known(versions)})`,
    });
  });
  if (problems.length > 0) return problems;
  const from = versions.indexOf(path.from);
  const to = versions.indexOf(path.to);
  if (from === to) {
    problems.push({
      path: at,
      message: `from and to are the same version (${path.from}); a path goes to a newer version`,
    });
  } else if (from > to) {
    problems.push({
      path: [...at, 'from'],
      message: `version ${path.from}${origin(written, 'from', path.from)} comes after ${path.to} in the scenario's versions (oldest first: ${known(versions)}); from must be older than to`,
    });
  }
  if (problems.length === 0) {
    const inScenario = misplacedStop(path, versions);
    const inCatalog = catalog && !inScenario ? misplacedStop(path, catalog.versions) : undefined;
    if (inScenario) {
      problems.push({
        path: [...at, 'via', inScenario.index],
        message: orderMessage(inScenario, "the scenario's versions", versions),
      });
    } else if (inCatalog && catalog) {
      problems.push({
        path: [...at, 'via', inCatalog.index],
        message: orderMessage(inCatalog, `catalog ${catalog.name}'s versions`, catalog.versions),
      });
    }
  }
  if (scenario.postgres && postgresMajor(path.from) !== postgresMajor(path.to)) {
    problems.push({
      path: at,
      message: `PostgreSQL ${path.from} → ${path.to} changes the major version, which needs pg_upgrade (or a dump and restore); the postgres method swaps binaries only within one major version`,
    });
  }
  return problems;
}

function profileRule(profile: string, at: Path, scenario: ScenarioConfig): ConfigProblem[] {
  const names = Object.keys(scenario.profiles);
  if (names.includes(profile)) return [];
  return [
    {
      path: at,
      message: `profile "${profile}" is not defined in the scenario's profiles (known: ${known(names)})${didYouMean(profile, names)}`,
    },
  ];
}

function methodRule(method: MethodName, at: Path, scenario: ScenarioConfig): ConfigProblem[] {
  if (method === 'local' && !scenario.local) {
    return [{ path: at, message: 'method local needs a "local" section (services, hooks) in the scenario' }];
  }
  if (method === 'exec' && !scenario.exec) {
    return [
      {
        path: at,
        message: 'method exec needs an "exec" section (install, upgrade, rollback commands) in the scenario',
      },
    ];
  }
  if (method === 'operator' && !scenario.operator) {
    return [
      {
        path: at,
        message:
          'method operator needs an "operator" section (resource, versionField, ready) in the scenario',
      },
    ];
  }
  if (method === 'helm' && !scenario.helm) {
    return [{ path: at, message: 'method helm needs a "helm" section (chart, values, set) in the scenario' }];
  }
  if (method === 'postgres' && !scenario.postgres) {
    return [
      { path: at, message: 'method postgres needs a "postgres" section (database, setup) in the scenario' },
    ];
  }
  return [];
}

function platformRule(platform: PlatformName, at: Path, scenario: ScenarioConfig): ConfigProblem[] {
  if (
    platform === 'existing' &&
    (scenario.existing?.urls.length ?? 0) === 0 &&
    !scenario.existing?.kubernetes
  ) {
    return [
      {
        path: at,
        message:
          'platform existing needs existing.urls (where the product already runs) or existing.kubernetes (a cluster to make namespaces in) in the scenario',
      },
    ];
  }
  if ((platform === 'kind' || platform === 'k3d' || platform === 'k3s') && !scenario.kubernetes) {
    return [
      {
        path: at,
        message: `platform ${platform} needs a "kubernetes" section (cluster config, how traffic gets in: access.service and access.port) in the scenario`,
      },
    ];
  }
  return [];
}

function axesRules(matrix: MatrixConfig, scenario: ScenarioConfig, context: PathContext): ConfigProblem[] {
  const { axes } = matrix;
  const problems: ConfigProblem[] = [];
  const same = (name: string) => (key: string) => `${name} ${key}`;
  problems.push(...duplicates(axes.platform, String, (i) => ['axes', 'platform', i], same('platform')));
  problems.push(...duplicates(axes.method, String, (i) => ['axes', 'method', i], same('method')));
  problems.push(...duplicates(axes.strategy, String, (i) => ['axes', 'strategy', i], same('strategy')));
  problems.push(...duplicates(axes.path, formatPathValue, (i) => ['axes', 'path', i], same('path')));
  problems.push(...duplicates(axes.rollback, String, (i) => ['axes', 'rollback', i], same('rollback')));
  problems.push(...duplicates(axes.profile, String, (i) => ['axes', 'profile', i], same('profile')));
  axes.path.forEach((path, i) => {
    problems.push(
      ...pathRules(path, ['axes', 'path', i], scenario, context.input?.axes.path[i], context.catalog),
    );
  });
  axes.profile.forEach((profile, i) => {
    problems.push(...profileRule(profile, ['axes', 'profile', i], scenario));
  });
  axes.method.forEach((method, i) => {
    problems.push(...methodRule(method, ['axes', 'method', i], scenario));
    if (!axes.platform.some((p) => isCompatible(p, method))) {
      problems.push({
        path: ['axes', 'method', i],
        message: `method ${method} runs only on platform ${platformsFor(method).join(' or ')}, which is not in axes.platform`,
      });
    }
  });
  axes.platform.forEach((platform, i) => {
    problems.push(...platformRule(platform, ['axes', 'platform', i], scenario));
    if (!axes.method.some((m) => isCompatible(platform, m))) {
      problems.push({
        path: ['axes', 'platform', i],
        message: `platform ${platform} works only with method ${PLATFORM_METHODS[platform].join(' or ')}, which is not in axes.method`,
      });
    }
  });
  const execRollback = (scenario.exec?.rollback.length ?? 0) > 0;
  if (scenario.exec && !execRollback && axes.method.includes('exec')) {
    axes.rollback.forEach((policy, i) => {
      if (policy === 'never') return;
      problems.push({
        path: ['axes', 'rollback', i],
        message: `rollback ${policy} with method exec needs exec.rollback commands in the scenario (or use rollback: [never])`,
      });
    });
  }
  for (const [name, values] of Object.entries(axes.custom)) {
    if ((BUILTIN_AXES as readonly string[]).includes(name)) {
      problems.push({
        path: ['axes', 'custom', name],
        target: 'key',
        message: `custom axis "${name}" has the name of a built-in axis (${BUILTIN_AXES.join(', ')}); choose another name`,
      });
    }
    problems.push(
      ...duplicates(
        values,
        String,
        (i) => ['axes', 'custom', name, i],
        (v) => `value ${v}`,
      ),
    );
  }
  return problems;
}

function customKeyRule(match: CellMatch, at: Path, matrix: MatrixConfig): ConfigProblem[] {
  const names = Object.keys(matrix.axes.custom);
  return Object.keys(match.custom ?? {})
    .filter((name) => !names.includes(name))
    .map((name) => ({
      path: [...at, 'custom', name],
      target: 'key' as const,
      message: `unknown custom axis "${name}" (known: ${known(names)})${didYouMean(name, names)}`,
    }));
}

function includeRules(matrix: MatrixConfig, scenario: ScenarioConfig, context: PathContext): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  matrix.include.forEach((include, i) => {
    const at: Path = ['include', i];
    problems.push(...customKeyRule(include, at, matrix));
    if (include.path) {
      const written = context.input?.include[i]?.path;
      problems.push(...pathRules(include.path, [...at, 'path'], scenario, written, context.catalog));
    }
    if (include.profile !== undefined)
      problems.push(...profileRule(include.profile, [...at, 'profile'], scenario));
    if (include.method !== undefined)
      problems.push(...methodRule(include.method, [...at, 'method'], scenario));
    if (include.platform !== undefined)
      problems.push(...platformRule(include.platform, [...at, 'platform'], scenario));
    const resolved = resolveInclude(matrix, include);
    if (!isCompatible(resolved.platform, resolved.method)) {
      problems.push({
        path: include.method !== undefined ? [...at, 'method'] : [...at, 'platform'],
        message: `platform ${resolved.platform} does not work with method ${resolved.method} (platform ${resolved.platform} works with method ${PLATFORM_METHODS[resolved.platform].join(' or ')})`,
      });
    }
  });
  return problems;
}

/** Rules for exclude and expect matches: every value they name must be a value some cell can have. */
/**
 * A match that names a strategy matches only cells of methods that use it (local, exec): cells of
 * the others have no strategy. Said, rather than letting an exclude or expect silently match nothing.
 */
function strategyMatchRule(match: CellMatch, at: Path, matrix: MatrixConfig): ConfigProblem[] {
  if (match.strategy === undefined) return [];
  const methods = match.method !== undefined ? [match.method] : matrix.axes.method;
  if (methods.some(usesStrategy)) return [];
  return [
    {
      path: [...at, 'strategy'],
      message: `${methods.join(', ')} ${methods.length > 1 ? 'ignore' : 'ignores'} the strategy axis (only ${STRATEGY_METHODS.join(' and ')} use it), so cells of ${methods.length > 1 ? 'these methods' : 'this method'} have no strategy and this match would match none of them; drop strategy here`,
    },
  ];
}

function matchRules(match: CellMatch, at: Path, matrix: MatrixConfig): ConfigProblem[] {
  const { axes, include } = matrix;
  const problems: ConfigProblem[] = [
    ...customKeyRule(match, at, matrix),
    ...strategyMatchRule(match, at, matrix),
  ];
  const check = (axis: string, value: string | undefined, values: readonly string[], field: Path) => {
    if (value === undefined || values.includes(value)) return;
    problems.push({
      path: [...at, ...field],
      message: `${value} is not a value of axes.${axis} or of any include (known: ${known([...new Set(values)])})${didYouMean(value, values)}`,
    });
  };
  const withIncludes = <T>(axisValues: readonly T[], pick: (m: CellMatch) => T | undefined): T[] => [
    ...axisValues,
    ...include.flatMap((inc) => {
      const value = pick(inc);
      return value === undefined ? [] : [value];
    }),
  ];
  check(
    'platform',
    match.platform,
    withIncludes(axes.platform, (m) => m.platform),
    ['platform'],
  );
  check(
    'method',
    match.method,
    withIncludes(axes.method, (m) => m.method),
    ['method'],
  );
  check(
    'strategy',
    match.strategy,
    withIncludes(axes.strategy, (m) => m.strategy),
    ['strategy'],
  );
  check(
    'rollback',
    match.rollback,
    withIncludes(axes.rollback, (m) => m.rollback),
    ['rollback'],
  );
  check(
    'profile',
    match.profile,
    withIncludes(axes.profile, (m) => m.profile),
    ['profile'],
  );
  if (match.path) {
    // Without via, a match names from and to only and fits a path whatever its stops.
    const loose = match.path.via === undefined;
    const shown = (p: PathConfig) => formatPathValue(loose ? { from: p.from, to: p.to } : p);
    const paths = withIncludes(axes.path, (m) => m.path).map(shown);
    check('path', shown(match.path), paths, ['path']);
  }
  for (const [name, value] of Object.entries(match.custom ?? {})) {
    const values = axes.custom[name];
    if (!values) continue;
    check(
      `custom.${name}`,
      value,
      withIncludes(values, (m) => m.custom?.[name]),
      ['custom', name],
    );
  }
  return problems;
}

/**
 * Every problem of a loaded matrix (paths resolved) with its scenario. `context` names what the
 * paths were written as and the catalog, for messages and the stops' order.
 */
export function matrixRules(
  matrix: MatrixConfig,
  scenario: ScenarioConfig,
  context: PathContext = {},
): ConfigProblem[] {
  const problems = [...axesRules(matrix, scenario, context), ...includeRules(matrix, scenario, context)];
  matrix.exclude.forEach((match, i) => {
    problems.push(...matchRules(match, ['exclude', i], matrix));
  });
  matrix.expect.forEach((rule, i) => {
    problems.push(...matchRules(rule.match, ['expect', i, 'match'], matrix));
  });
  const rolling = matrix.strategyOptions.rolling;
  if (rolling.maxSurge === 0 && rolling.maxUnavailable === 0) {
    problems.push({
      path: ['strategyOptions', 'rolling'],
      message: 'maxSurge and maxUnavailable cannot both be 0: the rollout could never replace a replica',
    });
  }
  return problems;
}
