import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeConfigFor, type RecordedWatchEvent, recordWatch, type WatchRecorder } from './client-helpers.js';
import { FakeKube } from './fake-kube.js';

const ns = 'default';
const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' };

function podOf(e: RecordedWatchEvent): V1Pod {
  return e.object as unknown as V1Pod;
}
const ready = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
const restarts = (p: V1Pod) => p.status?.containerStatuses?.[0]?.restartCount ?? 0;

/** Per pod, what a watcher saw: `+` added, `R`/`n` ready or not, `x` deleted, with restart counts. */
function timelines(events: RecordedWatchEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const p = podOf(e);
    const name = p.metadata?.name ?? '';
    const line = out.get(name) ?? [];
    if (e.type === 'DELETED') line.push('x');
    else {
      const state = `${ready(p) ? 'R' : 'n'}${restarts(p)}`;
      if (e.type === 'ADDED') line.push(`+${state}`);
      else if (line[line.length - 1]?.replace('+', '') !== state) line.push(state);
    }
    out.set(name, line);
  }
  return out;
}

describe('scriptRollout observed through a client-node Watch', () => {
  let kube: FakeKube;
  let pods: WatchRecorder;
  beforeEach(async () => {
    kube = await FakeKube.start();
    pods = await recordWatch(kubeConfigFor(kube), `/api/v1/namespaces/${ns}/pods`, {
      resourceVersion: String(kube.store.resourceVersion),
    });
  });
  afterEach(async () => {
    pods.stop();
    await kube.close();
  });

  it('replaces pods one by one, restarts one, and ends with the deployment Available on the new image', async () => {
    const rollout = kube.scriptRollout({
      namespace: ns,
      deployment: 'web',
      fromImage: 'web:1',
      toImage: 'web:2',
      pods: 3,
      stepMs: 5,
      restartAt: 1,
    });
    const result = await rollout.done;
    expect(result.outcome).toBe('complete');
    expect(result.oldPods).toHaveLength(3);
    expect(result.newPods).toHaveLength(3);
    expect(result.restartedPods).toEqual([result.newPods[1]]);

    await pods.waitFor((events) => events.filter((e) => e.type === 'DELETED').length >= 3);
    const lines = timelines(pods.events);
    for (const old of result.oldPods) expect(lines.get(old)).toEqual(['+R0', 'x']);
    expect(lines.get(result.newPods[0] ?? '')).toEqual(['+n0', 'R0']);
    expect(lines.get(result.newPods[1] ?? '')).toEqual(['+n0', 'R0', 'n1', 'R1']);
    expect(lines.get(result.newPods[2] ?? '')).toEqual(['+n0', 'R0']);

    // Each old pod goes only after its replacement is ready (surge 1, unavailable 0).
    const index = (pred: (e: RecordedWatchEvent) => boolean) => pods.events.findIndex(pred);
    for (let i = 0; i < 3; i += 1) {
      const newReady = index(
        (e) => podOf(e).metadata?.name === result.newPods[i] && e.type === 'MODIFIED' && ready(podOf(e)),
      );
      const oldGone = index((e) => podOf(e).metadata?.name === result.oldPods[i] && e.type === 'DELETED');
      expect(newReady).toBeGreaterThan(-1);
      expect(oldGone).toBeGreaterThan(newReady);
    }

    const live = await kubeConfigFor(kube)
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    expect(live.items.map((p) => p.spec?.containers[0]?.image)).toEqual(['web:2', 'web:2', 'web:2']);
    const dep = await kubeConfigFor(kube)
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(dep.spec?.template.spec?.containers[0]?.image).toBe('web:2');
    expect(dep.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(dep.status?.observedGeneration).toBe(dep.metadata?.generation);
    const conditions = Object.fromEntries(
      (dep.status?.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]),
    );
    expect(conditions).toEqual({
      Available: 'True/MinimumReplicasAvailable',
      Progressing: 'True/NewReplicaSetAvailable',
    });

    const reasons = kube.store.list({ apiVersion: 'v1', kind: 'Event', namespace: ns }).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['ScalingReplicaSet', 'Started', 'BackOff', 'Killing']));
  });

  it('stalls on a pod that never gets ready and reports ProgressDeadlineExceeded', async () => {
    const result = await kube.scriptRollout({
      namespace: ns,
      deployment: 'web',
      toImage: 'web:bad',
      pods: 2,
      stepMs: 5,
      failAt: 1,
      deadlineSteps: 2,
    }).done;
    expect(result.outcome).toBe('failed');
    const stuck = kube.store.get({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: ns,
      name: result.newPods[1] ?? '',
    });
    expect(stuck && ready(stuck as unknown as V1Pod)).toBe(false);
    expect(restarts(stuck as unknown as V1Pod)).toBe(2);
    // The second old pod is still serving.
    expect(
      kube.store.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: result.oldPods[1] ?? '' }),
    ).toBeDefined();
    const dep = kube.store.get(deploymentRef);
    const status = dep?.status as
      | { conditions?: { type: string; status: string; reason: string }[] }
      | undefined;
    const progressing = status?.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
  });

  it('starts when the code under test changes the image, when told to wait for that', async () => {
    const seeded = await kube.scriptRollout({
      namespace: ns,
      deployment: 'web',
      fromImage: 'web:1',
      toImage: 'web:1',
      pods: 1,
      stepMs: 1,
    }).done;
    // Rolling to the template it already runs changes no pods.
    expect(seeded).toMatchObject({ outcome: 'complete', newPods: [] });
    const before = kube.store
      .list({ apiVersion: 'v1', kind: 'Pod', namespace: ns })
      .map((p) => p.metadata.name);
    expect(before).toHaveLength(1);
    const rollout = kube.scriptRollout({
      namespace: ns,
      deployment: 'web',
      toImage: 'web:2',
      pods: 1,
      stepMs: 1,
      setImage: false,
      trigger: {
        ref: deploymentRef,
        when: (d) => JSON.stringify(d?.spec ?? {}).includes('"image":"web:2"'),
      },
    });
    const apps = kubeConfigFor(kube).makeApiClient(AppsV1Api);
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const result = await rollout.done;
    expect(result.outcome).toBe('complete');
    expect(result.oldPods).toEqual(before);
    expect(result.newPods).toHaveLength(1);
  });

  it('is cancelled by close()', async () => {
    const rollout = kube.scriptRollout({
      namespace: ns,
      deployment: 'web',
      toImage: 'web:2',
      pods: 3,
      stepMs: 60_000,
    });
    await kube.close();
    expect((await rollout.done).outcome).toBe('cancelled');
  });
});
