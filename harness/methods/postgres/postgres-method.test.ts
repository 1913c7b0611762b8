import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { RunContext } from '../../common/context.js';
import { ProductError, UsageError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { ScenarioSchema } from '../../config/schema.js';
import { LocalPlatform, type StartedLocalPlatform } from '../../platforms/local/local-platform.js';
import { testCellPlan } from '../../testing/cell-plan.js';
import type { Installation, MethodOptions } from '../method.js';
import { PostgresMethod } from './postgres-method.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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

// The schema alone (not the scenario rules): this test is about the method, not the config.
const scenario = ScenarioSchema.parse({
  apiVersion: 'upgrade-harness/v1',
  kind: 'Scenario',
  name: 'pg-minor',
  versions: ['17.9', '17.10'],
  versionProbe: { sql: 'SHOW server_version' },
  postgres: {
    database: 'shop',
    setup: [
      'CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)',
      "INSERT INTO orders SELECT i, 'item-' || i FROM generate_series(1, 500) AS i",
    ],
  },
  traffic: { sql: { statements: [{ name: 'count', sql: 'SELECT count(*) FROM orders' }] } },
  timing: { readyTimeoutSeconds: 30 },
});

const cell = testCellPlan({
  id: 'local-postgres-17.9-17.10',
  platform: 'local',
  method: 'postgres',
  from: '17.9',
  to: '17.10',
  strategy: 'recreate',
});

describe('PostgresMethod', () => {
  let artifactDir: string;
  let platform: StartedLocalPlatform;
  let events: Array<{ kind: string; message: string }>;
  let ctx: RunContext;
  const options: MethodOptions = {
    scenario,
    scenarioDir: tmpdir(),
    cell,
    strategyOptions: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
  };

  beforeEach(async () => {
    artifactDir = await mkdtemp(join(tmpdir(), 'uh-postgres-method-'));
    events = [];
    ctx = {
      runId: 'pgtest',
      cellId: cell.id,
      signal: new AbortController().signal,
      clock: systemClock,
      logger: silentLogger(),
      artifactDir,
      event: (kind, message) => events.push({ kind, message }),
    };
    platform = await new LocalPlatform().create({ scenario, scenarioDir: tmpdir(), cell }, ctx);
  });

  afterEach(async () => {
    await platform[Symbol.asyncDispose]();
    await rm(artifactDir, { recursive: true, force: true });
  });

  const orders = (url: string) =>
    query<{ n: number; last: string }>(
      url,
      'SELECT count(*)::int AS n, max(item COLLATE "C") AS last FROM orders',
    );
  const serverVersion = async (url: string) =>
    (await query<{ server_version: string }>(url, 'SHOW server_version'))[0]?.server_version;

  it('installs 17.9, upgrades to 17.10 and rolls back to 17.9 on one URL, keeping the rows', async () => {
    const installation: Installation = await new PostgresMethod().install(platform, '17.9', options, ctx);
    const [url] = installation.endpoints;
    expect(url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/shop$/);
    expect(await serverVersion(url!)).toBe('17.9');
    expect(await orders(url!)).toEqual([{ n: 500, last: 'item-99' }]);
    await query(url!, "INSERT INTO orders VALUES (501, 'before-upgrade')");
    const firstPostmaster = platform.processes.list().find((m) => m.name === 'postgres')?.process.pid;
    expect(firstPostmaster).toBeDefined();

    await installation.upgrade('17.10', ctx);
    expect(installation.endpoints).toEqual([url]);
    expect(await serverVersion(url!)).toBe('17.10');
    expect(await orders(url!)).toEqual([{ n: 501, last: 'item-99' }]);
    // The old postmaster is gone; the new one belongs to the platform's process group.
    expect(alive(firstPostmaster!)).toBe(false);
    expect(platform.processes.list().map((m) => m.name)).toEqual(['postgres']);
    await query(url!, "INSERT INTO orders VALUES (502, 'after-upgrade')");

    await installation.rollback('17.9', ctx);
    expect(installation.endpoints).toEqual([url]);
    expect(await serverVersion(url!)).toBe('17.9');
    expect(await orders(url!)).toEqual([{ n: 502, last: 'item-99' }]);

    expect(events.map((e) => e.kind)).toEqual([
      'postgres-started',
      'installed',
      'postgres-stopped',
      'postgres-started',
      'postgres-stopped',
      'postgres-started',
    ]);
    expect(events[2]?.message).toMatch(/^PostgreSQL 17\.9: fast shutdown in \d+ ms$/);
    expect(events[3]?.message).toMatch(
      /^PostgreSQL 17\.10: started on the same data directory and port \d+ in \d+ ms$/,
    );
    const password = new URL(url!).password;
    for (const e of events) expect(e.message).not.toContain(password);

    const diagnostics = join(artifactDir, 'diagnostics');
    await mkdir(diagnostics);
    await installation.collectDiagnostics(diagnostics);
    expect((await readdir(diagnostics)).sort()).toEqual(['postgres-log-tail.txt', 'postgres.json']);
    const state = JSON.parse(await readFile(join(diagnostics, 'postgres.json'), 'utf8'));
    expect(state.server.version).toMatch(/^PostgreSQL 17\.9 /);
    expect(state.server.settings.server_version).toBe('17.9');
    expect(Number(state.server.database.xact_commit)).toBeGreaterThan(0);
    expect(state.history.map((h: { step: string; version: string }) => `${h.step} ${h.version}`)).toEqual([
      'install 17.9',
      'upgrade 17.10',
      'rollback 17.9',
    ]);
    expect(await readFile(join(diagnostics, 'postgres-log-tail.txt'), 'utf8')).toContain(
      'database system is ready to accept connections',
    );
    for (const file of await readdir(diagnostics)) {
      expect(await readFile(join(diagnostics, file), 'utf8')).not.toContain(password);
    }

    const postmaster = platform.processes.list()[0]?.process;
    await installation[Symbol.asyncDispose]();
    await installation[Symbol.asyncDispose]();
    expect(postmaster?.running).toBe(false);
    await expect(query(url!, 'SELECT 1')).rejects.toThrow();
  });

  it('refuses an unknown version, naming the known ones, before creating anything', async () => {
    const err = await new PostgresMethod().install(platform, '17.8', options, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain('known: 17, 17.9, 17.10');
    expect(await readdir(platform.workDir)).toEqual([]);
    await expect(new PostgresMethod().install(platform, '17', options, ctx)).rejects.toThrow(
      /needs an exact PostgreSQL version/,
    );
  });

  it('refuses a major-version change (that needs pg_upgrade) and leaves the server running', async () => {
    const installation = await new PostgresMethod().install(platform, '17.10', options, ctx);
    const [url] = installation.endpoints;
    for (const to of ['16.4', '18.1']) {
      const err = await installation.upgrade(to, ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/major-version change needs pg_upgrade/);
    }
    expect(await serverVersion(url!)).toBe('17.10');
    await installation[Symbol.asyncDispose]();
  });

  it('fails as the product when setup SQL fails, and leaves no server behind', async () => {
    const broken = { ...scenario, postgres: { database: 'shop', setup: ['SELECT 1', 'SELEC oops'] } };
    const err = await new PostgresMethod()
      .install(platform, '17.9', { ...options, scenario: broken }, ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProductError);
    expect((err as Error).message).toMatch(/^setup statement 2 of 2 failed: syntax error/);
    expect(platform.processes.list()).toEqual([]);
  });

  it('runs only on the local platform', async () => {
    const elsewhere = {
      id: 'x',
      name: 'existing' as const,
      endpoints: () => [],
      collectDiagnostics: async () => {},
    };
    await expect(
      new PostgresMethod().install(
        { ...elsewhere, [Symbol.asyncDispose]: async () => {} },
        '17.9',
        options,
        ctx,
      ),
    ).rejects.toThrow(/only on the local platform/);
  });
});
