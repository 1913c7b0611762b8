import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { InfraError, UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { ScenarioConfig } from '../../config/types.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import { FakeKube } from '../../testing/fake-kube/index.js';
import { cellHash, cellNamespaceName } from '../kube/namespace-labels.js';
import type { StartedPlatform } from '../platform.js';
import { StartedExistingCluster } from './existing-cluster.js';
import { ExistingPlatform, StartedExistingPlatform } from './existing-platform.js';

const RUN_ID = '20260102-030405-Nightly/1';
const cell = testCellPlan({
  id: 'existing-helm-1.0.0-1.1.0',
  platform: 'existing',
  method: 'helm',
  from: '1.0.0',
  to: '1.1.0',
});
const NS = cellNamespaceName('uh', RUN_ID, cell.id);

function scenarioWith(existing: Record<string, unknown>): ScenarioConfig {
  return ScenarioSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Scenario',
    name: 'shop',
    versions: ['1.0.0', '1.1.0'],
    versionProbe: { header: 'x-version' },
    readiness: { path: '/healthz' },
    existing,
    traffic: {},
    timing: { readyTimeoutSeconds: 30 },
  });
}

let kube: FakeKube;
let dir: string;
let ctx: RunContext;
const open: AsyncDisposable[] = [];

beforeEach(async () => {
  kube = await FakeKube.start();
  dir = await mkdtemp(join(tmpdir(), 'uh-existing-'));
  ctx = {
    runId: RUN_ID,
    cellId: cell.id,
    signal: new AbortController().signal,
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: join(dir, 'cell'),
    event: () => {},
  };
});

afterEach(async () => {
  for (const started of open.splice(0)) await Promise.resolve(started[Symbol.asyncDispose]()).catch(() => {});
  await kube.close();
  await rm(dir, { recursive: true, force: true });
});

/** A kubeconfig for the fake with a second context `staging` (same server) and current-context `fake-kube`. */
async function twoContextKubeconfig(): Promise<string> {
  const config = parse(kube.kubeconfigYaml) as { contexts: { name: string; context: unknown }[] };
  config.contexts.push({ name: 'staging', context: { cluster: 'fake-kube', user: 'fake-kube' } });
  const path = join(dir, 'scenario', 'kube', 'config');
  await mkdir(join(dir, 'scenario', 'kube'), { recursive: true });
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}

const platform = (options: ConstructorParameters<typeof ExistingPlatform>[0] = {}) =>
  new ExistingPlatform({ host: 'runner-1', pid: 4242, pollIntervalMs: 20, ...options });

async function createCluster(
  existing: Record<string, unknown>,
  options: ConstructorParameters<typeof ExistingPlatform>[0] = {},
): Promise<StartedExistingCluster> {
  const started = await platform(options).create(
    { scenario: scenarioWith(existing), scenarioDir: join(dir, 'scenario'), cell },
    ctx,
  );
  open.push(started);
  expect(started).toBeInstanceOf(StartedExistingCluster);
  return started as StartedExistingCluster;
}

const namespace = (name = NS) => kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name });

describe('the existing platform on an existing cluster', () => {
  it('creates the cell namespace, labelled and annotated, and deletes it at dispose', async () => {
    const started = await createCluster({ kubernetes: {} }, { defaultKubeconfig: kube.kubeconfigPath });
    expect(NS).toMatch(/^uh-[0-9a-f]{8}$/);
    expect(started.kube()).toEqual({
      kubeconfigPath: kube.kubeconfigPath,
      context: 'fake-kube',
      namespace: NS,
    });
    const ns = namespace();
    expect(ns?.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'upgrade-harness',
      'upgrade-harness.io/run': '20260102-030405-Nightly-1',
      'upgrade-harness.io/cell': cellHash(RUN_ID, cell.id),
    });
    expect(ns?.metadata.annotations).toMatchObject({
      'upgrade-harness.io/host': 'runner-1',
      'upgrade-harness.io/pid': '4242',
      'upgrade-harness.io/cell-id': cell.id,
      'upgrade-harness.io/created-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    await started[Symbol.asyncDispose]();
    expect(namespace()).toBeUndefined();
    await started[Symbol.asyncDispose]();
    const deletes = kube.events().filter((e) => e.method === 'DELETE');
    expect(deletes.map((e) => e.path)).toEqual([`/api/v1/namespaces/${NS}`]);
  });

  it('after a failed phase still deletes everything in it, and waits until the namespace is gone', async () => {
    await kube.close();
    kube = await FakeKube.start({ namespaceTerminationMs: 150 });
    const started = await createCluster({ kubernetes: {} }, { defaultKubeconfig: kube.kubeconfigPath });
    // What a half-done install leaves behind.
    kube.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'half', namespace: NS } });
    await started[Symbol.asyncDispose]();
    expect(namespace()).toBeUndefined();
    expect(kube.store.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS })).toEqual([]);
    const reads = kube.events().filter((e) => e.method === 'GET' && e.path === `/api/v1/namespaces/${NS}`);
    expect(reads.length).toBeGreaterThanOrEqual(2);
  });

  it('a namespace that will not go is an InfraError naming gc, within deleteTimeoutSeconds, once', async () => {
    const started = await createCluster(
      { kubernetes: { deleteTimeoutSeconds: 1 } },
      { defaultKubeconfig: kube.kubeconfigPath },
    );
    kube.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', namespace: NS, finalizers: ['example.com/hold'] },
    });
    const began = performance.now();
    const err = await started[Symbol.asyncDispose]().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - began).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).message).toContain(
      `namespace ${NS} (context fake-kube) was not deleted within 1 s (phase Terminating)`,
    );
    expect((err as InfraError).hint).toContain('upgrade-harness gc --yes');
    expect(namespace()?.status).toMatchObject({ phase: 'Terminating' });
    await expect(started[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('takes the scenario kubeconfig relative to the scenario and its context', async () => {
    await twoContextKubeconfig();
    const started = await createCluster({ kubernetes: { kubeconfig: 'kube/config', context: 'staging' } });
    expect(started.kube()).toMatchObject({
      kubeconfigPath: join(dir, 'scenario', 'kube', 'config'),
      context: 'staging',
    });
    expect(namespace()).toBeDefined();
  });

  it('an unknown context is a UsageError listing the contexts, never the file', async () => {
    await twoContextKubeconfig();
    const err = await createCluster({ kubernetes: { kubeconfig: 'kube/config', context: 'prod' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    const text = `${(err as UsageError).message} ${(err as UsageError).hint}`;
    expect(text).toContain(
      `context "prod" is not in kubeconfig ${join(dir, 'scenario', 'kube', 'config')} (contexts: fake-kube, staging)`,
    );
    expect(text).toContain('existing.kubernetes.context');
    expect(text).not.toContain(kube.token);
    expect(text).not.toContain(kube.url);
    expect(kube.events().filter((e) => e.method === 'POST')).toEqual([]);
  });

  it('a missing or broken kubeconfig, or none at all, is a UsageError', async () => {
    await expect(createCluster({ kubernetes: { kubeconfig: 'nope.yaml' } })).rejects.toThrow(
      `kubeconfig not found: ${join(dir, 'scenario', 'nope.yaml')}`,
    );
    await mkdir(join(dir, 'scenario'), { recursive: true });
    await writeFile(join(dir, 'scenario', 'bad.yaml'), `token: ${kube.token}\n  : [\n`);
    const broken = await createCluster({ kubernetes: { kubeconfig: 'bad.yaml' } }).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(UsageError);
    expect((broken as Error).message).toContain('cannot be read');
    expect((broken as Error).message).not.toContain(kube.token);
    await expect(createCluster({ kubernetes: {} })).rejects.toThrow(UsageError);
  });

  it('a refused namespace is an InfraError; nothing is left to dispose', async () => {
    kube.injectFault({
      method: 'POST',
      path: '/api/v1/namespaces',
      status: 403,
      reason: 'Forbidden',
      message: 'namespaces is forbidden',
    });
    const err = await createCluster({ kubernetes: {} }, { defaultKubeconfig: kube.kubeconfigPath }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InfraError);
    expect((err as Error).message).toBe(
      `not allowed to create namespace ${NS} on context fake-kube (${new URL(kube.url).host}): 403: namespaces is forbidden`,
    );
  });

  it('writes a summary without the kubeconfig contents', async () => {
    const started = await createCluster({ kubernetes: {} }, { defaultKubeconfig: kube.kubeconfigPath });
    await mkdir(join(dir, 'diag'));
    await started.collectDiagnostics(join(dir, 'diag'));
    const text = await readFile(join(dir, 'diag', 'existing-cluster.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      context: 'fake-kube',
      server: new URL(kube.url).host,
      namespace: NS,
      namespacePhase: 'Active',
    });
    expect(text).not.toContain(kube.token);
  });

  it('plans the namespace it would make', () => {
    const planned = platform({ defaultKubeconfig: '/home/ci/.kube/config' }).plan(
      { scenario: scenarioWith({ kubernetes: { context: 'ci' } }), scenarioDir: dir, cell },
      RUN_ID,
    );
    expect(planned.steps).toEqual([
      { phase: 'provision', note: 'kubeconfig /home/ci/.kube/config, context ci' },
      {
        phase: 'provision',
        api: `POST v1 namespaces ${NS} (labels app.kubernetes.io/managed-by=upgrade-harness, upgrade-harness.io/run=20260102-030405-Nightly-1, …)`,
      },
      { phase: 'teardown', api: `DELETE v1 namespaces/${NS}, then GET until 404 (at most 50 s)` },
    ]);
  });
});

describe('an API server that never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  beforeEach(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is an InfraError after the request deadline', async () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const config = parse(kube.kubeconfigYaml) as { clusters: { cluster: { server: string } }[] };
    const first = config.clusters[0];
    if (first) first.cluster.server = `http://127.0.0.1:${port}`;
    const path = join(dir, 'hang.yaml');
    await writeFile(path, stringify(config), { mode: 0o600 });
    const began = performance.now();
    const err = await createCluster(
      { kubernetes: {} },
      { defaultKubeconfig: path, requestTimeoutMs: 300 },
    ).catch((e: unknown) => e);
    expect(performance.now() - began).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as Error).message).toContain(
      `cannot reach the API server of context fake-kube (127.0.0.1:${port}): no answer from the API server within 300 ms`,
    );
  });
});

describe('the existing platform with URLs only', () => {
  it('sends traffic to them and creates nothing', async () => {
    const started = await platform().create(
      { scenario: scenarioWith({ urls: ['http://127.0.0.1:9/app/'] }), scenarioDir: dir, cell },
      ctx,
    );
    expect(started).toBeInstanceOf(StartedExistingPlatform);
    expect(started.endpoints()).toEqual(['http://127.0.0.1:9/app']);
    expect((started as StartedPlatform).kube).toBeUndefined();
    await expect(
      platform().create({ scenario: scenarioWith({}), scenarioDir: dir, cell }, ctx),
    ).rejects.toThrow('needs existing.urls (a running product) or existing.kubernetes (a cluster)');
  });
});
