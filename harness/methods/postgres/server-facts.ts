import { errorMessage } from '../../common/errors.js';
import { withPostgresClient } from '../../platforms/local/postgres.js';

/** Settings worth seeing next to a failed upgrade. */
const SETTINGS = [
  'server_version',
  'port',
  'listen_addresses',
  'max_connections',
  'shared_buffers',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'data_checksums',
  'wal_level',
];

export interface ServerFacts {
  version?: string;
  settings?: Record<string, string>;
  database?: Record<string, unknown>;
  error?: string;
}

/**
 * `SELECT version()`, a few settings and the database's pg_stat_database row. Never throws: a
 * server that does not answer is a fact too. The result holds no password but is not redacted.
 */
export async function collectServerFacts(url: string, database: string): Promise<ServerFacts> {
  try {
    return await withPostgresClient(url, async (client) => {
      await client.query('SET statement_timeout = 5000');
      const version = await client.query<{ version: string }>('SELECT version()');
      const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
        'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name',
        [SETTINGS],
      );
      const stats = await client.query(
        `SELECT numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_inserted,
                tup_updated, tup_deleted, conflicts, deadlocks, stats_reset
           FROM pg_stat_database WHERE datname = $1`,
        [database],
      );
      return {
        version: version.rows[0]?.version,
        settings: Object.fromEntries(
          settings.rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]),
        ),
        database: stats.rows[0],
      };
    });
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
