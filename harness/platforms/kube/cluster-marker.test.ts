import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClusterMarker,
  defaultClusterStateDir,
  listClusterMarkers,
  readClusterMarker,
  removeClusterMarker,
  writeClusterMarker,
} from './cluster-marker.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cluster-marker-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const marker: ClusterMarker = {
  version: 1,
  name: 'uh-0101-abc',
  platform: 'kind',
  runId: 'r',
  cellId: 'c',
  createdAt: '2026-01-01T00:00:00.000Z',
  pid: 1,
  host: 'h',
};

describe('cluster markers', () => {
  it('live under the user cache folder by default', () => {
    expect(defaultClusterStateDir('/home/ci')).toBe('/home/ci/.cache/upgrade-harness/clusters');
  });

  it('are written private, read back, listed and removed', async () => {
    const dir = join(root, 'state');
    await writeClusterMarker(dir, marker);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'uh-0101-abc.json'))).mode & 0o777).toBe(0o600);
    expect(await readClusterMarker(dir, 'uh-0101-abc')).toEqual(marker);
    await writeFile(join(dir, 'uh-broken.json'), '{"name": "uh-broken"');
    await writeFile(join(dir, 'notes.txt'), 'x');
    expect(await listClusterMarkers(dir)).toEqual([marker]);
    await removeClusterMarker(dir, 'uh-0101-abc');
    expect(await readdir(dir)).toEqual(['notes.txt', 'uh-broken.json']);
    expect(await listClusterMarkers(join(root, 'missing'))).toEqual([]);
  });

  it('know the k3s platform, and no other', async () => {
    const k3s = { ...marker, name: 'uh-k3s-1', platform: 'k3s' as const };
    await writeClusterMarker(root, k3s);
    expect(await readClusterMarker(root, 'uh-k3s-1')).toEqual(k3s);
    await writeFile(
      join(root, 'uh-minikube.json'),
      JSON.stringify({ ...marker, name: 'uh-minikube', platform: 'minikube' }),
    );
    expect(await readClusterMarker(root, 'uh-minikube')).toBeUndefined();
  });

  it('refuse names that are not ours or not plain', async () => {
    await expect(writeClusterMarker(root, { ...marker, name: 'kind' })).rejects.toThrow(
      'not a harness cluster',
    );
    await expect(readClusterMarker(root, 'uh-../../etc/passwd')).resolves.toBeUndefined();
    await expect(removeClusterMarker(root, 'uh-a/b')).rejects.toThrow('not a harness cluster');
  });
});
