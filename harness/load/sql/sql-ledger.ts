import pg from 'pg';
import { sleep } from '../../common/clock.js';
import { AbortedError, errorMessage, ProductError } from '../../common/errors.js';
import { redact } from '../../common/redact.js';
import type { DataIntegrity } from '../../common/run-record.js';
import { within } from './sql-connections.js';
import { quoteTable } from './sql-profile.js';

const MAX_LOST_KEYS = 20;

/** Creates the writer's table when missing: one row per acknowledged key. */
export async function ensureLedgerTable(url: string, table: string, timeoutMs: number): Promise<void> {
  try {
    await withClient(url, timeoutMs, (c) =>
      c.query(
        `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (key text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`,
      ),
    );
  } catch (err: unknown) {
    throw new ProductError(
      `sql load: could not create the ledger table ${table} at ${redact(url)}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/** One writer transaction: BEGIN; INSERT the key; COMMIT. Resolves only when COMMIT committed. */
export async function writeLedgerKey(client: pg.ClientBase, table: string, key: string): Promise<void> {
  await client.query('BEGIN');
  await client.query(`INSERT INTO ${quoteTable(table)} (key) VALUES ($1)`, [key]);
  const commit = await client.query('COMMIT');
  // COMMIT of a failed transaction answers ROLLBACK without an error.
  if (commit.command !== 'COMMIT') throw new Error(`COMMIT answered ${commit.command}`);
}

export interface VerifySqlLedgerOptions {
  signal: AbortSignal;
  /** Per connect and per read. */
  timeoutMs: number;
  /** Keys per SELECT (default 1000). */
  batchSize?: number;
  /** Tries per batch before its keys count as unverified (default 3). */
  attempts?: number;
  /** Pause before a retry, multiplied by the attempt number (default 100 ms). */
  retryDelayMs?: number;
}

/**
 * Reads every acknowledged key back from `table` in batches on one connection (reconnecting after
 * a failure). Found = verified, not found = lost; a batch that fails every attempt is unverified.
 * Rejects with AbortedError when the signal is aborted.
 */
export async function verifySqlLedger(
  url: string,
  table: string,
  keys: readonly string[],
  opts: VerifySqlLedgerOptions,
): Promise<DataIntegrity> {
  const batchSize = Math.max(1, opts.batchSize ?? 1000);
  const attempts = Math.max(1, opts.attempts ?? 3);
  const retryDelayMs = opts.retryDelayMs ?? 100;
  const sql = `SELECT key FROM ${quoteTable(table)} WHERE key = ANY($1::text[])`;
  const result: DataIntegrity = {
    acknowledged: keys.length,
    verified: 0,
    lost: 0,
    unverified: 0,
    lostKeys: [],
  };
  let client: pg.Client | undefined;
  const interrupted = () => new AbortedError('data ledger verification interrupted');
  try {
    for (let start = 0; start < keys.length; start += batchSize) {
      const batch = keys.slice(start, start + batchSize);
      let found: Set<string> | undefined;
      for (let attempt = 1; attempt <= attempts && !found; attempt++) {
        if (opts.signal.aborted) throw interrupted();
        try {
          client ??= await connect(url, opts.timeoutMs);
          const rows = await client.query<{ key: string }>(sql, [batch]);
          found = new Set(rows.rows.map((r) => r.key));
        } catch {
          if (opts.signal.aborted) throw interrupted();
          await close(client, opts.timeoutMs);
          client = undefined;
          if (attempt < attempts) await sleep(retryDelayMs * attempt, opts.signal).catch(() => undefined);
        }
      }
      for (const key of batch) {
        if (!found) result.unverified++;
        else if (found.has(key)) result.verified++;
        else {
          result.lost++;
          if (result.lostKeys.length < MAX_LOST_KEYS) result.lostKeys.push(key);
        }
      }
    }
  } finally {
    await close(client, opts.timeoutMs);
  }
  return result;
}

async function connect(url: string, timeoutMs: number): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 1000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await close(client, timeoutMs);
    throw err;
  }
  return client;
}

/** A hung server cannot hold this longer than `ms`. */
async function close(client: pg.Client | undefined, ms: number): Promise<void> {
  if (client) await within(client.end(), ms);
}

async function withClient<T>(url: string, timeoutMs: number, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url, timeoutMs);
  try {
    return await use(client);
  } finally {
    await close(client, timeoutMs);
  }
}
