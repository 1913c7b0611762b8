import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../common/exec.js';
import type { HelmMethodConfig } from '../../config/types.js';
import {
  helmEnv,
  helmPlan,
  lintCommand,
  repoAddCommand,
  templateCommand,
  upgradeCommand,
} from './helm-commands.js';

/**
 * The argv the method builds, run by the real helm 3.18 offline: `helm template` and `helm lint`
 * with the scenario's values files and --set, from a chart on disk and from a chart repository
 * served on loopback. (install/upgrade need a Kubernetes API, which is not here.)
 */

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const HELM = join(repoRoot, '.tools', 'helm', 'helm');

function serveDir(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const file = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

describe('helm argv with the real helm binary', () => {
  let dir: string;
  let scenarioDir: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  const helm = (...args: string[]) => runCommand([HELM, ...args], { env, timeoutMs: 60_000 });

  beforeAll(async () => {
    if (!existsSync(HELM)) {
      throw new Error(`no helm binary at ${HELM}: run \`bash scripts/fetch-helm.sh\` (CI's .ci/run does)`);
    }
    dir = await mkdtemp(join(tmpdir(), 'uh-helm-real-'));
    scenarioDir = join(dir, 'scenario');
    await mkdir(join(scenarioDir, 'charts'), { recursive: true });
    await mkdir(join(scenarioDir, 'values'), { recursive: true });
    env = helmEnv(join(dir, 'no-cluster-kubeconfig'), join(dir, 'helm-state'));
    await helm('create', join(scenarioDir, 'charts', 'shop'));
    await writeFile(join(scenarioDir, 'values', 'base.yaml'), 'replicaCount: 2\nservice:\n  port: 8080\n');
    await writeFile(
      join(scenarioDir, 'values', 'kind.yaml'),
      'replicaCount: 3\nresources:\n  limits:\n    cpu: 250m\n',
    );
  });

  afterAll(async () => {
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const config = (over: Partial<HelmMethodConfig>): HelmMethodConfig => ({
    chart: 'charts/shop',
    chartVersion: '{{version}}',
    chartVersions: {},
    values: ['values/base.yaml', 'values/kind.yaml'],
    set: { 'image.tag': '{{version}}', 'podLabels.tier': '{{axes.tier}}' },
    timeoutSeconds: 120,
    ...over,
  });
  const planFor = (c: HelmMethodConfig) =>
    helmPlan({
      config: c,
      scenarioName: 'shop',
      scenarioDir,
      runId: '20250601-120000-beef',
      cellId: 'kind-helm-1.26.0-1.27.3',
      axes: { tier: 'web' },
      helmPath: HELM,
    });

  it('renders and lints a chart on disk with the values files in order and --set', async () => {
    const plan = planFor(config({}));
    const rendered = (await runCommand(templateCommand(plan, '1.27.3'), { env, timeoutMs: 60_000 })).stdout;
    expect(rendered).toContain('image: "nginx:1.27.3"');
    // kind.yaml comes after base.yaml and wins; base.yaml's port stays.
    expect(rendered).toMatch(/replicas: 3\n/);
    expect(rendered).toMatch(/port: 8080\n/);
    expect(rendered).toMatch(/cpu: 250m\n/);
    expect(rendered).toMatch(/tier: web\n/);
    expect(rendered).toContain('name: shop');

    const lint = await runCommand(lintCommand(plan, '1.27.3'), { env, timeoutMs: 60_000 });
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('helm accepts every flag of the install command and goes on to ask the cluster', async () => {
    // No Kubernetes API here: a loopback stub that answers 503 stands in for one. Reaching it means
    // helm parsed every flag and value of the install argv (a bad one fails before any request).
    const requests: string[] = [];
    const api = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no cluster here');
    });
    await new Promise<void>((done) => api.listen(0, '127.0.0.1', done));
    try {
      const port = (api.address() as AddressInfo).port;
      const kubeconfig = join(dir, 'stub-kubeconfig');
      await writeFile(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster:\n    server: http://127.0.0.1:${port}\n` +
          'users:\n- name: stub\n  user: {}\ncontexts:\n- name: stub\n  context: {cluster: stub, user: stub}\n' +
          'current-context: stub\n',
      );
      const argv = upgradeCommand(planFor(config({ timeoutSeconds: 5 })), '1.27.3');
      const err = await runCommand(argv, {
        env: { ...env, KUBECONFIG: kubeconfig },
        timeoutMs: 60_000,
      }).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect(err instanceof Error ? err.message : '').not.toMatch(
        /unknown flag|invalid argument|needs an argument/,
      );
      expect(err instanceof Error ? err.message : '').toContain('Kubernetes cluster unreachable');
      expect(requests).toContain('GET /version');
    } finally {
      await new Promise((done) => api.close(done));
    }
  });

  it('adds a chart repository (isolated config) and renders the chart version a product version maps to', async () => {
    const repoDir = join(dir, 'repo');
    await mkdir(repoDir, { recursive: true });
    const chartDir = join(scenarioDir, 'charts', 'shop');
    await helm('package', chartDir, '--version', '0.1.0', '--app-version', '1.26.0', '-d', repoDir);
    await helm('package', chartDir, '--version', '0.2.0', '--app-version', '1.27.3', '-d', repoDir);
    server = await serveDir(repoDir);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await helm('repo', 'index', repoDir, '--url', url);

    const plan = planFor(config({ chart: 'acme/shop', repo: url, chartVersion: '0.{{axes.minor}}.0' }));
    const withMinor = { ...plan, axes: { ...plan.axes, minor: '2' } };
    await runCommand(repoAddCommand(withMinor)!, { env, timeoutMs: 60_000 });
    expect(await readFile(env.HELM_REPOSITORY_CONFIG!, 'utf8')).toContain(url);
    const argv = templateCommand(withMinor, '1.27.3');
    expect(argv.slice(3, 6)).toEqual(['acme/shop', '--version', '0.2.0']);
    const rendered = (await runCommand(argv, { env, timeoutMs: 60_000 })).stdout;
    expect(rendered).toContain('helm.sh/chart: shop-0.2.0');
    expect(rendered).toContain('app.kubernetes.io/version: "1.27.3"');
    expect(rendered).toContain('image: "nginx:1.27.3"');
  });
});
