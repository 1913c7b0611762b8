import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import {
  FakeKube,
  type FakeKubeOptions,
  type KubeObject,
  kubeConfigFor,
} from '../testing/fake-kube/index.js';
import {
  type PodObserver,
  type PodObserverOptions,
  type PodTimelineEvent,
  startPodObserver,
} from './pod-observer.js';

const ns = 'default';

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function pod(name: string, image = 'app:1'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'app', image }] },
  };
}

const flips = new Set(['pod-added', 'pod-deleted', 'pod-ready', 'pod-not-ready']);
const describeEvent = (e: PodTimelineEvent) =>
  e.kind === 'kube-event' ? `${e.kind} ${e.reason}` : `${e.kind} ${e.pod}`;

describe('startPodObserver on FakeKube through @kubernetes/client-node', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(
    kubeOptions: FakeKubeOptions = {},
    observerOptions: Partial<PodObserverOptions> = {},
  ): Promise<{ kube: FakeKube; observer: PodObserver; abort: AbortController }> {
    const kube = await FakeKube.start(kubeOptions);
    cleanups.push(() => kube.close());
    const abort = new AbortController();
    const observer = startPodObserver({
      kubeConfig: kubeConfigFor(kube),
      namespace: ns,
      clock: systemClock,
      signal: abort.signal,
      initialBackoffMs: 20,
      ...observerOptions,
    });
    cleanups.push(() => observer.stop());
    await observer.synced;
    return { kube, observer, abort };
  }

  it('records a rollout: adds, readiness flips, one restart, the image change, deletes, in order', async () => {
    const seen: PodTimelineEvent[] = [];
    const { kube, observer } = await start(
      {},
      {
        onEvent: (e) => {
          seen.push(e);
          throw new Error('a throwing callback must not break observing');
        },
      },
    );
    const result = await kube.scriptRollout({
      namespace: ns,
      deployment: 'web',
      fromImage: 'web:1',
      toImage: 'web:2',
      pods: 3,
      stepMs: 5,
      restartAt: 1,
    }).done;
    expect(result.outcome).toBe('complete');
    const [o0, o1, o2] = result.oldPods;
    const [n0, n1, n2] = result.newPods;
    await waitUntil(
      'three deletes',
      () => observer.events().filter((e) => e.kind === 'pod-deleted').length >= 3,
    );

    const podEvents = observer.events().filter((e) => flips.has(e.kind));
    // The seeded old pods arrive first (in creation order, which the script does not report).
    const described = podEvents.map(describeEvent);
    expect(new Set(described.slice(0, 6))).toEqual(
      new Set([o0, o1, o2].flatMap((p) => [`pod-added ${p}`, `pod-ready ${p}`])),
    );
    for (const p of [o0, o1, o2]) {
      expect(described.indexOf(`pod-added ${p}`)).toBeLessThan(described.indexOf(`pod-ready ${p}`));
    }
    expect(described.slice(6)).toEqual([
      `pod-added ${n0}`,
      `pod-ready ${n0}`,
      `pod-deleted ${o0}`,
      `pod-added ${n1}`,
      `pod-ready ${n1}`,
      `pod-not-ready ${n1}`,
      `pod-ready ${n1}`,
      `pod-deleted ${o1}`,
      `pod-added ${n2}`,
      `pod-ready ${n2}`,
      `pod-deleted ${o2}`,
    ]);
    expect(podEvents.every((e) => e.kind !== 'kube-event' && e.workload === 'Deployment/web')).toBe(true);
    expect(podEvents[0]).toMatchObject({ owner: { kind: 'ReplicaSet' } });

    const restarts = observer.events().filter((e) => e.kind === 'container-restarted');
    expect(restarts).toEqual([
      expect.objectContaining({ pod: n1, container: 'app', restartCount: 1, increase: 1, reason: 'Error' }),
    ]);
    const images = observer.events().filter((e) => e.kind === 'image-changed');
    expect(images).toEqual([
      expect.objectContaining({ pod: n0, container: 'app', fromImage: 'web:1', toImage: 'web:2' }),
    ]);
    const times = observer.events().map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // The script's own Events (ScalingReplicaSet, Started, BackOff, Killing) arrive as kube-events.
    await waitUntil('the BackOff warning', () =>
      observer.events().some((e) => e.kind === 'kube-event' && e.reason === 'BackOff'),
    );
    const summary = observer.summary();
    expect(summary.workloads).toEqual([
      { workload: 'Deployment/web', podsSeen: 6, restarts: 1, maxNotReady: 1, images: ['web:1', 'web:2'] },
    ]);
    expect(summary.kubeEvents.warnings).toBeGreaterThanOrEqual(1);
    expect(seen.filter((e) => flips.has(e.kind))).toHaveLength(podEvents.length);
  });

  it('reports pods present at start as initial, without readiness or image events', async () => {
    const kube = await FakeKube.start();
    cleanups.push(() => kube.close());
    kube.store.put(pod('before', 'app:1'));
    const abort = new AbortController();
    const observer = startPodObserver({
      kubeConfig: kubeConfigFor(kube),
      namespace: ns,
      clock: systemClock,
      signal: abort.signal,
    });
    cleanups.push(() => observer.stop());
    await observer.synced;
    expect(observer.events()).toEqual([
      expect.objectContaining({ kind: 'pod-added', pod: 'before', initial: true, workload: 'Pod/before' }),
    ]);
    kube.store.put({ ...pod('before', 'app:2'), metadata: { ...pod('before').metadata } });
    await waitUntil('the in-place image change', () =>
      observer.events().some((e) => e.kind === 'image-changed'),
    );
    expect(observer.events().at(-1)).toMatchObject({
      kind: 'image-changed',
      fromImage: 'app:1',
      toImage: 'app:2',
    });
  });

  it('records a kube Event written with recordEvent, but not the ones present at start', async () => {
    const kube = await FakeKube.start();
    cleanups.push(() => kube.close());
    const target = kube.store.put(pod('p1'));
    kube.recordEvent({ involved: target, reason: 'Old', message: 'before the observer' });
    const abort = new AbortController();
    const observer = startPodObserver({
      kubeConfig: kubeConfigFor(kube),
      namespace: ns,
      clock: systemClock,
      signal: abort.signal,
    });
    cleanups.push(() => observer.stop());
    await observer.synced;
    kube.recordEvent({
      involved: target,
      reason: 'Unhealthy',
      message: 'Readiness probe failed',
      type: 'Warning',
    });
    await waitUntil('the kube-event', () => observer.events().some((e) => e.kind === 'kube-event'));
    expect(observer.events().filter((e) => e.kind === 'kube-event')).toEqual([
      expect.objectContaining({
        eventType: 'Warning',
        reason: 'Unhealthy',
        message: 'Readiness probe failed',
        involvedObject: { kind: 'Pod', name: 'p1' },
        count: 1,
      }),
    ]);
    expect(observer.summary().kubeEvents).toEqual({ total: 1, warnings: 1, kept: 1, dropped: 0 });
  });

  it('keeps only the last maxKubeEvents kube-events and counts the rest', async () => {
    const { kube, observer } = await start({}, { maxKubeEvents: 2 });
    const target = kube.store.put(pod('p1'));
    for (let i = 0; i < 5; i += 1) kube.recordEvent({ involved: target, reason: `R${i}`, message: 'm' });
    await waitUntil('five kube-events', () => observer.summary().kubeEvents.total >= 5);
    expect(observer.summary().kubeEvents).toEqual({ total: 5, warnings: 0, kept: 2, dropped: 3 });
    const reasons = observer.events().flatMap((e) => (e.kind === 'kube-event' ? [e.reason] : []));
    expect(reasons).toEqual(['R3', 'R4']);
  });

  it('re-lists after a 410 Gone and still sees later changes', async () => {
    const { kube, observer } = await start(
      { historyLimit: 5, bookmarkIntervalMs: 60_000 },
      { watchTimeoutSeconds: 1, bookmarks: false, kubeEvents: false },
    );
    kube.store.put(pod('a'));
    await waitUntil('pod a', () => observer.events().some((e) => e.kind === 'pod-added' && e.pod === 'a'));
    // Writes the pod watch does not see push its resume point out of the server's history.
    for (let i = 0; i < 20; i += 1) {
      kube.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm${i}`, namespace: ns },
        data: {},
      });
    }
    await waitUntil(
      'a 410 and a re-list',
      () => observer.summary().watch.pods.expired >= 1 && observer.summary().watch.pods.lists >= 2,
    );
    kube.store.put(pod('b'));
    await waitUntil('pod b', () => observer.events().some((e) => e.kind === 'pod-added' && e.pod === 'b'));
    expect(
      observer
        .events()
        .filter((e) => e.kind === 'pod-added')
        .map(describeEvent),
    ).toEqual(['pod-added a', 'pod-added b']);
    expect(observer.summary().watch.pods.gaveUp).toBe(false);
  });

  it('treats a watch answered with HTTP 410 like an expired watch', async () => {
    const { kube, observer } = await start({}, { watchTimeoutSeconds: 1, kubeEvents: false });
    const lists = observer.summary().watch.pods.lists;
    // The list is done, so the next request on the pods path is a watch (the first or a resumed one).
    kube.injectFault({
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/pods`,
      status: 410,
      reason: 'Expired',
    });
    await waitUntil('a re-list', () => observer.summary().watch.pods.lists > lists);
    expect(observer.summary().watch.pods.expired).toBe(1);
    kube.store.put(pod('c'));
    await waitUntil('pod c', () => observer.events().some((e) => e.kind === 'pod-added' && e.pod === 'c'));
  });

  it('retries a failing list with backoff, and gives up after maxRetries', async () => {
    const kube = await FakeKube.start();
    cleanups.push(() => kube.close());
    kube.injectFault({ path: `/api/v1/namespaces/${ns}/pods`, status: 500, times: 2 });
    kube.injectFault({
      path: `/api/v1/namespaces/${ns}/events`,
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    const abort = new AbortController();
    const observer = startPodObserver({
      kubeConfig: kubeConfigFor(kube),
      namespace: ns,
      clock: systemClock,
      signal: abort.signal,
      maxRetries: 3,
      initialBackoffMs: 5,
    });
    cleanups.push(() => observer.stop());
    await observer.synced;
    const { pods, events } = observer.summary().watch;
    expect(pods).toMatchObject({ lists: 1, errors: 2, gaveUp: false });
    expect(events).toMatchObject({ lists: 0, errors: 4, gaveUp: true });
    kube.store.put(pod('d'));
    await waitUntil('pod d', () => observer.events().some((e) => e.kind === 'pod-added' && e.pod === 'd'));
  });

  it('stops on stop() and on the signal: no more events, loops ended', async () => {
    const { kube, observer } = await start();
    await observer.stop();
    await observer.stop();
    kube.store.put(pod('late'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(observer.events()).toEqual([]);

    const second = await start();
    second.abort.abort();
    await second.observer.stop();
    expect(second.observer.summary().watch.pods.gaveUp).toBe(false);
  });

  it('reads a kubeconfig file', async () => {
    const kube = await FakeKube.start();
    cleanups.push(() => kube.close());
    kube.store.put(pod('f'));
    const abort = new AbortController();
    const observer = startPodObserver({
      kubeconfigPath: kube.kubeconfigPath,
      namespace: ns,
      clock: systemClock,
      signal: abort.signal,
      labelSelector: 'app=none',
    });
    cleanups.push(() => observer.stop());
    await observer.synced;
    expect(observer.summary().watch.pods.lists).toBe(1);
    expect(observer.events()).toEqual([]);
  });
});
