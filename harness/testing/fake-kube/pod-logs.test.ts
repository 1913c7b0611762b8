import { existsSync } from 'node:fs';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../common/exec.js';
import { apiStatusOf, kubeConfigFor } from './client-helpers.js';
import { FakeKube } from './fake-kube.js';
import { tailLines } from './pod-logs.js';
import type { KubeObject } from './types.js';

const ns = 'default';

function pod(name: string, containers: string[], status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: containers.map((c) => ({ name: c, image: `${c}:1` })) },
    ...(status ? { status } : {}),
  };
}

describe('tailLines', () => {
  it('keeps the last lines, with or without a final newline', () => {
    expect(tailLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(tailLines('a\nb\nc', 2)).toBe('b\nc');
    expect(tailLines('a\nb\n', 5)).toBe('a\nb\n');
    expect(tailLines('a\nb\n', 0)).toBe('');
    expect(tailLines('', 3)).toBe('');
  });
});

describe('FakeKube pods/{name}/log through @kubernetes/client-node', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(): Promise<{ kube: FakeKube; core: CoreV1Api }> {
    const kube = await FakeKube.start();
    cleanups.push(() => kube.close());
    return { kube, core: kubeConfigFor(kube).makeApiClient(CoreV1Api) };
  }

  it('serves the set text, honouring container, tailLines, limitBytes and previous', async () => {
    const { kube, core } = await start();
    kube.store.put(pod('web-1', ['app', 'sidecar']));
    kube.setPodLog(ns, 'web-1', 'app', 'one\ntwo\nthree\n');
    kube.setPodLog(ns, 'web-1', 'app', 'crashed: boom\n', { previous: true });
    const read = (extra: Record<string, unknown>) =>
      core.readNamespacedPodLog({ name: 'web-1', namespace: ns, container: 'app', ...extra });
    expect(await read({})).toBe('one\ntwo\nthree\n');
    expect(await read({ tailLines: 2 })).toBe('two\nthree\n');
    expect(await read({ limitBytes: 5 })).toBe('one\nt');
    expect(await read({ tailLines: 1, limitBytes: 3 })).toBe('thr');
    expect(await read({ previous: true })).toBe('crashed: boom\n');
    // a container that logged nothing yet answers empty
    expect(await read({ container: 'sidecar' })).toBe('');
    const paths = kube.events().filter((e) => e.path.endsWith('/log'));
    expect(paths.at(-1)?.query).toMatchObject({ container: 'sidecar' });
  });

  it('answers like the API server when the pod, container or previous log is missing', async () => {
    const { kube, core } = await start();
    kube.store.put(pod('two', ['a', 'b']));
    kube.store.put(
      pod('starting', ['app'], {
        containerStatuses: [
          { name: 'app', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      }),
    );
    const failure = async (request: Promise<unknown>) => {
      try {
        await request;
      } catch (err: unknown) {
        return apiStatusOf(err);
      }
      throw new Error('expected the request to fail');
    };
    expect(await failure(core.readNamespacedPodLog({ name: 'gone', namespace: ns }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
    });
    expect(await failure(core.readNamespacedPodLog({ name: 'two', namespace: ns }))).toMatchObject({
      code: 400,
      message: 'a container name must be specified for pod two, choose one of: [a b]',
    });
    expect(
      await failure(core.readNamespacedPodLog({ name: 'two', namespace: ns, container: 'c' })),
    ).toMatchObject({ code: 400, message: 'container c is not valid for pod two' });
    expect(
      await failure(
        core.readNamespacedPodLog({ name: 'two', namespace: ns, container: 'a', previous: true }),
      ),
    ).toMatchObject({ code: 400, message: 'previous terminated container "a" in pod "two" not found' });
    expect(await failure(core.readNamespacedPodLog({ name: 'starting', namespace: ns }))).toMatchObject({
      code: 400,
      message: 'container "app" in pod "starting" is waiting to start: ContainerCreating',
    });
    expect(
      await failure(core.readNamespacedPodLog({ name: 'two', namespace: ns, container: 'a', limitBytes: 0 })),
    ).toMatchObject({ code: 422 });
  });

  it('kubectl logs reads it too (TLS, --tail, --previous)', async () => {
    // Never skipped (as fake-kube-go-clients.test.ts): without kubectl this fails and says so.
    expect(existsSync('/usr/bin/kubectl'), 'kubectl is missing at /usr/bin/kubectl').toBe(true);
    const kube = await FakeKube.start({ tls: true });
    cleanups.push(() => kube.close());
    kube.store.put(pod('web-1', ['app']));
    kube.setPodLog(ns, 'web-1', 'app', 'l1\nl2\nl3\n');
    kube.setPodLog(ns, 'web-1', 'app', 'before the crash\n', { previous: true });
    const kubectl = (...args: string[]) =>
      runCommand(['/usr/bin/kubectl', '--kubeconfig', kube.kubeconfigPath, '-n', ns, ...args], {
        timeoutMs: 30_000,
      });
    expect((await kubectl('logs', 'web-1', '--tail=2')).stdout).toBe('l2\nl3');
    expect((await kubectl('logs', 'web-1', '-c', 'app', '--previous')).stdout).toBe('before the crash');
  });
});
