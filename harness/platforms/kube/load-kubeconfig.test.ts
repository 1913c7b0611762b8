import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraError, UsageError } from '../../common/errors.js';
import { loadKubeConfig } from './load-kubeconfig.js';

const KEY = 'TUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD';

describe('loadKubeConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-kubeconfig-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never puts the file (its client key) into the error of a broken kubeconfig', async () => {
    const file = join(dir, 'broken');
    await writeFile(
      file,
      `apiVersion: v1\nusers:\n- name: u\n  user:\n    client-key-data: ${KEY}\n  : : bad\n`,
    );
    const err = (() => {
      try {
        loadKubeConfig({ kubeconfigPath: file });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InfraError);
    expect(err?.message).toContain(`cannot load the kubeconfig ${file}`);
    expect(err?.message).not.toContain(KEY);
  });

  it('names the contexts there are for an unknown one, and sets the one given', async () => {
    const file = join(dir, 'ok');
    await writeFile(
      file,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]
users: [{ name: u, user: { token: abc } }]
contexts: [{ name: one, context: { cluster: c, user: u } }, { name: two, context: { cluster: c, user: u } }]
current-context: one
`,
    );
    expect(loadKubeConfig({ kubeconfigPath: file, context: 'two' }).getCurrentContext()).toBe('two');
    expect(() => loadKubeConfig({ kubeconfigPath: file, context: 'three' })).toThrow(UsageError);
    expect(() => loadKubeConfig({ kubeconfigPath: file, context: 'three' })).toThrow(/has: one, two/);
  });
});
