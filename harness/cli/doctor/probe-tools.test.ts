import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable, probeTool, probeTools, type ToolReport } from './probe-tools.js';
import { TOOL_SPECS } from './tools.js';

let dir: string;
let bin: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doctor-probe-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fake(folder: string, name: string, body: string): Promise<string> {
  const file = join(folder, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

const host = { os: 'linux', arch: 'amd64' };
const byId = (tools: ToolReport[], id: string) => tools.find((t) => t.id === id);

describe('findExecutable', () => {
  it('follows PATH order, prefers earlier names, skips non-executables and folders, then tries extras', async () => {
    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(bin, 'chromium'), 'not executable');
    await mkdir(join(bin, 'kind'));
    const second = await fake(other, 'chromium', 'exit 0');
    const browser = await fake(bin, 'chromium-browser', 'exit 0');
    const path = `${bin}::${other}`;
    expect(await findExecutable(['chromium', 'chromium-browser'], path)).toBe(second);
    expect(await findExecutable(['chromium-browser', 'chromium'], path)).toBe(browser);
    expect(await findExecutable(['kind'], path)).toBeUndefined();
    const extra = await fake(dir, 'helm', 'exit 0');
    expect(await findExecutable(['helm'], path, [join(dir, 'absent'), extra])).toBe(extra);
    expect(await findExecutable(['helm'], undefined)).toBeUndefined();
  });
});

describe('probeTools with fake executables', () => {
  it('reports found tools with their versions, missing ones with install hints, and a silent daemon', async () => {
    await fake(bin, 'node', 'echo v20.20.2');
    await fake(bin, 'k3d', 'echo "k3d version v5.8.3"; echo "k3s version v1.31.5-k3s1 (default)"');
    await fake(bin, 'ssh', 'echo "OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.19 27 Jan 2026" >&2');
    // docker as on this machine: the client version on stdout, exit 1 without a daemon
    await fake(
      bin,
      'docker',
      `case "$1" in
version) echo 28.2.2; echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1;;
info) echo; echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1;;
esac`,
    );
    await fake(bin, 'k6', 'echo "panic: runtime error" >&2; exit 2');
    await fake(bin, 'unzip', 'echo "something else entirely"');
    // helm only where scripts/fetch-helm.sh puts it, not on PATH
    await mkdir(join(dir, '.tools', 'helm'), { recursive: true });
    const helm = await fake(join(dir, '.tools', 'helm'), 'helm', 'echo v3.18.0+gcc58e3f');

    const report = await probeTools({ env: { PATH: bin }, repoRoot: dir, host });
    const { tools } = report;
    expect(tools.map((t) => t.id)).toEqual(Object.keys(TOOL_SPECS));
    expect(byId(tools, 'node')).toMatchObject({
      status: 'found',
      version: 'v20.20.2',
      path: join(bin, 'node'),
    });
    expect(byId(tools, 'k3d')).toMatchObject({
      status: 'found',
      version: 'v5.8.3',
      detail: 'k3s v1.31.5-k3s1 by default',
    });
    expect(byId(tools, 'ssh')).toMatchObject({ status: 'found', version: '9.2p1' });
    expect(byId(tools, 'docker')).toMatchObject({ status: 'found', version: '28.2.2' });
    expect(byId(tools, 'helm')).toMatchObject({ status: 'found', version: 'v3.18.0+gcc58e3f', path: helm });
    expect(byId(tools, 'kind')).toMatchObject({ status: 'missing' });
    expect(byId(tools, 'kind')?.path).toBeUndefined();
    expect(byId(tools, 'kind')?.install).toContain('go install sigs.k8s.io/kind@v0.29.0');
    expect(byId(tools, 'kind')?.install.join('\n')).toContain(
      'https://kind.sigs.k8s.io/dl/v0.29.0/kind-linux-amd64',
    );
    const k6 = byId(tools, 'k6');
    expect(k6?.status).toBe('broken');
    expect(k6?.problem).toContain('exited with code 2');
    expect(k6?.problem).toContain('panic: runtime error');
    // ran fine, printed nothing we know: found, with the version unknown
    expect(byId(tools, 'unzip')).toMatchObject({
      status: 'found',
      problem: '`unzip -v` printed no version we know',
    });
    expect(byId(tools, 'unzip')?.version).toBeUndefined();
    expect(report.dockerDaemon).toMatchObject({
      status: 'not-answering',
      problem:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    });
  });

  it('asks the daemon when one answers, and says so when there is no docker client at all', async () => {
    await fake(bin, 'docker', 'case "$1" in version) echo 27.5.1;; info) echo 27.5.0;; esac');
    const answering = await probeTools({ env: { PATH: bin }, repoRoot: dir, host });
    expect(answering.dockerDaemon).toMatchObject({ status: 'answering', serverVersion: '27.5.0' });
    await rm(join(bin, 'docker'));
    const none = await probeTools({ env: { PATH: bin }, repoRoot: dir, host });
    expect(none.dockerDaemon.status).toBe('no-client');
    expect(byId(none.tools, 'docker')?.status).toBe('missing');
  });

  it('gives up on a version command that hangs: broken, with the timeout named', async () => {
    await fake(bin, 'kind', 'exec /bin/sleep 30');
    const kind = await probeTool(TOOL_SPECS.kind, {
      env: { PATH: bin },
      repoRoot: dir,
      host,
      timeoutMs: 300,
    });
    expect(kind.status).toBe('broken');
    expect(kind.problem).toContain('timed out after 300 ms');
  });
});
