import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecError, runCommand } from '../../common/exec.js';
import { FakeKube } from './fake-kube.js';
import { isPodReady } from './pod-status.js';
import { writeTinyChart } from './tiny-chart.js';

/**
 * The fake against real Go clients: helm (release storage in protobuf-encoded Secrets, OpenAPI
 * v3 discovery, 3-way strategic merge patches, --wait readiness) and kubectl (server-side apply,
 * rollout status). helm comes from scripts/fetch-helm.sh; kubectl from the image.
 */
const HELM = resolve('.tools/helm/helm');
const KUBECTL = '/usr/bin/kubectl';
const haveTools = existsSync(HELM) && existsSync(KUBECTL);

describe(`real helm and kubectl against FakeKube (needs ${HELM}: scripts/fetch-helm.sh)`, () => {
  // Never skipped: without the tools this fails and says how to get them.
  it('has helm and kubectl to run', () => {
    expect(haveTools, `run \`bash scripts/fetch-helm.sh\` (helm) and install kubectl`).toBe(true);
  });
  let kube: FakeKube;
  let work: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    kube = await FakeKube.start({
      tls: true,
      deploymentController: { stepMs: 10, failingImages: ['app:bad'] },
    });
    work = await mkdtemp(join(tmpdir(), 'fake-kube-go-'));
    await writeTinyChart(join(work, 'chart'), 'app:1');
    env = {
      HELM_CACHE_HOME: join(work, 'cache'),
      HELM_CONFIG_HOME: join(work, 'config'),
      HELM_DATA_HOME: join(work, 'data'),
    };
  });
  afterAll(async () => {
    await kube?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const helm = (...args: string[]) =>
    runCommand([HELM, ...args, '--kubeconfig', kube.kubeconfigPath, '-n', 'default'], {
      env,
      timeoutMs: 90_000,
    });
  const kubectl = (...args: string[]) =>
    runCommand([KUBECTL, '--kubeconfig', kube.kubeconfigPath, ...args], { timeoutMs: 60_000 });
  const webPods = () =>
    kube.store.list({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', labelSelector: 'app=web' });
  const images = () =>
    webPods().map((p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image);

  it('installs, upgrades, times out on a broken image, rolls back and uninstalls', async () => {
    await helm('upgrade', '--install', 'rel', join(work, 'chart'), '--wait', '--timeout', '60s');
    expect(images()).toEqual(['app:1', 'app:1']);
    expect(webPods().every(isPodReady)).toBe(true);

    await helm(
      'upgrade',
      '--install',
      'rel',
      join(work, 'chart'),
      '--set',
      'image=app:2',
      '--wait',
      '--timeout',
      '60s',
    );
    expect(images()).toEqual(['app:2', 'app:2']);

    const broken = helm(
      'upgrade',
      'rel',
      join(work, 'chart'),
      '--set',
      'image=app:bad',
      '--wait',
      '--timeout',
      '2s',
    );
    await expect(broken).rejects.toBeInstanceOf(ExecError);
    await expect(broken).rejects.toThrow(/context deadline exceeded|timed out/);
    expect(images()).toContain('app:bad');

    const history = JSON.parse((await helm('history', 'rel', '-o', 'json')).stdout) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((h) => `${h.revision}:${h.status}`)).toEqual([
      '1:superseded',
      '2:deployed',
      '3:failed',
    ]);

    await helm('rollback', 'rel', '2', '--wait', '--timeout', '60s');
    expect(images()).toEqual(['app:2', 'app:2']);
    expect(kube.rollouts().map((r) => r.toImage)).toEqual(['app:1', 'app:2', 'app:bad', 'app:2']);
    const status = await kubectl(
      'rollout',
      'status',
      'deployment/rel-web',
      '-n',
      'default',
      '--timeout',
      '30s',
    );
    expect(status.stdout).toContain('successfully rolled out');

    await helm('uninstall', 'rel', '--wait');
    expect(webPods()).toEqual([]);
    expect(
      kube.store.list({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: 'default',
        labelSelector: 'owner=helm',
      }),
    ).toEqual([]);
  });

  it('serves kubectl server-side apply and reads', async () => {
    const manifest = join(work, 'cm.yaml');
    await writeFile(
      manifest,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: "1"\n',
    );
    await kubectl(
      'apply',
      '--server-side',
      '--field-manager',
      'upgrade-harness',
      '-n',
      'default',
      '-f',
      manifest,
    );
    const out = JSON.parse(
      (await kubectl('get', 'configmap', 'settings', '-n', 'default', '-o', 'json', '--show-managed-fields'))
        .stdout,
    ) as {
      data: Record<string, string>;
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    expect(out.data).toEqual({ level: '1' });
    expect(out.metadata.managedFields.map((m) => `${m.manager}:${m.operation}`)).toEqual([
      'upgrade-harness:Apply',
    ]);
    const requests = kube.events().filter((e) => e.path === '/api/v1/namespaces/default/configmaps/settings');
    expect(
      requests.some((e) => e.method === 'PATCH' && e.contentType === 'application/apply-patch+yaml'),
    ).toBe(true);
  });
});
