import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logger.js';
import { FakeKube, type KubeObject } from '../testing/fake-kube/index.js';
import { collectKubeDiagnostics, type KubeDiagnosticsOptions } from './kube-diagnostics.js';

const ns = 'shop';
const SECRET = 'hunter2-do-not-leak';

function pod(name: string, extra: { ready: boolean; status?: Record<string, unknown> }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: { app: 'web', 'pod-template-hash': 'abc12' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc12', uid: 'rs-1', controller: true },
      ],
    },
    spec: {
      nodeName: 'node-a',
      containers: [
        {
          name: 'app',
          image: 'web:2',
          env: [
            { name: 'DB_PASS', value: SECRET },
            { name: 'PLAIN', value: `plain-${SECRET}` },
          ],
          envFrom: [{ secretRef: { name: 'db-credentials' } }],
          args: [`--token=${SECRET}`],
        },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: extra.ready ? 'True' : 'False', reason: 'ContainersNotReady' }],
      ...extra.status,
    },
  };
}

function event(name: string, type: string, reason: string, message: string, at: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-abc12-bad', namespace: ns },
    type,
    reason,
    message,
    source: { component: 'kubelet' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

function node(name: string, conditions: Record<string, unknown>[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions, nodeInfo: { kubeletVersion: 'v1.32.0' } },
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('collectKubeDiagnostics on FakeKube', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'kube-diag-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async function seededKube(): Promise<FakeKube> {
    const kube = await FakeKube.start({ namespaces: ['default', ns] });
    cleanups.push(() => kube.close());
    kube.store.put(pod('web-abc12-ok', { ready: true }));
    kube.store.put(
      pod('web-abc12-bad', {
        ready: false,
        status: {
          containerStatuses: [
            {
              name: 'app',
              image: 'web:2',
              ready: false,
              restartCount: 3,
              state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting' } },
              lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
            },
          ],
        },
      }),
    );
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`);
    kube.setPodLog(ns, 'web-abc12-bad', 'app', `${lines.join('\n')}\nconnecting with password=${SECRET}\n`);
    kube.setPodLog(ns, 'web-abc12-bad', 'app', 'out of memory\n', { previous: true });
    // Listed by name (zz first would be wrong): the file orders them by time.
    kube.store.put(
      event('zz-scheduled', 'Normal', 'Scheduled', 'assigned to node-a', '2026-01-01T10:00:00Z'),
    );
    kube.store.put(
      event(
        'aa-backoff',
        'Warning',
        'BackOff',
        'Back-off restarting failed container',
        '2026-01-01T10:00:05Z',
      ),
    );
    kube.store.put(
      node('node-a', [
        { type: 'Ready', status: 'True', reason: 'KubeletReady' },
        { type: 'MemoryPressure', status: 'False' },
      ]),
    );
    kube.store.put(
      node('node-b', [
        { type: 'Ready', status: 'True' },
        {
          type: 'MemoryPressure',
          status: 'True',
          reason: 'KubeletHasInsufficientMemory',
          message: 'low memory',
        },
        { type: 'SomethingElse', status: 'True' },
      ]),
    );
    kube.registerResource({
      group: 'apps.example.com',
      version: 'v1',
      kind: 'WebApp',
      plural: 'webapps',
      namespaced: true,
    });
    kube.store.put({
      apiVersion: 'apps.example.com/v1',
      kind: 'WebApp',
      metadata: { name: 'web', namespace: ns, generation: 4 },
      spec: { adminPassword: SECRET, env: [{ name: 'X', value: SECRET }] },
      status: { phase: 'Upgrading', conditions: [{ type: 'Ready', status: 'False', reason: 'RollingOut' }] },
    });
    return kube;
  }

  function options(
    kube: FakeKube,
    dir: string,
    extra: Partial<KubeDiagnosticsOptions> = {},
  ): KubeDiagnosticsOptions {
    return {
      target: { kubeconfigPath: kube.kubeconfigPath, context: 'fake-kube' },
      namespace: ns,
      dir,
      logger: silentLogger(),
      logTailLines: 10,
      timeoutMs: 20_000,
      resources: [
        { apiVersion: 'apps.example.com/v1', kind: 'WebApp', name: 'web' },
        { apiVersion: 'v1', kind: 'Secret', name: 'db-credentials' },
        { apiVersion: 'apps.example.com/v1', kind: 'WebApp', name: 'missing' },
      ],
      ...extra,
    };
  }

  it('writes pods, events, nodes, logs, resources and a summary, without env values or Secrets', async () => {
    const kube = await seededKube();
    const dir = await tempDir();
    const result = await collectKubeDiagnostics(options(kube, dir));
    const out = join(dir, 'kubernetes');
    expect(result.dir).toBe(out);
    expect(await filesUnder(out)).toEqual([
      'events.json',
      'logs/web-abc12-bad_app.log',
      'logs/web-abc12-bad_app.previous.log',
      'nodes.json',
      'pods.json',
      'resources/WebApp-web.json',
      'summary.md',
    ]);
    expect([...result.files].sort()).toEqual(await filesUnder(out));
    expect(result.failures).toEqual([]);

    const pods = JSON.parse(await readFile(join(out, 'pods.json'), 'utf8'));
    const bad = pods.pods.find((p: { name: string }) => p.name === 'web-abc12-bad');
    expect(bad).toMatchObject({
      workload: 'Deployment/web',
      phase: 'Running',
      ready: false,
      node: 'node-a',
      restarts: 3,
      images: ['web:2'],
      containers: [
        {
          name: 'app',
          restartCount: 3,
          state: 'waiting: CrashLoopBackOff',
          lastState: { reason: 'OOMKilled', exitCode: 137 },
        },
      ],
    });

    const current = await readFile(join(out, 'logs/web-abc12-bad_app.log'), 'utf8');
    expect(current.split('\n').filter((l) => l !== '')).toHaveLength(10);
    expect(current).toContain('line 50');
    expect(current).not.toContain('line 40\n');
    expect(current).toContain('password=***');
    expect(await readFile(join(out, 'logs/web-abc12-bad_app.previous.log'), 'utf8')).toBe('out of memory\n');

    const events = JSON.parse(await readFile(join(out, 'events.json'), 'utf8'));
    expect(events).toMatchObject({ namespace: ns, total: 2, warnings: 1 });
    expect(events.events.map((e: { reason: string }) => e.reason)).toEqual(['Scheduled', 'BackOff']);
    expect(events.events[1]).toMatchObject({ type: 'Warning', object: 'Pod/web-abc12-bad', count: 1 });

    const nodes = JSON.parse(await readFile(join(out, 'nodes.json'), 'utf8'));
    expect(nodes.nodes.map((n: { name: string; problems: string[] }) => [n.name, n.problems])).toEqual([
      ['node-a', []],
      ['node-b', ['MemoryPressure is True (KubeletHasInsufficientMemory: low memory)']],
    ]);
    expect(JSON.stringify(nodes)).not.toContain('SomethingElse');

    const resource = JSON.parse(await readFile(join(out, 'resources/WebApp-web.json'), 'utf8'));
    expect(resource).toMatchObject({
      kind: 'WebApp',
      metadata: { name: 'web', namespace: ns, generation: 4 },
      status: { phase: 'Upgrading' },
    });
    expect(resource.spec).toBeUndefined();

    const summary = await readFile(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('# Kubernetes diagnostics: namespace `shop`');
    expect(summary).toContain('## Pods: 2, 1 not ready, 3 restarts');
    expect(summary).toMatch(
      /`web-abc12-bad` \(Deployment\/web\): phase Running; app waiting: CrashLoopBackOff/,
    );
    expect(summary).toContain('`web-abc12-bad/app`: 3 restarts, last ended OOMKilled exit 137');
    expect(summary).toContain('1× BackOff `Pod/web-abc12-bad`: Back-off restarting failed container');
    expect(summary).toContain('`node-b`: MemoryPressure is True');
    expect(summary).toContain('`WebApp/web`: phase Upgrading, Ready=False (RollingOut)');
    expect(summary).toContain('`Secret/db-credentials`: not read: Secrets are never read');
    expect(summary).toMatch(/`WebApp\/missing`: not read: 404: .*not found/);

    for (const file of await filesUnder(out)) {
      const content = await readFile(join(out, file), 'utf8');
      expect(content, file).not.toContain(SECRET);
      expect(content, file).not.toContain(kube.token);
      expect(content, file).not.toContain('db-credentials"');
    }
    const requests = kube.events();
    expect(requests.some((r) => r.path.includes('/secrets'))).toBe(false);
    const logRequests = requests.filter((r) => r.path.endsWith('/log'));
    expect(logRequests).toHaveLength(2);
    for (const r of logRequests)
      expect(r.query).toMatchObject({ tailLines: '10', limitBytes: String(256 * 1024) });
  });

  it('keeps the other parts when one fails, and says which failed in summary.md', async () => {
    const kube = await seededKube();
    kube.injectFault({
      path: '/api/v1/nodes',
      status: 403,
      reason: 'Forbidden',
      message: 'nodes is forbidden',
      times: Infinity,
    });
    kube.injectFault({ path: /\/log$/, status: 500, message: 'kubelet unreachable', times: 1 });
    const dir = await tempDir();
    const result = await collectKubeDiagnostics(options(kube, dir, { resources: [] }));
    const out = join(dir, 'kubernetes');
    const files = await filesUnder(out);
    expect(files).toContain('pods.json');
    expect(files).toContain('events.json');
    expect(files).not.toContain('nodes.json');
    expect(files.filter((f) => f.startsWith('logs/'))).toHaveLength(1);
    expect(result.failures).toEqual([{ part: 'nodes', message: '403: nodes is forbidden' }]);
    const summary = await readFile(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('## Not collected');
    expect(summary).toContain('- nodes: 403: nodes is forbidden');
    expect(summary).toMatch(/not read: 500: kubelet unreachable/);
    expect(summary).toContain('## Pods: 2, 1 not ready');
  });

  it('ends within its timeout against a server that never answers, noting every part', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const server: Server = createServer(() => {});
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const dir = await tempDir();
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfigPath,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
        'users: [{name: u, user: {token: abc}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
      { mode: 0o600 },
    );
    const result = await collectKubeDiagnostics({
      target: { kubeconfigPath },
      namespace: ns,
      dir,
      logger: silentLogger(),
      logTailLines: 5,
      timeoutMs: 300,
      resources: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }],
    });
    expect(result.failures.map((f) => f.part).sort()).toEqual(['events', 'nodes', 'pods']);
    for (const f of result.failures) expect(f.message).toBe('timed out after 300 ms');
    const summary = await readFile(join(dir, 'kubernetes', 'summary.md'), 'utf8');
    expect(summary).toContain('`Deployment/web`: not read: timed out after 300 ms');
    expect(result.files).toEqual(['summary.md']);
  });

  it('notes an unreadable kubeconfig or an unknown context, and still writes summary.md', async () => {
    const dir = await tempDir();
    const missing = await collectKubeDiagnostics({
      target: { kubeconfigPath: join(dir, 'nope.yaml') },
      namespace: ns,
      dir,
      logger: silentLogger(),
      logTailLines: 5,
      timeoutMs: 5_000,
    });
    expect(missing.failures).toHaveLength(1);
    expect(missing.failures[0]?.part).toBe('kubeconfig');
    expect(missing.failures[0]?.message).toContain(join(dir, 'nope.yaml'));
    expect(await readFile(join(dir, 'kubernetes', 'summary.md'), 'utf8')).toContain(
      '- kubeconfig: cannot load',
    );

    const kube = await FakeKube.start();
    cleanups.push(() => kube.close());
    const other = await tempDir();
    const wrong = await collectKubeDiagnostics({
      ...options(kube, other),
      target: { kubeconfigPath: kube.kubeconfigPath, context: 'elsewhere' },
    });
    expect(wrong.failures).toEqual([
      {
        part: 'kubeconfig',
        message: `the kubeconfig ${kube.kubeconfigPath} has no context "elsewhere" (has: fake-kube)`,
      },
    ]);
    expect(kube.events()).toHaveLength(0);
  });
});
