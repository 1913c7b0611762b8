import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { ScenarioConfig } from '../../config/types.js';
import { ExistingPlatform } from '../../platforms/existing/existing-platform.js';
import { cellNamespaceName } from '../../platforms/kube/namespace-labels.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import { FakeKube } from '../../testing/fake-kube/index.js';
import { writeTinyChart } from '../../testing/fake-kube/tiny-chart.js';
import type { Installation } from '../method.js';
import { type FakeHelm, installFakeHelm } from './fake-helm.js';
import { HelmMethod } from './helm-method.js';

/**
 * The helm method on the existing platform: the real ExistingPlatform makes the cell's namespace
 * on FakeKube; helm (the fake one recording argv, then the real helm 3.18) installs into that
 * namespace through the kubeconfig's named context, never the current one.
 */
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const HELM = join(repoRoot, '.tools', 'helm', 'helm');
const RUN_ID = '20260102-030405-exist';
const cell = testCellPlan({
  id: 'existing-helm-1.0.0-1.1.0',
  platform: 'existing',
  method: 'helm',
  from: '1.0.0',
  to: '1.1.0',
});
const NS = cellNamespaceName('uh', RUN_ID, cell.id);

let kube: FakeKube | undefined;
let dir: string;
let ctx: RunContext;
const open: AsyncDisposable[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uh-helm-existing-'));
  ctx = {
    runId: RUN_ID,
    cellId: cell.id,
    signal: new AbortController().signal,
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: join(dir, 'cells', cell.id),
    event: () => {},
  };
  await mkdir(join(ctx.artifactDir, 'logs'), { recursive: true });
});

afterEach(async () => {
  // Installations first, then the platform: the order the cell runner tears down in.
  for (const d of open.splice(0).reverse()) await Promise.resolve(d[Symbol.asyncDispose]()).catch(() => {});
  await kube?.close();
  kube = undefined;
  await rm(dir, { recursive: true, force: true });
});

/**
 * The fake's kubeconfig with its context renamed `staging` and a current-context `broken` whose
 * server refuses connections: whatever ignores the chosen context fails.
 */
async function kubeconfigWithBrokenCurrent(fake: FakeKube): Promise<string> {
  const config = parse(fake.kubeconfigYaml) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
    contexts: { name: string; context: Record<string, unknown> }[];
    'current-context': string;
  };
  const context = config.contexts[0];
  if (context) context.name = 'staging';
  config.clusters.push({ name: 'nowhere', cluster: { server: 'http://127.0.0.1:1' } });
  config.contexts.push({ name: 'broken', context: { cluster: 'nowhere', user: 'fake-kube' } });
  config['current-context'] = 'broken';
  const path = join(dir, 'scenario', 'kubeconfig.yaml');
  await mkdir(join(dir, 'scenario'), { recursive: true });
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}

function scenarioWith(helm: Record<string, unknown>): ScenarioConfig {
  return ScenarioSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Scenario',
    name: 'shop',
    versions: ['1.0.0', '1.1.0'],
    versionProbe: { header: 'x-version' },
    readiness: { path: '/healthz' },
    helm,
    existing: { kubernetes: { kubeconfig: 'kubeconfig.yaml', context: 'staging' } },
    traffic: {},
    timing: { readyTimeoutSeconds: 30 },
  });
}

async function startPlatform(scenario: ScenarioConfig): Promise<StartedPlatform> {
  const started = await new ExistingPlatform({ host: 'runner-1', pid: 4242, pollIntervalMs: 20 }).create(
    { scenario, scenarioDir: join(dir, 'scenario'), cell },
    ctx,
  );
  open.push(started);
  return started;
}

async function install(
  method: HelmMethod,
  platform: StartedPlatform,
  scenario: ScenarioConfig,
): Promise<Installation> {
  const installation = await method.install(
    platform,
    '1.0.0',
    {
      scenario,
      scenarioDir: join(dir, 'scenario'),
      cell,
      strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
    },
    ctx,
  );
  open.push(installation);
  return installation;
}

const namespaceExists = () =>
  kube?.store.get({ apiVersion: 'v1', kind: 'Namespace', name: NS }) !== undefined;

describe('the helm method on an existing cluster, with a fake helm', () => {
  let helm: FakeHelm;
  beforeEach(async () => {
    kube = await FakeKube.start();
    helm = await installFakeHelm(join(dir, 'bin'));
  });

  const chart = { chart: 'acme/shop', repo: 'https://charts.example.com/stable', timeoutSeconds: 90 };

  it("installs into the platform's namespace with --kube-context, and leaves the namespace to the platform", async () => {
    const kubeconfig = await kubeconfigWithBrokenCurrent(kube!);
    const scenario = scenarioWith(chart);
    const platform = await startPlatform(scenario);
    const installation = await install(new HelmMethod({ helmPath: helm.path }), platform, scenario);
    expect(installation.workload).toEqual({ namespace: NS });
    const calls = await helm.calls();
    const upgrade = calls.find((c) => c.argv[0] === 'upgrade')?.argv ?? [];
    expect(upgrade.slice(0, 10)).toEqual([
      'upgrade',
      '--install',
      'shop',
      'acme/shop',
      '--version',
      '1.0.0',
      '--namespace',
      NS,
      '--kube-context',
      'staging',
    ]);
    expect(upgrade).not.toContain('--create-namespace');
    for (const call of calls) {
      expect(call.env.KUBECONFIG).toBe(kubeconfig);
      if (!['version', 'repo'].includes(call.argv[0] ?? '')) expect(call.argv).toContain('--kube-context');
    }
    expect(await helm.release(NS, 'shop')).toBeDefined();

    await installation[Symbol.asyncDispose]();
    const uninstall = (await helm.argvs()).find((a) => a[0] === 'uninstall');
    expect(uninstall).toEqual(expect.arrayContaining(['--namespace', NS, '--kube-context', 'staging']));
    expect(namespaceExists()).toBe(true);
    await platform[Symbol.asyncDispose]();
    expect(namespaceExists()).toBe(false);
  });

  it('a version without a chartVersions entry is a UsageError before helm runs', async () => {
    await kubeconfigWithBrokenCurrent(kube!);
    const scenario = scenarioWith({ ...chart, chartVersions: { '1.0.0': '9.0.0' } });
    const platform = await startPlatform(scenario);
    const err = await install(new HelmMethod({ helmPath: helm.path }), platform, scenario).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('helm.chartVersions has no entry for version 1.1.0 (keys: 1.0.0)');
    expect(await helm.argvs()).toEqual([]);
  });

  it("the dry run shows the platform's namespace and context, from the same builders", async () => {
    const scenario = scenarioWith({ ...chart, chartVersions: { '1.0.0': '9.0.0', '1.1.0': '9.1.0' } });
    const dry = new HelmMethod({ helmPath: 'helm' }).dryRunCommands(
      { scenario, scenarioDir: dir, cell, strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } } },
      RUN_ID,
    );
    expect(dry.namespace).toBe(NS);
    const upgrade = dry.install.find((a) => a[1] === 'upgrade') ?? [];
    expect(upgrade.slice(5, 12)).toEqual([
      '--version',
      '9.0.0',
      '--namespace',
      NS,
      '--kube-context',
      'staging',
      '--labels',
    ]);
    expect(dry.upgrade[0]?.slice(5, 7)).toEqual(['--version', '9.1.0']);
  });
});

describe(`the helm method on an existing cluster, with the real helm (needs ${HELM})`, () => {
  it('installs the tiny chart into the namespace the platform made, through the named context', async () => {
    expect(existsSync(HELM), 'no helm binary: run `bash scripts/fetch-helm.sh`').toBe(true);
    kube = await FakeKube.start({ tls: true, deploymentController: { stepMs: 10 } });
    await kubeconfigWithBrokenCurrent(kube);
    await writeTinyChart(join(dir, 'scenario', 'chart'), 'app:0');
    const scenario = scenarioWith({ chart: 'chart', set: { image: 'app:{{version}}' }, timeoutSeconds: 20 });
    const platform = await startPlatform(scenario);
    const installation = await install(new HelmMethod({ helmPath: HELM }), platform, scenario);
    const dep = kube.store.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: NS,
      name: 'shop-web',
    });
    expect(dep).toBeDefined();
    await installation.upgrade('1.1.0', ctx);
    await installation[Symbol.asyncDispose]();
    expect(
      kube.store.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'shop-web' }),
    ).toBeUndefined();
    await platform[Symbol.asyncDispose]();
    expect(namespaceExists()).toBe(false);
  });
});
