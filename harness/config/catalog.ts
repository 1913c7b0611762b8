/**
 * Catalog files: a product's release versions (oldest first) and the stops an upgrade must not
 * skip. A matrix names one with `catalog:`; its paths may then say `from: n-2`, `to: latest` and
 * `via: required-stops` (resolve-paths.ts). Checked like scenarios and matrices: every problem
 * at file:line:col with its field path.
 */
import { z } from 'zod';
import { ConfigError } from '../common/errors.js';
import { byPosition, type Checked, checkDocument } from './check-document.js';
import { duplicates, known } from './scenario-rules.js';
import { API_VERSION } from './schema.js';
import { nameSchema, versionSchema } from './schema-parts.js';
import { didYouMean } from './suggest.js';
import type { CatalogConfig } from './types.js';
import { type ParsedYaml, parseYaml, readYaml } from './yaml-source.js';
import type { ConfigProblem } from './zod-issues.js';

export const CatalogSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Catalog'),
    name: nameSchema,
    description: z.string().optional(),
    versions: z
      .array(versionSchema)
      .min(1)
      .meta({ description: "Every version of the product, oldest first (paths' n-K counts along it)." }),
    requiredStops: z
      .array(versionSchema)
      .default(() => [])
      .meta({ description: 'Versions an upgrade must pass through; each one of versions.' }),
  })
  .meta({
    title: 'upgrade-harness catalog',
    description: "A product's versions and required upgrade stops, named by a matrix's catalog field.",
  });

type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Fails to compile when the schema's output and `CatalogConfig` drift apart. */
export type CatalogSchemaMatchesType = Assert<Equals<z.output<typeof CatalogSchema>, CatalogConfig>>;

const NUMERIC_VERSION = /^\d+(\.\d+)*$/;

/** Compares dotted numeric versions (`17.11.6` > `17.3.7`); undefined when either is not one. */
export function compareNumericVersions(a: string, b: string): number | undefined {
  if (!NUMERIC_VERSION.test(a) || !NUMERIC_VERSION.test(b)) return undefined;
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Unique versions, oldest first (where they are dotted numbers); required stops among them. */
export function catalogRules(catalog: CatalogConfig): ConfigProblem[] {
  const { versions, requiredStops } = catalog;
  const problems: ConfigProblem[] = [
    ...duplicates(
      versions,
      String,
      (i) => ['versions', i],
      (v) => `version ${v}`,
    ),
    ...duplicates(
      requiredStops,
      String,
      (i) => ['requiredStops', i],
      (v) => `required stop ${v}`,
    ),
  ];
  for (let i = 1; i < versions.length; i++) {
    const previous = versions[i - 1] ?? '';
    const version = versions[i] ?? '';
    const order = compareNumericVersions(previous, version);
    if (order !== undefined && order > 0) {
      problems.push({
        path: ['versions', i],
        message: `version ${version} is older than ${previous}, listed before it; versions are oldest first`,
      });
    }
  }
  requiredStops.forEach((stop, i) => {
    if (versions.includes(stop)) return;
    problems.push({
      path: ['requiredStops', i],
      message: `required stop ${stop} is not in the catalog's versions (known: ${known(versions)})${didYouMean(stop, versions)}`,
    });
  });
  return problems;
}

/** Checks a parsed catalog file. */
export function checkCatalog(parsed: ParsedYaml): Checked<CatalogConfig> {
  return checkDocument(parsed, CatalogSchema, 'Catalog', catalogRules);
}

/** Parses catalog YAML text; `file` names it in issues. Throws ConfigError. */
export function parseCatalog(text: string, file = '<catalog>'): CatalogConfig {
  const checked = checkCatalog(parseYaml(text, file));
  if (!checked.value) throw new ConfigError([...checked.issues].sort(byPosition));
  return checked.value;
}

/** Loads and validates a catalog file. Throws ConfigError with every issue. */
export async function loadCatalog(file: string): Promise<CatalogConfig> {
  const checked = checkCatalog(await readYaml(file));
  if (!checked.value) throw new ConfigError([...checked.issues].sort(byPosition));
  return checked.value;
}
