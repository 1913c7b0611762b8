import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeConfigFor, type RecordedWatchEvent, recordWatch } from './client-helpers.js';
import { FakeKube } from './fake-kube.js';

const ns = 'default';
const ref = { apiVersion: 'apps.gitlab.com/v1beta1', kind: 'GitLab', namespace: ns, name: 'gitlab' };

interface Status {
  version?: string;
  conditions?: {
    type: string;
    status: string;
    reason: string;
    lastTransitionTime: string;
    observedGeneration?: number;
  }[];
}

const statusOf = (e: RecordedWatchEvent) => (e.object as unknown as { status?: Status }).status ?? {};
const summary = (s: Status) =>
  (s.conditions ?? [])
    .map((c) => `${c.type}=${c.status}`)
    .sort()
    .join(',');

describe('scriptConditions', () => {
  let kube: FakeKube;
  beforeEach(async () => {
    kube = await FakeKube.start();
    kube.registerResource({
      group: 'apps.gitlab.com',
      version: 'v1beta1',
      kind: 'GitLab',
      plural: 'gitlabs',
      namespaced: true,
    });
  });
  afterEach(async () => {
    await kube.close();
  });

  it('flips conditions after the upgrade patch lands, seen by a watcher in order', async () => {
    const kc = kubeConfigFor(kube);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    // Waits for the object to exist: the script may start before the operator method applies it.
    const script = kube.scriptConditions({
      ref,
      steps: [
        {
          afterMs: 0,
          conditions: [{ type: 'Available', status: 'True', reason: 'Running' }],
          fields: { 'status.version': '1.0' },
        },
        {
          afterMs: 0,
          when: (o) => (o.spec as { version?: string } | undefined)?.version === '2.0',
          conditions: [{ type: 'Progressing', status: 'True', reason: 'Upgrading' }],
        },
        {
          afterMs: 5,
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'Done' },
            { type: 'Available', status: 'True', reason: 'Running' },
          ],
          fields: { 'status.version': '2.0' },
        },
      ],
    });
    const watch = await recordWatch(kc, `/apis/apps.gitlab.com/v1beta1/namespaces/${ns}/gitlabs`, {
      resourceVersion: String(kube.store.resourceVersion),
    });
    try {
      await objects.patch(
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ns },
          spec: { version: '1.0' },
        },
        undefined,
        undefined,
        'upgrade-harness',
        true,
        PatchStrategy.ServerSideApply,
      );
      await watch.waitFor((events) => events.some((e) => statusOf(e).version === '1.0'));
      await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
        {
          group: 'apps.gitlab.com',
          version: 'v1beta1',
          namespace: ns,
          plural: 'gitlabs',
          name: 'gitlab',
          body: { spec: { version: '2.0' } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const result = await script.done;
      expect(result).toEqual({ outcome: 'complete', appliedSteps: 3 });
      await watch.waitFor((events) => events.some((e) => statusOf(e).version === '2.0'));
    } finally {
      watch.stop();
    }
    const seen = watch.events.map((e) => `${statusOf(e).version ?? '-'} ${summary(statusOf(e))}`);
    expect(seen).toEqual([
      '- ',
      '1.0 Available=True',
      '1.0 Available=True',
      '1.0 Available=True,Progressing=True',
      '2.0 Available=True,Progressing=False',
    ]);
    const final = statusOf(watch.events[watch.events.length - 1] as RecordedWatchEvent);
    const available = final.conditions?.find((c) => c.type === 'Available');
    const firstAvailable = statusOf(watch.events[1] as RecordedWatchEvent).conditions?.find(
      (c) => c.type === 'Available',
    );
    // Available stayed True throughout: its transition time is the first one.
    expect(available?.lastTransitionTime).toBe(firstAvailable?.lastTransitionTime);
    expect(available?.observedGeneration).toBe(2);
  });

  it('sets and deletes fields, and ends cancelled on close()', async () => {
    kube.store.put({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ns },
      status: { phase: 'Old', version: '1' },
    });
    const quick = kube.scriptConditions({
      ref,
      steps: [
        {
          afterMs: 0,
          conditions: [
            { type: 'Degraded', status: 'True', reason: 'CrashLoop', message: 'webservice failing' },
          ],
          fields: { 'status.phase': 'Failed', 'status.version': null },
        },
      ],
    });
    expect(await quick.done).toEqual({ outcome: 'complete', appliedSteps: 1 });
    const status = kube.store.get(ref)?.status as Status & { phase?: string };
    expect(status.phase).toBe('Failed');
    expect(status.version).toBeUndefined();
    expect(status.conditions?.[0]).toMatchObject({
      type: 'Degraded',
      status: 'True',
      reason: 'CrashLoop',
      message: 'webservice failing',
    });

    const slow = kube.scriptConditions({
      ref,
      steps: [{ afterMs: 60_000, conditions: [{ type: 'Available', status: 'True' }] }],
    });
    await kube.close();
    expect(await slow.done).toEqual({ outcome: 'cancelled', appliedSteps: 0 });
  });
});
