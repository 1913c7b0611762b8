import { createServer, get, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { FakeKube, type FakeKubeOptions, kubeConfigFor } from '../../testing/fake-kube/index.js';
import type { KubeObject } from '../../testing/fake-kube/types.js';
import { isPodSide, type ServiceForward, startServiceForward } from './port-forward.js';

const ns = 'cell-1';

/** Real HTTP servers on 127.0.0.1:0, handed out one per pod; each answers `<image> <pod>`. */
class Backends {
  private readonly servers: { server: Server; port: number; label: string }[] = [];
  private readonly byPod = new Map<string, { port: number; label: string }>();
  readonly askedPorts: number[] = [];

  static async start(count: number): Promise<Backends> {
    const backends = new Backends();
    for (let i = 0; i < count; i += 1) {
      const entry = { server: createServer(), port: 0, label: '' };
      entry.server.on('request', (_req, res) => {
        res.end(entry.label);
      });
      await new Promise<void>((resolve) => entry.server.listen(0, '127.0.0.1', resolve));
      const address = entry.server.address();
      entry.port = typeof address === 'object' && address ? address.port : 0;
      backends.servers.push(entry);
    }
    return backends;
  }

  /** For FakeKube.setPortForwardTarget: the pod's own server (its first request picks a free one). */
  readonly resolve = (pod: KubeObject, port: number) => {
    this.askedPorts.push(port);
    const name = pod.metadata.name ?? '';
    let backend = this.byPod.get(name);
    if (!backend) {
      backend = this.servers[this.byPod.size];
      if (!backend) return undefined;
      const image = (pod.spec as { containers: { image: string }[] }).containers[0]?.image;
      backend.label = `${image} ${name}`;
      this.byPod.set(name, backend);
    }
    return { host: '127.0.0.1', port: backend.port };
  };

  async close(): Promise<void> {
    for (const { server } of this.servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

function deployment(image: string, replicas = 2): V1Deployment {
  return {
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
}

/** One GET on a new connection; resolves with the body or the error's code. */
function fetchOnce(url: string): Promise<{ body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ body }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('startServiceForward through client-node PortForward and FakeKube', () => {
  const cleanups: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c.close();
  });

  const setup = async (options: FakeKubeOptions = {}) => {
    const kube = await FakeKube.start({ deploymentController: { stepMs: 5 }, ...options });
    cleanups.push(kube);
    const backends = await Backends.start(6);
    cleanups.push(backends);
    kube.setPortForwardTarget(backends.resolve);
    const kc = kubeConfigFor(kube);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    });
    const forward = async (signal?: AbortSignal): Promise<ServiceForward> => {
      const fwd = await startServiceForward({
        target: { kubeconfigPath: kube.kubeconfigPath },
        namespace: ns,
        service: 'web',
        port: 80,
        logger: silentLogger(),
        ...(signal ? { signal } : {}),
      });
      cleanups.push(fwd);
      return fwd;
    };
    return { kube, backends, core, apps, forward };
  };

  it('spreads new connections round-robin over the ready pods, on the named targetPort', async () => {
    const { kube, backends, apps, forward } = await setup();
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1') });
    expect((await kube.rollouts()[0]?.done)?.outcome).toBe('complete');
    const fwd = await forward();
    expect(fwd.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 4; i += 1) answers.push((await fetchOnce(fwd.url)).body);
    const pods = kube.store
      .list({ apiVersion: 'v1', kind: 'Pod', namespace: ns })
      .map((p) => p.metadata.name)
      .sort();
    expect(answers).toEqual([`web:1 ${pods[0]}`, `web:1 ${pods[1]}`, `web:1 ${pods[0]}`, `web:1 ${pods[1]}`]);
    expect(new Set(backends.askedPorts)).toEqual(new Set([8080]));
    expect(fwd.stats()).toEqual({ accepted: 4, tunnelled: 4, noReadyPod: 0, errors: 0, apiErrors: 0 });
  });

  it('follows a rolling update from v1 to v2 (maxUnavailable 0), failing at most the request in flight on each deleted pod', async () => {
    const { kube, apps, forward } = await setup({ tls: true, deploymentController: { stepMs: 150 } });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1') });
    await kube.rollouts()[0]?.done;
    const fwd = await forward();

    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: ns,
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    let rolledOut = false;
    const rollout = kube.rollouts()[1]?.done.then((result) => {
      rolledOut = true;
      return result;
    });
    const results: { body?: string; error?: string; afterRollout: boolean }[] = [];
    const deadline = Date.now() + 10_000;
    // Bounded: at most 300 requests and 10 s; stops after 5 answers once the rollout is done.
    while (results.length < 300 && Date.now() < deadline) {
      const afterRollout = rolledOut;
      results.push({ ...(await fetchOnce(fwd.url)), afterRollout });
      if (results.filter((r) => r.afterRollout && r.body).length >= 5) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const result = await rollout;
    expect(result?.outcome).toBe('complete');
    const answers = results.flatMap((r) => (r.body ? [r.body.split(' ')[0]] : []));
    const failures = results.filter((r) => r.error);
    expect(answers[0]).toBe('web:1');
    expect(answers.at(-1)).toBe('web:2');
    expect(results.filter((r) => r.afterRollout).every((r) => r.body?.startsWith('web:2 '))).toBe(true);
    // The fake deletes an old pod at once (no Terminating phase, no draining): the one request
    // whose tunnel was open on it at that instant is reset, as the kubelet ends the forward.
    // Connections that pick a pod the watch has not yet seen deleted retry another pod unharmed.
    expect(failures.length).toBeLessThanOrEqual(result?.oldPods.length ?? 0);
    expect(failures.every((f) => f.error === 'ECONNRESET')).toBe(true);
    const stats = fwd.stats();
    expect(stats.noReadyPod).toBe(0);
    expect(stats.errors).toBe(failures.length);
    expect(stats.accepted).toBe(results.length);
  });

  it('refuses at once while no pod is ready, counts it, and recovers when pods become ready', async () => {
    const { kube, apps, forward } = await setup();
    const fwd = await forward();
    const refused = await fetchOnce(fwd.url);
    expect(refused.error).toBe('ECONNRESET');
    expect(fwd.stats()).toEqual({ accepted: 1, tunnelled: 0, noReadyPod: 1, errors: 0, apiErrors: 0 });

    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1') });
    await kube.rollouts()[0]?.done;
    // The watch delivers the new pods shortly after the rollout; bounded retries until it has.
    let answer: { body?: string; error?: string } = {};
    for (let i = 0; i < 50 && !answer.body; i += 1) {
      answer = await fetchOnce(fwd.url);
      if (!answer.body) await new Promise((r) => setTimeout(r, 20));
    }
    expect(answer.body).toMatch(/^web:1 web-/);
  });

  it('resets the connection when the API refuses every pod, within a bounded number of tries', async () => {
    const { kube, apps, forward } = await setup();
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1') });
    await kube.rollouts()[0]?.done;
    const fwd = await forward();
    kube.injectFault({ path: /\/portforward$/, status: 500, times: 2 });
    expect((await fetchOnce(fwd.url)).error).toBe('ECONNRESET');
    const tries = kube.events().filter((e) => e.path.endsWith('/portforward'));
    // One try per ready pod (2), then a reset.
    expect(tries.map((e) => e.status)).toEqual([500, 500]);
    // A failing API server is the harness's path, not the product: counted apart.
    expect(fwd.stats()).toMatchObject({ accepted: 1, tunnelled: 0, errors: 0, apiErrors: 1 });
    expect((await fetchOnce(fwd.url)).body).toMatch(/^web:1 /);
  });

  it('counts a pod that is gone at the open (404) as the product, not the API', () => {
    expect(isPodSide('Unexpected server response: 404')).toBe(true);
    expect(isPodSide('Unexpected server response: 400')).toBe(true);
    expect(isPodSide('Unexpected server response: 500')).toBe(false);
    expect(isPodSide('Unexpected server response: 403')).toBe(false);
    expect(isPodSide('no answer from the API server in 10000 ms')).toBe(false);
  });

  it('resets a keep-alive connection whose pod is deleted, and close() ends every tunnel and the listener', async () => {
    const { kube, apps, forward } = await setup();
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1', 1) });
    await kube.rollouts()[0]?.done;
    const fwd = await forward();
    const port = Number(new URL(fwd.url).port);

    const keepAlive = async () => {
      const socket: Socket = connect(port, '127.0.0.1');
      let received = '';
      let error: string | undefined;
      let closed = false;
      socket.on('data', (c: Buffer) => {
        received += c.toString();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        error = err.code;
      });
      socket.on('close', () => {
        closed = true;
      });
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      await until(() => received.includes('web:1'), 'the first answer');
      return { socket, state: () => ({ error, closed }) };
    };

    const first = await keepAlive();
    const [pod] = kube.store.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns });
    kube.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod?.metadata.name ?? '' });
    await until(() => first.state().closed, 'the reset');
    expect(first.state().error).toBe('ECONNRESET');
    expect(fwd.stats().errors).toBe(1);

    await kube.scriptRollout({ namespace: ns, deployment: 'web', toImage: 'web:1', pods: 1, stepMs: 5 }).done;
    let second: Awaited<ReturnType<typeof keepAlive>> | undefined;
    for (let i = 0; i < 50 && !second; i += 1) {
      second = await keepAlive().catch(() => undefined);
      if (!second) await new Promise((r) => setTimeout(r, 20));
    }
    expect(second).toBeDefined();
    expect(kube.portForwardTunnels().open).toBe(1);
    await fwd.close();
    await fwd.close();
    await until(() => second?.state().closed === true, 'the client connection to close');
    await until(() => kube.portForwardTunnels().open === 0, 'the tunnel to end');
    expect((await fetchOnce(fwd.url)).error).toBe('ECONNREFUSED');
  });

  it('carries an 8 MiB answer intact through both hops', async () => {
    const { kube, apps, forward } = await setup();
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 1) big[i] = (i * 31) % 251;
    const server = createServer((_req, res) => res.end(big));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const address = server.address();
    kube.setPortForwardTarget(() => ({
      host: '127.0.0.1',
      port: typeof address === 'object' && address ? address.port : 0,
    }));
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web:1', 1) });
    await kube.rollouts()[0]?.done;
    const fwd = await forward();
    const body = await new Promise<Buffer>((resolve, reject) => {
      get(fwd.url, { agent: false, timeout: 20_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      }).on('error', reject);
    });
    expect(body.length).toBe(big.length);
    expect(body.equals(big)).toBe(true);
    expect(fwd.stats()).toMatchObject({ tunnelled: 1, errors: 0 });
  });

  it('closes when its signal aborts', async () => {
    const { forward } = await setup();
    const controller = new AbortController();
    const fwd = await forward(controller.signal);
    controller.abort();
    let answer: { body?: string; error?: string } = {};
    for (let i = 0; i < 50 && answer.error !== 'ECONNREFUSED'; i += 1) {
      answer = await fetchOnce(fwd.url);
      if (answer.error !== 'ECONNREFUSED') await new Promise((r) => setTimeout(r, 20));
    }
    expect(answer.error).toBe('ECONNREFUSED');
  });

  it('names a missing Service, Service port or kubeconfig context in a UsageError', async () => {
    const { kube } = await setup();
    const start = (overrides: { service?: string; port?: number; context?: string }) =>
      startServiceForward({
        target: {
          kubeconfigPath: kube.kubeconfigPath,
          ...(overrides.context ? { context: overrides.context } : {}),
        },
        namespace: ns,
        service: overrides.service ?? 'web',
        port: overrides.port ?? 80,
        logger: silentLogger(),
      });
    await expect(start({ service: 'nope' })).rejects.toThrow(UsageError);
    await expect(start({ service: 'nope' })).rejects.toThrow(/Service cell-1\/nope does not exist/);
    await expect(start({ port: 81 })).rejects.toThrow(/has no port 81 \(it has: 80\)/);
    await expect(start({ context: 'other' })).rejects.toThrow(/no context "other"/);
  });
});
