import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ManagedProcess, runCommand, startProcess } from '../../harness/common/exec.js';
import {
  resolveRunAsUser,
  type StartedPostgres,
  startPostgres,
} from '../../harness/platforms/local/postgres.js';

const APP_DIR = dirname(fileURLToPath(import.meta.url));

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  socket: Socket;
}

function request(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      `${base}${path}`,
      { method, agent: options.agent ?? false, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(text),
            socket: req.socket!,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

interface Replica {
  base: string;
  proc: ManagedProcess;
  /** Stdout JSON lines seen so far. */
  events: Array<Record<string, unknown>>;
  waitForEvent(name: string): Promise<Record<string, unknown>>;
}

describe('reference app', () => {
  let workDir: string;
  let postgres: StartedPostgres;
  let dbCount = 0;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'uh-reference-app-'));
    postgres = await startPostgres({
      version: '17',
      dataDir: join(workDir, 'pgdata'),
      database: 'postgres',
      logFile: join(workDir, 'postgres.log'),
      runAs: await resolveRunAsUser(),
    });
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.proc.stop({ graceMs: 3000 })));
  });

  afterAll(async () => {
    await postgres?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  async function freshDatabase(): Promise<string> {
    const name = `app_${++dbCount}`;
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return postgres.urlFor(name);
  }

  function migrate(databaseUrl: string, to: string, phase: 'pre' | 'post' | 'all') {
    return runCommand([process.execPath, join(APP_DIR, 'migrate.mjs'), '--to', to, '--phase', phase], {
      env: { DATABASE_URL: databaseUrl },
      timeoutMs: 30_000,
    });
  }

  async function startReplica(version: string, databaseUrl: string, env: Record<string, string> = {}) {
    const events: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    const proc = await startProcess([process.execPath, join(APP_DIR, 'releases', version, 'server.mjs')], {
      env: { PORT: '0', DATABASE_URL: databaseUrl, APP_SIGNING_KEY: '', ...env },
      logFile: join(workDir, `replica-${version}.log`),
      onStdoutLine: (line) => {
        events.push(JSON.parse(line));
        for (const wake of waiters.splice(0)) wake();
      },
    });
    const waitForEvent = async (name: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = events.find((e) => e.event === name);
        if (found) return found;
        if (!proc.running) throw new Error(`${version} exited before "${name}"`);
        if (Date.now() > deadline) throw new Error(`${version} never logged "${name}"`);
        await Promise.race([
          new Promise<void>((wake) => waiters.push(wake)),
          proc.exited,
          new Promise((tick) => setTimeout(tick, 500)),
        ]);
      }
    };
    const replica: Replica = { base: '', proc, events, waitForEvent };
    replicas.push(replica);
    const listening = await waitForEvent('listening');
    expect(listening.version).toBe(version);
    replica.base = `http://127.0.0.1:${listening.port}`;
    return replica;
  }

  it('installs 1.0.0 and serves writes and reads, each response naming its version', async () => {
    const url = await freshDatabase();
    expect((await migrate(url, '1.0.0', 'all')).stdout).toContain('applied 001_create_items');
    const app = await startReplica('1.0.0', url);

    expect((await request(app.base, 'GET', '/healthz')).status).toBe(200);
    expect((await request(app.base, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
    const version = await request(app.base, 'GET', '/version');
    expect(version.body).toEqual({ version: '1.0.0' });
    expect(version.headers['x-app-version']).toBe('1.0.0');

    const created = await request(app.base, 'POST', '/api/items', { body: { key: 'k-1', title: 'First' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'k-1', title: 'First' });
    expect(created.headers['x-app-version']).toBe('1.0.0');
    const duplicate = await request(app.base, 'POST', '/api/items', { body: { key: 'k-1', title: 'Again' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers['x-app-version']).toBe('1.0.0');
    expect((await request(app.base, 'POST', '/api/items', { body: { key: 'k-2' } })).status).toBe(400);

    const read = await request(app.base, 'GET', '/api/items/k-1');
    expect(read.body).toEqual({ id: created.body.id, key: 'k-1', title: 'First' });
    expect((await request(app.base, 'GET', '/api/items/missing')).status).toBe(404);
    const list = await request(app.base, 'GET', '/api/items');
    expect(list.body).toEqual({ items: [{ id: created.body.id, key: 'k-1', title: 'First' }] });
  });

  it('migrates idempotently and refuses post-deployment steps before pre-deployment ones', async () => {
    const url = await freshDatabase();
    await migrate(url, '1.1.0', 'all');
    expect((await migrate(url, '1.1.0', 'all')).stdout).toContain('nothing to apply');
    await expect(migrate(url, '2.0.1', 'post')).rejects.toThrow(/run --phase pre first/);
    await expect(migrate(url, '9.9.9', 'pre')).rejects.toMatchObject({ result: { exitCode: 2 } });
    const pre = await migrate(url, '2.0.1', 'pre');
    expect(pre.stdout).toContain('applied 004_items_add_name');
    // 2.0.1 replaces 2.0.0's contract migration, which must not run on the way.
    expect(pre.stdout).not.toContain('003_items_rename_title_to_name');
    expect((await migrate(url, '2.0.1', 'post')).stdout).toContain('applied 005_items_drop_title');
    expect((await migrate(url, '1.1.0', 'pre')).stdout).toContain('nothing to apply');
  });

  it('keeps 1.0.0 working on the 1.1.0 schema, and 1.1.0 stores notes', async () => {
    const url = await freshDatabase();
    await migrate(url, '1.0.0', 'all');
    const old = await startReplica('1.0.0', url);
    expect((await migrate(url, '1.1.0', 'pre')).stdout).toContain('applied 002_items_add_note');
    const created = await request(old.base, 'POST', '/api/items', { body: { key: 'a', title: 'A' } });
    expect(created.status).toBe(201);
    expect((await request(old.base, 'GET', '/api/items')).status).toBe(200);

    const next = await startReplica('1.1.0', url);
    const noted = await request(next.base, 'POST', '/api/items', {
      body: { key: 'b', title: 'B', note: 'n' },
    });
    expect(noted.body).toMatchObject({ key: 'b', title: 'B', note: 'n' });
    expect((await request(next.base, 'GET', '/api/items/a')).body).toMatchObject({ title: 'A', note: null });
    expect((await request(old.base, 'GET', '/api/items/b')).body).toEqual({
      id: noted.body.id,
      key: 'b',
      title: 'B',
    });
  });

  it("breaks running 1.1.0 replicas with 2.0.0's pre-upgrade contract migration while their readiness stays 200", async () => {
    const url = await freshDatabase();
    await migrate(url, '1.1.0', 'all');
    const old = await startReplica('1.1.0', url);
    await request(old.base, 'POST', '/api/items', { body: { key: 'before', title: 'Before' } });
    expect((await migrate(url, '2.0.0', 'pre')).stdout).toContain('applied 003_items_rename_title_to_name');

    const list = await request(old.base, 'GET', '/api/items');
    expect(list.status).toBe(500);
    expect(String(list.body.detail)).toContain('title');
    expect((await request(old.base, 'GET', '/api/items/before')).status).toBe(500);
    expect((await request(old.base, 'POST', '/api/items', { body: { key: 'x', title: 'X' } })).status).toBe(
      500,
    );
    expect((await request(old.base, 'GET', '/readyz')).status).toBe(200);

    const next = await startReplica('2.0.0', url);
    expect((await request(next.base, 'GET', '/api/items')).status).toBe(200);
    expect((await request(next.base, 'GET', '/api/items/before')).body).toMatchObject({ name: 'Before' });
    const written = await request(next.base, 'POST', '/api/items', {
      body: { key: 'after', title: 'After' },
    });
    expect(written.status).toBe(201);
    expect(written.body).toMatchObject({ key: 'after', name: 'After', title: 'After' });
  });

  it('never makes 2.0.1 ready without APP_SIGNING_KEY', async () => {
    const url = await freshDatabase();
    await migrate(url, '2.0.1', 'all');
    const app = await startReplica('2.0.1', url);
    const logged = await app.waitForEvent('config_error');
    expect(logged.message).toContain('APP_SIGNING_KEY');
    expect((await request(app.base, 'GET', '/healthz')).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const ready = await request(app.base, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.reason).toContain('APP_SIGNING_KEY');
      await new Promise((done) => setTimeout(done, 150));
    }
    expect((await request(app.base, 'GET', '/api/items')).status).toBe(503);
    expect(app.proc.running).toBe(true);
  });

  it("keeps 1.1.0 working after 2.0.1's pre migration, and 2.0.1 with its key serves old and new rows", async () => {
    const url = await freshDatabase();
    await migrate(url, '1.1.0', 'all');
    const old = await startReplica('1.1.0', url);
    await request(old.base, 'POST', '/api/items', { body: { key: 'old', title: 'Old' } });
    expect((await migrate(url, '2.0.1', 'pre')).stdout).toContain('applied 004_items_add_name');

    const mixed = await request(old.base, 'POST', '/api/items', { body: { key: 'mixed', title: 'Mixed' } });
    expect(mixed.status).toBe(201);
    expect((await request(old.base, 'GET', '/api/items')).status).toBe(200);

    const next = await startReplica('2.0.1', url, { APP_SIGNING_KEY: 'test-key' });
    expect((await request(next.base, 'GET', '/readyz')).status).toBe(200);
    const read = await request(next.base, 'GET', '/api/items/old');
    expect(read.body).toMatchObject({ key: 'old', name: 'Old' });
    expect(read.headers['x-item-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect((await request(next.base, 'GET', '/api/items/mixed')).body).toMatchObject({ name: 'Mixed' });
    const fresh = await request(next.base, 'POST', '/api/items', { body: { key: 'new', name: 'New' } });
    expect(fresh.status).toBe(201);
    expect((await request(old.base, 'GET', '/api/items/new')).body).toMatchObject({ title: 'New' });

    expect((await migrate(url, '2.0.1', 'post')).stdout).toContain('applied 005_items_drop_title');
    const after = await request(next.base, 'GET', '/api/items');
    expect(after.status).toBe(200);
    expect((after.body.items as unknown[]).length).toBe(3);
  });

  it('finishes a request in flight on SIGTERM, closes idle connections and exits 0', async () => {
    const url = await freshDatabase();
    await migrate(url, '1.0.0', 'all');
    // Shorter than the 5 s keep-alive timeout: an idle connection left open would make the exit code 1.
    const app = await startReplica('1.0.0', url, { SHUTDOWN_TIMEOUT_MS: '4000' });
    const agent = new http.Agent({ keepAlive: true });
    const busyAgent = new http.Agent({ keepAlive: true });
    try {
      const idle = await request(app.base, 'GET', '/healthz', { agent });
      expect(idle.headers.connection).toBe('keep-alive');
      const idleClosed = once(idle.socket, 'close');

      const slow = request(app.base, 'GET', '/debug/slow?ms=500', { agent: busyAgent });
      await app.waitForEvent('debug_slow_started');
      const stopping = app.proc.stop({ signal: 'SIGTERM', graceMs: 15_000 });
      const reply = await slow;
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ sleptMs: 500 });
      expect(reply.headers.connection).toBe('close');
      expect(await stopping).toEqual({ code: 0, signal: null });
      await idleClosed;
      expect(app.events.map((e) => e.event)).toEqual([
        'listening',
        'debug_slow_started',
        'shutdown',
        'stopped',
      ]);
      await expect(request(app.base, 'GET', '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      agent.destroy();
      busyAgent.destroy();
    }
  });
});
