import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { ProductError } from '../../common/errors.js';
import { runCommand } from '../../common/exec.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import { FakeKube, isPodReady } from '../../testing/fake-kube/index.js';
import { writeTinyChart } from '../../testing/fake-kube/tiny-chart.js';
import { defaultNamespace, helmEnv } from './helm-commands.js';
import { type HelmInstallation, HelmMethod } from './helm-method.js';

/**
 * The helm method end to end with the real helm 3.18 (scripts/fetch-helm.sh) against FakeKube:
 * `helm upgrade --install --wait` of a tiny local chart, an upgrade whose image never becomes
 * ready (helm's --timeout), `helm rollback` to the revision of N and the uninstall on dispose.
 */
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const HELM = join(repoRoot, '.tools', 'helm', 'helm');
const RUN_ID = '20250601-120000-cafe';
const TIMEOUT_SECONDS = 10;
const cell = testCellPlan({
  id: 'kind-helm-1.0.0-1.1.0',
  platform: 'kind',
  method: 'helm',
  from: '1.0.0',
  to: '1.1.0',
});
const NS = defaultNamespace(RUN_ID, cell.id);

const scenario = (chartDir: string) =>
  ScenarioSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Scenario',
    name: 'shop',
    versions: ['1.0.0', '1.1.0', '2.0.1'],
    versionProbe: { header: 'x-version' },
    readiness: { path: '/healthz' },
    helm: { chart: chartDir, set: { image: 'app:{{version}}' }, timeoutSeconds: TIMEOUT_SECONDS },
    traffic: {},
    timing: { readyTimeoutSeconds: 30 },
  });

describe(`HelmMethod with the real helm against FakeKube (needs ${HELM})`, () => {
  // Never skipped: without helm this fails and says how to get it.
  it('has the real helm', () => {
    expect(existsSync(HELM), 'no helm binary: run `bash scripts/fetch-helm.sh`').toBe(true);
  });

  let kube: FakeKube;
  let dir: string;
  let ctx: RunContext;
  let installation: HelmInstallation | undefined;
  const events: string[] = [];

  beforeEach(async () => {
    if (!existsSync(HELM)) throw new Error(`no helm binary at ${HELM}: run \`bash scripts/fetch-helm.sh\``);
    kube = await FakeKube.start({
      tls: true,
      deploymentController: { stepMs: 10, failingImages: ['app:2.0.1'] },
    });
    dir = await mkdtemp(join(tmpdir(), 'uh-helm-fake-kube-'));
    await writeTinyChart(join(dir, 'chart'), 'app:0');
    events.length = 0;
    ctx = {
      runId: RUN_ID,
      cellId: cell.id,
      signal: new AbortController().signal,
      clock: systemClock,
      logger: silentLogger(),
      artifactDir: join(dir, 'cells', cell.id),
      event: (kind, message) => events.push(`${kind}: ${message}`),
    };
  });

  afterEach(async () => {
    await installation?.[Symbol.asyncDispose]().catch(() => {});
    installation = undefined;
    await kube?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const platform = (): StartedPlatform => ({
    id: 'fake-kube',
    name: 'kind',
    kube: () => ({ kubeconfigPath: kube.kubeconfigPath }),
    endpoints: () => ['http://127.0.0.1:18080'],
    collectDiagnostics: async () => {},
    [Symbol.asyncDispose]: async () => {},
  });
  const install = async (version: string) => {
    const method = new HelmMethod({ helmPath: HELM });
    installation = (await method.install(
      platform(),
      version,
      {
        scenario: scenario(join(dir, 'chart')),
        scenarioDir: dir,
        cell,
        strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
      },
      ctx,
    )) as HelmInstallation;
    return installation;
  };
  const webPods = () =>
    kube.store.list({ apiVersion: 'v1', kind: 'Pod', namespace: NS, labelSelector: 'app=web' });
  const podImages = () =>
    webPods().map((p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image);
  const deploymentImage = () => {
    const dep = kube.store.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: NS,
      name: 'shop-web',
    });
    return (dep?.spec as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template
      .spec.containers[0]?.image;
  };
  const releaseSecrets = () =>
    kube.store.list({ apiVersion: 'v1', kind: 'Secret', namespace: NS, labelSelector: 'owner=helm' });
  const history = async () => {
    const out = await runCommand([HELM, 'history', 'shop', '--namespace', NS, '--output', 'json'], {
      env: helmEnv(kube.kubeconfigPath, join(dir, 'outside-helm')),
      timeoutMs: 60_000,
    });
    return (JSON.parse(out.stdout) as { revision: number; status: string }[]).map(
      (r) => `${r.revision}:${r.status}`,
    );
  };

  it('installs 1.0.0 and upgrades to 1.1.0', async () => {
    const inst = await install('1.0.0');
    expect(inst.revisionOf('1.0.0')).toBe(1);
    expect(podImages()).toEqual(['app:1.0.0', 'app:1.0.0']);

    await inst.upgrade('1.1.0', ctx);
    expect(inst.revisionOf('1.1.0')).toBe(2);
    expect(podImages()).toEqual(['app:1.1.0', 'app:1.1.0']);
    expect(webPods().every(isPodReady)).toBe(true);
    expect(await history()).toEqual(['1:superseded', '2:deployed']);
    // The release carries the run's labels; the Service came along.
    expect(releaseSecrets().map((s) => s.metadata.labels?.['upgrade-harness.run'])).toEqual([RUN_ID, RUN_ID]);
    expect(
      kube.store.get({ apiVersion: 'v1', kind: 'Service', namespace: NS, name: 'shop-web' }),
    ).toBeDefined();
  });

  it('an upgrade to an image that never gets ready is a ProductError; rollback to 1.0.0 restores it', async () => {
    const inst = await install('1.0.0');
    const started = performance.now();
    const err = await inst.upgrade('2.0.1', ctx).catch((e: unknown) => e);
    const seconds = (performance.now() - started) / 1000;
    expect(err).toBeInstanceOf(ProductError);
    // helm's stderr tail, e.g. `Error: UPGRADE FAILED: context deadline exceeded`.
    expect((err as Error).message).toMatch(
      /^helm upgrade of 2\.0\.1 failed: [\s\S]*UPGRADE FAILED: (context deadline exceeded|.*timed out)/,
    );
    // helm's own --timeout ended it, not the method's backstop.
    expect(seconds).toBeLessThan(TIMEOUT_SECONDS + 40);
    expect(deploymentImage()).toBe('app:2.0.1');
    expect(inst.revisionOf('2.0.1')).toBeUndefined();
    expect(await history()).toEqual(['1:deployed', '2:failed']);
    expect(events.some((e) => e.includes('after the failed helm upgrade of 2.0.1'))).toBe(true);

    await inst.rollback('1.0.0', ctx);
    expect(deploymentImage()).toBe('app:1.0.0');
    expect(podImages()).toEqual(['app:1.0.0', 'app:1.0.0']);
    expect(webPods().every(isPodReady)).toBe(true);
    expect(await history()).toEqual(['1:superseded', '2:failed', '3:deployed']);
    expect(inst.revisionOf('1.0.0')).toBe(3);
    expect(kube.rollouts().map((r) => r.toImage)).toEqual(['app:1.0.0', 'app:2.0.1', 'app:1.0.0']);
  });

  it('dispose uninstalls the release: no release Secrets, Deployment or pods left', async () => {
    const inst = await install('1.0.0');
    expect(releaseSecrets()).toHaveLength(1);
    await inst[Symbol.asyncDispose]();
    installation = undefined;
    expect(releaseSecrets()).toEqual([]);
    expect(deploymentImage()).toBeUndefined();
    expect(webPods()).toEqual([]);
    expect(
      kube.store.get({ apiVersion: 'v1', kind: 'Service', namespace: NS, name: 'shop-web' }),
    ).toBeUndefined();
  });
});
