import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeConfigFor, recordWatch } from './client-helpers.js';
import { FakeKube, type FakeKubeOptions } from './fake-kube.js';

const ns = 'default';
const podsPath = `/api/v1/namespaces/${ns}/pods`;

function pod(name: string, labels: Record<string, string> = {}): V1Pod {
  return { metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'app:1' }] } };
}

describe('FakeKube watches through @kubernetes/client-node', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(
    options: FakeKubeOptions = {},
  ): Promise<{ kube: FakeKube; kc: KubeConfig; core: CoreV1Api }> {
    const kube = await FakeKube.start(options);
    cleanups.push(() => kube.close());
    const kc = kubeConfigFor(kube);
    return { kube, kc, core: kc.makeApiClient(CoreV1Api) };
  }

  async function watch(kc: KubeConfig, path: string, query: Record<string, string | number | boolean>) {
    const recorder = await recordWatch(kc, path, query);
    cleanups.push(() => recorder.stop());
    return recorder;
  }

  it('streams ADDED, MODIFIED, DELETED in order after a resourceVersion, and resumes from one', async () => {
    const { kc, core } = await start();
    const rv = (await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion ?? '';
    const w = await watch(kc, podsPath, { resourceVersion: rv });
    await core.createNamespacedPod({ namespace: ns, body: pod('a') });
    await core.patchNamespacedPod(
      { name: 'a', namespace: ns, body: { metadata: { labels: { step: '2' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedPod({ name: 'a', namespace: ns });
    await w.waitFor((events) => events.length >= 3);
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const versions = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...versions].sort((x, y) => x - y)).toEqual(versions);
    expect(new Set(versions).size).toBe(3);

    // A new watch from the MODIFIED event's version gets only what came after it.
    const resumed = await watch(kc, podsPath, { resourceVersion: String(versions[1]) });
    await resumed.waitFor((events) => events.length >= 1);
    await core.createNamespacedPod({ namespace: ns, body: pod('b') });
    await resumed.waitFor((events) => events.length >= 2);
    expect(resumed.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'DELETED a',
      'ADDED b',
    ]);
  });

  it('starts with the current objects as ADDED when no resourceVersion is given, filtered by selectors', async () => {
    const { kc, core } = await start();
    await core.createNamespacedPod({ namespace: ns, body: pod('web-1', { app: 'web' }) });
    await core.createNamespacedPod({ namespace: ns, body: pod('db-1', { app: 'db' }) });
    const w = await watch(kc, podsPath, { labelSelector: 'app=web' });
    await w.waitFor((events) => events.length >= 1);
    // Moving into the selector is an ADDED, moving out a DELETED.
    const relabel = (name: string, app: string) =>
      core.patchNamespacedPod(
        { name, namespace: ns, body: { metadata: { labels: { app } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await relabel('db-1', 'web');
    await relabel('web-1', 'gone');
    await w.waitFor((events) => events.length >= 3);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED web-1',
      'ADDED db-1',
      'DELETED web-1',
    ]);

    const single = await watch(kc, podsPath, { fieldSelector: 'metadata.name=db-1' });
    await single.waitFor((events) => events.length >= 1);
    expect(single.events.map((e) => e.object.metadata.name)).toEqual(['db-1']);
  });

  it('answers a too-old resourceVersion with an ERROR event carrying a 410 Status, then ends the stream', async () => {
    const { kc, core } = await start({ historyLimit: 3 });
    for (let i = 0; i < 6; i += 1) await core.createNamespacedPod({ namespace: ns, body: pod(`p${i}`) });
    const w = await watch(kc, podsPath, { resourceVersion: '1' });
    await w.waitFor((events) => events.length >= 1);
    expect(w.events[0]?.type).toBe('ERROR');
    expect(w.events[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(await w.ended).toBeNull();

    const list = await core.listNamespacedPod({ namespace: ns });
    const fresh = await watch(kc, podsPath, { resourceVersion: list.metadata?.resourceVersion ?? '' });
    await core.deleteNamespacedPod({ name: 'p0', namespace: ns });
    await fresh.waitFor((events) => events.length >= 1);
    expect(fresh.events[0]?.type).toBe('DELETED');
  });

  it('sends BOOKMARKs when allowed, and ends watches when the server closes', async () => {
    const { kube, kc } = await start({ bookmarkIntervalMs: 20 });
    const w = await watch(kc, podsPath, { allowWatchBookmarks: true, resourceVersion: '0' });
    await w.waitFor((events) => events.some((e) => e.type === 'BOOKMARK'));
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(Number(bookmark?.object.metadata.resourceVersion)).toBe(kube.store.resourceVersion);
    await kube.close();
    expect(await w.ended).toBeNull();
  });

  it('feeds a client-node informer: list, then adds, updates and deletes', async () => {
    const { kube, kc, core } = await start();
    await core.createNamespacedPod({ namespace: ns, body: pod('before') });
    const seen: string[] = [];
    const informer = makeInformer(kc, podsPath, () => core.listNamespacedPod({ namespace: ns }));
    informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => seen.push(`update ${p.metadata?.name} ${p.status?.phase}`));
    informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
    await informer.start();
    cleanups.push(() => informer.stop());
    await core.createNamespacedPod({ namespace: ns, body: pod('after') });
    kube.store.patchStatus(
      { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'after' },
      { phase: 'Running' },
    );
    kube.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'before' });
    const deadline = Date.now() + 10_000;
    while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['add before', 'add after', 'update after Running', 'delete before']);
  });
});
