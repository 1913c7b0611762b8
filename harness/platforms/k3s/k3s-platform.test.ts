import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { InfraError, UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import type { CellPlan, ScenarioConfig } from '../../config/types.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import { clusterName } from '../kube/cluster-name.js';
import { K3sPlatform } from './k3s-platform.js';

const RUN_ID = '20260102-030405-k3s1';
const cell = testCellPlan({
  id: 'k3s-helm-1.0.0-1.1.0',
  platform: 'k3s',
  method: 'helm',
  from: '1.0.0',
  to: '1.1.0',
});

function scenarioWith(kubernetes: Record<string, unknown>): ScenarioConfig {
  return ScenarioSchema.parse({
    apiVersion: 'upgrade-harness/v1',
    kind: 'Scenario',
    name: 'shop',
    versions: ['1.0.0', '1.1.0'],
    versionProbe: { header: 'x-version' },
    readiness: { path: '/healthz' },
    kubernetes: { access: { service: 'web', port: 80 }, ...kubernetes },
    traffic: {},
    timing: { readyTimeoutSeconds: 30 },
  });
}

const withVersion = (version: string): CellPlan => ({ ...cell, custom: { 'kubernetes-version': version } });

// Probed with testcontainers itself: on a machine with Docker the failure below cannot happen.
const runtimePresent = await getContainerRuntimeClient().then(
  () => true,
  () => false,
);

describe.skipIf(runtimePresent)(
  'k3s without a container runtime (skipped where one exists: k3s.int.test.ts runs k3s there)',
  () => {
    let root: string;
    let ctx: RunContext;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'uh-k3s-'));
      ctx = {
        runId: RUN_ID,
        cellId: cell.id,
        signal: new AbortController().signal,
        clock: systemClock,
        logger: silentLogger(),
        artifactDir: join(root, 'cell'),
        event: () => {},
      };
    });
    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('fails fast with an InfraError that says what is missing, and leaves nothing behind', async () => {
      const platform = new K3sPlatform({
        stateDir: join(root, 'state'),
        workRoot: join(root, 'work'),
        host: 'runner-1',
        pid: 4242,
      });
      const began = performance.now();
      const err = await platform
        .create({ scenario: scenarioWith({}), scenarioDir: root, cell }, ctx)
        .catch((e: unknown) => e);
      expect(performance.now() - began).toBeLessThan(5_000);
      expect(err).toBeInstanceOf(InfraError);
      expect((err as InfraError).message).toBe(
        'starting k3s (rancher/k3s:v1.33.1-k3s1): no container runtime (Could not find a working container runtime strategy)',
      );
      expect((err as InfraError).hint).toContain('needs a Docker daemon');
      expect((err as InfraError).hint).toContain('upgrade-harness doctor');
      // The marker written before the start is gone again, and so is the private work folder.
      expect(await readdir(join(root, 'state'))).toEqual([]);
      expect(await readdir(join(root, 'work'))).toEqual([]);
    });
  },
);

describe('the k3s platform plan', () => {
  const platform = new K3sPlatform({ stateDir: '/nonexistent', workRoot: '/nonexistent' });
  const plan = (scenario: ScenarioConfig, c: CellPlan = cell) =>
    platform.plan({ scenario, scenarioDir: '/s', cell: c }, RUN_ID);

  it('names the image it would start, the container, and its removal', () => {
    const name = clusterName(RUN_ID, cell.id);
    expect(plan(scenarioWith({})).steps).toEqual([
      {
        phase: 'provision',
        note: `testcontainers K3sContainer rancher/k3s:v1.33.1-k3s1 named ${name} (privileged, API port 6443 mapped to a free host port), labels upgrade-harness.run=${RUN_ID}, upgrade-harness.cell=${cell.id}`,
      },
      {
        phase: 'provision',
        note: 'its kubeconfig written to <cell work dir>/kubeconfig (0600), context default',
      },
      { phase: 'teardown', note: `stop and remove container ${name}` },
    ]);
  });

  it('takes the image for the kubernetes-version axis from nodeImages.k3s, else the pinned k3s column', () => {
    const images = { nodeImages: { k3s: { '1.32': 'mirror/k3s:v1.32.5-k3s1' }, k3d: { '1.31': 'other' } } };
    expect(plan(scenarioWith(images), withVersion('1.32')).steps[0]?.note).toContain(
      'mirror/k3s:v1.32.5-k3s1',
    );
    expect(plan(scenarioWith(images), withVersion('1.31')).steps[0]?.note).toContain(
      'rancher/k3s:v1.31.9-k3s1',
    );
    expect(() => plan(scenarioWith(images), withVersion('1.20'))).toThrow(
      'kubernetesVersion 1.20 has no k3s node image (known: 1.32, 1.33 (1.33.1), 1.32 (1.32.5), 1.31 (1.31.9))',
    );
  });

  it('refuses preloadImages before anything starts', () => {
    expect(() => plan(scenarioWith({ preloadImages: ['shop:dev'] }))).toThrow(UsageError);
  });
});
