import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { K3sContainerInfo, K3sContainers } from '../platforms/k3s/k3s-container.js';
import { runtimeK3sContainers } from '../platforms/k3s/k3s-container.js';
import { type ClusterMarker, writeClusterMarker } from '../platforms/kube/cluster-marker.js';
import { cellNamespaceMeta } from '../platforms/kube/namespace-labels.js';
import { type FakeBin, type FakeBinState, type FakeTool, fakeBinDir } from '../testing/fake-bin/fake-bin.js';
import { FakeKube } from '../testing/fake-kube/index.js';
import { type GcCommandDeps, processAlive, registerGcCommand } from './gc-command.js';

const NOW = Date.parse('2026-01-02T12:00:00Z');
const HOUR = 3_600_000;
const HOST = 'runner-1';
const LIVE_PID = 100;
const DEAD_PID = 200;

// Probed with testcontainers itself: where a runtime exists, the real one is not asked in tests.
const runtimePresent = await getContainerRuntimeClient().then(
  () => true,
  () => false,
);

let root: string;
let stateDir: string;
let fake: FakeBin | undefined;
let k3s: FakeK3s;

/** The container engine as the k3s platform sees it, in memory: its containers and what was removed. */
interface FakeK3s extends K3sContainers {
  containers: K3sContainerInfo[] | undefined;
  removed: string[];
}
function fakeK3s(containers: K3sContainerInfo[] | undefined): FakeK3s {
  const fake: FakeK3s = {
    containers,
    removed: [],
    list: async () => fake.containers?.map((c) => ({ ...c })),
    remove: async (id) => {
      fake.removed.push(id);
      fake.containers = fake.containers?.filter((c) => c.id !== id);
    },
  };
  return fake;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gc-command-'));
  stateDir = join(root, 'state');
});
afterEach(async () => {
  await fake?.remove();
  fake = undefined;
  await rm(root, { recursive: true, force: true });
});

function marker(
  name: string,
  platform: 'kind' | 'k3d' | 'k3s',
  overrides: Partial<ClusterMarker> = {},
): ClusterMarker {
  return {
    version: 1,
    name,
    platform,
    runId: `run-of-${name}`,
    cellId: 'cell',
    createdAt: new Date(NOW - HOUR).toISOString(),
    pid: LIVE_PID,
    host: HOST,
    ...overrides,
  };
}

/** Clusters of every kind of owner, with their markers written. */
async function world(tools: FakeTool[] = ['kind', 'k3d']): Promise<FakeBin> {
  const state: FakeBinState = {
    kind: {
      clusters: [
        { name: 'uh-alive' },
        { name: 'uh-dead' },
        { name: 'uh-old' },
        { name: 'uh-elsewhere' },
        { name: 'uh-unknown' },
        { name: 'dev' },
        { name: 'kind' },
      ],
    },
    k3d: {
      clusters: [
        // Its marker is lost; its container labels say who made it.
        {
          name: 'uh-k3d-dead',
          runtimeLabels: {
            'upgrade-harness.run': 'r-k3d',
            'upgrade-harness.host': HOST,
            'upgrade-harness.pid': String(DEAD_PID),
            'upgrade-harness.created': new Date(NOW - HOUR).toISOString(),
          },
        },
        { name: 'uh-k3d-alive' },
        { name: 'k3s-default' },
      ],
    },
  };
  await writeClusterMarker(stateDir, marker('uh-alive', 'kind'));
  await writeClusterMarker(stateDir, marker('uh-dead', 'kind', { pid: DEAD_PID }));
  await writeClusterMarker(
    stateDir,
    marker('uh-old', 'kind', { createdAt: new Date(NOW - 30 * HOUR).toISOString() }),
  );
  await writeClusterMarker(stateDir, marker('uh-elsewhere', 'kind', { host: 'runner-2', pid: DEAD_PID }));
  await writeClusterMarker(stateDir, marker('uh-k3d-alive', 'k3d'));
  await writeClusterMarker(stateDir, marker('uh-k3s-alive', 'k3s'));
  k3s = fakeK3s([
    { id: 'c-alive', name: 'uh-k3s-alive', labels: { run: 'run-of-uh-k3s-alive', platform: 'k3s' } },
    // Its marker is lost; its labels say who made it.
    {
      id: 'c-dead',
      name: 'uh-k3s-dead',
      labels: {
        run: 'r-k3s',
        cell: 'c-k3s',
        host: HOST,
        pid: String(DEAD_PID),
        created: new Date(NOW - HOUR).toISOString(),
        platform: 'k3s',
      },
    },
  ]);
  // A cluster that is gone already, and one a live run is about to create.
  await writeClusterMarker(stateDir, marker('uh-gone', 'kind', { pid: DEAD_PID }));
  await writeClusterMarker(stateDir, marker('uh-creating', 'kind'));
  fake = await fakeBinDir(tools, state);
  return fake;
}

async function gc(argv: string[], env: Record<string, string>) {
  return gcWith(argv, { env });
}

async function gcWith(argv: string[], overrides: Partial<GcCommandDeps>) {
  const out: string[] = [];
  const err: string[] = [];
  let code: number | undefined;
  const deps: GcCommandDeps = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    setExitCode: (c) => {
      code = c;
    },
    stateDir,
    host: HOST,
    now: () => NOW,
    isProcessAlive: (pid) => pid === LIVE_PID,
    k3s,
    ...overrides,
  };
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerGcCommand(program, deps);
  await program.parseAsync(['gc', ...argv], { from: 'user' });
  return { out, err, code };
}

const deleted = (f: FakeBin) =>
  f
    .calls()
    .filter((c) => c.argv.includes('delete'))
    .map((c) => `${c.tool} ${c.argv.join(' ')}`);
const names = (f: FakeBin) => ({
  kind: f.state().kind.clusters.map((c) => c.name),
  k3d: f.state().k3d.clusters.map((c) => c.name),
});

describe('upgrade-harness gc', () => {
  it('prints what it would delete and deletes nothing without --yes', async () => {
    const f = await world();
    const { out, err, code } = await gc([], f.env);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(deleted(f)).toEqual([]);
    expect(out).toEqual([
      'keep kind cluster uh-alive (run run-of-uh-alive, cell cell): its run (pid 100) is still running',
      'would delete kind cluster uh-dead (run run-of-uh-dead, cell cell): its run (pid 200 on this host) is gone',
      'keep kind cluster uh-elsewhere (run run-of-uh-elsewhere, cell cell): made on host runner-2 60m ago: its run may be alive there (--older-than decides)',
      'would delete kind cluster uh-old (run run-of-uh-old, cell cell): created 30h ago, longer than 24h',
      'would delete kind cluster uh-unknown: no marker says which run owns it',
      'kind: 2 other cluster(s) not made by upgrade-harness, left alone',
      'would delete k3d cluster uh-k3d-dead (run r-k3d): its run (pid 200 on this host) is gone',
      'keep k3d cluster uh-k3d-alive (run run-of-uh-k3d-alive, cell cell): its run (pid 100) is still running',
      'k3d: 1 other cluster(s) not made by upgrade-harness, left alone',
      'keep k3s cluster uh-k3s-alive (run run-of-uh-k3s-alive, cell cell): its run (pid 100) is still running',
      'would delete k3s cluster uh-k3s-dead (run r-k3s, cell c-k3s): its run (pid 200 on this host) is gone',
      'would forget the marker of uh-gone: the cluster no longer exists',
      'namespaces: no kubeconfig (--kubeconfig), skipped',
      'dry run: 5 cluster(s) would be deleted; run again with --yes to delete them',
    ]);
    expect((await readdir(stateDir)).length).toBe(8);
    expect(k3s.removed).toEqual([]);
  });

  it('with --yes deletes only the dead uh- clusters and forgets their markers', async () => {
    const f = await world();
    const { out, code } = await gc(['--yes'], f.env);
    expect(code).toBe(0);
    expect(deleted(f)).toEqual([
      'kind delete cluster --name uh-dead',
      'kind delete cluster --name uh-old',
      'kind delete cluster --name uh-unknown',
      'k3d cluster delete uh-k3d-dead',
    ]);
    expect(k3s.removed).toEqual(['c-dead']);
    expect(out).toContain('deleted k3s cluster uh-k3s-dead');
    expect(names(f)).toEqual({
      kind: ['uh-alive', 'uh-elsewhere', 'dev', 'kind'],
      k3d: ['uh-k3d-alive', 'k3s-default'],
    });
    expect((await readdir(stateDir)).sort()).toEqual([
      'uh-alive.json',
      'uh-creating.json',
      'uh-elsewhere.json',
      'uh-k3d-alive.json',
      'uh-k3s-alive.json',
    ]);
    expect(out).toContain('deleted kind cluster uh-dead');
    expect(out).toContain('forgot the marker of uh-gone: the cluster no longer exists');
    expect(out.at(-1)).toBe('5 cluster(s) deleted');
  });

  it('keeps unknown clusters with --keep-unknown and honours --older-than and --platform', async () => {
    const f = await world();
    const { out } = await gc(['--keep-unknown', '--older-than', '48h', '--platform', 'kind'], f.env);
    expect(out.filter((l) => l.startsWith('would delete'))).toEqual([
      'would delete kind cluster uh-dead (run run-of-uh-dead, cell cell): its run (pid 200 on this host) is gone',
    ]);
    expect(f.calls('k3d')).toEqual([]);
    expect(out).not.toContain('namespaces: no kubeconfig (--kubeconfig), skipped');
  });

  it('exits 1 when a delete fails, and keeps that marker', async () => {
    const f = await world(['kind']);
    const { out, err, code } = await gc(['--yes'], f.failing({ kind: ['delete'] }));
    expect(code).toBe(1);
    expect(out).toContain('k3d: not installed, skipped');
    expect(err[0]).toContain(
      'could not delete kind cluster uh-dead: kind delete cluster uh-dead failed: ERROR: failed to delete cluster "uh-dead"',
    );
    expect(err).toHaveLength(3);
    expect(await readdir(stateDir)).toContain('uh-dead.json');
    expect(out.at(-1)).toBe('1 cluster(s) deleted, 3 failure(s)');
  });

  it('exits 1 when clusters cannot be listed', async () => {
    const f = await world(['kind']);
    const { err, code } = await gc([], f.failing({ kind: ['get-clusters'] }));
    expect(code).toBe(1);
    expect(err[0]).toContain(
      'kind: could not list clusters: kind get clusters failed: ERROR: failed to list clusters',
    );
    expect(deleted(f)).toEqual([]);
  });

  it('rejects a bad --older-than', async () => {
    const f = await world(['kind']);
    await expect(gc(['--older-than', 'soon'], f.env)).rejects.toThrow('expected a duration');
  });
});

describe('upgrade-harness gc of k3s containers through the real container runtime', () => {
  it.skipIf(runtimePresent)('says there is none and goes on (skipped where a runtime exists)', async () => {
    await writeClusterMarker(stateDir, marker('uh-k3s-dead', 'k3s', { pid: DEAD_PID }));
    const { out, code } = await gcWith(['--platform', 'k3s'], { k3s: runtimeK3sContainers() });
    expect(code).toBe(0);
    expect(out).toEqual(['k3s: no container runtime, skipped', 'nothing to delete']);
    // Without a listing nothing says the cluster is gone: its marker stays for a later gc.
    expect(await readdir(stateDir)).toEqual(['uh-k3s-dead.json']);
  });
});

describe('upgrade-harness gc of existing-cluster namespaces', () => {
  let kube: FakeKube;
  const DEAD = 2 ** 22 + 1;
  beforeEach(async () => {
    kube = await FakeKube.start();
    k3s = fakeK3s(undefined);
    const ns = (name: string, host: string, pid: number | undefined) =>
      kube.store.put({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          ...cellNamespaceMeta({
            runId: `run-${name}`,
            cellId: `cell-${name}`,
            host,
            pid: pid ?? 0,
            createdAt: new Date(NOW - HOUR).toISOString(),
          }),
        },
      });
    ns('uh-alive', HOST, process.pid);
    ns('uh-dead', HOST, DEAD);
    ns('uh-elsewhere', 'runner-2', DEAD);
    kube.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  });
  afterEach(async () => {
    await kube.close();
  });

  const namespaces = () =>
    kube.store
      .list({ apiVersion: 'v1', kind: 'Namespace' })
      .map((n) => n.metadata.name)
      .filter((n) => n?.startsWith('uh-') || n === 'team-a')
      .sort();
  const ctxLine = () =>
    `namespaces in context fake-kube (${new URL(kube.url).host}): 3 made by upgrade-harness`;

  it('lists them by owner without --yes: alive kept, dead would go, other hosts unknown', async () => {
    const { out, err, code } = await gcWith(['--platform', 'existing'], {
      kubeconfig: kube.kubeconfigPath,
      isProcessAlive: processAlive,
    });
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([
      ctxLine(),
      `keep namespace uh-alive (run run-uh-alive, cell cell-uh-alive): its run (pid ${process.pid}) is still running`,
      `would delete namespace uh-dead (run run-uh-dead, cell cell-uh-dead): its run (pid ${DEAD} on this host) is gone`,
      'unknown namespace uh-elsewhere (run run-uh-elsewhere, cell cell-uh-elsewhere): made on host runner-2 60m ago: its run may be alive there (--include-other-hosts deletes it)',
      'dry run: 0 cluster(s) and 1 namespace(s) would be deleted; run again with --yes to delete them',
    ]);
    expect(kube.events().filter((e) => e.method === 'DELETE')).toEqual([]);
  });

  it('with --yes deletes only the namespaces of dead runs; --include-other-hosts takes the others too', async () => {
    const first = await gcWith(['--platform', 'existing', '--yes'], {
      kubeconfig: kube.kubeconfigPath,
      isProcessAlive: processAlive,
    });
    expect(first.code).toBe(0);
    expect(namespaces()).toEqual(['team-a', 'uh-alive', 'uh-elsewhere']);
    expect(first.out.at(-1)).toBe('0 cluster(s) and 1 namespace(s) deleted');
    const second = await gcWith(['--platform', 'existing', '--yes', '--include-other-hosts'], {
      kubeconfig: kube.kubeconfigPath,
      isProcessAlive: processAlive,
    });
    expect(second.out).toContain('deleted namespace uh-elsewhere');
    expect(namespaces()).toEqual(['team-a', 'uh-alive']);
  });

  it('takes --kubeconfig and --context; an unknown context fails naming the contexts', async () => {
    const { out } = await gcWith(
      ['--platform', 'existing', '--kubeconfig', kube.kubeconfigPath, '--context', 'fake-kube'],
      {
        kubeconfig: join(root, 'missing'),
        isProcessAlive: processAlive,
      },
    );
    expect(out[0]).toBe(ctxLine());
    const bad = await gcWith(
      ['--platform', 'existing', '--kubeconfig', kube.kubeconfigPath, '--context', 'prod'],
      {},
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual([
      `namespaces: context "prod" is not in kubeconfig ${kube.kubeconfigPath} (contexts: fake-kube)`,
    ]);
  });

  it('without a reachable cluster says so in one line and still does the clusters and markers', async () => {
    const f = await world(['kind']);
    // The same kubeconfig, kept after the server is gone: connections are refused.
    const kubeconfig = join(root, 'kubeconfig');
    await copyFile(kube.kubeconfigPath, kubeconfig);
    await kube.close();
    const { out, err, code } = await gcWith([], { env: f.env, kubeconfig });
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const skipped = out.filter((l) => l.startsWith('namespaces:'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(
      /^namespaces: the cluster of context fake-kube \(127\.0\.0\.1:\d+\) is not reachable: .*ECONNREFUSED.*, skipped$/,
    );
    expect(out).toContain('would forget the marker of uh-gone: the cluster no longer exists');
    expect(out.at(-1)).toBe('dry run: 4 cluster(s) would be deleted; run again with --yes to delete them');
    // Named on the command line, an unreachable cluster is a failure.
    const named = await gcWith(['--platform', 'existing', '--kubeconfig', kubeconfig], {});
    expect(named.code).toBe(1);
    expect(named.err[0]).toContain('is not reachable');
  });
});

describe('processAlive', () => {
  it('knows this process and not a PID beyond the largest possible', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 1)).toBe(false);
    expect(processAlive(0)).toBe(false);
  });
});
