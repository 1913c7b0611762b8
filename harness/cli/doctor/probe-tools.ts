/**
 * Finds each tool (PATH of the environment given, then the repository's own .tools/), runs its
 * version command through runCommand with a timeout, and asks whether a docker daemon answers.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { errorMessage } from '../../common/errors.js';
import { type CommandResult, ExecError, runCommand } from '../../common/exec.js';
import {
  DOCKER_DAEMON_ARGS,
  DOCKER_DAEMON_HINT,
  type HostTarget,
  TOOL_IDS,
  TOOL_SPECS,
  type ToolId,
  type ToolSpec,
} from './tools.js';
import { parseDockerServerVersion, type VersionParser } from './version-parsers.js';

export type ToolStatus = 'found' | 'missing' | 'broken';

export interface ToolReport {
  id: ToolId;
  /** `broken`: found, but its version command failed and printed nothing we understand. */
  status: ToolStatus;
  path?: string;
  version?: string;
  detail?: string;
  /** Why it is broken (or, found, why the version could not be read). */
  problem?: string;
  usedFor: string;
  /** How to get it; shown for missing and broken tools. */
  install: string[];
}

export interface DaemonReport {
  /** `no-client`: no docker client to ask with. */
  status: 'answering' | 'not-answering' | 'no-client';
  serverVersion?: string;
  problem?: string;
  hint: string;
}

export interface ToolsReport {
  tools: ToolReport[];
  dockerDaemon: DaemonReport;
}

export interface ProbeOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** The harness's folder, for tools it fetches itself (`.tools/helm/helm`). */
  repoRoot: string;
  host: HostTarget;
  /** Per version command; a tool that hangs is reported broken, not waited for. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 15_000;

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first of `names` found in a folder of `searchPath` (names in order of preference, folders in
 * PATH order), else the first executable of `extra`. Empty PATH entries (the current folder to a
 * shell) are skipped: doctor must not pick up whatever lies where it was started.
 */
export async function findExecutable(
  names: readonly string[],
  searchPath: string | undefined,
  extra: readonly string[] = [],
): Promise<string | undefined> {
  const dirs = (searchPath ?? '').split(delimiter).filter((d) => d !== '');
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = resolve(dir, name);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  for (const candidate of extra) if (await isExecutableFile(candidate)) return candidate;
  return undefined;
}

function definedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

type Ran = { ok: true; result: CommandResult } | { ok: false; result?: CommandResult; problem: string };

/** Runs a version command; a failure with output is kept: docker prints its version and exits 1. */
async function runVersion(argv: readonly string[], options: ProbeOptions): Promise<Ran> {
  try {
    const result = await runCommand(argv, {
      env: definedEnv(options.env),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ok: true, result };
  } catch (err: unknown) {
    if (!(err instanceof ExecError)) throw err;
    const result = err.result;
    const said = result ? firstLine(result.stderr) || firstLine(result.stdout) : '';
    const what = firstLine(err.message);
    const problem = said && !what.startsWith('command timed out') ? `${what}: ${said}` : what;
    return result ? { ok: false, result, problem } : { ok: false, problem: errorMessage(err) };
  }
}

function parseWith(parse: VersionParser, result: CommandResult | undefined) {
  return result ? parse({ stdout: result.stdout, stderr: result.stderr }) : undefined;
}

export async function probeTool(spec: ToolSpec, options: ProbeOptions): Promise<ToolReport> {
  const base = { id: spec.id, usedFor: spec.usedFor, install: spec.install(options.host) };
  const extra = (spec.repoPaths ?? []).map((p) => join(options.repoRoot, p));
  const path = await findExecutable(spec.names, options.env.PATH, extra);
  if (!path) return { ...base, status: 'missing' };
  const ran = await runVersion([path, ...spec.versionArgs], options);
  const parsed = parseWith(spec.parseVersion, ran.result);
  const argv = [spec.names[0], ...spec.versionArgs].join(' ');
  if (parsed) return { ...base, status: 'found', path, ...parsed };
  if (ran.ok) return { ...base, status: 'found', path, problem: `\`${argv}\` printed no version we know` };
  return { ...base, status: 'broken', path, problem: ran.problem };
}

export async function probeDockerDaemon(
  docker: ToolReport | undefined,
  options: ProbeOptions,
): Promise<DaemonReport> {
  if (!docker?.path || docker.status === 'missing') {
    return { status: 'no-client', problem: 'no docker client found', hint: DOCKER_DAEMON_HINT };
  }
  const ran = await runVersion([docker.path, ...DOCKER_DAEMON_ARGS], options);
  const parsed = parseWith(parseDockerServerVersion, ran.result);
  if (ran.ok && parsed)
    return { status: 'answering', serverVersion: parsed.version, hint: DOCKER_DAEMON_HINT };
  const said = ran.result ? firstLine(ran.result.stderr) : '';
  const problem = ran.ok ? 'docker info printed no server version' : said || ran.problem;
  return { status: 'not-answering', problem, hint: DOCKER_DAEMON_HINT };
}

/** Every tool of TOOL_SPECS, in its order, and the docker daemon. Runs the probes at once. */
export async function probeTools(options: ProbeOptions): Promise<ToolsReport> {
  const tools = await Promise.all(TOOL_IDS.map((id) => probeTool(TOOL_SPECS[id], options)));
  const dockerDaemon = await probeDockerDaemon(
    tools.find((t) => t.id === 'docker'),
    options,
  );
  return { tools, dockerDaemon };
}
