import { readFile } from 'node:fs/promises';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiStatusOf, kubeConfigFor } from './client-helpers.js';
import { FakeKube } from './fake-kube.js';

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'app', image: 'nginx:1' }] },
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

const WIDGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

describe('FakeKube CRUD through @kubernetes/client-node', () => {
  let kube: FakeKube;
  let kc: KubeConfig;
  beforeEach(async () => {
    kube = await FakeKube.start();
    kc = kubeConfigFor(kube);
  });
  afterEach(async () => {
    await kube.close();
  });

  it('writes a kubeconfig file the client loads, and refuses a wrong token with a 401 Status', async () => {
    const fromFile = new KubeConfig();
    fromFile.loadFromString(await readFile(kube.kubeconfigPath, 'utf8'));
    const namespaces = await fromFile.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');

    const wrong = kubeConfigFor(kube, { token: 'not-the-token' }).makeApiClient(CoreV1Api);
    expect(await failure(wrong.listNamespace())).toMatchObject({ code: 401 });
    // client-node drops the body of a 401; the Status is there for clients that read it.
    const raw = await fetch(`${kube.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer wrong' } });
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({
      kind: 'Status',
      code: 401,
      reason: 'Unauthorized',
      status: 'Failure',
    });
    const anonymous = await fetch(`${kube.url}/api`);
    expect(anonymous.status).toBe(401);
  });

  it('creates, reads, lists, replaces and deletes pods, with 409 and 404 as Status objects', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedPod({
      namespace: 'default',
      body: pod('web-1', { app: 'web' }),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.status?.phase).toBe('Pending');
    const rv1 = Number(created.metadata?.resourceVersion);

    expect(
      await failure(core.createNamespacedPod({ namespace: 'default', body: pod('web-1') })),
    ).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'pods "web-1" already exists',
    });
    await core.createNamespacedPod({ namespace: 'default', body: pod('db-1', { app: 'db' }) });

    const read = await core.readNamespacedPod({ name: 'web-1', namespace: 'default' });
    expect(read.spec?.containers[0]?.image).toBe('nginx:1');

    const list = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app in (web,api)' });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['web-1']);
    const byName = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=db-1' });
    expect(byName.items.map((p) => p.metadata?.name)).toEqual(['db-1']);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(rv1);

    read.spec = { containers: [{ name: 'app', image: 'nginx:2' }] };
    const replaced = await core.replaceNamespacedPod({ name: 'web-1', namespace: 'default', body: read });
    expect(replaced.metadata?.generation).toBe(2);
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(rv1);
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);
    // A replace from a stale copy is refused (optimistic concurrency).
    expect(
      await failure(core.replaceNamespacedPod({ name: 'web-1', namespace: 'default', body: read })),
    ).toMatchObject({
      code: 409,
      reason: 'Conflict',
    });

    await core.deleteNamespacedPod({ name: 'web-1', namespace: 'default' });
    expect(await failure(core.readNamespacedPod({ name: 'web-1', namespace: 'default' }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "web-1" not found',
    });
    expect(await failure(core.deleteNamespacedPod({ name: 'web-1', namespace: 'default' }))).toMatchObject({
      code: 404,
    });
  });

  it('refuses objects in a missing namespace and removes a namespace with its objects', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    expect(await failure(core.createNamespacedPod({ namespace: 'nope', body: pod('a') }))).toMatchObject({
      code: 404,
    });
    await core.createNamespace({ body: { metadata: { name: 'cell-1' } } });
    await core.createNamespacedPod({ namespace: 'cell-1', body: pod('a') });
    await core.createNamespacedConfigMap({
      namespace: 'cell-1',
      body: { metadata: { name: 'cfg' }, data: { k: 'v' } },
    });
    await core.deleteNamespace({ name: 'cell-1' });
    expect(await failure(core.readNamespace({ name: 'cell-1' }))).toMatchObject({ code: 404 });
    expect(kube.store.list({ apiVersion: 'v1', kind: 'Pod', namespace: 'cell-1' })).toEqual([]);
    expect(kube.store.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'cell-1' })).toEqual([]);
  });

  it('deletes dependents by ownerReferences and holds objects with finalizers', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const dep = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } } },
        },
      },
    });
    const owned = pod('web-x');
    owned.metadata = {
      ...owned.metadata,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: dep.metadata?.uid ?? '' },
      ],
    };
    await core.createNamespacedPod({ namespace: 'default', body: owned });
    const held = pod('held');
    held.metadata = { ...held.metadata, finalizers: ['example.com/cleanup'] };
    await core.createNamespacedPod({ namespace: 'default', body: held });

    await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default' });
    expect(await failure(core.readNamespacedPod({ name: 'web-x', namespace: 'default' }))).toMatchObject({
      code: 404,
    });

    await core.deleteNamespacedPod({ name: 'held', namespace: 'default' });
    const terminating = await core.readNamespacedPod({ name: 'held', namespace: 'default' });
    expect(terminating.metadata?.deletionTimestamp).toBeDefined();
    await core.patchNamespacedPod({
      name: 'held',
      namespace: 'default',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    expect(await failure(core.readNamespacedPod({ name: 'held', namespace: 'default' }))).toMatchObject({
      code: 404,
    });
  });

  it('serves a CRD POSTed to apiextensions: discovery, CRUD of its objects, removal with the CRD', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: WIDGET_CRD });
    const crd = await ext.readCustomResourceDefinition({ name: 'widgets.example.com' });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');

    const objects = KubernetesObjectApi.makeApiClient(kc);
    const widget: KubernetesObject & { spec: unknown } = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default' },
      spec: { size: 1 },
    };
    const created = await objects.create(widget);
    expect(created.metadata?.resourceVersion).toBeDefined();
    const read = await objects.read({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default' },
    });
    expect((read as unknown as { spec: { size: number } }).spec.size).toBe(1);

    const custom = kc.makeApiClient(CustomObjectsApi);
    const listed = (await custom.listNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
    })) as { kind: string; items: unknown[] };
    expect(listed.kind).toBe('WidgetList');
    expect(listed.items).toHaveLength(1);
    await custom.replaceNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      name: 'w1',
      body: { ...widget, spec: { size: 2 } },
    });
    expect(
      kube.store.get({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'default', name: 'w1' })
        ?.spec,
    ).toEqual({ size: 2 });

    await custom.deleteNamespacedCustomObject({
      group: 'example.com',
      version: 'v1',
      namespace: 'default',
      plural: 'widgets',
      name: 'w1',
    });
    expect(
      await failure(
        objects.read({
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: 'w1', namespace: 'default' },
        }),
      ),
    ).toMatchObject({ code: 404, reason: 'NotFound' });

    await ext.deleteCustomResourceDefinition({ name: 'widgets.example.com' });
    expect(
      await failure(
        custom.listNamespacedCustomObject({
          group: 'example.com',
          version: 'v1',
          namespace: 'default',
          plural: 'widgets',
        }),
      ),
    ).toMatchObject({ code: 404 });
  });

  it('serves resources registered through the control API, with discovery', async () => {
    kube.registerResource({
      group: 'apps.gitlab.com',
      version: 'v1beta1',
      kind: 'GitLab',
      plural: 'gitlabs',
      namespaced: true,
    });
    const res = await fetch(`${kube.url}/apis/apps.gitlab.com/v1beta1`, {
      headers: { authorization: `Bearer ${kube.token}` },
    });
    const doc = (await res.json()) as { resources: { name: string; kind: string; namespaced: boolean }[] };
    expect(doc.resources.map((r) => r.name)).toEqual(['gitlabs', 'gitlabs/status']);
    const groups = (await (
      await fetch(`${kube.url}/apis`, { headers: { authorization: `Bearer ${kube.token}` } })
    ).json()) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'apps.gitlab.com', 'apiextensions.k8s.io']),
    );

    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create({
      apiVersion: 'apps.gitlab.com/v1beta1',
      kind: 'GitLab',
      metadata: { name: 'gl', namespace: 'default' },
    });
    const list = await objects.list('apps.gitlab.com/v1beta1', 'GitLab', 'default');
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['gl']);
    expect(
      kube
        .events()
        .some(
          (e) => e.method === 'POST' && e.path === '/apis/apps.gitlab.com/v1beta1/namespaces/default/gitlabs',
        ),
    ).toBe(true);
  });

  it('lets tests seed, change and force-delete state through the control API, visible to clients', async () => {
    const seeded = kube.store.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'seeded', namespace: 'seed-ns', uid: 'fixed-uid' },
      status: { phase: 'Running' },
    });
    expect(seeded.metadata.uid).toBe('fixed-uid');
    expect(kube.store.get({ apiVersion: 'v1', kind: 'Namespace', name: 'seed-ns' })).toBeDefined();
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.readNamespacedPod({ name: 'seeded', namespace: 'seed-ns' })).status?.phase).toBe(
      'Running',
    );
    const rv = kube.store.resourceVersion;
    kube.store.update({ apiVersion: 'v1', kind: 'Pod', namespace: 'seed-ns', name: 'seeded' }, (p) => {
      p.metadata.labels = { moved: 'yes' };
      return p;
    });
    expect(kube.store.resourceVersion).toBe(rv + 1);
    kube.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', namespace: 'seed-ns', finalizers: ['x/y'] },
    });
    expect(kube.store.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'seed-ns' }, { force: true })).toBe(
      true,
    );
    expect(kube.store.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'seed-ns' })).toEqual([]);
    expect(kube.store.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'seed-ns' })).toBe(false);
    expect(kube.listenerErrors()).toEqual([]);
  });

  it('answers injected faults as Status objects, then serves again', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    kube.injectFault({
      method: 'GET',
      path: '/api/v1/namespaces',
      status: 503,
      reason: 'ServiceUnavailable',
    });
    expect(await failure(core.listNamespace())).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect((await core.listNamespace()).items.length).toBeGreaterThan(0);
  });
});
