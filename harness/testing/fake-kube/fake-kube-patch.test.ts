import {
  AppsV1Api,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiStatusOf, kubeConfigFor } from './client-helpers.js';
import { FakeKube } from './fake-kube.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';

const ns = 'default';

function deployment(image = 'app:1'): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'app', image, ports: [{ containerPort: 8080 }], env: [{ name: 'A', value: '1' }] },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    },
  };
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err: unknown) {
    return apiStatusOf(err);
  }
  throw new Error('expected the call to fail');
}

describe('patch functions', () => {
  it('merge patch follows RFC 7386 (objects merge, null deletes, arrays replace)', () => {
    const target = { a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2] };
    expect(mergePatch(target, { a: 'z', c: { f: null }, list: [3] })).toEqual({
      a: 'z',
      c: { d: 'e' },
      list: [3],
    });
    expect(mergePatch({ a: 'b' }, ['c'])).toEqual(['c']);
    expect(mergePatch({ a: 'foo' }, null)).toBeNull();
    expect(target.c.f).toBe('g');
  });

  it('json patch applies RFC 6902 operations and fails a test op with 422', () => {
    const doc = { spec: { list: ['a', 'b'], x: 1 } };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/spec/list/1', value: 'between' },
      { op: 'add', path: '/spec/list/-', value: 'end' },
      { op: 'replace', path: '/spec/x', value: 2 },
      { op: 'copy', from: '/spec/x', path: '/spec/y' },
      { op: 'move', from: '/spec/y', path: '/spec/z' },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'test', path: '/spec/z', value: 2 },
      { op: 'add', path: '/metadata~1x', value: true },
    ]);
    expect(out).toEqual({ spec: { list: ['between', 'b', 'end'], x: 2, z: 2 }, 'metadata/x': true });
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/spec/x', value: 9 }])).toThrow(/test failed/);
    expect(() => jsonPatch(doc, [{ op: 'replace', path: '/nope/x', value: 9 }])).toThrow(/does not exist/);
    expect(doc.spec.list).toEqual(['a', 'b']);
  });

  it('strategic merge patch merges containers by name and honours $patch: delete', () => {
    const target = {
      containers: [
        { name: 'app', image: 'a:1', ports: [{ containerPort: 80 }] },
        { name: 'side', image: 's:1' },
      ],
    };
    const out = strategicMergePatch(target, {
      $setElementOrder: [{ name: 'app' }],
      containers: [
        { name: 'app', image: 'a:2' },
        { name: 'side', $patch: 'delete' },
      ],
    });
    expect(out).toEqual({ containers: [{ name: 'app', image: 'a:2', ports: [{ containerPort: 80 }] }] });
  });
});

describe('FakeKube patch types and status through @kubernetes/client-node', () => {
  let kube: FakeKube;
  let kc: KubeConfig;
  let apps: AppsV1Api;
  beforeEach(async () => {
    kube = await FakeKube.start();
    kc = kubeConfigFor(kube);
    apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment() });
  });
  afterEach(async () => {
    await kube.close();
  });

  const patch = (body: unknown, type: string) =>
    apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body },
      setHeaderOptions('Content-Type', type),
    );

  it('applies merge, strategic-merge and JSON patches, bumping generation only on spec changes', async () => {
    const merged = await patch(
      { metadata: { labels: { tier: 'front' } }, spec: { replicas: 3 } },
      PatchStrategy.MergePatch,
    );
    expect(merged.spec?.replicas).toBe(3);
    expect(merged.metadata?.labels).toEqual({ app: 'web', tier: 'front' });
    expect(merged.metadata?.generation).toBe(2);

    const labelsOnly = await patch({ metadata: { labels: { tier: null } } }, PatchStrategy.MergePatch);
    expect(labelsOnly.metadata?.labels).toEqual({ app: 'web' });
    expect(labelsOnly.metadata?.generation).toBe(2);

    const strategic = await patch(
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } },
      PatchStrategy.StrategicMergePatch,
    );
    const containers = strategic.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=app:2', 'sidecar=proxy:1']);
    expect(containers[0]?.ports?.[0]?.containerPort).toBe(8080);

    const json = await patch(
      [
        { op: 'test', path: '/spec/replicas', value: 3 },
        { op: 'replace', path: '/spec/replicas', value: 1 },
      ],
      PatchStrategy.JsonPatch,
    );
    expect(json.spec?.replicas).toBe(1);
    expect(json.metadata?.generation).toBe(4);

    const seen = kube
      .events()
      .filter((e) => e.method === 'PATCH')
      .map((e) => e.contentType);
    expect(seen).toEqual([
      PatchStrategy.MergePatch,
      PatchStrategy.MergePatch,
      PatchStrategy.StrategicMergePatch,
      PatchStrategy.JsonPatch,
    ]);
    expect(
      await failure(patch([{ op: 'test', path: '/spec/replicas', value: 9 }], PatchStrategy.JsonPatch)),
    ).toMatchObject({ code: 422 });
  });

  it('keeps status out of main-resource writes and spec out of /status writes', async () => {
    const withStatus = await patch({ status: { readyReplicas: 5 } }, PatchStrategy.MergePatch);
    expect(withStatus.status?.readyReplicas).toBeUndefined();

    const status = await apps.patchNamespacedDeploymentStatus(
      {
        name: 'web',
        namespace: ns,
        body: { spec: { replicas: 9 }, status: { readyReplicas: 2, replicas: 2 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(status.status?.readyReplicas).toBe(2);
    expect(status.spec?.replicas).toBe(2);
    expect(status.metadata?.generation).toBe(1);

    const read = await apps.readNamespacedDeploymentStatus({ name: 'web', namespace: ns });
    read.status = { ...read.status, observedGeneration: 1 };
    const replaced = await apps.replaceNamespacedDeploymentStatus({ name: 'web', namespace: ns, body: read });
    expect(replaced.status?.observedGeneration).toBe(1);
    expect(replaced.status?.readyReplicas).toBe(2);
  });

  it('server-side apply creates, merges, drops fields the manager stopped applying, and conflicts without force', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    kube.registerResource({
      group: 'example.com',
      version: 'v1',
      kind: 'Widget',
      plural: 'widgets',
      namespaced: true,
    });
    const apply = (spec: Record<string, unknown>, manager: string, force?: boolean) =>
      objects.patch(
        {
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w', namespace: ns },
          spec,
        } as never,
        undefined,
        undefined,
        manager,
        force,
        PatchStrategy.ServerSideApply,
      );
    const created = (await apply({ version: '1.0', size: 'small', extra: true }, 'harness')) as unknown as {
      spec: Record<string, unknown>;
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    expect(created.spec).toEqual({ version: '1.0', size: 'small', extra: true });
    expect(created.metadata.managedFields.map((m) => `${m.manager}:${m.operation}`)).toEqual([
      'harness:Apply',
    ]);

    const reapplied = (await apply({ version: '1.1', size: 'small' }, 'harness')) as unknown as {
      spec: unknown;
    };
    expect(reapplied.spec).toEqual({ version: '1.1', size: 'small' });

    expect(await failure(apply({ version: '2.0' }, 'someone-else'))).toMatchObject({
      code: 409,
      reason: 'Conflict',
    });
    const forced = (await apply({ version: '2.0' }, 'someone-else', true)) as unknown as { spec: unknown };
    expect(forced.spec).toEqual({ version: '2.0', size: 'small' });

    const noManager = fetch(`${kube.url}/apis/example.com/v1/namespaces/${ns}/widgets/w`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${kube.token}`, 'content-type': PatchStrategy.ServerSideApply },
      body: 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n',
    });
    expect((await noManager).status).toBe(422);
    // Custom resources take no strategic merge patch (client-node's default strategy), as on a real cluster.
    expect(
      await failure(
        objects.patch({
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w', namespace: ns },
        }),
      ),
    ).toMatchObject({ code: 415 });
  });
});
