import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../common/clock.js';
import { loadKubeConfig } from '../platforms/kube/load-kubeconfig.js';
import { KubeEventTracker } from './kube-event-tracker.js';
import { type KubeItem, type ListWatchHandle, type ListWatchStats, runListWatch } from './list-watch.js';
import { type PodTimelineEvent, PodTracker, type WorkloadSummary } from './pod-timeline.js';

export type { PodOwner, PodTimelineEvent, PodTimelineKind, WorkloadSummary } from './pod-timeline.js';

export interface PodObserverOptions {
  /** One of kubeconfigPath / kubeConfig. */
  kubeconfigPath?: string;
  kubeConfig?: KubeConfig;
  namespace: string;
  /** Only pods matching it (Events are not filtered). */
  labelSelector?: string;
  clock: Clock;
  /** Aborting it stops the observer like stop(). */
  signal: AbortSignal;
  /** Called with every timeline event as it is recorded; must be quick; its errors are ignored. */
  onEvent?: (event: PodTimelineEvent) => void;
  /** Pod timeline events kept (later ones are counted, not kept); default 20000. */
  maxPodEvents?: number;
  /** `kube-event` entries kept: the last N; default 500. */
  maxKubeEvents?: number;
  /** Whether to watch core/v1 Events; default true. */
  kubeEvents?: boolean;
  /** Passed to the list-watch loops (tests use small values). */
  watchTimeoutSeconds?: number;
  maxRetries?: number;
  initialBackoffMs?: number;
  bookmarks?: boolean;
}

export interface PodSummary {
  workloads: WorkloadSummary[];
  kubeEvents: { total: number; warnings: number; kept: number; dropped: number };
  podEventsDropped: number;
  watch: { pods: ListWatchStats; events?: ListWatchStats };
}

export interface PodObserver {
  /** Pod timeline events and the kept kube-events, ordered by `at` (stable). */
  events(): PodTimelineEvent[];
  summary(): PodSummary;
  /** Resolves after the first pod list (and Event list) arrived or the loops ended. */
  readonly synced: Promise<void>;
  /** Ends the watches and every timer; resolves once the loops have ended. Idempotent. */
  stop(): Promise<void>;
}

function kubeConfigOf(options: PodObserverOptions): KubeConfig {
  if (options.kubeConfig) return options.kubeConfig;
  if (!options.kubeconfigPath) throw new Error('pod observer: kubeconfigPath or kubeConfig is required');
  return loadKubeConfig({ kubeconfigPath: options.kubeconfigPath });
}

function asItems(items: unknown[]): KubeItem[] {
  return items as KubeItem[];
}

/**
 * Watches the pods (and core/v1 Events) of a namespace and records what happens to them as
 * timeline events: pods added/deleted, readiness flips, container restarts, image changes.
 */
export function startPodObserver(options: PodObserverOptions): PodObserver {
  const kc = kubeConfigOf(options);
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace, clock } = options;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  if (options.signal.aborted) controller.abort();
  else options.signal.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;

  const maxPodEvents = options.maxPodEvents ?? 20_000;
  const maxKubeEvents = options.maxKubeEvents ?? 500;
  const podEvents: PodTimelineEvent[] = [];
  const kubeEvents: PodTimelineEvent[] = [];
  const counters = { podDropped: 0, kubeTotal: 0, kubeWarnings: 0, kubeDropped: 0 };
  const pods = new PodTracker();
  const eventTracker = new KubeEventTracker();

  const emit = (event: PodTimelineEvent) => {
    if (event.kind === 'kube-event') {
      counters.kubeTotal += 1;
      if (event.eventType === 'Warning') counters.kubeWarnings += 1;
      kubeEvents.push(event);
      if (kubeEvents.length > maxKubeEvents) {
        kubeEvents.shift();
        counters.kubeDropped += 1;
      }
    } else if (podEvents.length < maxPodEvents) {
      podEvents.push(event);
    } else {
      counters.podDropped += 1;
    }
    try {
      options.onEvent?.(event);
    } catch {
      // the caller's callback must not break observing
    }
  };

  const loopOptions = {
    kc,
    signal,
    ...(options.watchTimeoutSeconds !== undefined
      ? { watchTimeoutSeconds: options.watchTimeoutSeconds }
      : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
    ...(options.bookmarks !== undefined ? { bookmarks: options.bookmarks } : {}),
  };
  const selector: Record<string, string> = options.labelSelector
    ? { labelSelector: options.labelSelector }
    : {};

  const podLoop = runListWatch({
    ...loopOptions,
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    query: selector,
    list: async () => {
      const res = await core.listNamespacedPod({ namespace, ...selector });
      return { items: asItems(res.items), resourceVersion: res.metadata?.resourceVersion ?? '' };
    },
    onList: (items, initial) => {
      const now = clock.now();
      if (initial) for (const item of items) for (const e of pods.upsert(item, 'initial', now)) emit(e);
      else for (const e of pods.resync(items, now)) emit(e);
    },
    onEvent: (type, item) => {
      const now = clock.now();
      const out =
        type === 'DELETED'
          ? pods.remove(String(item.metadata?.name ?? ''), false, now)
          : pods.upsert(item, 'live', now);
      for (const e of out) emit(e);
    },
  });

  let eventLoop: ListWatchHandle | undefined;
  if (options.kubeEvents !== false) {
    eventLoop = runListWatch({
      ...loopOptions,
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      list: async () => {
        const res = await core.listNamespacedEvent({ namespace });
        return { items: asItems(res.items), resourceVersion: res.metadata?.resourceVersion ?? '' };
      },
      onList: (items, initial) => {
        if (initial) {
          eventTracker.baseline(items);
          return;
        }
        const now = clock.now();
        for (const item of items) {
          const entry = eventTracker.observe(item, now);
          if (entry) emit(entry);
        }
      },
      onEvent: (type, item) => {
        if (type === 'DELETED') return;
        const entry = eventTracker.observe(item, clock.now());
        if (entry) emit(entry);
      },
    });
  }

  const synced = Promise.all([podLoop.synced, eventLoop?.synced]).then(() => {});
  let stopping: Promise<void> | undefined;

  return {
    events: () => [...podEvents, ...kubeEvents].sort((a, b) => a.at - b.at),
    summary: () => ({
      workloads: pods.summary(),
      kubeEvents: {
        total: counters.kubeTotal,
        warnings: counters.kubeWarnings,
        kept: kubeEvents.length,
        dropped: counters.kubeDropped,
      },
      podEventsDropped: counters.podDropped,
      watch: { pods: podLoop.stats(), ...(eventLoop ? { events: eventLoop.stats() } : {}) },
    }),
    synced,
    stop: () => {
      stopping ??= (async () => {
        options.signal.removeEventListener('abort', onOuterAbort);
        controller.abort();
        await Promise.all([podLoop.done, eventLoop?.done]);
      })();
      return stopping;
    },
  };
}
