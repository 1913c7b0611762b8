import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import { runtimeK3sContainers } from './k3s-container.js';
import { K3sPlatform, type StartedK3sPlatform } from './k3s-platform.js';

const enabled = process.env.UPGRADE_HARNESS_IT === '1';
const cell = testCellPlan({ id: 'k3s-it', platform: 'k3s', method: 'helm', from: '1.0.0', to: '1.1.0' });

/** A real k3s in Docker: create → kube() → list nodes through client-node → dispose. */
describe.skipIf(!enabled)('k3s platform (skipped: needs UPGRADE_HARNESS_IT=1 and a Docker daemon)', () => {
  let root: string;
  let started: StartedK3sPlatform | undefined;
  const ctx = (): RunContext => ({
    runId: `it-${Date.now()}`,
    cellId: cell.id,
    signal: AbortSignal.timeout(240_000),
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: join(root, 'cell'),
    event: () => {},
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'uh-k3s-it-'));
  });
  afterAll(async () => {
    await started?.[Symbol.asyncDispose]().catch(() => {});
    await rm(root, { recursive: true, force: true });
  });

  it('starts k3s, answers through its kubeconfig, and is gone after dispose', {
    timeout: 300_000,
  }, async () => {
    const scenario = ScenarioSchema.parse({
      apiVersion: 'upgrade-harness/v1',
      kind: 'Scenario',
      name: 'it',
      versions: ['1.0.0', '1.1.0'],
      versionProbe: { header: 'x-version' },
      readiness: { path: '/healthz' },
      kubernetes: { access: { service: 'web', port: 80 } },
      traffic: {},
      timing: { readyTimeoutSeconds: 30 },
    });
    const platform = new K3sPlatform({ stateDir: join(root, 'state'), workRoot: join(root, 'work') });
    started = await platform.create({ scenario, scenarioDir: root, cell }, ctx());
    const target = started.kube();
    expect(target.context).toBe('default');
    expect((await stat(target.kubeconfigPath)).mode & 0o777).toBe(0o600);
    const kc = new KubeConfig();
    kc.loadFromFile(target.kubeconfigPath);
    kc.setCurrentContext(target.context ?? kc.getCurrentContext());
    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.length).toBeGreaterThanOrEqual(1);
    const listed = await runtimeK3sContainers().list();
    expect(listed?.map((c) => c.name)).toContain(started.clusterName);
    await started[Symbol.asyncDispose]();
    expect((await runtimeK3sContainers().list())?.map((c) => c.name)).not.toContain(started.clusterName);
    expect(await readdir(join(root, 'state'))).toEqual([]);
    started = undefined;
  });
});
