import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraError } from '../../common/errors.js';
import { type FakeBin, fakeBinDir } from '../../testing/fake-bin/fake-bin.js';
import {
  kubeCell,
  kubeRunContext,
  kubeScenario,
  kubeScenarioDir,
} from '../../testing/fake-bin/kube-fixtures.js';
import { readClusterMarker } from '../kube/cluster-marker.js';
import { clusterName } from '../kube/cluster-name.js';
import { parseK3dClusterList } from './k3d-cli.js';
import { K3dPlatform } from './k3d-platform.js';

const RUN = '20260101-020304-a1b2';
const CELL = 'k3d-helm-rolling-1.0.0-1.1.0';
const NAME = clusterName(RUN, CELL);

let root: string;
let fake: FakeBin;
let scenarioDir: string;
let configDir: string;
let artifactDir: string;
let stateDir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'k3d-platform-'));
  ({ scenarioDir, configDir } = await kubeScenarioDir(root));
  artifactDir = join(root, 'cell');
  stateDir = join(root, 'state');
  await mkdir(artifactDir, { recursive: true });
  fake = await fakeBinDir(['k3d']);
});
afterEach(async () => {
  await fake.remove();
  await rm(root, { recursive: true, force: true });
});

function platform(env: Record<string, string> = fake.env): K3dPlatform {
  return new K3dPlatform({ stateDir, env, workRoot: join(root, 'work'), host: 'ci-runner-1', pid: 4242 });
}

function createOptions(custom: Record<string, string> = {}, kubernetes: Record<string, unknown> = {}) {
  return { scenario: kubeScenario(kubernetes), scenarioDir, cell: kubeCell('k3d', custom) };
}

const ctx = () => kubeRunContext(artifactDir, { runId: RUN, cellId: CELL });
const argvOf = (group: string, verb: string) =>
  fake.calls('k3d').filter((c) => c.argv[0] === group && c.argv[1] === verb);

describe('k3d platform', () => {
  it('creates a labelled cluster with the pinned k3s image, writes its kubeconfig, and deletes it', async () => {
    const started = await platform().create(createOptions({ 'kubernetes-version': '1.31' }), ctx());
    expect(started.kubeContext).toBe(`k3d-${NAME}`);
    const create = argvOf('cluster', 'create')[0]?.argv;
    expect(create).toEqual([
      'cluster',
      'create',
      NAME,
      '--config',
      join(configDir, 'k3d-single-node.yaml'),
      '--image',
      'rancher/k3s:v1.31.9-k3s1',
      '--wait',
      '--timeout',
      '120s',
      '--kubeconfig-update-default=false',
      '--kubeconfig-switch-context=false',
      '--runtime-label',
      `upgrade-harness.run=${RUN}@server:0`,
      '--runtime-label',
      `upgrade-harness.cell=${CELL}@server:0`,
      '--runtime-label',
      'upgrade-harness.host=ci-runner-1@server:0',
      '--runtime-label',
      'upgrade-harness.pid=4242@server:0',
      '--runtime-label',
      `upgrade-harness.created=${started.createdAt}@server:0`,
    ]);
    expect(argvOf('kubeconfig', 'get').map((c) => c.argv)).toEqual([['kubeconfig', 'get', NAME]]);
    expect((await stat(started.kubeconfigPath)).mode & 0o777).toBe(0o600);
    const kubeconfig = await readFile(started.kubeconfigPath, 'utf8');
    expect(kubeconfig).toContain(`current-context: k3d-${NAME}`);
    expect(await readClusterMarker(stateDir, NAME)).toMatchObject({ platform: 'k3d', runId: RUN, pid: 4242 });

    await started[Symbol.asyncDispose]();
    await started[Symbol.asyncDispose]();
    expect(argvOf('cluster', 'delete').map((c) => c.argv)).toEqual([['cluster', 'delete', NAME]]);
    expect(fake.state().k3d.clusters).toEqual([]);
    expect(await readClusterMarker(stateDir, NAME)).toBeUndefined();

    // `k3d kubeconfig get` prints the client key: it must not reach the cell's logs.
    const key = kubeconfig.match(/client-key-data: (\S+)/)?.[1];
    const logs = `${await readFile(join(artifactDir, 'logs', 'k3d.log'), 'utf8')}${await readFile(join(artifactDir, 'cell.log'), 'utf8')}`;
    expect(logs).toContain(`Cluster '${NAME}' created successfully!`);
    expect(key).toBeTruthy();
    expect(logs).not.toContain(key);
  });

  it('imports the preload images', async () => {
    const started = await platform().create(createOptions({}, { preloadImages: ['app:1.0.0'] }), ctx());
    expect(argvOf('image', 'import').map((c) => c.argv)).toEqual([
      ['image', 'import', 'app:1.0.0', '--cluster', NAME],
    ]);
    await started[Symbol.asyncDispose]();
  });

  it("fails with k3d's error lines when create fails, and deletes what is left", async () => {
    const error = await platform(fake.failing({ k3d: ['create'] }))
      .create(createOptions(), ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    const message = (error as Error).message;
    expect(message).toContain(`k3d cluster create ${NAME} failed: ERRO[0002] Failed Cluster Creation`);
    expect(message).toContain('FATA[0002] Cluster creation FAILED, all changes have been rolled back!');
    expect(message).not.toContain('INFO[');
    expect(argvOf('cluster', 'delete')).toHaveLength(1);
    expect(await readClusterMarker(stateDir, NAME)).toBeUndefined();
  });

  it('writes the node states without the cluster token into the diagnostics folder', async () => {
    const started = await platform().create(createOptions(), ctx());
    const dir = join(artifactDir, 'diagnostics');
    await mkdir(dir);
    await started.collectDiagnostics(dir);
    expect((await readdir(dir)).sort()).toEqual(['k3d-cluster.json', 'k3d-nodes.json']);
    const nodes = await readFile(join(dir, 'k3d-nodes.json'), 'utf8');
    expect(JSON.parse(nodes)).toEqual([
      {
        name: `k3d-${NAME}-server-0`,
        role: 'server',
        image: 'rancher/k3s:v1.33.1-k3s1',
        running: true,
        status: 'running',
      },
      expect.objectContaining({ role: 'loadbalancer' }),
    ]);
    expect(nodes).not.toContain('TOKEN');
    await started[Symbol.asyncDispose]();
  });
});

describe('parseK3dClusterList', () => {
  it('keeps names, our labels and node states, and drops the token', () => {
    const clusters = parseK3dClusterList(
      JSON.stringify([
        {
          name: 'uh-x-1',
          clusterToken: 'secret',
          nodes: [
            {
              name: 'k3d-uh-x-1-server-0',
              role: 'server',
              runtimeLabels: {
                'k3d.cluster': 'uh-x-1',
                'upgrade-harness.run': 'r1',
                'upgrade-harness.pid': '7',
              },
              env: ['K3S_TOKEN=secret'],
            },
          ],
        },
        { name: 'dev' },
      ]),
    );
    expect(clusters).toEqual([
      {
        name: 'uh-x-1',
        labels: { run: 'r1', pid: '7' },
        nodes: [
          {
            name: 'k3d-uh-x-1-server-0',
            role: 'server',
            image: undefined,
            running: undefined,
            status: undefined,
          },
        ],
      },
      { name: 'dev', labels: {}, nodes: [] },
    ]);
    expect(JSON.stringify(clusters)).not.toContain('secret');
    expect(parseK3dClusterList('')).toEqual([]);
  });
});
