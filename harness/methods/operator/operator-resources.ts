import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { errorMessage, UsageError } from '../../common/errors.js';
import { expandTemplate } from '../../common/template.js';
import type { OperatorChartConfig, OperatorMethodConfig } from '../../config/types.js';
import { type Expression, parseExpressions } from './operator-expressions.js';

/** A Kubernetes object as read from a manifest: apiVersion, kind and metadata.name are checked. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What `{{…}}` stands for in manifests and the resource: the product and operator versions. */
export interface TemplateVars {
  version: string;
  operatorVersion: string;
}

/** The scenario's `operator` section, checked and with paths made absolute. */
export interface OperatorSpec {
  /** Absolute files or http(s) URLs; `{{version}}`/`{{operatorVersion}}` still in them. */
  manifests: string[];
  chart?: OperatorChartConfig;
  operatorVersion: string;
  operatorVersions: Readonly<Record<string, string>>;
  versionValues: Readonly<Record<string, string>>;
  upgrade: OperatorMethodConfig['upgrade'];
  /** Namespace of the chart's release; undefined: the cell's namespace. */
  chartNamespace?: string;
  resource: string;
  versionPath: string[];
  ready: Expression[];
  failed: Expression[];
  timeoutSeconds: number;
  fieldManager: string;
}

const PATH_SEGMENT = /^[A-Za-z_][\w-]*$/;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Whether a manifest entry is a URL (any scheme; only http and https are accepted). */
export function isUrl(entry: string): boolean {
  return SCHEME.test(entry);
}

export function operatorSpec(config: OperatorMethodConfig, scenarioDir: string): OperatorSpec {
  const abs = (f: string) => (isAbsolute(f) ? f : resolve(scenarioDir, f));
  const versionPath = config.versionField.split('.');
  if (versionPath.length < 2 || !versionPath.every((s) => PATH_SEGMENT.test(s))) {
    throw new UsageError(
      `operator.versionField "${config.versionField}" must be a dotted field path such as spec.version`,
    );
  }
  if (versionPath[0] === 'metadata' || versionPath[0] === 'status') {
    throw new UsageError(
      `operator.versionField "${config.versionField}" must not be under metadata or status`,
    );
  }
  if (config.ready.length === 0) {
    throw new UsageError(
      'operator.ready is empty: name at least one expression that holds when the product is ready',
    );
  }
  if (!(config.timeoutSeconds > 0)) {
    throw new UsageError(`operator.timeoutSeconds must be positive (got ${config.timeoutSeconds})`);
  }
  if (config.fieldManager.trim() === '') throw new UsageError('operator.fieldManager is empty');
  const manifests = config.manifests.map((entry, i) => {
    const scheme = SCHEME.exec(entry)?.[1]?.toLowerCase();
    if (scheme === undefined) return abs(entry);
    if (scheme !== 'http' && scheme !== 'https') {
      throw new UsageError(
        `operator.manifests[${i}] "${entry}" is a ${scheme}: URL; only http(s) URLs and files are read`,
      );
    }
    return entry;
  });
  const upgrade = config.upgrade ?? 'resource';
  if (upgrade !== 'resource' && manifests.length === 0 && !config.chart) {
    throw new UsageError(
      `operator.upgrade is ${upgrade}, but the operator has neither manifests nor a chart to re-install`,
      'list its manifests (files or https:// URLs) in operator.manifests, or give operator.chart',
    );
  }
  return {
    manifests,
    ...(config.chart ? { chart: config.chart } : {}),
    operatorVersion: config.operatorVersion ?? '{{version}}',
    operatorVersions: config.operatorVersions ?? {},
    versionValues: config.versionValues ?? {},
    upgrade,
    ...(config.namespace ? { chartNamespace: config.namespace } : {}),
    resource: abs(config.resource),
    versionPath,
    ready: parseExpressions(config.ready, 'operator.ready'),
    failed: parseExpressions(config.failed, 'operator.failed'),
    timeoutSeconds: config.timeoutSeconds,
    fieldManager: config.fieldManager,
  };
}

/**
 * The operator version for a product version: `operatorVersions[version]` when the map has
 * entries (one missing is a UsageError), else `operatorVersion` with `{{version}}` replaced.
 */
export function operatorVersionFor(
  spec: Pick<OperatorSpec, 'operatorVersion' | 'operatorVersions'>,
  version: string,
): string {
  const keys = Object.keys(spec.operatorVersions);
  if (keys.length > 0) {
    const mapped = spec.operatorVersions[version];
    if (mapped === undefined) {
      throw new UsageError(
        `operator.operatorVersions has no entry for version ${version} (has: ${keys.join(', ')})`,
        `add "${version}: <operator version>" to operator.operatorVersions, or drop the map to use operator.operatorVersion`,
      );
    }
    return mapped;
  }
  try {
    return expandTemplate(spec.operatorVersion, { version });
  } catch (err) {
    throw new UsageError(`operator.operatorVersion: ${errorMessage(err)}`, 'only {{version}} is known here');
  }
}

/**
 * What the resource's version field says for a product version: `versionValues[version]` when the
 * map has entries (one missing is a UsageError), else the version itself.
 */
export function versionValueFor(spec: Pick<OperatorSpec, 'versionValues'>, version: string): string {
  const keys = Object.keys(spec.versionValues);
  if (keys.length === 0) return version;
  const mapped = spec.versionValues[version];
  if (mapped === undefined) {
    throw new UsageError(
      `operator.versionValues has no entry for version ${version} (has: ${keys.join(', ')})`,
      `add "${version}: <value of the version field>" to operator.versionValues`,
    );
  }
  return mapped;
}

/** The template variables for a product version: `{{version}}` is what the version field says. */
export function templateVars(spec: OperatorSpec, version: string): TemplateVars {
  return { version: versionValueFor(spec, version), operatorVersion: operatorVersionFor(spec, version) };
}

/** Expands `{{version}}` and `{{operatorVersion}}` in a manifest entry (a file or a URL). */
export function expandEntry(entry: string, vars: TemplateVars, field: string): string {
  try {
    return expandTemplate(entry, { ...vars });
  } catch (err) {
    throw new UsageError(`${field}: ${errorMessage(err)}`);
  }
}

/** The objects in a multi-document YAML file, templates replaced; empty documents are skipped. */
export function loadObjects(file: string, vars: TemplateVars): KubeObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read operator manifest ${file}: ${errorMessage(err)}`);
  }
  return parseObjects(text, file, vars);
}

/** The objects in multi-document YAML text from `where` (a file or a URL, for messages). */
export function parseObjects(text: string, where: string, vars: TemplateVars): KubeObject[] {
  let expanded: string;
  try {
    expanded = expandTemplate(text, { ...vars });
  } catch (err) {
    throw new UsageError(`${where}: ${errorMessage(err)}`);
  }
  const objects: KubeObject[] = [];
  parseAllDocuments(expanded).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new UsageError(`${where} document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    objects.push(checkObject(value, `${where} document ${i + 1}`));
  });
  return objects;
}

/** The one custom resource in `file`, with the version field set to `vars.version`. */
export function loadResource(spec: OperatorSpec, vars: TemplateVars): KubeObject {
  const objects = loadObjects(spec.resource, vars);
  const [resource] = objects;
  if (!resource || objects.length !== 1) {
    throw new UsageError(
      `operator.resource ${spec.resource} must hold exactly one object (has ${objects.length})`,
    );
  }
  return { ...resource, ...nested(spec.versionPath, vars.version, resource) };
}

/** `{ spec: { chart: { version } } }` for path spec.chart.version, merged into `base` when given. */
export function nested(
  path: readonly string[],
  value: string,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) throw new Error('empty field path');
  if (rest.length === 0) return { [head]: value };
  const inner = base[head];
  const innerBase =
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? (inner as Record<string, unknown>)
      : {};
  return { [head]: { ...innerBase, ...nested(rest, value, innerBase) } };
}

/** `apiVersion Kind/name`, for messages and the plan. */
export function describeObject(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const ns = obj.metadata.namespace ? ` in ${obj.metadata.namespace}` : '';
  return `${obj.apiVersion} ${obj.kind}/${obj.metadata.name}${ns}`;
}

function checkObject(value: unknown, where: string): KubeObject {
  const o = value as Partial<KubeObject>;
  if (typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${where} is not an object`);
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    throw new UsageError(`${where} has no apiVersion or kind`);
  }
  if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
    throw new UsageError(`${where} (${o.kind}) has no metadata.name (generateName is not supported)`);
  }
  return o as KubeObject;
}
