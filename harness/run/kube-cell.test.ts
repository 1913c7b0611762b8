import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { AbortedError, UsageError } from '../common/errors.js';
import { silentLogger } from '../common/logger.js';
import type { PhaseRecord } from '../common/sample.js';
import type { KubernetesConfig, ScenarioConfig } from '../config/types.js';
import type { Installation } from '../methods/method.js';
import type { PodTimelineEvent } from '../observe/pod-observer.js';
import type { KubeTarget, StartedPlatform } from '../platforms/platform.js';
import { FakeKube, type KubeObject } from '../testing/fake-kube/index.js';
import { type KubeCell, type KubeCellOptions, startKubeCell, timelineMessage } from './kube-cell.js';

const NS = 'shop';

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A started platform on a cluster: our own interface, implemented plainly. */
function kubePlatform(target: KubeTarget | undefined, endpoints: string[] = []): StartedPlatform {
  return {
    id: 'test/cell',
    name: 'kind',
    endpoints: () => endpoints,
    collectDiagnostics: async () => undefined,
    ...(target ? { kube: () => target } : {}),
    [Symbol.asyncDispose]: async () => undefined,
  };
}

function installationIn(namespace: string | undefined, endpoints: string[] = []): Installation {
  return {
    endpoints,
    upgrade: async () => undefined,
    rollback: async () => undefined,
    collectDiagnostics: async () => undefined,
    ...(namespace ? { workload: { namespace } } : {}),
    [Symbol.asyncDispose]: async () => undefined,
  };
}

function kubernetes(
  access: KubernetesConfig['access'],
  labelSelector?: string,
): Pick<ScenarioConfig, 'kubernetes'> {
  return {
    kubernetes: {
      kindConfig: 'kind.yaml',
      k3dConfig: 'k3d.yaml',
      nodeImages: { kind: {}, k3d: {}, k3s: {} },
      preloadImages: [],
      access,
      observe: { logTailLines: 50, ...(labelSelector ? { labelSelector } : {}) },
    },
  };
}

const ingress = kubernetes({ mode: 'ingress', service: 'web', port: 80 });

function pod(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { containers: [{ name: 'app', image: 'other:1' }] },
  };
}

describe('startKubeCell on FakeKube through @kubernetes/client-node', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fakeKube(): Promise<FakeKube> {
    const kube = await FakeKube.start({ namespaces: ['default', NS] });
    cleanups.push(() => kube.close());
    return kube;
  }

  async function start(
    options: Partial<KubeCellOptions> & Pick<KubeCellOptions, 'platform' | 'installation'>,
  ): Promise<{ cell: KubeCell | undefined; timeline: { kind: string; message: string }[] }> {
    const timeline: { kind: string; message: string }[] = [];
    const cell = await startKubeCell({
      scenario: ingress,
      clock: systemClock,
      logger: silentLogger(),
      signal: new AbortController().signal,
      event: (kind, message) => timeline.push({ kind, message }),
      watch: { initialBackoffMs: 20 },
      ...options,
    });
    if (cell) cleanups.push(() => cell.stop());
    return { cell, timeline };
  }

  it('attributes a rollout with a container restart to the upgrade phase and puts it on the timeline', async () => {
    const kube = await fakeKube();
    kube.store.put(pod('before'));
    const phases: PhaseRecord[] = [];
    const t0 = systemClock.now();
    const { cell, timeline } = await start({
      platform: kubePlatform({ kubeconfigPath: kube.kubeconfigPath, context: 'fake-kube' }),
      installation: installationIn(NS, ['http://127.0.0.1:9']),
      phases: () => phases,
    });
    expect(cell).toBeDefined();
    expect(cell!.namespace).toBe(NS);
    // Ingress: the traffic goes where the installation says.
    expect(cell!.endpoints).toEqual(['http://127.0.0.1:9']);

    const upgradeStart = systemClock.now();
    phases.push({ name: 'baseline', startedAt: t0, endedAt: upgradeStart, status: 'passed' });
    const result = await kube.scriptRollout({
      namespace: NS,
      deployment: 'web',
      fromImage: 'web:1',
      toImage: 'web:2',
      pods: 3,
      stepMs: 5,
      restartAt: 1,
    }).done;
    expect(result.outcome).toBe('complete');
    await waitUntil(
      'the old pods deleted and the BackOff warning',
      () =>
        result.oldPods.every((p) => timeline.some((e) => e.message === `pod ${p} deleted`)) &&
        timeline.some((e) => e.kind === 'kube-event' && e.message.includes('BackOff')),
    );
    phases.push({
      name: 'upgrade',
      startedAt: upgradeStart,
      endedAt: systemClock.now() + 1,
      status: 'passed',
      detail: '1 → 2',
    });

    const record = await cell!.stop();
    const upgrade = record.byPhase.find((p) => p.phase === 'upgrade');
    expect(upgrade).toMatchObject({ detail: '1 → 2', restarts: 1, podsAdded: 6, podsDeleted: 3 });
    expect(upgrade!.workloads).toEqual(['Deployment/web']);
    expect(upgrade!.warnings).toBeGreaterThanOrEqual(1);
    expect(record.byPhase.find((p) => p.phase === 'baseline')).toMatchObject({ restarts: 0, podsAdded: 0 });
    expect(record.workloads).toContainEqual(
      expect.objectContaining({ workload: 'Deployment/web', restarts: 1, images: ['web:1', 'web:2'] }),
    );
    expect(record.workloads).toContainEqual(expect.objectContaining({ workload: 'Pod/before', podsSeen: 1 }));
    expect(record.kubeEvents.warnings).toBeGreaterThanOrEqual(1);
    expect(record.kubeEvents.total).toBeGreaterThan(record.kubeEvents.warnings);
    expect(record.portForward).toBeUndefined();
    expect(record.notes).toEqual([]);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);

    // The restart is on the cell's timeline, with its reason; a pod that was there before and
    // Normal events are not.
    const restarted = result.restartedPods[0];
    expect(timeline).toContainEqual({
      kind: 'container-restarted',
      message: `pod ${restarted} container app restarted (Error, exit 1), restarts 1`,
    });
    expect(timeline.some((e) => e.message.includes('before'))).toBe(false);
    expect(
      timeline.filter((e) => e.kind === 'kube-event').every((e) => e.message.startsWith('Warning ')),
    ).toBe(true);
    expect(timeline).toContainEqual({
      kind: 'image-changed',
      message: `pod ${result.newPods[0]} container app image web:1 → web:2`,
    });

    // Stopped: idempotent, and nothing more is observed.
    expect(await cell!.stop()).toEqual(record);
    const seen = timeline.length;
    kube.store.put(pod('late'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(timeline).toHaveLength(seen);
    // The record can be attributed again to a longer phase list (diagnostics, teardown).
    const later = cell!.record([
      ...phases,
      { name: 'teardown', startedAt: systemClock.now(), endedAt: systemClock.now() + 1, status: 'passed' },
    ]);
    expect(later.byPhase.map((p) => p.phase)).toEqual(['baseline', 'upgrade', 'teardown']);
    expect(later.byPhase[1]).toEqual(upgrade);
  });

  it('observes only the pods the label selector names', async () => {
    const kube = await fakeKube();
    const { cell, timeline } = await start({
      platform: kubePlatform({ kubeconfigPath: kube.kubeconfigPath }),
      installation: installationIn(NS),
      scenario: kubernetes({ mode: 'ingress', service: 'web', port: 80 }, 'app=web'),
    });
    kube.store.put(pod('other', { app: 'db' }));
    kube.store.put(pod('mine', { app: 'web' }));
    await waitUntil('pod mine', () => timeline.some((e) => e.message.startsWith('pod mine added')));
    const record = await cell!.stop();
    expect(record.workloads.map((w) => w.workload)).toEqual(['Pod/mine']);
    expect(timeline.some((e) => e.message.includes('other'))).toBe(false);
  });

  it('is not started without a cluster or without a workload', async () => {
    const kube = await fakeKube();
    const target = { kubeconfigPath: kube.kubeconfigPath };
    expect((await start({ platform: kubePlatform(undefined), installation: installationIn(NS) })).cell).toBe(
      undefined,
    );
    expect(
      (await start({ platform: kubePlatform(target), installation: installationIn(undefined) })).cell,
    ).toBeUndefined();
  });

  it('falls back to the platform endpoints, then the ingress URL, when the installation has none', async () => {
    const kube = await fakeKube();
    const { cell } = await start({
      platform: kubePlatform({ kubeconfigPath: kube.kubeconfigPath }, ['http://127.0.0.1:8']),
      installation: installationIn(NS),
    });
    expect(cell!.endpoints).toEqual(['http://127.0.0.1:8']);
    const { cell: byUrl } = await start({
      platform: kubePlatform({ kubeconfigPath: kube.kubeconfigPath }),
      installation: installationIn(NS),
      scenario: kubernetes({ mode: 'ingress', service: 'web', port: 80, url: 'http://127.0.0.1:7' }),
    });
    expect(byUrl!.endpoints).toEqual(['http://127.0.0.1:7']);
  });

  it('fails naming the Service when the port-forward cannot start', async () => {
    const kube = await fakeKube();
    const attempt = start({
      platform: kubePlatform({ kubeconfigPath: kube.kubeconfigPath }),
      installation: installationIn(NS),
      scenario: kubernetes({ mode: 'port-forward', service: 'missing', port: 8080 }),
    });
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(/port-forward: Service shop\/missing does not exist/);
  });

  it('sends the traffic through a port-forward to the Service and records its connections', async () => {
    const kube = await fakeKube();
    const backend = createHttpServer((_req, res) => res.end('from the pod'));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          backend.closeAllConnections();
          backend.close(resolve);
        }),
    );
    const backendPort = (backend.address() as { port: number }).port;
    kube.setPortForwardTarget((_pod, port) =>
      port === 8080 ? { host: '127.0.0.1', port: backendPort } : undefined,
    );
    kube.store.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: NS },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const rollout = await kube.scriptRollout({
      namespace: NS,
      deployment: 'web',
      toImage: 'web:1',
      pods: 1,
      oldPods: 0,
      stepMs: 5,
    }).done;
    expect(rollout.outcome).toBe('complete');
    const { cell } = await start({
      platform: kubePlatform({ kubeconfigPath: kube.kubeconfigPath }),
      installation: installationIn(NS, ['http://127.0.0.1:9']),
      scenario: kubernetes({ mode: 'port-forward', service: 'web', port: 80 }),
    });
    const [endpoint] = cell!.endpoints;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoint).not.toBe('http://127.0.0.1:9');
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(10_000) });
    expect(await res.text()).toBe('from the pod');
    const record = await cell!.stop();
    expect(record.portForward).toMatchObject({ accepted: 1, tunnelled: 1, noReadyPod: 0 });
    // Closed with stop(): the listener refuses.
    await expect(fetch(`${endpoint}/`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });

  it('notes a watch that gave up instead of failing the cell', async () => {
    const kube = await fakeKube();
    kube.injectFault({ path: `/api/v1/namespaces/${NS}/pods`, status: 500, times: Number.POSITIVE_INFINITY });
    const { cell } = await start({
      platform: kubePlatform({ kubeconfigPath: kube.kubeconfigPath }),
      installation: installationIn(NS),
      watch: { maxRetries: 1, initialBackoffMs: 5 },
    });
    const record = await cell!.stop();
    expect(record.notes).toContain('pod watch gave up after repeated errors; later pod changes are missing');
    expect(record.workloads).toEqual([]);
  });

  it('goes on without the first pod list when the API server does not answer, and stops in bounded time', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(resolve);
        }),
    );
    const port = (silent.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'uh-kube-cell-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfigPath,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
      { mode: 0o600 },
    );
    const { cell } = await start({
      platform: kubePlatform({ kubeconfigPath }),
      installation: installationIn(NS),
      syncTimeoutMs: 200,
      stopTimeoutMs: 2000,
    });
    const record = await cell!.stop();
    expect(record.notes[0]).toBe(
      'pod observer: no first pod list within 0.2 s; pod changes before it are missing',
    );
    expect(JSON.stringify(record)).not.toContain('not-a-real-token');

    // The same silent API server with a port-forward to start: the install phase's deadline ends
    // the start (it does not wait on the API), and nothing it began outlives it.
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 300);
    const started = Date.now();
    const failed = await start({
      platform: kubePlatform({ kubeconfigPath }),
      installation: installationIn(NS),
      scenario: kubernetes({ mode: 'port-forward', service: 'web', port: 80 }),
      syncTimeoutMs: 100,
      stopTimeoutMs: 2000,
      startSignal: deadline.signal,
    }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failed).toBeInstanceOf(AbortedError);
    expect(failed?.message).toMatch(/the phase ended before the port-forward was up/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('timelineMessage', () => {
  const base = { at: 1, pod: 'web-1', workload: 'Deployment/web' };
  it('describes pod changes in one short line, and leaves out what is not a change', () => {
    const cases: [PodTimelineEvent, string | undefined][] = [
      [{ ...base, kind: 'pod-added', initial: true }, undefined],
      [{ ...base, kind: 'pod-added' }, 'pod web-1 added (Deployment/web)'],
      [{ ...base, kind: 'pod-deleted', missed: true }, 'pod web-1 deleted (found gone by a re-list)'],
      [{ ...base, kind: 'pod-not-ready' }, 'pod web-1 not ready'],
      [
        { ...base, kind: 'container-restarted', container: 'app', restartCount: 2, increase: 1 },
        'pod web-1 container app restarted, restarts 2',
      ],
      [
        {
          ...base,
          kind: 'container-restarted',
          container: 'app',
          restartCount: 3,
          increase: 1,
          reason: 'OOMKilled',
          exitCode: 137,
        },
        'pod web-1 container app restarted (OOMKilled, exit 137), restarts 3',
      ],
      [
        {
          kind: 'kube-event',
          at: 1,
          eventType: 'Normal',
          reason: 'Pulled',
          message: 'pulled',
          involvedObject: { kind: 'Pod', name: 'web-1' },
          count: 1,
        },
        undefined,
      ],
      [
        {
          kind: 'kube-event',
          at: 1,
          eventType: 'Warning',
          reason: 'Unhealthy',
          message: 'Readiness probe failed',
          involvedObject: { kind: 'Pod', name: 'web-1' },
          count: 4,
        },
        'Warning Pod/web-1 Unhealthy: Readiness probe failed (×4)',
      ],
    ];
    for (const [event, message] of cases) expect(timelineMessage(event)).toBe(message);
    const long = timelineMessage({
      kind: 'kube-event',
      at: 1,
      eventType: 'Warning',
      reason: 'Failed',
      message: 'x'.repeat(1000),
      involvedObject: { kind: 'Pod', name: 'p' },
      count: 1,
    });
    expect(long).toHaveLength(300);
    expect(long?.endsWith('…')).toBe(true);
  });
});
