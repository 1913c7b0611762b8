import { describe, expect, it } from 'vitest';
import { UsageError } from '../../common/errors.js';
import { DEFAULT_KUBERNETES_VERSION, nodeImageFor, PINNED_KUBERNETES_VERSIONS } from './node-images.js';

describe('nodeImageFor', () => {
  it('pins every kind image by digest and every k3s image by a k3s tag of the same version', () => {
    for (const p of PINNED_KUBERNETES_VERSIONS) {
      expect(p.kind).toMatch(
        new RegExp(`^kindest/node:v${p.version.replace(/\./g, '\\.')}@sha256:[0-9a-f]{64}$`),
      );
      expect(p.k3s).toBe(`rancher/k3s:v${p.version}-k3s1`);
      expect(p.version.startsWith(`${p.minor}.`)).toBe(true);
    }
    expect(PINNED_KUBERNETES_VERSIONS.map((p) => p.minor)).toContain(DEFAULT_KUBERNETES_VERSION);
  });

  it('takes the minor, the full version or a v prefix', () => {
    expect(nodeImageFor('kind', '1.32').image).toMatch(/^kindest\/node:v1\.32\.5@/);
    expect(nodeImageFor('kind', 'v1.31.9').image).toMatch(/^kindest\/node:v1\.31\.9@/);
    expect(nodeImageFor('k3d', '1.33.1')).toEqual({
      kubernetesVersion: '1.33.1',
      image: 'rancher/k3s:v1.33.1-k3s1',
    });
    expect(nodeImageFor('k3d', undefined).kubernetesVersion).toBe(DEFAULT_KUBERNETES_VERSION);
  });

  it("prefers the scenario's images, from the table of that platform only", () => {
    expect(nodeImageFor('kind', '1.33', { kind: { '1.33': 'mirror/node:v1.33.1@sha256:1' } }).image).toBe(
      'mirror/node:v1.33.1@sha256:1',
    );
    expect(nodeImageFor('kind', '1.35', { kind: { 'v1.35': 'kindest/node:v1.35.0' } }).image).toBe(
      'kindest/node:v1.35.0',
    );
    const tables = {
      kind: { '1.33': 'mirror/kind:1' },
      k3d: { '1.33': 'mirror/k3s-for-k3d:1' },
      k3s: { '1.33': 'mirror/k3s:1' },
    };
    expect(nodeImageFor('kind', '1.33', tables).image).toBe('mirror/kind:1');
    expect(nodeImageFor('k3d', '1.33', tables).image).toBe('mirror/k3s-for-k3d:1');
    expect(nodeImageFor('k3s', '1.33', tables).image).toBe('mirror/k3s:1');
    // Another platform's pin is not borrowed: the pinned k3s column answers.
    expect(nodeImageFor('k3s', '1.33', { kind: tables.kind }).image).toBe('rancher/k3s:v1.33.1-k3s1');
    expect(nodeImageFor('k3s', '1.32').image).toBe('rancher/k3s:v1.32.5-k3s1');
  });

  it('names the known versions when one is missing (a patch that is not pinned is not guessed)', () => {
    expect(() => nodeImageFor('kind', '1.33.0')).toThrow(UsageError);
    expect(() => nodeImageFor('k3d', '1.29', { k3d: { '1.34': 'x' }, k3s: { '1.29': 'y' } })).toThrow(
      'kubernetesVersion 1.29 has no k3d node image (known: 1.34, 1.33 (1.33.1), 1.32 (1.32.5), 1.31 (1.31.9))',
    );
    try {
      nodeImageFor('k3s', '1.29');
    } catch (err) {
      expect((err as UsageError).hint).toBe(
        'pin one under kubernetes.nodeImages.k3s in the scenario, e.g. "1.29": rancher/k3s:v1.29.<patch>-k3s1',
      );
    }
    expect(() => nodeImageFor('k3s', '1.29')).toThrow(UsageError);
  });
});
