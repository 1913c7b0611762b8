import type { ObjectStore } from './object-store.js';
import { badRequest, KubeStatusError, notFound } from './status-error.js';

export interface PodLogOptions {
  /** The log of the container's previous (terminated) instance, as `kubectl logs --previous` reads it. */
  previous?: boolean;
}

interface ContainerStatusLike {
  name?: unknown;
  restartCount?: unknown;
  state?: { waiting?: { reason?: unknown } };
}

function containerNames(pod: Record<string, unknown>): string[] {
  const spec = (pod.spec ?? {}) as { containers?: unknown };
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  return containers
    .map((c) => (typeof c === 'object' && c !== null ? (c as { name?: unknown }).name : undefined))
    .filter((n): n is string => typeof n === 'string');
}

function statusOf(pod: Record<string, unknown>, container: string): ContainerStatusLike | undefined {
  const status = (pod.status ?? {}) as { containerStatuses?: unknown };
  const list = Array.isArray(status.containerStatuses) ? status.containerStatuses : [];
  return list.find(
    (s): s is ContainerStatusLike =>
      typeof s === 'object' && s !== null && (s as ContainerStatusLike).name === container,
  );
}

function nonNegativeInt(query: URLSearchParams, name: string, min: number): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new KubeStatusError(
      422,
      'Invalid',
      `PodLogOptions "" is invalid: ${name}: Invalid value: ${raw}: must be ${min === 0 ? 'greater than or equal to 0' : 'greater than 0'}`,
    );
  }
  return value;
}

/** The last `count` lines of `text` (a last line without a newline counts as a line). */
export function tailLines(text: string, count: number): string {
  if (count === 0) return '';
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return lines.slice(-count).join('');
}

/**
 * Container logs for the fake's `GET /api/v1/namespaces/{ns}/pods/{name}/log`: tests set the text,
 * requests read it with the API server's rules (container choice, previous, tailLines, limitBytes).
 */
export class PodLogs {
  private readonly logs = new Map<string, string>();

  set(namespace: string, pod: string, container: string, text: string, options: PodLogOptions = {}): void {
    this.logs.set(this.key(namespace, pod, container, options.previous === true), text);
  }

  /** The log text a GET would answer, or a Status error (404 pod, 400 container / previous / waiting). */
  read(store: ObjectStore, namespace: string, podName: string, query: URLSearchParams): string {
    const def = store.registry.byPath('', 'v1', 'pods');
    if (!def) throw new Error('fake-kube: pods are not registered');
    const pod = store.get(def, namespace, podName);
    if (!pod) throw notFound(def, podName);
    const names = containerNames(pod);
    const asked = query.get('container') ?? undefined;
    let container: string;
    if (asked === undefined || asked === '') {
      const only = names[0];
      if (names.length !== 1 || only === undefined) {
        throw badRequest(
          `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`,
        );
      }
      container = only;
    } else {
      if (!names.includes(asked)) throw badRequest(`container ${asked} is not valid for pod ${podName}`);
      container = asked;
    }
    const tail = nonNegativeInt(query, 'tailLines', 0);
    const limit = nonNegativeInt(query, 'limitBytes', 1);
    const previous = query.get('previous') === 'true';
    const text = this.logs.get(this.key(namespace, podName, container, previous));
    const status = statusOf(pod, container);
    if (text === undefined && previous) {
      throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    }
    const waiting = status?.state?.waiting;
    if (text === undefined && waiting && (status?.restartCount ?? 0) === 0) {
      const reason = typeof waiting.reason === 'string' ? waiting.reason : 'ContainerCreating';
      throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
    }
    let out = text ?? '';
    if (tail !== undefined) out = tailLines(out, tail);
    if (limit !== undefined) {
      const bytes = Buffer.from(out, 'utf8');
      if (bytes.length > limit) out = bytes.subarray(0, limit).toString('utf8');
    }
    return out;
  }

  private key(namespace: string, pod: string, container: string, previous: boolean): string {
    return JSON.stringify([namespace, pod, container, previous]);
  }
}
