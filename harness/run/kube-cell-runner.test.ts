import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { parseScenario } from '../config/index.js';
import type { CellPlan, PathConfig, ScenarioConfig } from '../config/types.js';
import type { Installation, Method } from '../methods/method.js';
import type { Platform } from '../platforms/platform.js';
import { FakeKube } from '../testing/fake-kube/index.js';
import { runCell } from './cell-runner.js';
import { defaultRegistries } from './registries.js';

const NS = 'shop';

/**
 * The cell runner with a platform that is a cluster (FakeKube) and an installation whose upgrade
 * plays a Deployment rollout there: the cell record carries what the pod observer saw, per phase.
 * Platform and method are plain implementations of our own interfaces.
 */
describe('runCell on a Kubernetes platform', () => {
  let dir: string;
  let kube: FakeKube;
  let server: Server;
  let url: string;
  let served = 'none';
  const disposed: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-kube-runner-'));
    kube = await FakeKube.start({ namespaces: ['default', NS] });
    server = createServer((_req, res) => {
      res.writeHead(200, { 'x-app-version': served }).end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await kube.close();
    await rm(dir, { recursive: true, force: true });
  });

  function scenarioWith(access: string): ScenarioConfig {
    return parseScenario(`apiVersion: upgrade-harness/v1
kind: Scenario
name: kube-cell
versions: [1.0.0, 1.5.0, 2.0.0]
versionProbe: { header: x-app-version }
readiness: { path: / }
kubernetes:
  access: ${access}
  observe: { labelSelector: app=web }
traffic:
  rate: 40
  connections: [reused]
  endpoints: [{ name: home, class: web, path: / }]
# a loose load self-check: these tests share two cores with other suites (the status is not the point)
slo: { successRatio: 0.99, maxDowntimeSeconds: 0, maxScheduleLagP99Ms: 5000, minAchievedRateRatio: 0.5 }
timing: { baselineSeconds: 0.3, settleSeconds: 0.3, upgradeTimeoutSeconds: 20 }
`);
  }

  const platform: Platform = {
    name: 'kind',
    async create() {
      return {
        id: 'kube-runner',
        name: 'kind',
        endpoints: () => [],
        collectDiagnostics: async () => undefined,
        kube: () => ({ kubeconfigPath: kube.kubeconfigPath }),
        [Symbol.asyncDispose]: async () => {
          disposed.push('platform');
        },
      };
    },
  };

  /** Each upgrade plays a rollout of Deployment/<deployment>; its second new pod restarts once. */
  function methodFor(deployment: string): Method {
    const rollout = async (to: string, fresh = false) => {
      const result = await kube.scriptRollout({
        namespace: NS,
        deployment,
        toImage: `web:${to}`,
        pods: 2,
        stepMs: 15,
        ...(fresh ? { oldPods: 0 } : { restartAt: 1 }),
      }).done;
      if (result.outcome !== 'complete') throw new Error(`rollout ${result.outcome}`);
      served = to;
    };
    return {
      name: 'helm',
      async install(_platform, version): Promise<Installation> {
        await rollout(version, true);
        return {
          endpoints: [url],
          workload: { namespace: NS },
          upgrade: (to) => rollout(to),
          rollback: (to) => rollout(to),
          collectDiagnostics: async () => undefined,
          [Symbol.asyncDispose]: async () => {
            disposed.push('installation');
          },
        };
      },
    };
  }

  function plan(id: string, path: PathConfig): CellPlan {
    return {
      id,
      platform: 'kind',
      method: 'helm',
      strategy: 'rolling',
      path,
      rollback: 'never',
      profile: 'default',
      custom: {},
      axes: { platform: 'kind', method: 'helm', from: path.from, to: path.to },
    };
  }

  async function run(id: string, scenario: ScenarioConfig, deployment: string, path: PathConfig) {
    const load = defaultRegistries().loadDrivers.get('builtin');
    disposed.splice(0);
    return runCell(plan(id, path), {
      runId: 'kube',
      runDir: join(dir, 'run'),
      scenario,
      scenarioDir: dir,
      strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
      clock: systemClock,
      signal: new AbortController().signal,
      platform: () => platform,
      method: () => methodFor(deployment),
      load,
    });
  }

  it('records the pods per phase of a two-hop upgrade, and puts the restarts on the timeline', async () => {
    const scenario = scenarioWith('{ mode: ingress, service: web, port: 80 }');
    const c = await run('hops', scenario, 'web', { from: '1.0.0', via: ['1.5.0'], to: '2.0.0' });
    expect(c.error).toBeUndefined();
    expect(c.status, c.reason).toBe('passed');
    const k = c.kubernetes!;
    expect(k.namespace).toBe(NS);
    expect(k.workloads).toEqual([
      expect.objectContaining({
        workload: 'Deployment/web',
        restarts: 2,
        images: ['web:1.0.0', 'web:1.5.0', 'web:2.0.0'],
      }),
    ]);
    // One entry per phase record, in order, the hops apart; each hop's restart lands in its upgrade or settle.
    const names = k.byPhase.map((p) => (p.detail && p.phase === 'upgrade' ? `upgrade ${p.detail}` : p.phase));
    expect(names).toEqual(c.phases.map((p) => (p.name === 'upgrade' ? `upgrade ${p.detail}` : p.name)));
    expect(names.filter((n) => n.startsWith('upgrade'))).toEqual([
      'upgrade 1.0.0 → 1.5.0',
      'upgrade 1.5.0 → 2.0.0',
    ]);
    const hop = (i: number) => {
      const at = k.byPhase.findIndex((p) => p.detail === ['1.0.0 → 1.5.0', '1.5.0 → 2.0.0'][i]);
      return k.byPhase[at]!.restarts + k.byPhase[at + 1]!.restarts;
    };
    expect(k.byPhase.find((p) => p.phase === 'upgrade')!.workloads).toEqual(['Deployment/web']);
    expect([hop(0), hop(1)]).toEqual([1, 1]);
    expect(k.byPhase.find((p) => p.phase === 'baseline')!.restarts).toBe(0);
    expect(k.notes).toEqual([]);
    const restarts = c.events.filter((e) => e.kind === 'container-restarted');
    expect(restarts).toHaveLength(2);
    expect(restarts[0]!.message).toMatch(
      /^pod web-\S+ container app restarted \(Error, exit 1\), restarts 1$/,
    );
    expect(c.events.filter((e) => e.kind === 'hop')).toHaveLength(2);
    expect(disposed).toEqual(['installation', 'platform']);
  }, 30_000);

  it('errors in install when the port-forward cannot start, and still disposes the installation', async () => {
    const scenario = scenarioWith('{ mode: port-forward, service: nowhere, port: 8080 }');
    const c = await run('no-forward', scenario, 'api', { from: '1.0.0', to: '2.0.0' });
    expect(c.status).toBe('errored');
    expect(c.error?.phase).toBe('install');
    expect(c.error?.message).toMatch(/port-forward: Service shop\/nowhere does not exist/);
    expect(c.phases.some((p) => p.name === 'upgrade')).toBe(false);
    // The observer was stopped with the failed start: no record.
    expect(c.kubernetes).toBeUndefined();
    expect(disposed).toEqual(['installation', 'platform']);
  }, 30_000);
});
