import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraError, UsageError } from '../../common/errors.js';
import { type RunAsUser, resolveRunAsUser, type StartedPostgres, startPostgres } from './postgres.js';

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
