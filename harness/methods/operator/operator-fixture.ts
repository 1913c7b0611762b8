import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { CellPlan, OperatorMethodConfig, ScenarioConfig } from '../../config/types.js';
import type { KubeTarget, StartedPlatform } from '../../platforms/platform.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import {
  FakeKube,
  type FakeKubeOptions,
  type KubeObject,
  type ObjectRef,
  type RequestEvent,
} from '../../testing/fake-kube/index.js';
import { defaultNamespace } from '../helm/helm-commands.js';
import type { MethodOptions } from '../method.js';
import { type OperatorInstallation, OperatorMethod, type OperatorMethodOptions } from './operator-method.js';

/**
 * For the operator method's tests: a FakeKube serving the `Shop` kind, a scenario folder with the
 * operator's manifests (a ServiceAccount, a ConfigMap and a Deployment whose image carries
 * `{{operatorVersion}}`) and the `Shop` resource, a RunContext recording timeline events, and
 * `install()` through the real method. close() disposes every installation and the server.
 */

export const RUN_ID = '20250601-120000-cafe';
export const API = 'apps.example.com/v1beta1';

export const OPERATOR_YAML = [
  'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop-operator\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-operator\ndata:\n  image: "shop-operator:{{version}}"\n',
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: shop-operator',
    'spec:',
    '  replicas: 1',
    '  selector:',
    '    matchLabels: { app: shop-operator }',
    '  template:',
    '    metadata:',
    '      labels: { app: shop-operator }',
    '    spec:',
    '      containers:',
    '        - name: manager',
    '          image: "example.com/shop-operator:{{operatorVersion}}"',
    '',
  ].join('\n'),
  '',
].join('---\n');

export const specVersion = (o: KubeObject) => (o.spec as { version?: string } | undefined)?.version;

/** A Shop that is Available at `version`. */
export const available = (version: string) => ({
  conditions: [
    { type: 'Available', status: 'True' as const, reason: 'Running' },
    { type: 'Degraded', status: 'False' as const, reason: 'AsExpected' },
  ],
  fields: { 'status.version': version },
});

export interface OperatorFixtureInit {
  fakeKube?: FakeKubeOptions;
  from?: string;
  to?: string;
  method?: OperatorMethodOptions;
  /** The platform's KubeTarget context (the kubeconfig must have it: FakeKube's is `fake-kube`). */
  context?: string;
}

export interface OperatorFixture {
  readonly dir: string;
  readonly scenarioDir: string;
  readonly kube: FakeKube;
  readonly ctx: RunContext;
  /** `kind: message` per timeline event, in order. */
  readonly events: string[];
  readonly cell: CellPlan;
  readonly namespace: string;
  readonly ref: ObjectRef;
  /** Path of the Shop (GET, PATCH). */
  readonly crPath: string;
  /** Path of the Shop collection (list, watch). */
  readonly collectionPath: string;
  platform(): StartedPlatform;
  /** The method's options; `unchecked` replaces operator fields after the schema (to test run-time checks). */
  options(operator?: Record<string, unknown>, unchecked?: Partial<OperatorMethodConfig>): MethodOptions;
  /** Installs `from` through a new OperatorMethod (pollIntervalMs 20, then `init.method`, then `method`). */
  install(
    operator?: Record<string, unknown>,
    unchecked?: Partial<OperatorMethodConfig>,
    method?: OperatorMethodOptions,
  ): Promise<OperatorInstallation>;
  requests(method: string, path: string, filter?: (e: RequestEvent) => boolean): RequestEvent[];
  /** Only what is in `events` after this call: `since()` returns a reader. */
  since(): () => string[];
  close(): Promise<void>;
}

export async function startOperatorFixture(init: OperatorFixtureInit = {}): Promise<OperatorFixture> {
  const from = init.from ?? '1.0.0';
  const to = init.to ?? '1.1.0';
  const cell = testCellPlan({
    id: `kind-operator-${from}-${to}`,
    platform: 'kind',
    method: 'operator',
    from,
    to,
  });
  const namespace = defaultNamespace(RUN_ID, cell.id);
  const dir = await mkdtemp(join(tmpdir(), 'uh-operator-'));
  const scenarioDir = join(dir, 'scenario');
  await mkdir(scenarioDir);
  await writeFile(join(scenarioDir, 'operator.yaml'), OPERATOR_YAML);
  await writeFile(
    join(scenarioDir, 'shop.yaml'),
    `apiVersion: ${API}\nkind: Shop\nmetadata:\n  name: shop\nspec:\n  version: "0.0.0"\n  replicas: 2\n  adminPassword: hunter2\n`,
  );
  const kube = await FakeKube.start({ tmpDir: dir, ...init.fakeKube });
  kube.registerResource({
    group: 'apps.example.com',
    version: 'v1beta1',
    kind: 'Shop',
    plural: 'shops',
    namespaced: true,
  });
  const events: string[] = [];
  const ctx: RunContext = {
    runId: RUN_ID,
    cellId: cell.id,
    signal: new AbortController().signal,
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: join(dir, 'cell'),
    event: (kind, message) => events.push(`${kind}: ${message}`),
  };
  const open: OperatorInstallation[] = [];
  const collectionPath = `/apis/apps.example.com/v1beta1/namespaces/${namespace}/shops`;
  const options = (
    operator: Record<string, unknown> = {},
    unchecked: Partial<OperatorMethodConfig> = {},
  ): MethodOptions => {
    const scenario = ScenarioSchema.parse({
      apiVersion: 'upgrade-harness/v1',
      kind: 'Scenario',
      name: 'shop',
      versions: [from, to],
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
    }) as ScenarioConfig;
    if (scenario.operator) Object.assign(scenario.operator, unchecked);
    return {
      scenario,
      scenarioDir,
      cell,
      strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
    };
  };
  const platform = (): StartedPlatform => {
    const target: KubeTarget = {
      kubeconfigPath: kube.kubeconfigPath,
      ...(init.context ? { context: init.context } : {}),
    };
    return {
      id: 'kind-test',
      name: 'kind',
      kube: () => target,
      endpoints: () => ['http://127.0.0.1:18080'],
      collectDiagnostics: async () => {},
      [Symbol.asyncDispose]: async () => {},
    };
  };
  return {
    dir,
    scenarioDir,
    kube,
    ctx,
    events,
    cell,
    namespace,
    ref: { apiVersion: API, kind: 'Shop', namespace, name: 'shop' },
    crPath: `${collectionPath}/shop`,
    collectionPath,
    platform,
    options,
    async install(operator = {}, unchecked = {}, methodOptions = {}) {
      const method = new OperatorMethod({ pollIntervalMs: 20, ...init.method, ...methodOptions });
      const installation = await method.install(platform(), from, options(operator, unchecked), ctx);
      open.push(installation);
      return installation;
    },
    requests: (method, path, filter = () => true) =>
      kube.events().filter((e) => e.method === method && e.path === path && filter(e)),
    since() {
      const start = events.length;
      return () => events.slice(start);
    },
    async close() {
      for (const i of open.splice(0)) await i[Symbol.asyncDispose]().catch(() => {});
      await kube.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `predicate` holds (checked every 10 ms), rejecting after `timeoutMs` naming `what`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The image of a Deployment's first container. */
export function imageOf(obj: KubeObject | undefined): string | undefined {
  const spec = obj?.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined;
  return spec?.template?.spec?.containers?.[0]?.image;
}

/**
 * A stand-in for the Shop operator: on every write to the Shop or the operator's Deployment it
 * sets the Shop's status (Available, `status.version`) to `runs(operator version, spec.version)`
 * (nothing when undefined). Returns the function that stops it.
 */
export function fakeOperator(
  f: Pick<OperatorFixture, 'kube' | 'ref' | 'namespace'>,
  runs: (operatorVersion: string | undefined, specVersion: string | undefined) => string | undefined,
): () => void {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: f.namespace,
    name: 'shop-operator',
  };
  return f.kube.store.onChange((event) => {
    const name = event.object.metadata.name;
    if (name !== 'shop' && name !== 'shop-operator') return;
    const shop = f.kube.store.get(f.ref);
    if (!shop) return;
    const tag = imageOf(f.kube.store.get(deployment))?.split(':').at(-1);
    const version = runs(tag, specVersion(shop));
    const status = shop.status as { version?: string } | undefined;
    if (version === undefined || status?.version === version) return;
    f.kube.store.patchStatus(f.ref, {
      version,
      conditions: [{ type: 'Available', status: 'True', reason: 'Running' }],
    });
  });
}
