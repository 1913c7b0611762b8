import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { errorMessage, UsageError } from '../../common/errors.js';
import { expandTemplate } from '../../common/template.js';
import type { OperatorMethodConfig } from '../../config/types.js';
import { type Expression, parseExpressions } from './operator-expressions.js';

/** A Kubernetes object as read from a manifest: apiVersion, kind and metadata.name are checked. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The scenario's `operator` section, checked and with paths made absolute. */
export interface OperatorSpec {
  manifests: string[];
  resource: string;
  versionPath: string[];
  ready: Expression[];
  failed: Expression[];
  timeoutSeconds: number;
  fieldManager: string;
}

const PATH_SEGMENT = /^[A-Za-z_][\w-]*$/;

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
  return {
    manifests: config.manifests.map(abs),
    resource: abs(config.resource),
    versionPath,
    ready: parseExpressions(config.ready, 'operator.ready'),
    failed: parseExpressions(config.failed, 'operator.failed'),
    timeoutSeconds: config.timeoutSeconds,
    fieldManager: config.fieldManager,
  };
}

/** The objects in a multi-document YAML file, `{{version}}` replaced; empty documents are skipped. */
export function loadObjects(file: string, version: string): KubeObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read operator manifest ${file}: ${errorMessage(err)}`);
  }
  let expanded: string;
  try {
    expanded = expandTemplate(text, { version });
  } catch (err) {
    throw new UsageError(`${file}: ${errorMessage(err)}`);
  }
  const objects: KubeObject[] = [];
  parseAllDocuments(expanded).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new UsageError(`${file} document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    objects.push(checkObject(value, `${file} document ${i + 1}`));
  });
  return objects;
}

/** The one custom resource in `file`, with the version field set to `version`. */
export function loadResource(spec: OperatorSpec, version: string): KubeObject {
  const objects = loadObjects(spec.resource, version);
  const [resource] = objects;
  if (!resource || objects.length !== 1) {
    throw new UsageError(
      `operator.resource ${spec.resource} must hold exactly one object (has ${objects.length})`,
    );
  }
  return { ...resource, ...nested(spec.versionPath, version, resource) };
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
