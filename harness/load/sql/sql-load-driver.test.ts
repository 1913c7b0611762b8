import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDowntime } from '../../analyze/downtime.js';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { silentLogger } from '../../common/logger.js';
import { freePort } from '../../common/ports.js';
import type { DowntimeInterval } from '../../common/run-record.js';
import type { Sample } from '../../common/sample.js';
import {
  type RunAsUser,
  resolveRunAsUser,
  type StartedPostgres,
  startPostgres,
} from '../../platforms/local/postgres.js';
import type { LoadProfile, LoadSummary } from '../load-driver.js';
import { SQL_LOAD_APPLICATION_NAME } from './sql-connections.js';
import { verifySqlLedger } from './sql-ledger.js';
import { SqlLoadDriver, startSqlLoad } from './sql-load-driver.js';
import type { SqlLoadProfile } from './sql-profile.js';
import { TcpRelay } from './tcp-relay.test-util.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cells = 0;
function context(): RunContext {
  cells++;
  return {
    runId: 'sqltest',
    cellId: `cell${cells}`,
    signal: new AbortController().signal,
    clock: systemClock,
    logger: silentLogger(),
    artifactDir: tmpdir(),
    event: () => {},
  };
}

async function drain(samples: AsyncIterable<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of samples) out.push(s);
  return out;
}

/** Starts the load, lets it run `ms` (past its maxDurationMs when that is shorter), stops it. */
async function runFor(
  profile: SqlLoadProfile,
  ms: number,
): Promise<{ summary: LoadSummary; samples: Sample[] }> {
  const load = await startSqlLoad(profile, context());
  const collecting = drain(load.samples());
  await wait(ms);
  const summary = await load.stop();
  return { summary, samples: await collecting };
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

describe('SqlLoadDriver against a real PostgreSQL', () => {
  let base: string;
  let runAs: RunAsUser | undefined;
  let server: StartedPostgres;
  const started: StartedPostgres[] = [];
  const relays: TcpRelay[] = [];

  async function sql<T extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  const profile = (overrides: Partial<SqlLoadProfile>): SqlLoadProfile => ({
    url: server.url,
    rate: 40,
    connections: ['reused', 'new'],
    timeoutMs: 2000,
    maxInFlight: 100,
    maxDurationMs: 500,
    statements: [{ name: 'one', class: 'read', sql: 'SELECT 1', weight: 1 }],
    ...overrides,
  });

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'uh-sql-load-test-'));
    runAs = await resolveRunAsUser();
    server = await startPostgres({
      version: '17',
      dataDir: join(base, 'data'),
      database: 'app',
      logFile: join(base, 'postgres.log'),
      runAs,
    });
    started.push(server);
  });

  afterAll(async () => {
    for (const r of relays) r.close();
    await Promise.all(started.map((s) => s.stop()));
    await rm(base, { recursive: true, force: true });
  });

  it("runs a scenario's traffic.sql through the LoadDriver interface and verifies its ledger there", async () => {
    const driver = new SqlLoadDriver();
    const target = { baseUrls: [server.url] };
    const loadProfile: LoadProfile = {
      rate: 20,
      connections: ['reused'],
      timeoutMs: 2000,
      maxInFlight: 50,
      endpoints: [],
      versionProbe: { sql: 'SELECT current_setting($$server_version$$)' },
      maxDurationMs: 500,
      sql: {
        statements: [{ name: 'one', class: 'read', sql: 'SELECT 1', weight: 1 }],
        writer: { table: 'iface_ledger', rate: 20 },
        poolSize: 4,
      },
    };
    const load = await driver.start(target, loadProfile, context());
    const collecting = drain(load.samples());
    await wait(600);
    const summary = await load.stop();
    const samples = await collecting;
    expect(summary.sent).toBe(20);
    expect(samples.filter((s) => s.sampler === 'one:reused' && s.outcome === 'ok')).toHaveLength(10);
    expect(samples.every((s) => s.version === server.serverVersion)).toBe(true);
    const keys = summary.acknowledgedKeys;
    expect(keys).toHaveLength(10);
    const ledger = await driver.verifyLedger(target, loadProfile, keys, {
      signal: new AbortController().signal,
      timeoutMs: 2000,
    });
    expect(ledger).toMatchObject({ acknowledged: 10, verified: 10, lost: 0, unverified: 0 });
    await sql('DELETE FROM iface_ledger WHERE key = $1', [keys[0]]);
    const after = await driver.verifyLedger(target, loadProfile, keys, {
      signal: new AbortController().signal,
      timeoutMs: 2000,
    });
    expect(after).toMatchObject({ verified: 9, lost: 1, lostKeys: [keys[0]] });
  });

  it('runs the statement mix on both samplers on schedule, every sample ok with the server version', async () => {
    const { summary, samples } = await runFor(
      profile({
        statements: [
          { name: 'one', class: 'read', sql: 'SELECT 1', weight: 3 },
          { name: 'sum', class: 'report', sql: 'SELECT $1::int + $2::int AS s', params: [1, 2], weight: 1 },
        ],
        maxDurationMs: 1000,
      }),
      1100,
    );
    expect(summary).toMatchObject({ scheduled: 80, sent: 80, dropped: 0, targetRate: 80 });
    expect(summary.stoppedAt).toBe(summary.startedAt + 1000);
    expect(samples).toHaveLength(80);
    expect(countBy(samples, (s) => `${s.sampler}/${s.endpointClass}`)).toEqual({
      'one:reused/read': 30,
      'sum:reused/report': 10,
      'one:new/read': 30,
      'sum:new/report': 10,
    });
    expect(samples.filter((s) => s.outcome !== 'ok')).toEqual([]);
    expect(new Set(samples.map((s) => s.version))).toEqual(new Set([server.serverVersion]));
    for (const s of samples) {
      expect(s.startMs).toBeGreaterThanOrEqual(s.intendedStartMs);
      expect(s.endMs).toBeGreaterThanOrEqual(s.startMs);
    }
  });

  it("'new' opens a connection per transaction and asks each its version; 'reused' keeps its pool", async () => {
    await sql('CREATE TABLE backend_pids (mode text, pid int); CREATE SEQUENCE version_asks');
    const run = (mode: 'new' | 'reused') =>
      runFor(
        profile({
          connections: [mode],
          rate: 20,
          poolSize: 1,
          statements: [
            {
              name: 'pid',
              class: 'write',
              sql: 'INSERT INTO backend_pids VALUES ($1, pg_backend_pid())',
              params: [mode],
              weight: 1,
            },
          ],
          // Counts how often it is asked: a version cached per connection is asked once per connection.
          versionQuery: `SELECT 'ask-' || nextval('version_asks')`,
        }),
        600,
      );
    const fresh = await run('new');
    const reused = await run('reused');
    expect(fresh.samples).toHaveLength(10);
    expect(reused.samples).toHaveLength(10);
    expect([...fresh.samples, ...reused.samples].every((s) => s.outcome === 'ok')).toBe(true);
    const pids = await sql<{ mode: string; n: string }>(
      'SELECT mode, count(DISTINCT pid) AS n FROM backend_pids GROUP BY mode ORDER BY mode',
    );
    expect(pids).toEqual([
      { mode: 'new', n: '10' },
      { mode: 'reused', n: '1' },
    ]);
    expect(new Set(fresh.samples.map((s) => s.version)).size).toBe(10);
    expect(new Set(reused.samples.map((s) => s.version)).size).toBe(1);
    // stop() leaves no session of the load behind.
    let left = -1;
    for (let i = 0; i < 50 && left !== 0; i++) {
      if (i > 0) await wait(50);
      const rows = await sql<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1',
        [SQL_LOAD_APPLICATION_NAME],
      );
      left = Number(rows[0]?.n);
    }
    expect(left).toBe(0);
  });

  it('acknowledges committed keys, reads them all back, and reports a key deleted behind its back as lost', async () => {
    const load = await startSqlLoad(
      profile({ rate: 0, connections: [], statements: [], writer: { table: 'ledger_a', rate: 40 } }),
      context(),
    );
    const collecting = drain(load.samples());
    await wait(600);
    const summary = await load.stop();
    const samples = await collecting;
    const keys = summary.acknowledgedKeys;
    expect(keys).toHaveLength(20);
    expect(new Set(keys).size).toBe(20);
    expect(load.acknowledgedKeys()).toEqual(keys);
    expect(samples.every((s) => s.sampler === 'writer:reused' && s.endpointClass === 'write')).toBe(true);
    expect(samples.filter((s) => s.outcome === 'ok')).toHaveLength(20);
    const stored = await sql<{ n: string }>('SELECT count(*) AS n FROM ledger_a');
    expect(stored).toEqual([{ n: '20' }]);

    const opts = { signal: new AbortController().signal, timeoutMs: 2000, batchSize: 7 };
    expect(await verifySqlLedger(server.url, 'ledger_a', keys, opts)).toEqual({
      acknowledged: 20,
      verified: 20,
      lost: 0,
      unverified: 0,
      lostKeys: [],
    });
    const victim = keys[13] as string;
    await sql('DELETE FROM ledger_a WHERE key = $1', [victim]);
    expect(await verifySqlLedger(server.url, 'ledger_a', keys, opts)).toEqual({
      acknowledged: 20,
      verified: 19,
      lost: 1,
      unverified: 0,
      lostKeys: [victim],
    });
    const unreachable = `postgres://postgres:x@127.0.0.1:${await freePort()}/app`;
    expect(
      await verifySqlLedger(unreachable, 'ledger_a', keys, { ...opts, attempts: 2, retryDelayMs: 10 }),
    ).toMatchObject({ verified: 0, lost: 0, unverified: 20 });
  });

  it('stops scheduling when the context is aborted; stop() still collects the summary', async () => {
    const controller = new AbortController();
    const ctx = { ...context(), signal: controller.signal };
    const load = await startSqlLoad(profile({ rate: 50, maxDurationMs: 10_000 }), ctx);
    const collecting = drain(load.samples());
    await wait(200);
    controller.abort();
    await wait(200); // nothing is scheduled after the abort, whatever the wait
    const summary = await load.stop();
    const samples = await collecting;
    expect(summary.stoppedAt).toBeLessThan(summary.startedAt + 1000);
    expect(summary.scheduled).toBeGreaterThan(0);
    expect(summary.scheduled).toBeLessThan(100);
    expect(samples).toHaveLength(summary.sent);
    expect(Math.max(...samples.map((s) => s.intendedStartMs))).toBeLessThanOrEqual(summary.stoppedAt);
  });

  it('drops what the in-flight cap does not admit, and counts it', async () => {
    const { summary, samples } = await runFor(
      profile({
        connections: ['reused'],
        rate: 100,
        maxInFlight: 3,
        poolSize: 3,
        statements: [{ name: 'slow', class: 'read', sql: 'SELECT pg_sleep(0.3)', weight: 1 }],
      }),
      550,
    );
    expect(summary.scheduled).toBe(50);
    expect(summary.sent + summary.dropped).toBe(50);
    expect(summary.sent).toBeGreaterThanOrEqual(3);
    expect(summary.dropped).toBeGreaterThanOrEqual(30);
    expect(samples).toHaveLength(summary.sent);
    expect(samples.every((s) => s.outcome === 'ok')).toBe(true);
  });

  it('classifies a statement past its deadline as timeout, an SQL error as other, a closed port as refused', async () => {
    const statements = [
      { name: 'slow', class: 'read', sql: 'SELECT pg_sleep(5)', weight: 1 },
      { name: 'bad', class: 'read', sql: 'SELECT 1/0', weight: 1 },
    ];
    const run = await runFor(profile({ rate: 10, timeoutMs: 800, maxDurationMs: 400, statements }), 450);
    expect(countBy(run.samples, (s) => `${s.sampler}=${s.outcome}`)).toEqual({
      'slow:reused=timeout': 2,
      'bad:reused=other': 2,
      'slow:new=timeout': 2,
      'bad:new=other': 2,
    });
    const closed = `postgres://postgres:x@127.0.0.1:${await freePort()}/app`;
    const refused = await runFor(profile({ url: closed, rate: 20, maxDurationMs: 200 }), 250);
    expect(countBy(refused.samples, (s) => `${s.sampler}=${s.outcome}`)).toEqual({
      'one:reused=refused': 4,
      'one:new=refused': 4,
    });
  });

  it('measures a PostgreSQL restart as one downtime interval per sampler, and loses no committed key', async () => {
    const dataDir = join(base, 'restart', 'data');
    const logFile = join(base, 'restart', 'postgres.log');
    const first = await startPostgres({ version: '17', dataDir, database: 'app', logFile, runAs });
    started.push(first);
    // The restarted server gets a new port; the relay keeps the one the load was given.
    const relay = await TcpRelay.start(first.port);
    relays.push(relay);
    const url = first.url.replace(`:${first.port}/`, `:${relay.port}/`);
    const load = await startSqlLoad(
      profile({
        url,
        rate: 50,
        timeoutMs: 1000,
        maxInFlight: 200,
        maxDurationMs: 10_000,
        writer: { table: 'ledger_r', rate: 25 },
      }),
      context(),
    );
    const collecting = drain(load.samples());
    await wait(700);
    const pausedAt = systemClock.now();
    relay.pause();
    await first.stop();
    const stoppedAt = systemClock.now();
    const second = await startPostgres({
      version: '17',
      dataDir,
      database: 'app',
      logFile,
      runAs,
      password: first.password,
    });
    started.push(second);
    relay.setUpstream(second.port);
    const resumingAt = systemClock.now();
    await relay.resume();
    const resumedAt = systemClock.now();
    await wait(800);
    const summary = await load.stop();
    const samples = await collecting;

    const downtime = computeDowntime(samples);
    const samplers = ['one:new', 'one:reused', 'writer:reused'];
    expect([...new Set(downtime.map((d) => d.sampler))].sort()).toEqual(samplers);
    for (const sampler of samplers) {
      const [longest] = downtime
        .filter((d) => d.sampler === sampler)
        .sort((a, b) => b.seconds - a.seconds) as [DowntimeInterval];
      // Starts when the server goes away (or with a transaction it killed), ends when it answers again.
      expect(longest.startedAt).toBeGreaterThanOrEqual(pausedAt - 500);
      expect(longest.startedAt).toBeLessThanOrEqual(stoppedAt + 50);
      expect(longest.endedAt).toBeGreaterThanOrEqual(resumingAt - 50);
      expect(longest.endedAt).toBeLessThanOrEqual(resumedAt + 1500);
    }
    expect(downtime.find((d) => d.sampler === 'one:new')?.failureClasses.refused).toBeGreaterThan(0);
    // Every failure belongs to the restart: none long before it or after the server answered again.
    // (A transaction in progress when the server stopped may fail apart from the interval.)
    const failedStarts = samples.filter((s) => s.outcome !== 'ok').map((s) => s.startMs);
    expect(Math.min(...failedStarts)).toBeGreaterThanOrEqual(pausedAt - 1000);
    expect(Math.max(...failedStarts)).toBeLessThanOrEqual(resumedAt + 1500);
    expect(new Set(samples.filter((s) => s.outcome === 'ok').map((s) => s.version))).toEqual(
      new Set([second.serverVersion]),
    );

    const keys = summary.acknowledgedKeys;
    expect(keys.length).toBeGreaterThan(25);
    const integrity = await verifySqlLedger(second.url, 'ledger_r', keys, {
      signal: new AbortController().signal,
      timeoutMs: 2000,
    });
    expect(integrity).toMatchObject({
      acknowledged: keys.length,
      verified: keys.length,
      lost: 0,
      unverified: 0,
    });
  });
});
