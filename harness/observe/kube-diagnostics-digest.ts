import type { KubeItem } from './list-watch.js';
import { isReady, workloadOf } from './pod-timeline.js';

/** What diagnostics keep of a container: never its env, command or args. */
export interface ContainerDigest {
  name: string;
  init?: true;
  image?: string;
  ready: boolean;
  restartCount: number;
  /** `running`, `waiting: CrashLoopBackOff`, `terminated: Completed (exit 0)`. */
  state?: string;
  stateMessage?: string;
  /** The previous instance's end (lastState.terminated). */
  lastState?: { reason?: string; exitCode?: number; finishedAt?: string; message?: string };
}

export interface PodDigest {
  name: string;
  workload: string;
  phase?: string;
  ready: boolean;
  node?: string;
  startTime?: string;
  deleting?: true;
  /** The pod's own status reason/message (Evicted, ...). */
  reason?: string;
  message?: string;
  restarts: number;
  images: string[];
  conditions: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }[];
  containers: ContainerDigest[];
}

export interface EventDigest {
  /** lastTimestamp, eventTime, firstTimestamp or creationTimestamp, whichever is there first. */
  time?: string;
  type: string;
  reason: string;
  message: string;
  /** `Pod/web-1`. */
  object: string;
  count: number;
  source?: string;
}

export const NODE_CONDITIONS = [
  'Ready',
  'MemoryPressure',
  'DiskPressure',
  'PIDPressure',
  'NetworkUnavailable',
];

export interface NodeDigest {
  name: string;
  ready: boolean;
  unschedulable?: true;
  kubeletVersion?: string;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  /** `Ready is False (KubeletNotReady: ...)`, `MemoryPressure is True (...)`; empty when healthy. */
  problems: string[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record) : [];
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Copies the given keys of `from` that hold text (dates as ISO strings). */
function pick<K extends string>(
  from: Record<string, unknown>,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = text(from[key]);
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function stateText(state: Record<string, unknown>): { state?: string; stateMessage?: string } {
  const running = state.running;
  if (running !== undefined && running !== null) return { state: 'running' };
  const waiting = record(state.waiting);
  if (state.waiting) {
    const message = text(waiting.message);
    return {
      state: `waiting: ${text(waiting.reason) ?? 'unknown'}`,
      ...(message ? { stateMessage: message } : {}),
    };
  }
  const terminated = record(state.terminated);
  if (state.terminated) {
    const exit = num(terminated.exitCode);
    const message = text(terminated.message);
    return {
      state: `terminated: ${text(terminated.reason) ?? 'unknown'}${exit !== undefined ? ` (exit ${exit})` : ''}`,
      ...(message ? { stateMessage: message } : {}),
    };
  }
  return {};
}

function containerDigest(status: Record<string, unknown>, init: boolean): ContainerDigest | undefined {
  const name = text(status.name);
  if (!name) return undefined;
  const last = record(record(status.lastState).terminated);
  const exitCode = num(last.exitCode);
  const lastState = {
    ...pick(last, ['reason', 'finishedAt', 'message']),
    ...(exitCode !== undefined ? { exitCode } : {}),
  };
  const image = text(status.image);
  return {
    name,
    ...(init ? { init: true as const } : {}),
    ...(image ? { image } : {}),
    ready: status.ready === true,
    restartCount: num(status.restartCount) ?? 0,
    ...stateText(record(status.state)),
    ...(Object.keys(lastState).length > 0 ? { lastState } : {}),
  };
}

/** The parts of a pod that explain its health; env, envFrom, command, volumes are left out. */
export function podDigest(pod: KubeItem): PodDigest {
  const meta = record(pod.metadata);
  const spec = record(pod.spec);
  const status = record(pod.status);
  const containers = [
    ...list(status.initContainerStatuses).map((s) => containerDigest(s, true)),
    ...list(status.containerStatuses).map((s) => containerDigest(s, false)),
  ].filter((c): c is ContainerDigest => c !== undefined);
  const images = list(spec.containers)
    .map((c) => text(c.image))
    .filter((i): i is string => i !== undefined);
  const node = text(spec.nodeName);
  return {
    name: text(meta.name) ?? '',
    workload: workloadOf(pod).workload,
    ...pick(status, ['phase']),
    ready: isReady(pod),
    ...(node ? { node } : {}),
    ...pick(status, ['startTime']),
    ...(meta.deletionTimestamp ? { deleting: true as const } : {}),
    ...pick(status, ['reason', 'message']),
    restarts: containers.reduce((sum, c) => sum + c.restartCount, 0),
    images,
    conditions: list(status.conditions).map((c) => ({
      type: text(c.type) ?? '',
      status: text(c.status) ?? String(c.status),
      ...pick(c, ['reason', 'message', 'lastTransitionTime']),
    })),
    containers,
  };
}

export function eventDigest(event: KubeItem): EventDigest {
  const meta = record(event.metadata);
  const involved = record(event.involvedObject ?? event.regarding);
  const time =
    text(event.lastTimestamp) ??
    text(event.eventTime) ??
    text(event.firstTimestamp) ??
    text(meta.creationTimestamp);
  const source = text(record(event.source).component) ?? text(event.reportingComponent);
  return {
    ...(time ? { time } : {}),
    type: text(event.type) ?? 'Normal',
    reason: text(event.reason) ?? '',
    message: text(event.message ?? event.note) ?? '',
    object: `${text(involved.kind) ?? '?'}/${text(involved.name) ?? '?'}`,
    count: num(event.count) ?? num(record(event.series).count) ?? 1,
    ...(source ? { source } : {}),
  };
}

/** Events oldest first (those without a time first of all, in the order listed). */
export function sortEvents(events: EventDigest[]): EventDigest[] {
  const at = (e: EventDigest) => (e.time ? Date.parse(e.time) : Number.NEGATIVE_INFINITY);
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => at(a.e) - at(b.e) || a.i - b.i)
    .map(({ e }) => e);
}

export function nodeDigest(node: KubeItem): NodeDigest {
  const meta = record(node.metadata);
  const spec = record(node.spec);
  const status = record(node.status);
  const conditions = list(status.conditions)
    .filter((c) => NODE_CONDITIONS.includes(text(c.type) ?? ''))
    .map((c) => ({
      type: text(c.type) ?? '',
      status: text(c.status) ?? String(c.status),
      ...pick(c, ['reason', 'message']),
    }));
  const problems: string[] = [];
  for (const c of conditions) {
    const bad = c.type === 'Ready' ? c.status !== 'True' : c.status === 'True';
    if (!bad) continue;
    const why = [c.reason, c.message].filter((p) => p !== undefined).join(': ');
    problems.push(`${c.type} is ${c.status}${why ? ` (${why})` : ''}`);
  }
  if (!conditions.some((c) => c.type === 'Ready')) problems.push('no Ready condition reported');
  const kubeletVersion = text(record(status.nodeInfo).kubeletVersion);
  return {
    name: text(meta.name) ?? '',
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    ...(spec.unschedulable === true ? { unschedulable: true as const } : {}),
    ...(kubeletVersion ? { kubeletVersion } : {}),
    conditions,
    problems,
  };
}

/** A custom resource's (or any object's) identity and status; its spec is left out (it may hold env or credentials). */
export function resourceDigest(obj: KubeItem): Record<string, unknown> {
  const meta = record(obj.metadata);
  const generation = num(meta.generation);
  return {
    apiVersion: text(obj.apiVersion) ?? '',
    kind: text(obj.kind) ?? '',
    metadata: {
      ...pick(meta, [
        'name',
        'namespace',
        'uid',
        'resourceVersion',
        'creationTimestamp',
        'deletionTimestamp',
      ]),
      ...(generation !== undefined ? { generation } : {}),
    },
    status: obj.status ?? null,
  };
}

/** Containers whose logs explain a problem: every started container of a pod that is not ready, restarted ones of any pod. */
export function logTargets(pod: PodDigest): { container: string; previous: boolean }[] {
  const out: { container: string; previous: boolean }[] = [];
  for (const c of pod.containers) {
    const started = c.restartCount > 0 || (c.state !== undefined && !c.state.startsWith('waiting'));
    const initDone = c.init === true && c.state === 'terminated: Completed (exit 0)';
    const wanted = c.restartCount > 0 || (!pod.ready && !initDone);
    if (!wanted) continue;
    if (started) out.push({ container: c.name, previous: false });
    if (c.restartCount > 0) out.push({ container: c.name, previous: true });
  }
  return out;
}
