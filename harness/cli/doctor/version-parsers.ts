/**
 * Reads a version out of what each tool's version command prints. Every parser gets stdout and
 * stderr (ssh prints to stderr; Debian's chromium wrapper adds shell noise there) and returns
 * undefined when it does not recognise the output, never throws.
 */

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

export interface ParsedVersion {
  /** As the tool prints it, e.g. `v0.27.0`, `9.2p1`, `150.0.7871.100`. */
  version: string;
  /** What else the output says that helps a reader (k3s default, Go version, OpenSSL). */
  detail?: string;
}

export type VersionParser = (output: ToolOutput) => ParsedVersion | undefined;

function both(output: ToolOutput): string {
  return `${output.stdout}\n${output.stderr}`;
}

function withDetail(version: string, detail: string | undefined): ParsedVersion {
  return detail ? { version, detail } : { version };
}

/** `kind version` → `kind v0.27.0 go1.23.6 linux/amd64`. */
export const parseKindVersion: VersionParser = (output) => {
  const m = /^kind (v\d+\.\d+\.\d+\S*)(?: (go\S+))?(?: (\S+\/\S+))?/m.exec(both(output));
  if (!m?.[1]) return undefined;
  return withDetail(m[1], [m[2], m[3]].filter(Boolean).join(' '));
};

/** `k3d version` → `k3d version v5.8.3` and `k3s version v1.31.5-k3s1 (default)`. */
export const parseK3dVersion: VersionParser = (output) => {
  const text = both(output);
  const m = /^k3d version (v?\d+\.\d+\.\d+\S*)/m.exec(text);
  if (!m?.[1]) return undefined;
  const k3s = /^k3s version (\S+)/m.exec(text)?.[1];
  return withDetail(m[1], k3s ? `k3s ${k3s} by default` : undefined);
};

/** `helm version --short` → `v3.18.0+gcc58e3f` (helm 4: `v4.1.4+g…`). */
export const parseHelmVersion: VersionParser = (output) => {
  const m = /^(v\d+\.\d+\.\d+\S*)\s*$/m.exec(output.stdout);
  return m?.[1] ? { version: m[1] } : undefined;
};

/** `kubectl version --client -o json` → `{"clientVersion": {"gitVersion": "v1.32.4", ...}}`. */
export const parseKubectlVersion: VersionParser = (output) => {
  let client: unknown;
  try {
    client = (JSON.parse(output.stdout) as { clientVersion?: unknown }).clientVersion;
  } catch {
    // Older kubectl prints warnings before the JSON; fall back to the field itself.
    const m = /"gitVersion":\s*"([^"]+)"/.exec(output.stdout);
    return m?.[1] ? { version: m[1] } : undefined;
  }
  if (typeof client !== 'object' || client === null) return undefined;
  const { gitVersion, platform } = client as { gitVersion?: unknown; platform?: unknown };
  if (typeof gitVersion !== 'string' || gitVersion === '') return undefined;
  return withDetail(gitVersion, typeof platform === 'string' ? platform : undefined);
};

/**
 * `docker version --format '{{.Client.Version}}'` → `28.2.2`. Without a daemon it still prints the
 * client's version on stdout, then the connection error on stderr, and exits 1.
 */
export const parseDockerClientVersion: VersionParser = (output) => {
  const m = /^(\d+\.\d+\.\d+\S*)\s*$/m.exec(output.stdout);
  return m?.[1] ? { version: m[1] } : undefined;
};

/** `docker info --format '{{.ServerVersion}}'` → `28.2.2` when the daemon answers. */
export const parseDockerServerVersion: VersionParser = (output) => {
  const m = /^(\d+\.\d+\.\d+\S*)\s*$/m.exec(output.stdout);
  return m?.[1] ? { version: m[1] } : undefined;
};

/**
 * `k6 version` → `k6 v1.0.0 (go1.24.2, linux/amd64)` or `k6 v2.2.0 (commit/41b4984b75, go1.24.2,
 * linux/amd64)`, followed by an `Extensions:` list when built with xk6.
 */
export const parseK6Version: VersionParser = (output) => {
  const text = both(output);
  const m = /^k6 (v\d+\.\d+\.\d+\S*)(?: \(([^)]*)\))?/m.exec(text);
  if (!m?.[1]) return undefined;
  const extensions = /^Extensions:\n((?: {2}.*\n?)+)/m.exec(text)?.[1]?.trim().split('\n').length ?? 0;
  const details = [m[2], extensions > 0 ? `${extensions} extension(s)` : undefined].filter(Boolean);
  return withDetail(m[1], details.join('; '));
};

/** `ssh -V` (on stderr) → `OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.19 27 Jan 2026`. */
export const parseSshVersion: VersionParser = (output) => {
  const text = both(output);
  const m = /OpenSSH_([^\s,]+)[^,\n]*(?:, (\S+ \S+))?/.exec(text);
  if (!m?.[1]) return undefined;
  return withDetail(m[1], m[2]);
};

/**
 * `chromium --version` → `Chromium 150.0.7871.100 built on Debian GNU/Linux 12 (bookworm)`;
 * Google Chrome prints `Google Chrome 126.0.6478.126`.
 */
export const parseChromiumVersion: VersionParser = (output) => {
  const m = /^((?:Google Chrome|Chromium|Chrome)(?: for Testing)?) (\d+(?:\.\d+){1,3})/m.exec(output.stdout);
  if (!m?.[2]) return undefined;
  return withDetail(m[2], m[1]);
};

/** `node --version` → `v20.20.2`. */
export const parseNodeVersion: VersionParser = (output) => {
  const m = /^(v\d+\.\d+\.\d+\S*)\s*$/m.exec(output.stdout);
  return m?.[1] ? { version: m[1] } : undefined;
};

/** `npm --version` → `11.19.1`. */
export const parseNpmVersion: VersionParser = (output) => {
  const m = /^(\d+\.\d+\.\d+\S*)\s*$/m.exec(output.stdout);
  return m?.[1] ? { version: m[1] } : undefined;
};

/** `unzip -v` → `UnZip 6.00 of 20 April 2009, by Debian. Original by Info-ZIP.` and more lines. */
export const parseUnzipVersion: VersionParser = (output) => {
  const m = /^UnZip (\d+\.\d+\S*)/m.exec(output.stdout);
  return m?.[1] ? { version: m[1] } : undefined;
};
