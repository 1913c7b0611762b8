import { HarnessError } from '../../common/errors.js';
import type { ConnectionMode } from '../../common/sample.js';

/** One kind of transaction in the traffic mix: a statement (or several, without params) run on its own. */
export interface SqlStatement {
  /** Sampler id prefix: samples are `${name}:${connection}`. Unique within a profile. */
  name: string;
  /** Endpoint class (read / write / report ...), for budgets and latency per class. */
  class: string;
  sql: string;
  params?: unknown[];
  /** Relative weight in the mix. */
  weight: number;
}

/** Uniquely keyed inserts, each in its own transaction; a key counts once its COMMIT succeeded. */
export interface SqlWriter {
  /** `name` or `schema.name`; created (key text primary key) when missing. */
  table: string;
  /** Transactions per second, on the reused pool. */
  rate: number;
}

export interface SqlLoadProfile {
  /** `postgres://user:password@host:port/db`. Never logged unredacted. */
  url: string;
  /** Transactions per second per connection mode, spread over the statements by weight. */
  rate: number;
  connections: ConnectionMode[];
  /** Bounds a whole transaction: connect (or wait for the pool), version query, statement(s). */
  timeoutMs: number;
  /** Transactions in flight at once (all modes and the writer); arrivals beyond it are dropped and counted. */
  maxInFlight: number;
  /** Hard bound on how long the load may run, whatever the caller does. */
  maxDurationMs: number;
  statements: SqlStatement[];
  writer?: SqlWriter;
  /** Serving version, first column of the first row; asked once per connection. Default `SHOW server_version`. */
  versionQuery?: string;
  /** Connections in the reused pool; default 10. */
  poolSize?: number;
}

export const DEFAULT_VERSION_QUERY = 'SHOW server_version';
export const DEFAULT_POOL_SIZE = 10;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Throws CONFIG_INVALID naming every problem at once. */
export function validateSqlProfile(profile: SqlLoadProfile): void {
  const problems: string[] = [];
  if (!/^postgres(ql)?:\/\//.test(profile.url)) problems.push('url must be a postgres:// URL');
  if (!(profile.rate >= 0) || !Number.isFinite(profile.rate))
    problems.push(`rate must be >= 0, got ${profile.rate}`);
  if (profile.rate > 0 && profile.connections.length > 0) {
    if (profile.statements.length === 0) problems.push('no statements to run');
    const names = new Set<string>();
    for (const s of profile.statements) {
      if (!(s.weight > 0) || !Number.isFinite(s.weight))
        problems.push(`statement ${s.name}: weight must be > 0`);
      if (names.has(s.name)) problems.push(`statement ${s.name}: name used twice`);
      names.add(s.name);
    }
  }
  if (new Set(profile.connections).size !== profile.connections.length)
    problems.push('connections lists a mode twice');
  if (!(profile.timeoutMs > 0)) problems.push(`timeoutMs must be > 0, got ${profile.timeoutMs}`);
  if (!(profile.maxInFlight >= 1)) problems.push(`maxInFlight must be >= 1, got ${profile.maxInFlight}`);
  if (!(profile.maxDurationMs > 0)) problems.push(`maxDurationMs must be > 0, got ${profile.maxDurationMs}`);
  if (profile.poolSize !== undefined && !(Number.isInteger(profile.poolSize) && profile.poolSize >= 1))
    problems.push(`poolSize must be an integer >= 1, got ${profile.poolSize}`);
  if (profile.writer) {
    if (!(profile.writer.rate > 0) || !Number.isFinite(profile.writer.rate))
      problems.push(`writer.rate must be > 0, got ${profile.writer.rate}`);
    if (!isTableName(profile.writer.table))
      problems.push(
        `writer.table must be "name" or "schema.name" (letters, digits, _), got "${profile.writer.table}"`,
      );
  }
  if (problems.length > 0) throw new HarnessError('CONFIG_INVALID', `sql load: ${problems.join('; ')}`);
}

function isTableName(table: string): boolean {
  const parts = table.split('.');
  return parts.length <= 2 && parts.every((p) => IDENTIFIER.test(p));
}

/** `schema.name` → `"schema"."name"` (names are validated, quoting keeps their case). */
export function quoteTable(table: string): string {
  if (!isTableName(table)) throw new Error(`not a table name: ${table}`);
  return table
    .split('.')
    .map((p) => `"${p}"`)
    .join('.');
}
