import { describe, expect, it } from 'vitest';
import {
  parseChromiumVersion,
  parseDockerClientVersion,
  parseDockerServerVersion,
  parseHelmVersion,
  parseK3dVersion,
  parseK6Version,
  parseKindVersion,
  parseKubectlVersion,
  parseNodeVersion,
  parseNpmVersion,
  parseSshVersion,
  parseUnzipVersion,
} from './version-parsers.js';

const out = (stdout: string, stderr = '') => ({ stdout, stderr });

// Samples marked "this machine" were captured here (Debian 12); the others are the formats the
// tools' sources print (kind: `kind version`; k3d: cmd/root.go printVersion; k6: internal/cmd/version.go).
describe('version parsers on real output', () => {
  it('kind', () => {
    expect(parseKindVersion(out('kind v0.27.0 go1.23.6 linux/amd64\n'))).toEqual({
      version: 'v0.27.0',
      detail: 'go1.23.6 linux/amd64',
    });
    expect(parseKindVersion(out('kind v0.30.0-alpha+3d1e5c go1.24.1 darwin/arm64\n'))?.version).toBe(
      'v0.30.0-alpha+3d1e5c',
    );
    expect(parseKindVersion(out('', 'kind: command not found\n'))).toBeUndefined();
  });

  it('k3d, with the k3s version it creates by default', () => {
    expect(parseK3dVersion(out('k3d version v5.8.3\nk3s version v1.31.5-k3s1 (default)\n'))).toEqual({
      version: 'v5.8.3',
      detail: 'k3s v1.31.5-k3s1 by default',
    });
    expect(parseK3dVersion(out('k3d version v5.4.6\n'))).toEqual({ version: 'v5.4.6' });
    expect(parseK3dVersion(out('kind v0.27.0 go1.23.6 linux/amd64\n'))).toBeUndefined();
  });

  it('helm version --short (helm 3 and 4)', () => {
    // this machine: .tools/helm/helm from scripts/fetch-helm.sh
    expect(parseHelmVersion(out('v3.18.0+gcc58e3f\n'))).toEqual({ version: 'v3.18.0+gcc58e3f' });
    expect(parseHelmVersion(out('v4.1.4+g05fa379\n'))).toEqual({ version: 'v4.1.4+g05fa379' });
    expect(parseHelmVersion(out('Error: unknown flag: --short\n'))).toBeUndefined();
  });

  it('kubectl version --client -o json', () => {
    // this machine: /usr/bin/kubectl
    const json = `{
  "clientVersion": {
    "major": "1",
    "minor": "32+",
    "gitVersion": "v1.32.4-dispatcher",
    "gitCommit": "4cb5f0764b8d5f425645c6f433394fede34a8a26",
    "gitTreeState": "clean",
    "buildDate": "2025-05-15T20:09:34Z",
    "goVersion": "go1.23.8",
    "compiler": "gc",
    "platform": "linux/amd64"
  },
  "kustomizeVersion": "v5.5.0"
}
`;
    expect(parseKubectlVersion(out(json))).toEqual({ version: 'v1.32.4-dispatcher', detail: 'linux/amd64' });
    const warned = `WARNING: This version information is deprecated\n${json}`;
    expect(parseKubectlVersion(out(warned))).toEqual({ version: 'v1.32.4-dispatcher' });
    expect(parseKubectlVersion(out('{"kustomizeVersion": "v5.5.0"}'))).toBeUndefined();
    expect(parseKubectlVersion(out('error: unknown flag'))).toBeUndefined();
  });

  it('docker client version, also when the daemon does not answer (exit 1)', () => {
    // this machine: a client without a daemon
    const noDaemon = out(
      '28.2.2\n',
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
    );
    expect(parseDockerClientVersion(noDaemon)).toEqual({ version: '28.2.2' });
    expect(parseDockerServerVersion(out('\n', noDaemon.stderr))).toBeUndefined();
    expect(parseDockerServerVersion(out('27.5.1\n'))).toEqual({ version: '27.5.1' });
  });

  it('k6 version, plain, with a commit, and built with extensions', () => {
    expect(parseK6Version(out('k6 v1.0.0 (go1.24.2, linux/amd64)\n'))).toEqual({
      version: 'v1.0.0',
      detail: 'go1.24.2, linux/amd64',
    });
    expect(parseK6Version(out('k6 v2.2.0 (commit/41b4984b75, go1.24.4, linux/amd64)\n'))?.version).toBe(
      'v2.2.0',
    );
    const xk6 =
      'k6 v1.2.0 (go1.24.5, linux/amd64)\nExtensions:\n  github.com/grafana/xk6-faker v0.4.4, k6/x/faker [js]\n  github.com/grafana/xk6-sql v1.0.5, k6/x/sql [js]\n';
    expect(parseK6Version(out(xk6))).toEqual({
      version: 'v1.2.0',
      detail: 'go1.24.5, linux/amd64; 2 extension(s)',
    });
    expect(parseK6Version(out('xk6 version v1.0.0\n'))).toBeUndefined();
  });

  it('ssh -V prints on stderr', () => {
    // this machine
    expect(parseSshVersion(out('', 'OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.19 27 Jan 2026\n'))).toEqual({
      version: '9.2p1',
      detail: 'OpenSSL 3.0.19',
    });
    expect(parseSshVersion(out('', 'OpenSSH_9.0p1, LibreSSL 3.3.6\n'))).toEqual({
      version: '9.0p1',
      detail: 'LibreSSL 3.3.6',
    });
    expect(parseSshVersion(out('', 'usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy]\n'))).toBeUndefined();
  });

  it("chromium --version, despite the Debian wrapper's noise on stderr", () => {
    // this machine: /usr/bin/chromium
    const debian = out(
      'Chromium 150.0.7871.100 built on Debian GNU/Linux 12 (bookworm)\n',
      '/usr/bin/chromium: 9: [: 25266806784: unexpected operator\n',
    );
    expect(parseChromiumVersion(debian)).toEqual({ version: '150.0.7871.100', detail: 'Chromium' });
    expect(parseChromiumVersion(out('Google Chrome 126.0.6478.126 \n'))).toEqual({
      version: '126.0.6478.126',
      detail: 'Google Chrome',
    });
    expect(parseChromiumVersion(out('', debian.stderr))).toBeUndefined();
  });

  it('node, npm and unzip', () => {
    // this machine
    expect(parseNodeVersion(out('v20.20.2\n'))).toEqual({ version: 'v20.20.2' });
    expect(parseNpmVersion(out('11.19.1\n'))).toEqual({ version: '11.19.1' });
    const unzip =
      'UnZip 6.00 of 20 April 2009, by Debian. Original by Info-ZIP.\n\nLatest sources and executables are at ftp://ftp.info-zip.org/pub/infozip/ ;\n';
    expect(parseUnzipVersion(out(unzip))).toEqual({ version: '6.00' });
    expect(parseNodeVersion(out('node: bad option: --version\n'))).toBeUndefined();
    expect(parseNpmVersion(out('npm ERR! something\n'))).toBeUndefined();
  });
});
