import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { ProductError, UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { ScenarioConfig } from '../../config/types.js';
import type { StartedPlatform } from '../../platforms/platform.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import { FakeKube, type KubeObject, type RequestEvent } from '../../testing/fake-kube/index.js';
import { defaultNamespace } from '../helm/helm-commands.js';
import type { KubeAccess } from '../helm/kube-access.js';
import type { MethodOptions } from '../method.js';
import { type OperatorInstallation, OperatorMethod } from './operator-method.js';

const RUN_ID = '20250601-120000-cafe';
const cell = testCellPlan({
  id: 'kind-operator-1.0.0-1.1.0',
  platform: 'kind',
  method: 'operator',
  from: '1.0.0',
  to: '1.1.0',
});
const NS = defaultNamespace(RUN_ID, cell.id);
const API = 'apps.example.com/v1beta1';
const ref = { apiVersion: API, kind: 'Shop', namespace: NS, name: 'shop' };
const CR_PATH = `/apis/apps.example.com/v1beta1/namespaces/${NS}/shops/shop`;

const specVersion = (o: KubeObject) => (o.spec as { version?: string } | undefined)?.version;
const available = (version: string) => ({
  conditions: [
    { type: 'Available', status: 'True' as const, reason: 'Running' },
    { type: 'Degraded', status: 'False' as const, reason: 'AsExpected' },
  ],
  fields: { 'status.version': version },
});

describe('OperatorMethod on the fake Kubernetes API', () => {
  let dir: string;
  let kube: FakeKube;
  let ctx: RunContext;
  let events: string[];
  const open: OperatorInstallation[] = [];

  const platform = (): StartedPlatform & KubeAccess => ({
    id: 'kind-test',
    name: 'kind',
    kubeconfigPath: kube.kubeconfigPath,
    endpoints: () => ['http://127.0.0.1:18080'],
    collectDiagnostics: async () => {},
    [Symbol.asyncDispose]: async () => {},
  });
  const options = (operator: Record<string, unknown> = {}): MethodOptions => ({
    scenario: ScenarioSchema.parse({
      apiVersion: 'upgrade-harness/v1',
      kind: 'Scenario',
      name: 'shop',
      versions: ['1.0.0', '1.1.0'],
      versionProbe: { header: 'x-version' },
      readiness: { path: '/healthz' },
      operator: {
        manifests: ['operator.yaml'],
        resource: 'shop.yaml',
        ready: ['Available=True', 'status.version=={{version}}'],
        timeoutSeconds: 60,
        ...operator,
      },
      traffic: {},
      timing: { readyTimeoutSeconds: 30 },
    }) as ScenarioConfig,
    scenarioDir: join(dir, 'scenario'),
    cell,
    strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
  });
  const install = async (operator: Record<string, unknown> = {}) => {
    const method = new OperatorMethod({ pollIntervalMs: 20 });
    const installation = (await method.install(
      platform(),
      '1.0.0',
      options(operator),
      ctx,
    )) as OperatorInstallation;
    open.push(installation);
    return installation;
  };
  const requests = (method: string, path: string): RequestEvent[] =>
    kube.events().filter((e) => e.method === method && e.path === path);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-operator-'));
    await mkdir(join(dir, 'scenario'));
    await writeFile(
      join(dir, 'scenario', 'operator.yaml'),
      [
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop-operator\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-operator\ndata:\n  image: "shop-operator:{{version}}"\n',
        '',
      ].join('---\n'),
    );
    await writeFile(
      join(dir, 'scenario', 'shop.yaml'),
      `apiVersion: ${API}\nkind: Shop\nmetadata:\n  name: shop\nspec:\n  version: "0.0.0"\n  replicas: 2\n  adminPassword: hunter2\n`,
    );
    kube = await FakeKube.start({ tmpDir: dir });
    kube.registerResource({
      group: 'apps.example.com',
      version: 'v1beta1',
      kind: 'Shop',
      plural: 'shops',
      namespaced: true,
    });
    events = [];
    ctx = {
      runId: RUN_ID,
      cellId: cell.id,
      signal: new AbortController().signal,
      clock: systemClock,
      logger: silentLogger(),
      artifactDir: join(dir, 'cell'),
      event: (kind, message) => events.push(`${kind}: ${message}`),
    };
  });

  afterEach(async () => {
    for (const i of open.splice(0)) await i[Symbol.asyncDispose]();
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('installs with server-side apply, upgrades by a merge patch and waits for the new version', async () => {
    const script = kube.scriptConditions({
      ref,
      steps: [
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', ...available('1.0.0') },
        {
          afterMs: 0,
          when: (o) => specVersion(o) === '1.1.0',
          conditions: [{ type: 'Progressing', status: 'True', reason: 'Upgrading' }],
        },
        // The old Available=True (observed at generation 1) must not end the wait early.
        { afterMs: 100, ...available('1.1.0') },
      ],
    });
    const installation = await install();
    expect(installation.endpoints).toEqual(['http://127.0.0.1:18080']);

    const ns = kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    expect(ns?.metadata.labels).toMatchObject({ 'upgrade-harness.run': RUN_ID });
    const config = kube.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'shop-operator',
    });
    expect(config?.data).toEqual({ image: 'shop-operator:1.0.0' });
    const applies = requests('PATCH', CR_PATH);
    expect(applies).toHaveLength(1);
    expect(applies[0]?.contentType).toBe('application/apply-patch+yaml');
    expect(applies[0]?.query).toMatchObject({ fieldManager: 'upgrade-harness', force: 'true' });
    expect(specVersion(kube.store.get(ref) as KubeObject)).toBe('1.0.0');

    await installation.upgrade('1.1.0', ctx);
    const patches = requests('PATCH', CR_PATH);
    expect(patches).toHaveLength(2);
    expect(patches[1]?.contentType).toBe('application/merge-patch+json');
    expect(patches[1]?.body).toMatchObject({ spec: { version: '1.1.0' } });
    const stored = kube.store.get(ref) as KubeObject;
    expect(specVersion(stored)).toBe('1.1.0');
    expect((stored.spec as { replicas?: number }).replicas).toBe(2);
    expect((stored.status as { version?: string }).version).toBe('1.1.0');
    expect((await script.done).outcome).toBe('complete');
    expect(events.filter((e) => /^operator: upgrade to 1\.1\.0: ready after \d+ ms$/.test(e))).toHaveLength(
      1,
    );
  });

  it('fails fast when the upgrade goes Degraded, and rolls back to Available', async () => {
    kube.scriptConditions({
      ref,
      steps: [
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', ...available('1.0.0') },
        {
          afterMs: 0,
          when: (o) => specVersion(o) === '1.1.0',
          conditions: [
            { type: 'Available', status: 'False', reason: 'Upgrading' },
            {
              type: 'Degraded',
              status: 'True',
              reason: 'UpgradeFailed',
              message: 'image shop:1.1.0 not found',
            },
          ],
        },
        // For 200 ms after the rollback patch the stale Degraded=True (observed at generation 2,
        // the object now at 3) is what the method reads: it must not fail the rollback.
        { afterMs: 0, when: (o) => specVersion(o) === '1.0.0', fields: { 'status.phase': 'RollingBack' } },
        { afterMs: 200, ...available('1.0.0') },
      ],
    });
    const installation = await install({ timeoutSeconds: 120 });
    const started = performance.now();
    const failure = await installation.upgrade('1.1.0', ctx).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProductError);
    expect((failure as Error).message).toMatch(
      /Degraded=True \(UpgradeFailed: image shop:1\.1\.0 not found\)/,
    );
    expect(performance.now() - started).toBeLessThan(60_000);

    await installation.rollback('1.0.0', ctx);
    const patches = requests('PATCH', CR_PATH);
    expect(patches.at(-1)?.contentType).toBe('application/merge-patch+json');
    expect(patches.at(-1)?.body).toMatchObject({ spec: { version: '1.0.0' } });
    const stored = kube.store.get(ref) as KubeObject;
    expect(specVersion(stored)).toBe('1.0.0');
    expect(stored.metadata.generation).toBe(3);
    expect((stored.status as { version?: string }).version).toBe('1.0.0');
    expect(events.some((e) => /rollback to 1\.0\.0: no current Available condition/.test(e))).toBe(true);
  });

  it('times out with a ProductError naming what did not hold, and removes what it made', async () => {
    kube.scriptConditions({
      ref,
      steps: [
        {
          afterMs: 0,
          conditions: [{ type: 'Available', status: 'False', reason: 'Starting', message: 'waiting for db' }],
        },
      ],
    });
    const failure = await install({ timeoutSeconds: 1 }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProductError);
    const message = (failure as Error).message;
    expect(message).toMatch(/install of 1\.0\.0/);
    expect(message).toMatch(/Available=True \(seen: Available=False \(Starting: waiting for db\)\)/);
    expect(message).toMatch(/status\.version==1\.0\.0 \(seen: status\.version is not set\)/);
    expect(kube.store.get(ref)).toBeUndefined();
    expect(kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
  });

  it('refuses a malformed expression with a UsageError before calling the API', async () => {
    for (const ready of [['Available'], ['Available=Yes'], ['status.version=={{nope}}']]) {
      await expect(install({ ready })).rejects.toBeInstanceOf(UsageError);
    }
    await expect(install({ failed: ['Degraded True'] })).rejects.toThrow(
      /operator\.failed\[0\] "Degraded True"/,
    );
    expect(kube.events().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  it('deletes the resource and its namespace on dispose, once; writes redacted diagnostics', async () => {
    kube.scriptConditions({ ref, steps: [{ afterMs: 0, ...available('1.0.0') }] });
    const installation = await install();
    await installation.collectDiagnostics(join(dir, 'diag'));
    const text = await readFile(join(dir, 'diag', 'operator-resource.json'), 'utf8');
    const diag = JSON.parse(text) as { resource: KubeObject };
    expect(diag.resource.status).toMatchObject({ version: '1.0.0' });
    expect(text).not.toContain('hunter2');

    await installation[Symbol.asyncDispose]();
    expect(kube.store.get(ref)).toBeUndefined();
    expect(kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
    const deletes = kube.events().filter((e) => e.method === 'DELETE').length;
    expect(deletes).toBe(2);
    await installation[Symbol.asyncDispose]();
    expect(kube.events().filter((e) => e.method === 'DELETE').length).toBe(deletes);
  });

  it('plans the API calls for run --dry-run', () => {
    const plan = new OperatorMethod().plan(options(), RUN_ID);
    const apis = plan.steps.map((s) => `${s.phase} ${s.api ?? s.note}`);
    expect(apis).toEqual([
      `install APPLY v1 Namespace/${NS} (server-side, fieldManager upgrade-harness, force)`,
      'install APPLY v1 ServiceAccount/shop-operator (server-side, fieldManager upgrade-harness, force)',
      'install APPLY v1 ConfigMap/shop-operator (server-side, fieldManager upgrade-harness, force)',
      `install APPLY ${API} Shop/shop spec.version=1.0.0 (server-side, fieldManager upgrade-harness, force)`,
      `install WAIT ready: Available=True, status.version==1.0.0 (GET ${API} Shop/shop every poll, up to 60 s)`,
      `upgrade PATCH ${API} Shop/shop spec.version=1.1.0 (merge, fieldManager upgrade-harness)`,
      `upgrade WAIT ready: Available=True, status.version==1.1.0 (GET ${API} Shop/shop every poll, up to 60 s)`,
      `rollback PATCH ${API} Shop/shop spec.version=1.0.0 (merge, fieldManager upgrade-harness)`,
      `rollback WAIT ready: Available=True, status.version==1.0.0 (GET ${API} Shop/shop every poll, up to 60 s)`,
      `diagnostics GET ${API} Shop/shop → operator-resource.json (redacted)`,
      `teardown DELETE ${API} Shop/shop`,
      `teardown DELETE v1 Namespace/${NS}`,
    ]);
    expect(plan.steps[4]?.note).toBe('fails at once on Degraded=True');
  });
});
