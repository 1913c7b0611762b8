/**
 * Resolves the paths of a matrix as written (PathInput) into PathConfig, against the matrix's
 * catalog: `from: n-K` (K places before `to` in the catalog's versions), `to: latest` (its last
 * version), `via: required-stops` (its required stops strictly between from and to, in catalog
 * order), `via: direct` (none) and explicit stops. Whether the versions are known to the scenario
 * and in order is matrix-rules.ts's job, on the result.
 */
import { known } from './scenario-rules.js';
import type { CatalogConfig, CellMatch, MatrixConfig, MatrixInput, PathConfig, PathInput } from './types.js';
import type { ConfigProblem } from './zod-issues.js';

type Path = PropertyKey[];

const COUNT_BACK = /^n-(\d+)$/;
const LATEST = 'latest';

/** `cell`: a path cells get (no stops: `via` absent); `match`: exclude/expect, where `via: direct` is `[]`. */
type PathRole = 'cell' | 'match';

export interface ResolvedMatrix {
  matrix: MatrixConfig;
  problems: ConfigProblem[];
  /** Field paths of the paths that could not be resolved (kept as written, without stops). */
  unresolved: Path[];
}

function noCatalog(what: string, instead = 'write the version'): string {
  return `${what}, but the matrix names no catalog; add catalog: <file> (a Catalog file of versions and requiredStops) to the matrix, or ${instead}`;
}

function catalogVersions(catalog: CatalogConfig): string {
  return `${catalog.versions.length} version(s): ${known(catalog.versions)}`;
}

function resolveTo(written: string, at: Path, catalog: CatalogConfig | undefined, problems: ConfigProblem[]) {
  if (COUNT_BACK.test(written)) {
    problems.push({
      path: [...at, 'to'],
      message: `${written} counts back from to, so only from can be ${written}; write a version (or latest) here`,
    });
    return undefined;
  }
  if (written !== LATEST) return written;
  if (!catalog) {
    problems.push({ path: [...at, 'to'], message: noCatalog("to: latest is a catalog's last version") });
    return undefined;
  }
  return catalog.versions[catalog.versions.length - 1];
}

function resolveFrom(
  written: string,
  to: string | undefined,
  at: Path,
  catalog: CatalogConfig | undefined,
  problems: ConfigProblem[],
): string | undefined {
  const countBack = COUNT_BACK.exec(written);
  if (written === LATEST) {
    if (catalog) return catalog.versions[catalog.versions.length - 1];
    problems.push({ path: [...at, 'from'], message: noCatalog("from: latest is a catalog's last version") });
    return undefined;
  }
  if (!countBack) return written;
  const k = Number(countBack[1]);
  if (!catalog) {
    problems.push({
      path: [...at, 'from'],
      message: noCatalog(`from: ${written} is the version ${k} place(s) before to in a catalog's versions`),
    });
    return undefined;
  }
  if (k === 0) {
    problems.push({
      path: [...at, 'from'],
      message: `from: n-0 would be to itself; write n-1 (the version before to) or more`,
    });
    return undefined;
  }
  if (to === undefined) return undefined;
  const index = catalog.versions.indexOf(to);
  if (index < 0) {
    problems.push({
      path: [...at, 'from'],
      message: `from: ${written} counts back from ${to} in catalog ${catalog.name}'s versions, but ${to} is not one of them (${catalogVersions(catalog)})`,
    });
    return undefined;
  }
  if (index - k < 0) {
    problems.push({
      path: [...at, 'from'],
      message: `from: ${written} is ${k} version(s) before ${to}, but catalog ${catalog.name} has only ${index} before it (${catalogVersions(catalog)})`,
    });
    return undefined;
  }
  return catalog.versions[index - k];
}

function requiredStops(
  from: string,
  to: string,
  at: Path,
  catalog: CatalogConfig,
  problems: ConfigProblem[],
): string[] | undefined {
  const missing = [from, to].filter((v) => !catalog.versions.includes(v));
  if (missing.length > 0) {
    problems.push({
      path: [...at, 'via'],
      message: `via: required-stops needs from and to in catalog ${catalog.name}'s versions; ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not (${catalogVersions(catalog)})`,
    });
    return undefined;
  }
  const start = catalog.versions.indexOf(from);
  const end = catalog.versions.indexOf(to);
  return catalog.versions.filter((v, i) => i > start && i < end && catalog.requiredStops.includes(v));
}

/** The catalog's required stops strictly between from and to. */
function skippedStops(from: string, to: string, catalog: CatalogConfig): string[] {
  const start = catalog.versions.indexOf(from);
  const end = catalog.versions.indexOf(to);
  if (start < 0 || end < 0) return [];
  return catalog.versions.filter((v, i) => i > start && i < end && catalog.requiredStops.includes(v));
}

/** One path: the resolved path, or undefined with the problems that stopped it. */
export function resolvePath(
  written: PathInput,
  at: Path,
  catalog: CatalogConfig | undefined,
  role: PathRole = 'cell',
): { path?: PathConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const to = resolveTo(written.to, at, catalog, problems);
  const from = resolveFrom(written.from, to, at, catalog, problems);
  let via: string[] | undefined;
  if (written.via === 'required-stops') {
    if (!catalog) {
      problems.push({
        path: [...at, 'via'],
        message: noCatalog(
          "via: required-stops takes the stops from a catalog's requiredStops",
          'list the stops: via: [STOP, ...]',
        ),
      });
    } else if (from !== undefined && to !== undefined) via = requiredStops(from, to, at, catalog, problems);
  } else if (written.via === 'direct') via = [];
  else if (written.via !== undefined) via = [...written.via];
  if (from === undefined || to === undefined || problems.length > 0) return { problems };
  // A cell path that says nothing about stops must not silently jump over the catalog's required
  // ones (the product would refuse the upgrade, for a reason the matrix did not mean to test).
  if (role === 'cell' && catalog && written.via === undefined) {
    const skipped = skippedStops(from, to, catalog);
    if (skipped.length > 0) {
      const them = skipped.length > 1 ? 'them' : 'it';
      problems.push({
        path: at,
        message: `${from} → ${to} skips the required upgrade stop${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')} of catalog ${catalog.name}; write via: required-stops (or list ${them} in via), or via: direct to skip ${them} on purpose`,
      });
      return { problems };
    }
  }
  if (via === undefined) return { path: { from, to }, problems };
  // A cell's path without stops has no via; in a match any written via (direct, or required stops
  // that are none) asks for exactly those stops: no stops.
  if (via.length === 0 && role === 'cell') return { path: { from, to }, problems };
  return { path: { from, to, via }, problems };
}

/** A path that could not be resolved, kept as written without its stops (rules skip it). */
function asWritten(path: PathInput): PathConfig {
  return { from: path.from, to: path.to };
}

/** Every path of the matrix resolved; a path that cannot be is kept as written and listed. */
export function resolveMatrix(input: MatrixInput, catalog?: CatalogConfig): ResolvedMatrix {
  const problems: ConfigProblem[] = [];
  const unresolved: Path[] = [];
  const one = (path: PathInput, at: Path, role: PathRole): PathConfig => {
    const resolved = resolvePath(path, at, catalog, role);
    problems.push(...resolved.problems);
    if (resolved.path) return resolved.path;
    unresolved.push(at);
    return asWritten(path);
  };
  const match = <T extends CellMatch<PathInput>>(m: T, at: Path, role: PathRole) => {
    const { path, ...rest } = m;
    return path === undefined ? { ...rest } : { ...rest, path: one(path, [...at, 'path'], role) };
  };
  const matrix: MatrixConfig = {
    ...input,
    axes: { ...input.axes, path: input.axes.path.map((p, i) => one(p, ['axes', 'path', i], 'cell')) },
    include: input.include.map((inc, i) => match(inc, ['include', i], 'cell')),
    exclude: input.exclude.map((ex, i) => match(ex, ['exclude', i], 'match')),
    expect: input.expect.map((rule, i) => ({
      ...rule,
      match: match(rule.match, ['expect', i, 'match'], 'match'),
    })),
  };
  return { matrix, problems, unresolved };
}

/** True when `path` lies under one of `prefixes`. */
export function isUnder(path: readonly PropertyKey[], prefixes: readonly Path[]): boolean {
  return prefixes.some((prefix) => prefix.every((segment, i) => path[i] === segment));
}
