#!/usr/bin/env node
/**
 * Applies the reference app's migrations: `migrate.mjs --to <version> --phase pre|post|all`,
 * with DATABASE_URL. Each migration runs in its own transaction and is recorded in
 * `schema_migrations`; running again applies nothing. Concurrent runs wait for each other.
 * Exit codes: 0 done, 1 a migration failed, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { compareVersions, plan, RELEASES } from './migrations.mjs';

const LOCK_KEY = 'reference-app-migrations';

function usage(message) {
  process.stderr.write(
    `migrate: ${message}\nusage: DATABASE_URL=... migrate.mjs --to <${RELEASES.join('|')}> --phase <pre|post|all>\n`,
  );
  process.exit(2);
}

function parseCommandLine() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { to: { type: 'string' }, phase: { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const { to, phase } = values;
  if (!to || !RELEASES.includes(to))
    usage(`--to must be one of ${RELEASES.join(', ')} (got ${to ?? 'nothing'})`);
  if (phase !== 'pre' && phase !== 'post' && phase !== 'all') {
    usage(`--phase must be pre, post or all (got ${phase ?? 'nothing'})`);
  }
  const url = process.env.DATABASE_URL;
  if (!url) usage('DATABASE_URL is not set');
  return { to, phase, url };
}

async function appliedIds(client) {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id text PRIMARY KEY,
    release text NOT NULL,
    phase text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query('SELECT id, release FROM schema_migrations');
  return rows;
}

async function main() {
  const { to, phase, url } = parseCommandLine();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    process.stderr.write(
      `migrate: cannot connect to the database: ${err instanceof Error ? err.message : err}\n`,
    );
    process.exit(1);
  }
  let current;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    const rows = await appliedIds(client);
    const newer = rows.find((r) => compareVersions(r.release, to) > 0);
    if (newer) {
      console.log(
        `schema already has ${newer.id} of release ${newer.release}, newer than ${to}: nothing to apply`,
      );
      return;
    }
    const applied = new Set(rows.map((r) => r.id));
    if (phase === 'post') {
      const pendingPre = plan(to, 'all', applied).filter((m) => m.phase === 'pre');
      if (pendingPre.length > 0) {
        throw new Error(
          `pre-deployment migrations are pending (${pendingPre.map((m) => m.id).join(', ')}): run --phase pre first`,
        );
      }
    }
    const todo = plan(to, phase, applied);
    for (const migration of todo) {
      current = migration;
      const started = performance.now();
      await client.query('BEGIN');
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (id, release, phase) VALUES ($1, $2, $3)', [
        migration.id,
        migration.release,
        migration.phase,
      ]);
      await client.query('COMMIT');
      const ms = Math.round(performance.now() - started);
      console.log(`applied ${migration.id} (release ${migration.release}, ${migration.phase}) in ${ms} ms`);
    }
    current = undefined;
    console.log(
      todo.length === 0
        ? `nothing to apply (target ${to}, phase ${phase})`
        : `${todo.length} migration(s) applied (target ${to}, phase ${phase})`,
    );
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const message = err instanceof Error ? err.message : String(err);
    const what = current
      ? `migration ${current.id} (release ${current.release}, ${current.phase}) failed`
      : 'failed';
    process.stderr.write(`migrate: ${what}: ${message}\n`);
    process.exitCode = 1;
  } finally {
    await client.end().catch(() => {});
  }
}

await main();
