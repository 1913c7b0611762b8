import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraError, UsageError } from '../../common/errors.js';
import { runCommand, startProcess } from '../../common/exec.js';
import {
  POSTGRES_VERSIONS,
  PostgresPortInUseError,
  postgresBinaries,
  postgresMajor,
  type RunAsUser,
  resolveRunAsUser,
  type StartedPostgres,
  startPostgres,
} from './postgres.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function childrenOf(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]) === parent) pids.push(Number(entry));
  }
  return pids;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Holds a loopback port; hangs up on every connection (the readiness probes). */
function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function version(binary: string): Promise<string> {
  return (await runCommand([binary, '--version'], { timeoutMs: 10_000 })).stdout.trim();
}

describe('postgresBinaries', () => {
  it('accepts each major version (its newest build) and each exact version', async () => {
    expect(POSTGRES_VERSIONS).toEqual(['17', '17.9', '17.10']);
    expect(await version((await postgresBinaries('17.9')).postgres)).toBe('postgres (PostgreSQL) 17.9');
    expect(await version((await postgresBinaries('17.10')).postgres)).toBe('postgres (PostgreSQL) 17.10');
    expect(await postgresBinaries('17')).toEqual(await postgresBinaries('17.10'));
  });

  it('refuses an unknown version, listing the known ones and how to add one', async () => {
    const err = await postgresBinaries('17.8').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(
      'PostgreSQL version "17.8" is not available (known: 17, 17.9, 17.10)',
    );
    expect((err as UsageError).hint).toMatch(/npm alias to package\.json/);
  });

  it('names the major version the way PostgreSQL does', () => {
    expect(postgresMajor('17.10')).toBe('17');
    expect(postgresMajor('17')).toBe('17');
    expect(postgresMajor('9.6.24')).toBe('9.6');
  });
});

describe('startPostgres', () => {
  let base: string;
  let runAs: RunAsUser | undefined;
  const started: StartedPostgres[] = [];

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'uh-postgres-test-'));
    runAs = await resolveRunAsUser();
  });

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await rm(base, { recursive: true, force: true });
  });

  it('runs as an unprivileged user when this process is root', async () => {
    if (process.getuid?.() === 0) {
      expect(runAs).toBeDefined();
      expect(runAs?.uid).not.toBe(0);
    } else {
      expect(runAs).toBeUndefined();
    }
  });

  it('creates a cluster, serves the database on loopback with a password, and stops leaving no process', async () => {
    const dataDir = join(base, 'a', 'data');
    const pgsql = await startPostgres({
      version: '17',
      dataDir,
      database: 'app',
      logFile: join(base, 'a', 'postgres.log'),
      runAs,
    });
    started.push(pgsql);
    expect(pgsql.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/app$/);
    expect(pgsql.serverVersion).toMatch(/^17\./);
    const rows = await query<{ db: string; listen: string; sockets: string; one: number }>(
      pgsql.url,
      `SELECT current_database() AS db, current_setting('listen_addresses') AS listen,
              current_setting('unix_socket_directories') AS sockets, 1 AS one`,
    );
    expect(rows).toEqual([{ db: 'app', listen: '127.0.0.1', sockets: '', one: 1 }]);
    await expect(
      query(pgsql.urlFor('app').replace(`:${pgsql.password}@`, ':wrong@'), 'SELECT 1'),
    ).rejects.toThrow(/password authentication failed/);
    if (runAs) expect((await stat(dataDir)).uid).toBe(runAs.uid);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);

    const postmaster = pgsql.process.pid;
    const children = await childrenOf(postmaster);
    expect(children.length).toBeGreaterThan(0);
    await pgsql.stop();
    await pgsql.stop();
    expect(pgsql.process.running).toBe(false);
    expect(alive(postmaster)).toBe(false);
    expect(children.filter(alive)).toEqual([]);
    expect(await readFile(join(base, 'a', 'postgres.log'), 'utf8')).toContain('database system is shut down');
  });

  it('restarts an existing cluster with its password and keeps its rows', async () => {
    const dataDir = join(base, 'b', 'data');
    const logFile = join(base, 'b', 'postgres.log');
    const first = await startPostgres({ version: '17', dataDir, database: 'app', logFile, runAs });
    started.push(first);
    await query(first.url, 'CREATE TABLE t (v text); INSERT INTO t VALUES ($$kept$$)');
    await first.stop();
    await expect(startPostgres({ version: '17', dataDir, database: 'app', logFile, runAs })).rejects.toThrow(
      UsageError,
    );
    const second = await startPostgres({
      version: '17',
      dataDir,
      database: 'app',
      logFile,
      runAs,
      password: first.password,
    });
    started.push(second);
    expect(await query(second.url, 'SELECT v FROM t')).toEqual([{ v: 'kept' }]);
    expect(second.timings.initdbMs).toBe(0);
    await second.stop();
    expect(alive(second.process.pid)).toBe(false);
  });

  it('restarts the same cluster with other minor-version binaries on the same port and URL', async () => {
    const dataDir = join(base, 'd', 'data');
    const logFile = join(base, 'd', 'postgres.log');
    const old = await startPostgres({ version: '17.9', dataDir, database: 'app', logFile, runAs });
    started.push(old);
    expect(old.serverVersion).toBe('17.9');
    await query(old.url, 'CREATE TABLE t (v int); INSERT INTO t SELECT generate_series(1, 100)');
    await old.stop();
    const next = await startPostgres({
      version: '17.10',
      dataDir,
      database: 'app',
      logFile,
      runAs,
      password: old.password,
      port: old.port,
    });
    started.push(next);
    expect(next.url).toBe(old.url);
    expect(next.port).toBe(old.port);
    expect(next.serverVersion).toBe('17.10');
    expect(await query(next.url, 'SELECT count(*)::int AS n, sum(v)::int AS total FROM t')).toEqual([
      { n: 100, total: 5050 },
    ]);
    await next.stop();
  });

  it('fails with the port named when a fixed port stays taken, and leaves no process', async () => {
    const holder = await listenOnFreePort();
    try {
      const address = holder.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const spawned: number[] = [];
      const err = await startPostgres({
        version: '17',
        dataDir: join(base, 'e', 'data'),
        database: 'app',
        logFile: join(base, 'e', 'postgres.log'),
        runAs,
        port,
        spawn: async (argv, opts) => {
          const proc = await startProcess(argv, opts);
          spawned.push(proc.pid);
          return proc;
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PostgresPortInUseError);
      expect(err).toBeInstanceOf(InfraError);
      expect((err as PostgresPortInUseError).port).toBe(port);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      // Retried on that port only, never on another one.
      expect(spawned.length).toBeGreaterThan(0);
      expect(spawned.filter(alive)).toEqual([]);
      const log = await readFile(join(base, 'e', 'postgres.log'), 'utf8');
      const ports = [...log.matchAll(/-c port=(\d+)/g)].map((m) => Number(m[1]));
      expect(new Set(ports)).toEqual(new Set([port]));
      expect(ports).toHaveLength(spawned.length);
    } finally {
      await new Promise((done) => holder.close(done));
    }
  });

  it('refuses an unknown version and a data directory that holds something else', async () => {
    const logFile = join(base, 'c', 'postgres.log');
    await expect(
      startPostgres({ version: '9', dataDir: join(base, 'c', 'x'), database: 'app', logFile, runAs }),
    ).rejects.toThrow(/PostgreSQL version "9" is not available/);
    const junk = join(base, 'c', 'junk');
    await mkdir(junk, { recursive: true });
    await writeFile(join(junk, 'file.txt'), 'not a cluster');
    await expect(
      startPostgres({ version: '17', dataDir: junk, database: 'app', logFile, runAs }),
    ).rejects.toThrow(InfraError);
  });
});
