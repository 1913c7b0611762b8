import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fake CLIs this folder has: `fake-<tool>.mjs`. */
export type FakeTool = 'kind' | 'k3d';

export interface FakeKindCluster {
  name: string;
  image?: string;
  config?: string;
  images?: string[];
}

export interface FakeK3dCluster extends FakeKindCluster {
  /** Docker labels of the server container (`--runtime-label`). */
  runtimeLabels?: Record<string, string>;
}

/** What exists before the test runs (clusters a crashed run left, someone else's clusters). */
export interface FakeBinState {
  kind?: { clusters?: FakeKindCluster[] };
  k3d?: { clusters?: FakeK3dCluster[] };
}

export interface FakeBinSnapshot {
  kind: { clusters: FakeK3dCluster[] };
  k3d: { clusters: FakeK3dCluster[] };
}

export interface FakeCall {
  tool: string;
  argv: string[];
}

/** Failure modes a fake understands (see fake-kind.mjs / fake-k3d.mjs). */
export type FakeFailure =
  | 'create'
  | 'create-hang'
  | 'delete'
  | 'load'
  | 'get-clusters'
  | 'list'
  | 'export-logs';

export interface FakeBin {
  /** The folder to put first on PATH: it holds one executable per tool. */
  dir: string;
  /**
   * PATH (only the fakes: a real kind or k3d on this machine is never reached), the calls log
   * and the state file. Pass it as the `env` of the code under test.
   */
  env: Record<string, string>;
  /** Every call so far, in order. */
  calls(tool?: FakeTool): FakeCall[];
  /** The fakes' state now (clusters that exist). */
  state(): FakeBinSnapshot;
  /** `env` plus failure modes, e.g. `failing({ kind: ['create'] })`. */
  failing(modes: Partial<Record<FakeTool, FakeFailure[]>>): Record<string, string>;
  /** Removes the folder. */
  remove(): Promise<void>;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));

/**
 * Writes an executable per tool (a shell wrapper that runs `fake-<tool>.mjs` with this Node) into
 * a fresh temp folder, with a calls log and a state file beside it.
 */
export async function fakeBinDir(tools: readonly FakeTool[], state: FakeBinState = {}): Promise<FakeBin> {
  const root = await mkdtemp(join(tmpdir(), 'fake-bin-'));
  const dir = join(root, 'bin');
  await mkdir(dir);
  const log = join(root, 'calls.jsonl');
  const stateFile = join(root, 'state.json');
  await writeFile(log, '');
  const initial = {
    kind: { clusters: (state.kind?.clusters ?? []).map((c) => ({ images: [], ...c })) },
    k3d: { clusters: (state.k3d?.clusters ?? []).map((c) => ({ images: [], runtimeLabels: {}, ...c })) },
  };
  await writeFile(stateFile, `${JSON.stringify(initial, null, 2)}\n`);
  for (const tool of tools) {
    const script = join(HERE, `fake-${tool}.mjs`);
    const wrapper = join(dir, tool);
    await writeFile(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${script}' "$@"\n`);
    await chmod(wrapper, 0o755);
  }
  const env = { PATH: dir, FAKE_BIN_LOG: log, FAKE_BIN_STATE: stateFile };
  return {
    dir,
    env,
    calls(tool) {
      const all = readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as FakeCall);
      return tool ? all.filter((c) => c.tool === tool) : all;
    },
    state() {
      return JSON.parse(readFileSync(stateFile, 'utf8')) as FakeBinSnapshot;
    },
    failing(modes) {
      const extra: Record<string, string> = {};
      for (const [tool, list] of Object.entries(modes))
        extra[`FAKE_${tool.toUpperCase()}_FAIL`] = list.join(',');
      return { ...env, ...extra };
    },
    async remove() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
