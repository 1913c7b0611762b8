import { access, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import { InfraError, isAbortError, UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { PhaseRunner } from '../../run/phase-runner.js';
import { type FakeBin, fakeBinDir } from '../../testing/fake-bin/fake-bin.js';
import {
  kubeCell,
  kubeRunContext,
  kubeScenario,
  kubeScenarioDir,
} from '../../testing/fake-bin/kube-fixtures.js';
import { readClusterMarker } from '../kube/cluster-marker.js';
import { clusterName } from '../kube/cluster-name.js';
import { PINNED_KUBERNETES_VERSIONS } from '../kube/node-images.js';
import { KindPlatform } from './kind-platform.js';

const RUN = '20260101-020304-a1b2';
const CELL = 'kind-helm-rolling-1.0.0-1.1.0';
const NAME = clusterName(RUN, CELL);
const image = (minor: string) => PINNED_KUBERNETES_VERSIONS.find((p) => p.minor === minor)!.kind;

let root: string;
let fake: FakeBin;
let scenarioDir: string;
let configDir: string;
let artifactDir: string;
let stateDir: string;
let workRoot: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kind-platform-'));
  ({ scenarioDir, configDir } = await kubeScenarioDir(root));
  artifactDir = join(root, 'cell');
  stateDir = join(root, 'state');
  workRoot = join(root, 'work');
  await mkdir(artifactDir, { recursive: true });
  fake = await fakeBinDir(['kind']);
});
afterEach(async () => {
  await fake.remove();
  await rm(root, { recursive: true, force: true });
});

function platform(env: Record<string, string> = fake.env): KindPlatform {
  return new KindPlatform({ stateDir, env, workRoot, host: 'ci-runner-1', pid: 4242 });
}

function createOptions(custom: Record<string, string> = {}, kubernetes: Record<string, unknown> = {}) {
  return { scenario: kubeScenario(kubernetes), scenarioDir, cell: kubeCell('kind', custom) };
}

const argvOf = (verb: string) => fake.calls('kind').filter((c) => c.argv[0] === verb);

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('kind platform', () => {
  it('creates a run-labelled cluster with the pinned image of the kubernetesVersion axis, and deletes it', async () => {
    const ctx = kubeRunContext(artifactDir, { runId: RUN, cellId: CELL });
    const started = await platform().create(createOptions({ 'kubernetes-version': '1.32' }), ctx);

    expect(started.clusterName).toBe(NAME);
    expect(NAME).toMatch(/^uh-[a-z0-9]+-[0-9a-f]{10}$/);
    expect(NAME.length).toBeLessThanOrEqual(32);
    expect(started.kubeContext).toBe(`kind-${NAME}`);
    expect(fake.calls('kind').map((c) => c.argv)).toEqual([
      [
        'create',
        'cluster',
        '--name',
        NAME,
        '--config',
        join(configDir, 'single-node.yaml'),
        '--image',
        image('1.32'),
        '--wait',
        '120s',
        '--kubeconfig',
        started.kubeconfigPath,
      ],
    ]);
    expect(image('1.32')).toMatch(/^kindest\/node:v1\.32\.5@sha256:[0-9a-f]{64}$/);
    expect((await stat(started.kubeconfigPath)).mode & 0o777).toBe(0o600);
    expect(started.kubeconfigPath.startsWith(workRoot)).toBe(true);
    expect(await readFile(started.kubeconfigPath, 'utf8')).toContain(`current-context: kind-${NAME}`);
    expect(fake.state().kind.clusters.map((c) => c.name)).toEqual([NAME]);
    expect(await readClusterMarker(stateDir, NAME)).toMatchObject({
      name: NAME,
      platform: 'kind',
      runId: RUN,
      cellId: CELL,
      host: 'ci-runner-1',
      pid: 4242,
    });
    expect(ctx.events.map((e) => e.kind)).toEqual(['cluster']);

    await started[Symbol.asyncDispose]();
    expect(argvOf('delete').map((c) => c.argv)).toEqual([
      ['delete', 'cluster', '--name', NAME, '--kubeconfig', started.kubeconfigPath],
    ]);
    expect(fake.state().kind.clusters).toEqual([]);
    expect(await readClusterMarker(stateDir, NAME)).toBeUndefined();
    expect(await exists(started.kubeconfigPath)).toBe(false);

    // A second dispose does nothing.
    await started[Symbol.asyncDispose]();
    expect(argvOf('delete')).toHaveLength(1);
  });

  it('uses the default version without the axis, and the scenario nodeImages before the pinned table', async () => {
    const a = await platform().create(createOptions(), kubeRunContext(artifactDir, { cellId: 'a' }));
    const b = await platform().create(
      createOptions(
        { 'kubernetes-version': 'v1.34' },
        { nodeImages: { kind: { '1.34': 'kindest/node:v1.34.0@sha256:abc' } } },
      ),
      kubeRunContext(artifactDir, { cellId: 'b' }),
    );
    const images = argvOf('create').map((c) => c.argv[c.argv.indexOf('--image') + 1]);
    expect(images).toEqual([image('1.33'), 'kindest/node:v1.34.0@sha256:abc']);
    expect(b.kubernetesVersion).toBe('1.34');
    await a[Symbol.asyncDispose]();
    await b[Symbol.asyncDispose]();
  });

  it('loads the preload images into the cluster', async () => {
    const started = await platform().create(
      createOptions({}, { preloadImages: ['app:1.0.0', 'app:1.1.0'] }),
      kubeRunContext(artifactDir, { runId: RUN, cellId: CELL }),
    );
    expect(argvOf('load').map((c) => c.argv)).toEqual([
      ['load', 'docker-image', 'app:1.0.0', '--name', NAME],
      ['load', 'docker-image', 'app:1.1.0', '--name', NAME],
    ]);
    expect(fake.state().kind.clusters[0]?.images).toEqual(['app:1.0.0', 'app:1.1.0']);
    await started[Symbol.asyncDispose]();
  });

  it("fails with kind's own message when create fails, and leaves nothing behind", async () => {
    const error = await platform(fake.failing({ kind: ['create'] }))
      .create(createOptions(), kubeRunContext(artifactDir, { runId: RUN, cellId: CELL }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as InfraError).code).toBe('INFRA');
    expect((error as Error).message).toContain(
      `kind create cluster ${NAME} failed: ERROR: failed to create cluster`,
    );
    expect((error as Error).message).toContain('is already in use');
    // kind removes a half-made cluster itself; the platform deletes it anyway (idempotent).
    expect(argvOf('delete')).toHaveLength(1);
    expect(await readClusterMarker(stateDir, NAME)).toBeUndefined();
    expect(await readdir(workRoot)).toEqual([]);
  });

  it('deletes the cluster when a preload fails', async () => {
    const error = await platform(fake.failing({ kind: ['load'] }))
      .create(
        createOptions({}, { preloadImages: ['app:missing'] }),
        kubeRunContext(artifactDir, { runId: RUN, cellId: CELL }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toContain('ERROR: image: "app:missing" not present locally');
    expect(fake.state().kind.clusters).toEqual([]);
  });

  it('deletes the cluster when create is interrupted half-way', async () => {
    const abort = new AbortController();
    const creating = platform(fake.failing({ kind: ['create-hang'] })).create(
      createOptions(),
      kubeRunContext(artifactDir, { runId: RUN, cellId: CELL, signal: abort.signal }),
    );
    const outcome = creating.catch((e: unknown) => e);
    // Wait (bounded) until kind has made the node, then interrupt.
    for (let i = 0; i < 400 && fake.state().kind.clusters.length === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(fake.state().kind.clusters.map((c) => c.name)).toEqual([NAME]);
    abort.abort();
    expect(isAbortError(await outcome)).toBe(true);
    expect(fake.state().kind.clusters).toEqual([]);
    expect(argvOf('delete')).toHaveLength(1);
    expect(await readClusterMarker(stateDir, NAME)).toBeUndefined();
  });

  it('deletes the cluster at teardown after a later phase failed', async () => {
    const phases = new PhaseRunner(new AbortController().signal, systemClock, silentLogger());
    let started: Awaited<ReturnType<KindPlatform['create']>> | undefined;
    phases.defer('platform', async () => started?.[Symbol.asyncDispose]());
    const provision = await phases.run('provision', 30_000, async (signal) => {
      started = await platform().create(
        createOptions(),
        kubeRunContext(artifactDir, { runId: RUN, cellId: CELL, signal }),
      );
    });
    const install = await phases.run('install', 30_000, async () => {
      throw new Error('helm install failed');
    });
    expect([provision.ok, install.ok]).toEqual([true, false]);
    expect(fake.state().kind.clusters).toHaveLength(1);
    expect(await phases.teardown(60_000)).toEqual([]);
    expect(fake.state().kind.clusters).toEqual([]);
  });

  it('reports a failed delete once, keeps the marker for gc, and does nothing on a second dispose', async () => {
    const started = await platform(fake.failing({ kind: ['delete'] })).create(
      createOptions(),
      kubeRunContext(artifactDir, { runId: RUN, cellId: CELL }),
    );
    const error = await started[Symbol.asyncDispose]().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toContain(`ERROR: failed to delete cluster "${NAME}"`);
    expect((error as InfraError).hint).toContain('upgrade-harness gc --yes');
    expect(await readClusterMarker(stateDir, NAME)).toBeDefined();
    expect(await exists(started.kubeconfigPath)).toBe(false);
    await expect(started[Symbol.asyncDispose]()).resolves.toBeUndefined();
    expect(argvOf('delete')).toHaveLength(1);
  });

  it('refuses a missing config file or an unknown version before creating anything', async () => {
    const ctx = kubeRunContext(artifactDir);
    await expect(
      platform().create(createOptions({}, { kindConfig: '../kind-configs/nope.yaml' }), ctx),
    ).rejects.toThrow(UsageError);
    await expect(platform().create(createOptions({ 'kubernetes-version': '1.20' }), ctx)).rejects.toThrow(
      /kubernetesVersion 1\.20 has no kind node image \(known: 1\.33 \(1\.33\.1\), 1\.32/,
    );
    expect(fake.calls()).toEqual([]);
    expect(await exists(stateDir)).toBe(false);
  });

  it('says how to get kind when it is not installed', async () => {
    const error = await platform({ PATH: join(root, 'empty') })
      .create(createOptions(), kubeRunContext(artifactDir, { runId: RUN, cellId: CELL }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toContain('kind is not installed or not on PATH');
    expect((error as InfraError).hint).toContain('kind.sigs.k8s.io');
    expect(await readClusterMarker(stateDir, NAME)).toBeDefined();
  });

  it('exports the logs and a summary into the diagnostics folder, and never logs the kubeconfig', async () => {
    const started = await platform().create(
      createOptions({}, { access: { mode: 'ingress', service: 'web', port: 80, url: 'http://127.0.0.1/' } }),
      kubeRunContext(artifactDir, { runId: RUN, cellId: CELL }),
    );
    expect(started.endpoints()).toEqual(['http://127.0.0.1']);
    const dir = join(artifactDir, 'diagnostics');
    await mkdir(dir);
    await started.collectDiagnostics(dir);
    expect(argvOf('export').map((c) => c.argv)).toEqual([
      ['export', 'logs', join(dir, 'kind-logs'), '--name', NAME],
    ]);
    expect(await readdir(join(dir, 'kind-logs'))).toContain(`${NAME}-control-plane`);
    const summary = JSON.parse(await readFile(join(dir, 'kind-cluster.json'), 'utf8'));
    expect(summary).toMatchObject({ cluster: NAME, context: `kind-${NAME}`, nodeImage: image('1.33') });
    const key = (await readFile(started.kubeconfigPath, 'utf8')).match(/client-key-data: (\S+)/)?.[1];
    expect(key).toBeTruthy();
    await started[Symbol.asyncDispose]();
    const written = [
      await readFile(join(artifactDir, 'cell.log'), 'utf8'),
      await readFile(join(artifactDir, 'logs', 'kind.log'), 'utf8'),
      await readFile(join(dir, 'kind-cluster.json'), 'utf8'),
    ].join('\n');
    expect(written).toContain('Creating cluster');
    expect(written).not.toContain(key);
    expect(written).not.toContain('client-key-data');
  });
});
