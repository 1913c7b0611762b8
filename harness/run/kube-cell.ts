import type { Clock } from '../common/clock.js';
import { untilAborted } from '../common/deadline.js';
import { AbortedError, errorMessage, HarnessError, InfraError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { KubePortForwardStats, KubernetesCellRecord } from '../common/run-record.js';
import type { PhaseRecord } from '../common/sample.js';
import type { ScenarioConfig } from '../config/types.js';
import type { Installation } from '../methods/method.js';
import { collectKubeDiagnostics } from '../observe/kube-diagnostics.js';
import {
  type PodObserver,
  type PodObserverOptions,
  type PodTimelineEvent,
  startPodObserver,
} from '../observe/pod-observer.js';
import { attributeToPhases, emptyCounts } from '../observe/pod-phases.js';
import { loadKubeConfig } from '../platforms/kube/load-kubeconfig.js';
import { type ServiceForward, startServiceForward } from '../platforms/kube/port-forward.js';
import type { StartedPlatform } from '../platforms/platform.js';

export interface KubeCellOptions {
  platform: StartedPlatform;
  installation: Installation;
  scenario: Pick<ScenarioConfig, 'kubernetes'>;
  clock: Clock;
  logger: Logger;
  /** The run's signal: aborting it ends the observer and the port-forward. */
  signal: AbortSignal;
  /**
   * The starting phase's signal (its deadline): the port-forward must be up before it aborts, or
   * the start fails; a forward that comes up later is closed at once, not leaked past teardown.
   */
  startSignal?: AbortSignal;
  /** The cell's timeline: pod changes and Warning events go here as they are seen. */
  event: (kind: string, message: string) => void;
  /** The cell's phases so far; stop() attributes the pod changes to them. Default: none. */
  phases?: () => readonly PhaseRecord[];
  /** How long to wait for the observer's first pod list before going on without it; default 10 s. */
  syncTimeoutMs?: number;
  /** How long stopping the observer and the forward may take, each; default 10 s. */
  stopTimeoutMs?: number;
  /** Pod changes put on the cell's timeline; later ones are counted in a note; default 1000. */
  maxTimelineEvents?: number;
  /** Passed to the observer's watches (tests use small values). */
  watch?: Pick<PodObserverOptions, 'watchTimeoutSeconds' | 'initialBackoffMs' | 'maxRetries'>;
}

/** The Kubernetes side of a running cell: where traffic goes, and what the pods did. */
export interface KubeCell {
  /** The product's namespace. */
  readonly namespace: string;
  /** Base URLs the load, writer and verification use (the port-forward's, or the installation's). */
  readonly endpoints: string[];
  /** Ends the observer and the port-forward (bounded, idempotent, never throws) and returns the record. */
  stop(): Promise<KubernetesCellRecord>;
  /** The record with the pod changes attributed to `phases` (the cell's final list). Never throws. */
  record(phases: readonly PhaseRecord[]): KubernetesCellRecord;
}

const MAX_MESSAGE = 300;

/**
 * Starts observing the product's pods and, with `kubernetes.access.mode: port-forward`, the
 * port-forward the traffic goes through. Undefined when the cell does not run on Kubernetes (no
 * `platform.kube()` or no `installation.workload`). A failing observer is a note; a port-forward
 * that cannot start throws (there is nowhere to send traffic): its UsageError (no such Service or
 * port) or InfraError, after the observer stopped.
 */
export async function startKubeCell(options: KubeCellOptions): Promise<KubeCell | undefined> {
  const workload = options.installation.workload;
  const target = workload ? options.platform.kube?.() : undefined;
  if (!workload || !target) return undefined;
  const { namespace } = workload;
  const { logger } = options;
  const notes: string[] = [];
  const note = (message: string, err?: unknown) => {
    notes.push(err === undefined ? message : `${message}: ${errorMessage(err)}`);
    logger.warn({ namespace, ...(err === undefined ? {} : { err: errorMessage(err) }) }, message);
  };
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const maxTimeline = options.maxTimelineEvents ?? 1000;
  let onTimeline = 0;
  let offTimeline = 0;
  const forwardToTimeline = (e: PodTimelineEvent) => {
    const message = timelineMessage(e);
    if (message === undefined) return;
    if (onTimeline >= maxTimeline) {
      offTimeline += 1;
      return;
    }
    onTimeline += 1;
    options.event(e.kind, message);
  };

  let observer: PodObserver | undefined;
  const kubernetes = options.scenario.kubernetes;
  const labelSelector = kubernetes?.observe.labelSelector;
  try {
    observer = startPodObserver({
      kubeConfig: loadKubeConfig(target),
      namespace,
      ...(labelSelector ? { labelSelector } : {}),
      clock: options.clock,
      signal: options.signal,
      onEvent: forwardToTimeline,
      ...options.watch,
    });
  } catch (err) {
    note('the pod observer did not start', err);
  }
  if (observer) {
    const syncMs = options.syncTimeoutMs ?? 10_000;
    const synced = await within(observer.synced, syncMs);
    if (synced === 'timeout')
      note(`pod observer: no first pod list within ${syncMs / 1000} s; pod changes before it are missing`);
    logger.info({ namespace, labelSelector, synced }, 'pod observer started');
  }

  let forward: ServiceForward | undefined;
  const access = kubernetes?.access;
  let endpoints = options.installation.endpoints;
  if (endpoints.length === 0) endpoints = options.platform.endpoints();
  if (endpoints.length === 0 && access?.url) endpoints = [access.url];
  if (access?.mode === 'port-forward') {
    try {
      const starting = startServiceForward({
        target,
        namespace,
        service: access.service,
        port: access.port,
        logger,
        signal: options.signal,
      });
      forward = await beforeAbort(starting, options.startSignal, (late) => void late.close());
    } catch (err) {
      await within(observer?.stop(), stopTimeoutMs);
      // Its own errors name the Service and say what to do (UsageError: no such Service or port).
      if (err instanceof HarnessError) throw err;
      throw new InfraError(
        `port-forward to Service ${namespace}/${access.service} port ${access.port} did not start: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    endpoints = [forward.url];
    logger.info({ namespace, service: access.service, port: access.port, url: forward.url }, 'port-forward');
  }

  let forwardStats: KubePortForwardStats | undefined;
  const record = (phases: readonly PhaseRecord[]): KubernetesCellRecord => {
    try {
      return buildRecord(
        namespace,
        observer,
        phases,
        [
          ...notes,
          ...(offTimeline > 0
            ? [`${offTimeline} pod changes were not put on the timeline (limit ${maxTimeline})`]
            : []),
        ],
        forwardStats ?? (forward ? statsOf(forward) : undefined),
      );
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'kubernetes record');
      return { ...emptyRecord(namespace), notes: [...notes, `no pod record: ${errorMessage(err)}`] };
    }
  };
  let stopping: Promise<KubernetesCellRecord> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const [observed, forwarded] = await Promise.all([
        within(observer?.stop(), stopTimeoutMs),
        within(forward?.close(), stopTimeoutMs),
      ]);
      if (forward) forwardStats = statsOf(forward);
      for (const [what, result] of [
        ['the pod observer', observed],
        ['the port-forward', forwarded],
      ] as const) {
        if (result === 'timeout') note(`${what} did not stop within ${stopTimeoutMs / 1000} s`);
        else if (result instanceof Error) note(`${what} did not stop cleanly`, result);
      }
      return record(options.phases?.() ?? []);
    })();
    return stopping;
  };
  return { namespace, endpoints, stop, record };
}

function statsOf(forward: ServiceForward): KubePortForwardStats | undefined {
  try {
    const { accepted, tunnelled, noReadyPod, errors, apiErrors } = forward.stats();
    return { accepted, tunnelled, noReadyPod, errors, apiErrors };
  } catch {
    return undefined;
  }
}

function buildRecord(
  namespace: string,
  observer: PodObserver | undefined,
  phases: readonly PhaseRecord[],
  notes: string[],
  portForward: KubePortForwardStats | undefined,
): KubernetesCellRecord {
  if (!observer) return { ...emptyRecord(namespace), ...(portForward ? { portForward } : {}), notes };
  const summary = observer.summary();
  const attribution = attributeToPhases(observer.events(), phases);
  const watch = summary.watch;
  const extra: string[] = [];
  if (watch.pods.gaveUp) extra.push('pod watch gave up after repeated errors; later pod changes are missing');
  if (watch.events?.gaveUp) extra.push('Event watch gave up after repeated errors; later Events are missing');
  if (summary.podEventsDropped > 0)
    extra.push(`${summary.podEventsDropped} pod changes were counted in workloads but not kept per phase`);
  if (summary.kubeEvents.dropped > 0)
    extra.push(`only the last ${summary.kubeEvents.kept} Events were kept per phase`);
  return {
    namespace,
    workloads: summary.workloads.map((w) => ({ ...w, images: [...w.images] })),
    byPhase: attribution.phases,
    outside: attribution.outside,
    kubeEvents: { total: summary.kubeEvents.total, warnings: summary.kubeEvents.warnings },
    ...(portForward ? { portForward } : {}),
    notes: [...notes, ...extra],
  };
}

function emptyRecord(namespace: string): KubernetesCellRecord {
  return {
    namespace,
    workloads: [],
    byPhase: [],
    outside: emptyCounts(),
    kubeEvents: { total: 0, warnings: 0 },
    notes: [],
  };
}

/**
 * One line for the cell's timeline, or undefined for what is not worth one: pods that were
 * already there when observing began, and Events other than Warnings.
 */
export function timelineMessage(e: PodTimelineEvent): string | undefined {
  switch (e.kind) {
    case 'pod-added':
      return e.initial ? undefined : `pod ${e.pod} added (${e.workload})`;
    case 'pod-deleted':
      return `pod ${e.pod} deleted${e.missed ? ' (found gone by a re-list)' : ''}`;
    case 'pod-ready':
      return `pod ${e.pod} ready`;
    case 'pod-not-ready':
      return `pod ${e.pod} not ready`;
    case 'container-restarted': {
      const why = [e.reason, e.exitCode === undefined ? undefined : `exit ${e.exitCode}`].filter(Boolean);
      const detail = why.length > 0 ? ` (${why.join(', ')})` : '';
      return `pod ${e.pod} container ${e.container} restarted${detail}, restarts ${e.restartCount}`;
    }
    case 'image-changed':
      return `pod ${e.pod} container ${e.container} image ${e.fromImage} → ${e.toImage}`;
    case 'kube-event': {
      if (e.eventType !== 'Warning') return undefined;
      const repeated = e.count > 1 ? ` (×${e.count})` : '';
      const text = `Warning ${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`;
      return `${text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text}${repeated}`;
    }
    default:
      return undefined;
  }
}

/** Waits for `work` at most `ms`: 'done', 'timeout', or the error it failed with. Never throws. */
async function within(work: Promise<unknown> | undefined, ms: number): Promise<'done' | 'timeout' | Error> {
  if (!work) return 'done';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => 'done' as const,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Pods, events, logs of not-ready or restarted pods, node conditions and the workload's resources,
 * when the cell ran on Kubernetes: the workload's namespace, else (the install failed) the one the
 * platform set aside for the cell. Bounded; never throws.
 */
export async function collectClusterDiagnostics(
  platform: StartedPlatform | undefined,
  installation: Installation | undefined,
  scenario: ScenarioConfig,
  dir: string,
  logger: Logger,
  timeoutMs = 45_000,
): Promise<void> {
  const target = platform?.kube?.();
  const namespace = installation?.workload?.namespace ?? target?.namespace;
  if (!target || !namespace) return;
  const result = await collectKubeDiagnostics({
    target,
    namespace,
    dir,
    logger,
    logTailLines: scenario.kubernetes?.observe.logTailLines ?? 200,
    timeoutMs,
    resources: [...(installation?.workload?.resources ?? [])],
  });
  if (result.failures.length > 0)
    logger.warn({ failures: result.failures }, 'kubernetes diagnostics incomplete');
}

/**
 * `promise`, unless `signal` aborts first: then an AbortedError, and whatever the promise still
 * gives is handed to `cleanup` (so nothing it made outlives the phase that asked for it).
 */
async function beforeAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  cleanup: (late: T) => void,
): Promise<T> {
  if (!signal) return promise;
  try {
    return await untilAborted(
      promise,
      signal,
      () => new AbortedError('the phase ended before the port-forward was up'),
    );
  } catch (err) {
    if (signal.aborted) promise.then(cleanup, () => undefined);
    throw err;
  }
}
