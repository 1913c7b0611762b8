import { clone, deepEqual, deletePath, getPath, isPlainObject, type JsonObject } from './json-util.js';
import { KubeStatusError } from './status-error.js';
import type { KubeObject, ManagedFieldsEntry } from './types.js';

/** Metadata the server owns; never counted as a manager's field. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

type Path = string[];

/** Leaf paths of an applied config: scalars, lists (atomic here) and empty objects are leaves. */
export function leafPaths(obj: KubeObject, skipStatus: boolean): Path[] {
  const out: Path[] = [];
  const walk = (value: unknown, path: Path) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    } else {
      out.push(path);
    }
  };
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || (skipStatus && key === 'status')) continue;
    if (key === 'metadata' && isPlainObject(value)) {
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (!SERVER_METADATA.has(metaKey)) walk(metaValue, ['metadata', metaKey]);
      }
      continue;
    }
    walk(value, [key]);
  }
  return out;
}

/** Paths in the `FieldsV1` form the API server writes: `{"f:spec":{"f:replicas":{}}}`. */
export function toFieldsV1(paths: Path[]): Record<string, unknown> {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const key of path) {
      const field = `f:${key}`;
      const next = node[field];
      if (isPlainObject(next)) {
        node = next;
      } else {
        const created: JsonObject = {};
        node[field] = created;
        node = created;
      }
    }
  }
  return root;
}

export function fromFieldsV1(fields: unknown): Path[] {
  const out: Path[] = [];
  const walk = (node: unknown, path: Path) => {
    const children = isPlainObject(node) ? Object.keys(node).filter((k) => k.startsWith('f:')) : [];
    if (children.length === 0) {
      if (path.length > 0) out.push(path);
      return;
    }
    for (const key of children) walk((node as JsonObject)[key], [...path, key.slice(2)]);
  };
  walk(fields, []);
  return out;
}

const pathKey = (path: Path): string => JSON.stringify(path);

function overlaps(a: Path, b: Path): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Objects merge, everything else (lists included) replaces; null deletes. */
function applyMerge(target: unknown, applied: unknown): unknown {
  if (!isPlainObject(applied)) return clone(applied);
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(applied)) {
    if (value === null) delete result[key];
    else result[key] = applyMerge(result[key], value);
  }
  return result;
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  /** apiVersion recorded in the manager's entry. */
  apiVersion: string;
  time: string;
  /** True on the main resource of a kind with a status subresource: status is not applied there. */
  skipStatus: boolean;
}

/**
 * Server-side apply, loosely: the applied config is merged into the live object (lists are
 * atomic), fields this manager applied before and now omits are removed unless another manager
 * applied them too, and a field another Apply manager owns with a different value is a 409
 * conflict unless `force` (then ownership moves). Update operations own no fields here.
 */
export function serverSideApply(live: KubeObject, applied: KubeObject, options: ApplyOptions): KubeObject {
  const entries = (live.metadata.managedFields ?? []).filter((e) => e.operation === 'Apply');
  const owners = new Map<string, Path[]>(entries.map((e) => [e.manager, fromFieldsV1(e.fieldsV1)]));
  const newPaths = leafPaths(applied, options.skipStatus);

  const conflicts: { manager: string; path: Path }[] = [];
  for (const [manager, paths] of owners) {
    if (manager === options.manager) continue;
    for (const owned of paths) {
      const clash = newPaths.find(
        (p) => overlaps(p, owned) && !deepEqual(getPath(live, owned), getPath(applied, owned)),
      );
      if (clash) conflicts.push({ manager, path: owned });
    }
  }
  if (conflicts.length > 0 && !options.force) {
    const causes = conflicts.map((c) => ({
      type: 'FieldManagerConflict',
      message: `conflict with "${c.manager}"`,
      field: `.${c.path.join('.')}`,
    }));
    const list = causes.map((c) => `${c.message}: ${c.field}`).join('\n- ');
    throw new KubeStatusError(
      409,
      'Conflict',
      `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${list}`,
      { name: live.metadata.name ?? '', kind: live.kind, causes },
    );
  }
  for (const c of conflicts) {
    const remaining = (owners.get(c.manager) ?? []).filter((p) => pathKey(p) !== pathKey(c.path));
    owners.set(c.manager, remaining);
  }

  const result = clone(live) as KubeObject;
  const newKeys = new Set(newPaths.map(pathKey));
  const ownedByOthers = new Set(
    [...owners].filter(([m]) => m !== options.manager).flatMap(([, paths]) => paths.map(pathKey)),
  );
  for (const old of owners.get(options.manager) ?? []) {
    const key = pathKey(old);
    if (!newKeys.has(key) && !ownedByOthers.has(key)) deletePath(result as JsonObject, old);
  }
  const { metadata: appliedMeta, status, ...appliedRest } = applied;
  const withStatus = options.skipStatus || status === undefined ? appliedRest : { ...appliedRest, status };
  const out = applyMerge(result, withStatus) as KubeObject;
  out.metadata = applyMerge(result.metadata, stripServerMeta(appliedMeta)) as KubeObject['metadata'];
  owners.set(options.manager, newPaths);

  const updates = (live.metadata.managedFields ?? []).filter((e) => e.operation !== 'Apply');
  const applies: ManagedFieldsEntry[] = [];
  for (const [manager, paths] of owners) {
    if (paths.length === 0) continue;
    const previous = entries.find((e) => e.manager === manager);
    applies.push({
      manager,
      operation: 'Apply',
      apiVersion:
        manager === options.manager ? options.apiVersion : (previous?.apiVersion ?? options.apiVersion),
      time: manager === options.manager ? options.time : (previous?.time ?? options.time),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(paths),
    });
  }
  out.metadata.managedFields = [...applies, ...updates];
  return out;
}

function stripServerMeta(meta: unknown): JsonObject {
  const out: JsonObject = {};
  if (!isPlainObject(meta)) return out;
  for (const [k, v] of Object.entries(meta)) if (!SERVER_METADATA.has(k)) out[k] = v;
  return out;
}
