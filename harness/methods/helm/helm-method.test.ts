import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { InfraError, ProductError, UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { ScenarioConfig } from '../../config/types.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import type { MethodOptions } from '../method.js';
import { type FakeHelm, installFakeHelm } from './fake-helm.js';
import { defaultNamespace } from './helm-commands.js';
import { type HelmInstallation, HelmMethod } from './helm-method.js';

const RUN_ID = '20250601-120000-beef';
const cell = testCellPlan({
  id: 'kind-helm-1.0.0-1.1.0',
  platform: 'kind',
  method: 'helm',
  from: '1.0.0',
  to: '1.1.0',
});
const NS = defaultNamespace(RUN_ID, cell.id);

function scenarioWith(helm: Record<string, unknown>): ScenarioConfig {
  return ScenarioSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Scenario',
    name: 'shop',
    versions: ['1.0.0', '1.1.0'],
    versionProbe: { header: 'x-version' },
    readiness: { path: '/healthz' },
    helm,
    traffic: {},
    timing: { readyTimeoutSeconds: 30 },
  });
}

const repoChart = {
  chart: 'acme/shop',
  repo: 'https://charts.example.com/stable',
  chartVersion: '{{version}}-chart',
  values: ['values/base.yaml', 'values/kind.yaml'],
  set: { 'image.tag': 'v{{version}}', 'auth.rootPassword': 's3cret-pw' },
  timeoutSeconds: 90,
};

function kubePlatform(kubeconfigPath: string): StartedPlatform {
  return {
    id: 'kind-test',
    name: 'kind',
    kube: () => ({ kubeconfigPath }),
    endpoints: () => ['http://127.0.0.1:18080'],
    collectDiagnostics: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}

describe('HelmMethod with a fake helm', () => {
  let dir: string;
  let artifactDir: string;
  let scenarioDir: string;
  let helm: FakeHelm;
  let events: Array<{ kind: string; message: string }>;
  let ctx: RunContext;
  let platform: StartedPlatform;
  const open: HelmInstallation[] = [];

  const options = (scenario: ScenarioConfig): MethodOptions => ({
    scenario,
    scenarioDir,
    cell,
    strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
  });
  const install = async (helmConfig: Record<string, unknown> = repoChart) => {
    const method = new HelmMethod({ helmPath: helm.path });
    const installation = (await method.install(
      platform,
      '1.0.0',
      options(scenarioWith(helmConfig)),
      ctx,
    )) as HelmInstallation;
    open.push(installation);
    return installation;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-helm-method-'));
    artifactDir = join(dir, 'cells', cell.id);
    scenarioDir = join(dir, 'scenario');
    await mkdir(join(scenarioDir, 'values'), { recursive: true });
    await writeFile(
      join(scenarioDir, 'values', 'base.yaml'),
      'replicaCount: 1\npostgresql:\n  auth:\n    postgresPassword: hunter2\n    username: shop\n',
    );
    await writeFile(
      join(scenarioDir, 'values', 'kind.yaml'),
      'replicaCount: 2\ningress:\n  enabled: false\n',
    );
    helm = await installFakeHelm(join(dir, 'bin'));
    platform = kubePlatform(join(dir, 'kubeconfig'));
    events = [];
    ctx = {
      runId: RUN_ID,
      cellId: cell.id,
      signal: new AbortController().signal,
      clock: systemClock,
      logger: silentLogger(),
      artifactDir,
      event: (kind, message) => events.push({ kind, message }),
    };
  });

  afterEach(async () => {
    for (const installation of open.splice(0)) await installation[Symbol.asyncDispose]().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const upgradeArgv = (version: string) => [
    'upgrade',
    '--install',
    'shop',
    'acme/shop',
    '--version',
    `${version}-chart`,
    '--namespace',
    NS,
    '--create-namespace',
    '--labels',
    `upgrade-harness.run=${RUN_ID},upgrade-harness.cell=${NS}`,
    '-f',
    join(scenarioDir, 'values', 'base.yaml'),
    '-f',
    join(scenarioDir, 'values', 'kind.yaml'),
    '--set',
    `image.tag=v${version}`,
    '--set',
    'auth.rootPassword=s3cret-pw',
    '--wait',
    '--timeout',
    '90s',
  ];
  const history = ['history', 'shop', '--namespace', NS, '--output', 'json'];

  it('installs N with the scenario argv and isolated helm state, then upgrades to N+1', async () => {
    const installation = await install();
    expect(await helm.argvs()).toEqual([
      ['version', '--short'],
      ['repo', 'add', 'acme', 'https://charts.example.com/stable', '--force-update'],
      upgradeArgv('1.0.0'),
      history,
    ]);
    expect(NS).toMatch(/^uh-[0-9a-f]{12}$/);
    for (const call of await helm.calls()) {
      expect(call.env.KUBECONFIG).toBe(join(dir, 'kubeconfig'));
      for (const name of [
        'HELM_CONFIG_HOME',
        'HELM_CACHE_HOME',
        'HELM_DATA_HOME',
        'HELM_REPOSITORY_CONFIG',
      ]) {
        expect(call.env[name]?.startsWith(join(artifactDir, 'helm'))).toBe(true);
      }
    }
    expect(await readFile(join(artifactDir, 'helm', 'config', 'repositories.yaml'), 'utf8')).toContain(
      'name: acme',
    );
    expect(installation.revisionOf('1.0.0')).toBe(1);
    expect(installation.endpoints).toEqual(['http://127.0.0.1:18080']);
    const release = await helm.release(NS, 'shop');
    expect(release?.labels).toBe(`upgrade-harness.run=${RUN_ID},upgrade-harness.cell=${NS}`);
    // Values files in order (kind.yaml wins), then --set.
    expect(release?.revisions[0]?.config).toMatchObject({
      replicaCount: 2,
      image: { tag: 'v1.0.0' },
      postgresql: { auth: { postgresPassword: 'hunter2' } },
    });

    await installation.upgrade('1.1.0', ctx);
    expect((await helm.argvs()).slice(4)).toEqual([upgradeArgv('1.1.0'), history]);
    expect(installation.revisionOf('1.1.0')).toBe(2);
    expect((await helm.release(NS, 'shop'))?.revisions.map((r) => [r.status, r.chart])).toEqual([
      ['superseded', 'shop-1.0.0-chart'],
      ['deployed', 'shop-1.1.0-chart'],
    ]);
    expect(events.at(-1)?.message).toBe(
      'upgrade 1.1.0: revision 2 deployed shop-1.1.0-chart (Upgrade complete)',
    );
  });

  it('an upgrade that times out is a ProductError with helm’s message; rollback goes to the revision of N', async () => {
    const installation = await install();
    await helm.failWith('upgrade-deadline');
    const err = await installation.upgrade('1.1.0', ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProductError);
    expect((err as Error).message).toBe(
      'helm upgrade of 1.1.0 failed: Error: UPGRADE FAILED: context deadline exceeded',
    );
    expect(events.at(-1)?.message).toContain('revision 2 failed shop-1.1.0-chart');

    await helm.failWith();
    await installation.rollback('1.0.0', ctx);
    const argvs = await helm.argvs();
    expect(argvs.slice(-3)).toEqual([
      history,
      ['rollback', 'shop', '1', '--namespace', NS, '--wait', '--timeout', '90s'],
      history,
    ]);
    expect((await helm.release(NS, 'shop'))?.revisions.map((r) => [r.revision, r.status, r.chart])).toEqual([
      [1, 'superseded', 'shop-1.0.0-chart'],
      [2, 'failed', 'shop-1.1.0-chart'],
      [3, 'deployed', 'shop-1.0.0-chart'],
    ]);
    expect(installation.revisionOf('1.0.0')).toBe(3);
  });

  it('"timed out waiting for the condition" is a ProductError too', async () => {
    const installation = await install();
    await helm.failWith('upgrade-condition');
    await expect(installation.upgrade('1.1.0', ctx)).rejects.toThrow(
      /^helm upgrade of 1\.1\.0 failed: Error: UPGRADE FAILED: timed out waiting for the condition$/,
    );
  });

  it('a rollback that fails is a ProductError; one whose revision is gone fails before running', async () => {
    const installation = await install();
    await installation.upgrade('1.1.0', ctx);
    await helm.failWith('rollback');
    const err = await installation.rollback('1.0.0', ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProductError);
    expect((err as Error).message).toBe(
      'helm rollback to 1.0.0 (revision 1) failed: Error: release shop failed: context deadline exceeded',
    );

    await helm.failWith();
    await helm.edit((releases) => {
      const release = releases[`${NS}/shop`]!;
      release.revisions = release.revisions.filter((r) => r.revision !== 1);
    });
    const calls = (await helm.argvs()).length;
    await expect(installation.rollback('1.0.0', ctx)).rejects.toThrow(
      /revision 1 is no longer in helm history \(2, 3\b/,
    );
    expect((await helm.argvs()).slice(calls)).toEqual([history]);
    await expect(installation.rollback('0.9.0', ctx)).rejects.toBeInstanceOf(InfraError);
  });

  it('dispose uninstalls once, then does nothing; helm’s caches go', async () => {
    const installation = await install();
    await installation[Symbol.asyncDispose]();
    await installation[Symbol.asyncDispose]();
    const uninstalls = (await helm.argvs()).filter((a) => a[0] === 'uninstall');
    expect(uninstalls).toEqual([
      ['uninstall', 'shop', '--namespace', NS, '--wait', '--timeout', '45s', '--ignore-not-found'],
    ]);
    expect(await helm.release(NS, 'shop')).toBeUndefined();
    await expect(stat(join(artifactDir, 'helm', 'cache'))).rejects.toThrow();
  });

  it('a failed install is a ProductError and leaves no release (installOrDispose uninstalls)', async () => {
    await helm.failWith('install-fail');
    const err = await install().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProductError);
    expect((err as Error).message).toBe(
      'helm install of 1.0.0 failed: Error: INSTALLATION FAILED: context deadline exceeded',
    );
    expect((await helm.argvs()).at(-1)?.[0]).toBe('uninstall');
    expect(await helm.release(NS, 'shop')).toBeUndefined();
  });

  it('an uninstall that fails is an InfraError, once', async () => {
    const installation = await install();
    await helm.failWith('uninstall');
    await expect(installation[Symbol.asyncDispose]()).rejects.toThrow(
      /helm uninstall shop in namespace uh-\w+ failed: Error: uninstallation completed with 1 error/,
    );
    await installation[Symbol.asyncDispose]();
    expect((await helm.argvs()).filter((a) => a[0] === 'uninstall')).toHaveLength(1);
  });

  it('diagnostics: history, status and values, with secrets redacted everywhere', async () => {
    const installation = await install();
    await installation.upgrade('1.1.0', ctx);
    const diag = join(artifactDir, 'diagnostics');
    await mkdir(diag, { recursive: true });
    await installation.collectDiagnostics(diag);
    expect((await readdir(diag)).sort()).toEqual([
      'helm-commands.json',
      'helm-history.json',
      'helm-status.json',
      'helm-values.json',
    ]);
    const values = JSON.parse(await readFile(join(diag, 'helm-values.json'), 'utf8'));
    expect(values).toEqual({
      replicaCount: 2,
      postgresql: { auth: { postgresPassword: '***', username: 'shop' } },
      ingress: { enabled: false },
      image: { tag: 'v1.1.0' },
      auth: { rootPassword: '***' },
    });
    const status = JSON.parse(await readFile(join(diag, 'helm-status.json'), 'utf8'));
    expect(status).toMatchObject({ name: 'shop', namespace: NS, version: 2, info: { status: 'deployed' } });
    expect(Object.keys(status).sort()).toEqual(['chart', 'info', 'name', 'namespace', 'version']);
    const revisions = JSON.parse(await readFile(join(diag, 'helm-history.json'), 'utf8'));
    expect(revisions.map((r: { revision: number }) => r.revision)).toEqual([1, 2]);
    const commands = await readFile(join(diag, 'helm-commands.json'), 'utf8');
    expect(commands).toContain('"step": "upgrade"');
    for (const file of [
      ...(await readdir(diag)).map((f) => join(diag, f)),
      join(artifactDir, 'logs', 'helm.log'),
    ]) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toContain('hunter2');
      expect(text, file).not.toContain('s3cret-pw');
    }
  });

  it('diagnostics after the release is gone write the error, not throw', async () => {
    const installation = await install();
    await installation[Symbol.asyncDispose]();
    const diag = join(artifactDir, 'diagnostics');
    await mkdir(diag, { recursive: true });
    await installation.collectDiagnostics(diag);
    expect(await readFile(join(diag, 'helm-history.error.txt'), 'utf8')).toContain('release: not found');
  });

  it('refuses a platform without a kubeconfig, a scenario without helm, and names a missing helm', async () => {
    const { kube: _kube, ...rest } = kubePlatform('');
    const noKube: StartedPlatform = { ...rest, name: 'local' };
    const method = new HelmMethod({ helmPath: helm.path });
    await expect(method.install(noKube, '1.0.0', options(scenarioWith(repoChart)), ctx)).rejects.toThrow(
      UsageError,
    );
    const plain = { ...scenarioWith(repoChart), helm: undefined };
    await expect(method.install(platform, '1.0.0', options(plain), ctx)).rejects.toThrow(/no "helm" section/);
    const missing = new HelmMethod({ helmPath: join(dir, 'no-such-helm') });
    const err = await missing
      .install(platform, '1.0.0', options(scenarioWith(repoChart)), ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).hint).toContain('scripts/fetch-helm.sh');
    await helm.failWith('old-version');
    await expect(method.install(platform, '1.0.0', options(scenarioWith(repoChart)), ctx)).rejects.toThrow(
      /helm v3\.12\.3\+g3a31588 is too old: the helm method needs 3\.13 or newer/,
    );
    expect((await helm.argvs()).map((a) => a[0])).toEqual(['version']);
  });

  it('a chart on disk: absolute path, no --version, no repo add', async () => {
    await install({ chart: 'charts/shop', set: { 'image.tag': '{{version}}' }, timeoutSeconds: 30 });
    expect((await helm.argvs()).slice(0, 2)).toEqual([
      ['version', '--short'],
      [
        'upgrade',
        '--install',
        'shop',
        join(scenarioDir, 'charts', 'shop'),
        '--namespace',
        NS,
        '--create-namespace',
        '--labels',
        `upgrade-harness.run=${RUN_ID},upgrade-harness.cell=${NS}`,
        '--set',
        'image.tag=1.0.0',
        '--wait',
        '--timeout',
        '30s',
      ],
    ]);
  });

  it('dryRunCommands lists what a cell would run, from the same builders', () => {
    const dry = new HelmMethod({ helmPath: '/opt/helm' }).dryRunCommands(
      options(scenarioWith({ chart: 'oci://registry.example.com/charts/shop', release: 'web' })),
      RUN_ID,
    );
    const ns = NS;
    expect(dry.namespace).toBe(ns);
    expect(dry.env.KUBECONFIG).toBe('<kubeconfig of the platform>');
    expect(dry.install).toEqual([
      ['/opt/helm', 'version', '--short'],
      [
        '/opt/helm',
        'upgrade',
        '--install',
        'web',
        'oci://registry.example.com/charts/shop',
        '--version',
        '1.0.0',
        '--namespace',
        ns,
        '--kube-context',
        '<context of the platform>',
        '--create-namespace',
        '--labels',
        `upgrade-harness.run=${RUN_ID},upgrade-harness.cell=${ns}`,
        '--wait',
        '--timeout',
        '600s',
      ],
      [
        '/opt/helm',
        'history',
        'web',
        '--namespace',
        ns,
        '--kube-context',
        '<context of the platform>',
        '--output',
        'json',
      ],
    ]);
    expect(dry.upgrade[0]).toContain('1.1.0');
    expect(dry.rollback[1]).toEqual([
      '/opt/helm',
      'rollback',
      'web',
      '<revision of 1.0.0>',
      '--namespace',
      ns,
      '--kube-context',
      '<context of the platform>',
      '--wait',
      '--timeout',
      '600s',
    ]);
    expect(dry.teardown[0]?.slice(1, 3)).toEqual(['uninstall', 'web']);
  });
});
