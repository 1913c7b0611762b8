import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellRecord, RunRecord } from '../common/run-record.js';
import { REPO_ROOT } from '../testing/cli.js';
import { FakeKube } from '../testing/fake-kube/index.js';
import { writeTinyChart } from '../testing/fake-kube/tiny-chart.js';
import { runMatrixFile } from '../testing/run-matrix-file.js';

/**
 * A whole matrix on an existing Kubernetes cluster, everything real but the cluster: the existing
 * platform makes a labelled namespace per cell through client-node, the real helm 3.18 installs and
 * upgrades a chart, traffic goes in through the harness's port-forward (client-node PortForward
 * over the API server's pods/portforward), and the pod observer watches the rollout. The cluster
 * is FakeKube: its deployment controller replaces pods, and its port-forward endpoint tunnels to
 * real HTTP servers, one per version.
 *
 * Ground truth: release 2.0.0 has a known defect (its first new pod restarts once after it became
 * ready); releases 0.9.0 and 3.0.0 never become ready (helm's --timeout fails the install of
 * 0.9.0 and the upgrade to 3.0.0: errors thrown in the install and upgrade phases).
 */
const HELM = join(REPO_ROOT, '.tools', 'helm', 'helm');
const VERSIONS = ['0.9.0', '1.0.0', '2.0.0', '3.0.0'] as const;

describe(`existing cluster + helm + port-forward + pod observer (FakeKube, the real helm at ${HELM})`, () => {
  let kube: FakeKube;
  let dir: string;
  const backends = new Map<string, { server: Server; port: number }>();
  let run: { record: RunRecord; runDir: string };

  beforeAll(async () => {
    // Never skipped: without helm this fails and says how to get it.
    if (!existsSync(HELM)) throw new Error(`no helm binary at ${HELM}: run \`bash scripts/fetch-helm.sh\``);
    kube = await FakeKube.start({
      tls: true,
      deploymentController: {
        stepMs: 150,
        failingImages: ['app:0.9.0', 'app:3.0.0'],
        restartingImages: ['app:2.0.0'],
      },
    });
    for (const version of VERSIONS) {
      const server = createServer((req, res) => {
        res.writeHead(200, { 'x-app-version': version, 'content-type': 'text/plain' }).end(`v${version}`);
        req.resume();
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const address = server.address();
      backends.set(version, { server, port: typeof address === 'object' && address ? address.port : 0 });
    }
    // A pod's port 8080 is the backend of the version its image names.
    kube.setPortForwardTarget((pod, port) => {
      const spec = pod.spec as { containers?: Array<{ image?: string }> } | undefined;
      const version = spec?.containers?.[0]?.image?.replace(/^app:/, '') ?? '';
      const backend = backends.get(version);
      return backend && port === 8080 ? { host: '127.0.0.1', port: backend.port } : undefined;
    });
    dir = await mkdtemp(join(tmpdir(), 'uh-kube-e2e-'));
    await writeFile(join(dir, 'kubeconfig'), kube.kubeconfigYaml, { mode: 0o600 });
    await writeTinyChart(join(dir, 'chart'), 'app:0');
    await writeFile(
      join(dir, 'scenario.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Scenario
name: tiny
versions: [${VERSIONS.join(', ')}]
versionProbe: { header: x-app-version }
readiness: { path: /readyz }
existing:
  kubernetes: { kubeconfig: kubeconfig, context: fake-kube, deleteTimeoutSeconds: 10 }
kubernetes:
  access: { mode: port-forward, service: tiny-web, port: 80 }
helm:
  chart: chart
  set: { image: "app:{{version}}" }
  timeoutSeconds: 5
traffic:
  rate: 40
  connections: [new]
  endpoints: [{ name: home, class: web, path: / }]
slo: { successRatio: 0.9, maxDowntimeSeconds: 5 }
timing: { baselineSeconds: 1, settleSeconds: 1, readyTimeoutSeconds: 10, upgradeTimeoutSeconds: 60 }
`,
    );
    await writeFile(
      join(dir, 'matrix.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Matrix
name: kube-existing
scenario: scenario.yaml
axes:
  platform: [existing]
  method: [helm]
  path: ["1.0.0 -> 2.0.0", "1.0.0 -> 3.0.0", "0.9.0 -> 1.0.0"]
  rollback: [on-failure]
concurrency: 1
`,
    );
    const result = await runMatrixFile(join(dir, 'matrix.yaml'), {
      outDir: join(dir, 'runs'),
      runId: 'kube-e2e',
      registries: { helmPath: HELM },
    });
    run = { record: result.record, runDir: result.runDir };
  }, 180_000);

  afterAll(async () => {
    await kube?.close();
    for (const { server } of backends.values()) await new Promise((done) => server.close(done));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cell = (to: string, from = '1.0.0'): CellRecord => {
    const found = run.record.cells.find((c) => c.axes.to === to && c.axes.from === from);
    if (!found) throw new Error(`no cell to ${to} in ${run.record.cells.map((c) => c.id).join(', ')}`);
    return found;
  };

  it('measures traffic through the port-forward and attributes the known restart to the upgrade phase in run.json', async () => {
    const up = cell('2.0.0');
    expect(up.error).toBeUndefined();
    expect(up.requests.total).toBeGreaterThan(50);
    // Both versions answered through the tunnel: the traffic really crossed the rollout.
    expect(up.versions.servedBy['1.0.0']).toBeGreaterThan(0);
    expect(up.versions.servedBy['2.0.0']).toBeGreaterThan(0);
    const k = up.kubernetes;
    expect(k?.namespace).toMatch(/^uh-[0-9a-f]{8}$/);
    expect(k?.portForward?.tunnelled).toBeGreaterThan(50);
    const byPhase = (phase: string) => k?.byPhase.filter((p) => p.phase === phase) ?? [];
    const sum = (phase: string) => byPhase(phase).reduce((n, p) => n + p.restarts, 0);
    // The one restart the defective release has, in the upgrade phase (or the settle right after,
    // if the pod's restart was seen after helm's --wait returned), never in the baseline.
    expect(sum('upgrade') + sum('settle')).toBe(1);
    expect(sum('baseline')).toBe(0);
    expect(byPhase('upgrade')[0]?.podsAdded).toBeGreaterThan(0);
    expect(byPhase('upgrade')[0]?.imageChanges).toBeGreaterThan(0);
    expect(k?.workloads.map((w) => w.workload)).toContain('Deployment/tiny-web');
    expect(up.events.some((e) => e.kind === 'container-restarted' && /restarted/.test(e.message))).toBe(true);
    // The same as written to disk (what reports and users read).
    const onDisk = JSON.parse(await readFile(join(run.runDir, 'run.json'), 'utf8')) as RunRecord;
    expect(onDisk.cells.find((c) => c.id === up.id)?.kubernetes?.byPhase).toEqual(k?.byPhase);
  });

  it('writes Kubernetes diagnostics into the cell folder, without the kubeconfig or its token', async () => {
    const up = cell('2.0.0');
    const diag = join(run.runDir, up.artifactsDir, 'diagnostics', 'kubernetes');
    const files = await readdir(diag);
    expect(files).toEqual(expect.arrayContaining(['pods.json', 'events.json', 'summary.md']));
    const token = /token: (\S+)/.exec(kube.kubeconfigYaml)?.[1];
    expect(token).toBeTruthy();
    for (const file of files.filter((f) => f.endsWith('.json') || f.endsWith('.md'))) {
      expect(await readFile(join(diag, file), 'utf8')).not.toContain(token);
    }
  });

  it('fails the upgrade that never gets ready, rolls back, and still deletes the namespace', async () => {
    const bad = cell('3.0.0');
    expect(bad.status).toBe('failed');
    expect(bad.reason).toMatch(/upgrade-failed/);
    expect(bad.rollback.attempted).toBe(true);
    expect(bad.rollback.succeeded).toBe(true);
    expect(bad.error).toBeUndefined();
  });

  it('ends a cell whose install fails in the install phase, with the failing pods in its diagnostics, and tears down what was made', async () => {
    const broken = cell('1.0.0', '0.9.0');
    expect(broken.error?.phase).toBe('install');
    // Looked at before helm uninstall removed them: the pods that never got ready, with their image.
    const pods = await readFile(
      join(run.runDir, broken.artifactsDir, 'diagnostics', 'kubernetes', 'pods.json'),
      'utf8',
    );
    expect(pods).toContain('app:0.9.0');
    // …and before, not after, helm uninstall deleted the Deployment (its namespace is the third made).
    const requests = kube.events();
    const ns = (
      requests.filter((e) => e.method === 'POST' && e.path === '/api/v1/namespaces' && e.status === 201)[2]
        ?.body as { metadata?: { name?: string } } | undefined
    )?.metadata?.name;
    expect(ns).toMatch(/^uh-/);
    // Events: what the diagnostics list and helm does not.
    const podsRead = requests.find((e) => e.method === 'GET' && e.path === `/api/v1/namespaces/${ns}/events`);
    const uninstalled = requests.find(
      (e) => e.method === 'DELETE' && e.path.startsWith(`/apis/apps/v1/namespaces/${ns}/deployments/`),
    );
    expect(podsRead && uninstalled && podsRead.at <= uninstalled.at).toBe(true);
    expect(broken.phases.find((p) => p.name === 'teardown')?.status).toBe('passed');
  });

  it('leaves no namespace of the run behind, whatever each cell did', () => {
    const left = kube.store
      .list({ apiVersion: 'v1', kind: 'Namespace' })
      .filter((ns) => ns.metadata.labels?.['app.kubernetes.io/managed-by'] === 'upgrade-harness');
    expect(left.map((ns) => ns.metadata.name)).toEqual([]);
    // Each cell did have one (the record names it), so the emptiness is not vacuous.
    expect(cell('2.0.0').kubernetes?.namespace).not.toBe(cell('3.0.0').kubernetes?.namespace);
    const created = kube
      .events()
      .filter((e) => e.method === 'POST' && e.path === '/api/v1/namespaces' && e.status === 201);
    expect(created).toHaveLength(3);
  });
});
