import pg from 'pg';
import { valueWithin } from '../../common/deadline.js';
import type { Logger } from '../../common/logger.js';
import type { ConnectionMode } from '../../common/sample.js';

/** Sessions the load opens carry this application_name (visible in pg_stat_activity). */
export const SQL_LOAD_APPLICATION_NAME = 'upgrade-harness-sql-load';

export interface SqlConnectionsOptions {
  url: string;
  poolSize: number;
  timeoutMs: number;
  versionQuery: string;
  logger: Logger;
}

/** A connection checked out for one transaction. */
export interface SqlSession {
  readonly client: pg.ClientBase;
  /** Gives the connection back (reused) or closes it (new); `destroy` closes a pooled one too. Never throws. */
  done(destroy: boolean): Promise<void>;
}

/**
 * The two samplers' connections: a keep-alive pool for `reused`, a fresh client per transaction
 * for `new`. Knows each connection's serving version (asked once per connection).
 */
export class SqlConnections {
  private readonly pool: pg.Pool;
  private readonly versions = new WeakMap<pg.ClientBase, string>();
  private readonly ignoreError = (err: Error) =>
    this.options.logger.debug({ err: err.message }, 'sql load: connection error outside a transaction');

  constructor(private readonly options: SqlConnectionsOptions) {
    this.pool = new pg.Pool({
      ...this.clientConfig(),
      max: options.poolSize,
      idleTimeoutMillis: 10_000,
    });
    // An idle pooled connection the server drops (a restart) must not become an uncaught error;
    // a checked-out one reports through its query, and its own 'error' event is swallowed here.
    this.pool.on('error', this.ignoreError);
    this.pool.on('connect', (client) => client.on('error', this.ignoreError));
  }

  async open(mode: ConnectionMode): Promise<SqlSession> {
    if (mode === 'reused') {
      const client = await this.pool.connect();
      let released = false;
      return {
        client,
        done: async (destroy) => {
          if (released) return;
          released = true;
          client.release(destroy ? true : undefined);
        },
      };
    }
    const client = new pg.Client(this.clientConfig());
    client.on('error', this.ignoreError);
    try {
      await client.connect();
    } catch (err) {
      await endClient(client, this.options.timeoutMs);
      throw err;
    }
    let ended = false;
    return {
      client,
      done: async () => {
        if (ended) return;
        ended = true;
        await endClient(client, this.options.timeoutMs);
      },
    };
  }

  /** The serving version this connection reported, asking once per connection. */
  async version(client: pg.ClientBase): Promise<string | undefined> {
    const known = this.versions.get(client);
    if (known !== undefined) return known;
    const result = await client.query({ text: this.options.versionQuery, rowMode: 'array' });
    const first: unknown = result.rows[0]?.[0];
    if (first === undefined || first === null) return undefined;
    const version = String(first);
    this.versions.set(client, version);
    return version;
  }

  /** Closes the pool (idle connections at once, checked-out ones as they are given back). */
  async close(): Promise<void> {
    await within(this.pool.end(), this.options.timeoutMs + 1000);
  }

  private clientConfig(): pg.ClientConfig {
    return {
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.timeoutMs,
      // The server gives up on a statement we have given up on, instead of running it to the end.
      statement_timeout: this.options.timeoutMs,
      query_timeout: this.options.timeoutMs + 1000,
      application_name: SQL_LOAD_APPLICATION_NAME,
    };
  }
}

/** Ends a client; a hung server cannot hold this longer than `ms`. */
async function endClient(client: pg.Client, ms: number): Promise<void> {
  await within(
    client.end().catch(() => undefined),
    ms,
  );
}

/** The value within `ms`, else undefined; a failure is undefined too (closing what may be gone). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return valueWithin(
    promise.catch(() => undefined),
    ms,
  );
}
