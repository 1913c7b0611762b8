/**
 * Finds the object schema that owns a path, to list the keys it allows (for "unknown key"
 * messages). Walks zod's public `_zod.def` and, at a union, follows the input data to pick the
 * branch that fits.
 */
import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

interface WalkDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: readonly AnySchema[];
  getter?: () => AnySchema;
}

function defOf(schema: AnySchema): WalkDef {
  return schema._zod.def as unknown as WalkDef;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** Strips optional/default/pipe wrappers down to the schema that checks the shape. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let i = 0; i < 32; i++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else return current;
  }
  return current;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The union's options, each unwrapped. */
export function unionOptions(schema: AnySchema): AnySchema[] | undefined {
  const inner = unwrap(schema);
  const def = defOf(inner);
  return def.type === 'union' && def.options ? [...def.options] : undefined;
}

/** The keys an object schema allows, or undefined when the schema is not an object. */
export function objectKeys(schema: AnySchema): string[] | undefined {
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/** At a union, the option that can hold `next` (a key or an index) for this data. */
function chooseOption(
  options: readonly AnySchema[],
  data: unknown,
  next: PropertyKey,
): AnySchema | undefined {
  for (const option of options) {
    const def = defOf(unwrap(option));
    if (typeof next === 'number' && def.type === 'array') return option;
    if (typeof next === 'string' && def.type === 'object' && def.shape && next in def.shape) return option;
    if (typeof next === 'string' && def.type === 'record' && isPlainObject(data)) return option;
  }
  return undefined;
}

function step(schema: AnySchema, data: unknown, key: PropertyKey): AnySchema | undefined {
  let current = unwrap(schema);
  const options = unionOptions(current);
  if (options) {
    const chosen = chooseOption(options, data, key);
    if (!chosen) return undefined;
    current = unwrap(chosen);
  }
  const def = defOf(current);
  if (def.type === 'object' && def.shape && typeof key === 'string') return def.shape[key];
  if (def.type === 'array' && def.element) return def.element;
  if (def.type === 'record' && def.valueType) return def.valueType;
  return undefined;
}

function child(data: unknown, key: PropertyKey): unknown {
  if (Array.isArray(data) && typeof key === 'number') return data[key];
  if (isPlainObject(data) && typeof key === 'string') return data[key];
  return undefined;
}

/** The schema at `path` (relative to `schema`, whose input is `data`), or undefined. */
export function schemaAt(
  schema: AnySchema,
  data: unknown,
  path: readonly PropertyKey[],
): AnySchema | undefined {
  let current: AnySchema | undefined = schema;
  let value = data;
  for (const key of path) {
    if (!current) return undefined;
    current = step(current, value, key);
    value = child(value, key);
  }
  return current;
}

/** The input value at `path`. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) value = child(value, key);
  return value;
}

/**
 * The keys allowed by the object at `path` (relative to `schema`, whose input is `data`).
 * `unknownKeys` picks the right branch of a union: the one that rejects exactly those keys.
 */
export function allowedKeysAt(
  schema: AnySchema,
  data: unknown,
  path: readonly PropertyKey[],
  unknownKeys: readonly string[],
): string[] {
  const current = schemaAt(schema, data, path);
  if (!current) return [];
  const value = valueAt(data, path);
  const options = unionOptions(current) ?? [current];
  const present = isPlainObject(value) ? Object.keys(value) : [];
  let fallback: string[] | undefined;
  for (const option of options) {
    const keys = objectKeys(option);
    if (!keys) continue;
    fallback ??= keys;
    const rejected = present.filter((k) => !keys.includes(k));
    if (rejected.length === unknownKeys.length && rejected.every((k) => unknownKeys.includes(k))) return keys;
  }
  return fallback ?? [];
}
