import { isPlainObject } from './json-util.js';

export interface ContainerSpec {
  name: string;
  image: string;
  [key: string]: unknown;
}

/** Where a pod is in its life, as the rollout script moves it. */
export type PodPhaseState =
  | { kind: 'pending' }
  | { kind: 'ready'; restartCount: number; lastExitCode?: number }
  | { kind: 'crashing'; restartCount: number };

export function containersOf(podSpec: unknown): ContainerSpec[] {
  const list = isPlainObject(podSpec) && Array.isArray(podSpec.containers) ? podSpec.containers : [];
  return list.filter(
    (c): c is ContainerSpec => isPlainObject(c) && typeof c.name === 'string' && typeof c.image === 'string',
  );
}

function condition(type: string, ok: boolean, time: string, reason?: string): Record<string, unknown> {
  return {
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: time,
    ...(ok || !reason ? {} : { reason }),
  };
}

function imageId(image: string): string {
  let hash = 0;
  for (const ch of image) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `docker.io/${image}@sha256:${hash.toString(16).padStart(8, '0').repeat(8)}`;
}

/**
 * A pod status as the kubelet reports it. `main` is the container the state applies to; the other
 * containers are running and ready once the pod is past pending.
 */
export function podStatus(
  containers: ContainerSpec[],
  main: string,
  state: PodPhaseState,
  time: string,
  startTime: string,
): Record<string, unknown> {
  const pending = state.kind === 'pending';
  const ready = state.kind === 'ready';
  const containerStatuses = containers.map((c) => {
    const isMain = c.name === main;
    const restartCount = isMain && state.kind !== 'pending' ? state.restartCount : 0;
    const crashing = isMain && state.kind === 'crashing';
    const running = !pending && !crashing;
    const lastExit = state.kind === 'ready' ? state.lastExitCode : state.kind === 'crashing' ? 1 : undefined;
    const lastState =
      isMain && restartCount > 0 && lastExit !== undefined
        ? { terminated: { exitCode: lastExit, reason: 'Error', startedAt: startTime, finishedAt: time } }
        : {};
    let containerState: Record<string, unknown>;
    if (pending) containerState = { waiting: { reason: 'ContainerCreating' } };
    else if (crashing)
      containerState = {
        waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${c.name}` },
      };
    else containerState = { running: { startedAt: time } };
    return {
      name: c.name,
      image: c.image,
      imageID: pending ? '' : imageId(c.image),
      ready: running,
      started: running,
      restartCount,
      state: containerState,
      lastState,
    };
  });
  return {
    phase: pending ? 'Pending' : 'Running',
    conditions: [
      condition('PodReadyToStartContainers', !pending, time),
      condition('Initialized', true, time),
      condition('Ready', ready, time, 'ContainersNotReady'),
      condition('ContainersReady', ready, time, 'ContainersNotReady'),
      condition('PodScheduled', true, time),
    ],
    hostIP: '10.0.0.10',
    podIP: pending ? undefined : `10.244.0.${Math.floor(Math.random() * 200) + 10}`,
    startTime,
    qosClass: 'BestEffort',
    containerStatuses,
  };
}

export function isPodReady(pod: { readonly [key: string]: unknown }): boolean {
  const status = pod.status;
  if (!isPlainObject(status) || !Array.isArray(status.conditions)) return false;
  return status.conditions.some((c) => isPlainObject(c) && c.type === 'Ready' && c.status === 'True');
}
