import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HelmRevision } from './helm-history.js';

/** For tests: the fake helm of testdata/fake-helm.mjs, installed as an executable in a folder. */

export type FakeHelmFailure =
  | 'install-fail'
  | 'upgrade-deadline'
  | 'upgrade-condition'
  | 'rollback'
  | 'uninstall'
  | 'old-version';

export interface FakeHelmCall {
  argv: string[];
  env: Record<string, string>;
}

interface FakeRelease {
  name: string;
  namespace: string;
  labels: string;
  revisions: Array<HelmRevision & { config: unknown }>;
}

interface FakeState {
  releases?: Record<string, FakeRelease>;
  fail?: FakeHelmFailure[];
}

export interface FakeHelm {
  /** The executable to give the method as `helmPath`. */
  readonly path: string;
  calls(): Promise<FakeHelmCall[]>;
  /** Only the argv of each call, without the executable. */
  argvs(): Promise<string[][]>;
  failWith(...modes: FakeHelmFailure[]): Promise<void>;
  release(namespace: string, name: string): Promise<FakeRelease | undefined>;
  /** Changes the stored state (e.g. drops old revisions as `--history-max` would). */
  edit(change: (releases: Record<string, FakeRelease>) => void): Promise<void>;
}

const script = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'fake-helm.mjs');

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export async function installFakeHelm(dir: string): Promise<FakeHelm> {
  await mkdir(dir, { recursive: true });
  const log = join(dir, 'helm-calls.jsonl');
  const statePath = join(dir, 'helm-state.json');
  const path = join(dir, 'helm');
  await writeFile(log, '');
  await writeFile(
    path,
    `#!/bin/sh\nFAKE_HELM_LOG=${quote(log)} FAKE_HELM_STATE=${quote(statePath)} exec ${quote(process.execPath)} ${quote(script)} "$@"\n`,
  );
  await chmod(path, 0o755);
  const read = async (): Promise<FakeState> => {
    try {
      return JSON.parse(await readFile(statePath, 'utf8')) as FakeState;
    } catch {
      return {};
    }
  };
  const write = (state: FakeState) => writeFile(statePath, JSON.stringify(state, null, 2));
  const calls = async () =>
    (await readFile(log, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeHelmCall);
  return {
    path,
    calls,
    argvs: async () => (await calls()).map((c) => c.argv),
    async failWith(...modes) {
      await write({ ...(await read()), fail: modes });
    },
    async release(namespace, name) {
      return (await read()).releases?.[`${namespace}/${name}`];
    },
    async edit(change) {
      const state = await read();
      state.releases ??= {};
      change(state.releases);
      await write(state);
    },
  };
}
