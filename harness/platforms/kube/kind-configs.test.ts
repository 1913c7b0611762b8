import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PINNED_KUBERNETES_VERSIONS } from './node-images.js';

const DIR = fileURLToPath(new URL('../../../kind-configs/', import.meta.url));

interface KindNode {
  role?: string;
  image?: string;
  labels?: Record<string, string>;
  extraPortMappings?: Array<{ containerPort: number; hostPort: number; listenAddress?: string }>;
}

async function load(file: string): Promise<Record<string, unknown>> {
  return parse(await readFile(`${DIR}${file}`, 'utf8')) as Record<string, unknown>;
}

describe('kind-configs/', () => {
  it('has the kind configs the scenarios name, without a node image (the harness passes --image)', async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.yaml') && !f.startsWith('k3d-'));
    expect(files.sort()).toEqual(['ingress.yaml', 'single-node.yaml', 'three-node.yaml']);
    for (const file of files) {
      const config = await load(file);
      expect(config).toMatchObject({ kind: 'Cluster', apiVersion: 'kind.x-k8s.io/v1alpha4' });
      const nodes = config.nodes as KindNode[];
      expect(nodes[0]?.role).toBe('control-plane');
      expect(nodes.every((n) => n.image === undefined)).toBe(true);
      expect(config.name).toBeUndefined();
    }
    expect(((await load('three-node.yaml')).nodes as KindNode[]).map((n) => n.role)).toEqual([
      'control-plane',
      'worker',
      'worker',
    ]);
  });

  it('maps 80 and 443 of loopback only into the ingress node, labelled ingress-ready', async () => {
    const [node] = (await load('ingress.yaml')).nodes as KindNode[];
    expect(node?.labels).toEqual({ 'ingress-ready': 'true' });
    expect(node?.extraPortMappings?.map((m) => [m.containerPort, m.hostPort, m.listenAddress])).toEqual([
      [80, 80, '127.0.0.1'],
      [443, 443, '127.0.0.1'],
    ]);
  });

  it('has k3d Simple configs that leave the default kubeconfig alone', async () => {
    for (const [file, agents] of [
      ['k3d-single-node.yaml', 0],
      ['k3d-three-node.yaml', 2],
    ] as const) {
      const config = await load(file);
      expect(config).toMatchObject({
        apiVersion: 'k3d.io/v1alpha5',
        kind: 'Simple',
        servers: 1,
        agents,
        options: { kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false } },
      });
      expect(config.image).toBeUndefined();
    }
  });

  it('lists every pinned image in its README', async () => {
    // Table cells may be padded.
    const readme = (await readFile(`${DIR}README.md`, 'utf8')).replace(/ +/g, ' ');
    for (const p of PINNED_KUBERNETES_VERSIONS) {
      expect(readme).toContain(`| ${p.minor} (${p.version}) | \`${p.kind}\` | \`${p.k3s}\` |`);
    }
  });
});
