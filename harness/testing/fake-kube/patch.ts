import { clone, deepEqual, isPlainObject, type JsonObject } from './json-util.js';
import { KubeStatusError } from './status-error.js';

/** RFC 7386 JSON merge patch: objects merge, `null` deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Lists that strategic merge patches merge by a key instead of replacing (Kubernetes' patchMergeKey). */
const MERGE_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  env: ['name'],
  imagePullSecrets: ['name'],
  volumeMounts: ['mountPath'],
  ports: ['containerPort', 'port'],
  conditions: ['type'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey'],
};

/** Primitive lists with patchStrategy=merge (union). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  const candidates = MERGE_KEYS[field];
  if (!candidates) return undefined;
  return candidates.find((key) => items.every((item) => isPlainObject(item) && item[key] !== undefined));
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const base = Array.isArray(current) ? current : [];
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((p) => !isPlainObject(p))) {
    return [...base, ...patch.filter((p) => !base.some((b) => deepEqual(b, p)))];
  }
  const key = mergeKeyFor(field, [...base, ...patch]);
  if (!key) return clone(patch.filter((p) => !(isPlainObject(p) && '$patch' in p)));
  const result = [...base];
  for (const item of patch) {
    if (!isPlainObject(item)) continue;
    const index = result.findIndex((r) => isPlainObject(r) && deepEqual(r[key], item[key]));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = strategicMergePatch(result[index], item);
    else result.push(strategicMergePatch(undefined, item));
  }
  return result;
}

/**
 * Strategic merge patch, approximated: a merge patch whose lists of containers, env, volumes,
 * ports, conditions ... merge by their key, with `$patch: delete|replace` and
 * `$deleteFromPrimitiveList/<field>`; other `$` directives (setElementOrder, retainKeys) are dropped.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = result[field];
      if (Array.isArray(list) && Array.isArray(value)) {
        result[field] = list.filter((item) => !value.some((v) => deepEqual(v, item)));
      }
      continue;
    }
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      result[key] = mergeList(key, result[key], value);
    } else {
      const merged = strategicMergePatch(result[key], value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  return result;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

function invalidPatch(message: string): KubeStatusError {
  return new KubeStatusError(
    422,
    'Invalid',
    `the server rejected our request due to an error in our request: ${message}`,
  );
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalidPatch(`invalid JSON pointer ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = JsonObject | unknown[];

function parentOf(doc: unknown, tokens: string[], pointer: string): { parent: Container; last: string } {
  let current = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isPlainObject(current)) current = current[token];
    else current = undefined;
  }
  const last = tokens[tokens.length - 1];
  if (last === undefined || !(Array.isArray(current) || isPlainObject(current))) {
    throw invalidPatch(`path ${pointer} does not exist`);
  }
  return { parent: current, last };
}

function arrayIndex(list: unknown[], token: string, forAdd: boolean, pointer: string): number {
  if (forAdd && token === '-') return list.length;
  const index = Number(token);
  const max = forAdd ? list.length : list.length - 1;
  if (!/^\d+$/.test(token) || index > max) throw invalidPatch(`index ${token} out of range in ${pointer}`);
  return index;
}

function read(doc: unknown, pointer: string): unknown {
  let current = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(current)) current = current[arrayIndex(current, token, false, pointer)];
    else if (isPlainObject(current) && Object.hasOwn(current, token)) current = current[token];
    else throw invalidPatch(`path ${pointer} does not exist`);
  }
  return current;
}

function remove(doc: unknown, pointer: string): unknown {
  const { parent, last } = parentOf(doc, parsePointer(pointer), pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, pointer), 1)[0];
  if (!Object.hasOwn(parent, last)) throw invalidPatch(`path ${pointer} does not exist`);
  const old = parent[last];
  delete parent[last];
  return old;
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return clone(value);
  const { parent, last } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, pointer), 0, clone(value));
  else parent[last] = clone(value);
  return doc;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test) on a copy of `doc`. */
export function jsonPatch(doc: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw invalidPatch('a JSON patch must be an array of operations');
  let result = clone(doc);
  for (const raw of operations as JsonPatchOperation[]) {
    if (!isPlainObject(raw) || typeof raw.path !== 'string') throw invalidPatch('operation without a path');
    switch (raw.op) {
      case 'add':
        result = add(result, raw.path, raw.value);
        break;
      case 'remove':
        remove(result, raw.path);
        break;
      case 'replace':
        if (raw.path === '') {
          result = clone(raw.value);
          break;
        }
        read(result, raw.path);
        remove(result, raw.path);
        result = add(result, raw.path, raw.value);
        break;
      case 'move': {
        const value = read(result, raw.from ?? '');
        remove(result, raw.from ?? '');
        result = add(result, raw.path, value);
        break;
      }
      case 'copy':
        result = add(result, raw.path, read(result, raw.from ?? ''));
        break;
      case 'test':
        if (!deepEqual(read(result, raw.path), raw.value)) throw invalidPatch(`test failed at ${raw.path}`);
        break;
      default:
        throw invalidPatch(`unknown operation ${String(raw.op)}`);
    }
  }
  return result;
}
