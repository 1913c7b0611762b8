import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiStatusOf, kubeConfigFor } from './client-helpers.js';
import { FakeKube } from './fake-kube.js';
import { isPodReady } from './pod-status.js';

const ns = 'cell-1';

function deployment(image: string): V1Deployment {
  return {
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

describe('FakeKube over TLS with the deployment controller and namespace termination', () => {
  let kube: FakeKube;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  beforeEach(async () => {
    kube = await FakeKube.start({
      tls: true,
      namespaceTerminationMs: 1500,
      deploymentController: { stepMs: 2, failingImages: ['web:bad'], deadlineSteps: 1 },
    });
    const kc = kubeConfigFor(kube);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });
  afterEach(async () => {
    await kube.close();
  });

  const pods = () =>
    kube.store.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns, labelSelector: 'app=web' });
  const images = () =>
    pods().map((p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image);
  const setImage = (image: string) =>
    apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: { spec: { template: { spec: { containers: [{ name: 'web', image }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );

  it('rolls out created and changed Deployments, and stalls on a failing image', async () => {
    expect(kube.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1') });
    expect(created.spec?.strategy?.type).toBe('RollingUpdate');
    expect((await kube.rollouts()[0]?.done)?.outcome).toBe('complete');
    expect(images()).toEqual(['web:1', 'web:1']);
    expect(pods().every(isPodReady)).toBe(true);
    const firstPods = pods().map((p) => p.metadata.name);

    await setImage('web:2');
    const second = await kube.rollouts()[1]?.done;
    expect(second).toMatchObject({ outcome: 'complete', oldPods: firstPods });
    expect(images()).toEqual(['web:2', 'web:2']);

    // A change that is not to the pod template (replicas aside) starts nothing.
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body: { metadata: { labels: { team: 'a' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(kube.rollouts()).toHaveLength(2);

    await setImage('web:bad');
    expect((await kube.rollouts()[2]?.done)?.outcome).toBe('failed');
    const dep = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(dep.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(
      'ProgressDeadlineExceeded',
    );
    expect(images().sort()).toEqual(['web:2', 'web:2', 'web:bad']);

    const svc = await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(svc.spec?.ports?.[0]?.targetPort).toBe(80);
  });

  it('keeps a deleted namespace Terminating for a while, refusing new objects, then removes it with its contents', async () => {
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1') });
    await kube.rollouts()[0]?.done;
    await core.deleteNamespace({ name: ns });
    const terminating = await core.readNamespace({ name: ns });
    expect(terminating.status?.phase).toBe('Terminating');
    let refused: unknown;
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'late' } } });
    } catch (err: unknown) {
      refused = err;
    }
    expect(apiStatusOf(refused)).toMatchObject({ code: 403, reason: 'Forbidden' });

    const deadline = Date.now() + 10_000;
    while (kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })).toBeUndefined();
    expect(pods()).toEqual([]);
    expect(kube.store.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: ns })).toEqual([]);
  });
});
