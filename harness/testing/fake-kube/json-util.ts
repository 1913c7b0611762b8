export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    return keysA.length === keysB.length && keysA.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

export function getPath(obj: unknown, path: readonly string[]): unknown {
  let current = obj;
  for (const key of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Sets `path`, creating objects on the way (replacing non-objects). */
export function setPath(obj: JsonObject, path: readonly string[], value: unknown): void {
  let current = obj;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      current[key] = value;
      return;
    }
    const next = current[key];
    if (isPlainObject(next)) {
      current = next;
    } else {
      const created: JsonObject = {};
      current[key] = created;
      current = created;
    }
  }
}

export function deletePath(obj: JsonObject, path: readonly string[]): void {
  const parent = getPath(obj, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isPlainObject(parent) && last !== undefined) delete parent[last];
}

/** RFC 3339 at second precision, as the API server writes timestamps. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789';

/** Random suffix in the alphabet Kubernetes uses for generated names. */
export function randomSuffix(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += ALPHANUM[Math.floor(Math.random() * ALPHANUM.length)];
  return out;
}
