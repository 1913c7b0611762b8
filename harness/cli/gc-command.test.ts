import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClusterMarker, writeClusterMarker } from '../platforms/kube/cluster-marker.js';
import { type FakeBin, type FakeBinState, type FakeTool, fakeBinDir } from '../testing/fake-bin/fake-bin.js';
import { type GcCommandDeps, processAlive, registerGcCommand } from './gc-command.js';

const NOW = Date.parse('2026-01-02T12:00:00Z');
const HOUR = 3_600_000;
const HOST = 'runner-1';
const LIVE_PID = 100;
const DEAD_PID = 200;

let root: string;
let stateDir: string;
let fake: FakeBin | undefined;

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
  platform: 'kind' | 'k3d',
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
  // A cluster that is gone already, and one a live run is about to create.
  await writeClusterMarker(stateDir, marker('uh-gone', 'kind', { pid: DEAD_PID }));
  await writeClusterMarker(stateDir, marker('uh-creating', 'kind'));
  fake = await fakeBinDir(tools, state);
  return fake;
}

async function gc(argv: string[], env: Record<string, string>) {
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
    env,
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
      'would forget the marker of uh-gone: the cluster no longer exists',
      'dry run: 4 cluster(s) would be deleted; run again with --yes to delete them',
    ]);
    expect((await readdir(stateDir)).length).toBe(7);
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
    expect(names(f)).toEqual({
      kind: ['uh-alive', 'uh-elsewhere', 'dev', 'kind'],
      k3d: ['uh-k3d-alive', 'k3s-default'],
    });
    expect((await readdir(stateDir)).sort()).toEqual([
      'uh-alive.json',
      'uh-creating.json',
      'uh-elsewhere.json',
      'uh-k3d-alive.json',
    ]);
    expect(out).toContain('deleted kind cluster uh-dead');
    expect(out).toContain('forgot the marker of uh-gone: the cluster no longer exists');
    expect(out.at(-1)).toBe('4 cluster(s) deleted');
  });

  it('keeps unknown clusters with --keep-unknown and honours --older-than and --platform', async () => {
    const f = await world();
    const { out } = await gc(['--keep-unknown', '--older-than', '48h', '--platform', 'kind'], f.env);
    expect(out.filter((l) => l.startsWith('would delete'))).toEqual([
      'would delete kind cluster uh-dead (run run-of-uh-dead, cell cell): its run (pid 200 on this host) is gone',
    ]);
    expect(f.calls('k3d')).toEqual([]);
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
    expect(out.at(-1)).toBe('0 cluster(s) deleted, 3 failure(s)');
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

describe('processAlive', () => {
  it('knows this process and not a PID beyond the largest possible', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 1)).toBe(false);
    expect(processAlive(0)).toBe(false);
  });
});
