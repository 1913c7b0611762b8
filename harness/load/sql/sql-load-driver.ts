import type { RunContext } from '../../common/context.js';
import { HarnessError } from '../../common/errors.js';
import { redact } from '../../common/redact.js';
import type { DataIntegrity } from '../../common/run-record.js';
import type { ConnectionMode } from '../../common/sample.js';
import { ArrivalScheduler } from '../arrival-scheduler.js';
import type {
  LedgerCheckOptions,
  LoadDriver,
  LoadProfile,
  LoadSummary,
  LoadTarget,
  RunningLoad,
} from '../load-driver.js';
import { RunningLoadBase } from '../running-load-base.js';
import { SmoothWeightedRoundRobin } from '../weighted-round-robin.js';
import { SqlConnections } from './sql-connections.js';
import { ensureLedgerTable, verifySqlLedger, writeLedgerKey } from './sql-ledger.js';
import {
  DEFAULT_POOL_SIZE,
  DEFAULT_VERSION_QUERY,
  type SqlLoadProfile,
  type SqlStatement,
  validateSqlProfile,
} from './sql-profile.js';
import { runTransaction } from './sql-transaction.js';

/** The writer's transactions appear in samples as this endpoint, class and connection. */
export const SQL_WRITER_ENDPOINT = 'writer';
export const SQL_WRITER_CLASS = 'write';

/**
 * Open-model SQL load on node-postgres, for scenarios with `traffic.sql`: the target's first URL is
 * the database (`postgres://`), the profile's `sql` section the statements and the writer. Same
 * RunningLoad and Sample model as HTTP: each connection mode (and the writer) has its own
 * constant-arrival schedule, transactions start when due whether or not earlier ones have
 * answered, and latency counts from the intended start.
 */
export class SqlLoadDriver implements LoadDriver {
  readonly name = 'sql';

  start(target: LoadTarget, profile: LoadProfile, ctx: RunContext): Promise<RunningLoad> {
    return startSqlLoad(sqlProfileFor(target, profile), ctx);
  }

  /** One batched SELECT per 1000 keys on the writer's table. */
  verifyLedger(
    target: LoadTarget,
    profile: LoadProfile,
    keys: readonly string[],
    options: LedgerCheckOptions,
  ): Promise<DataIntegrity> {
    const { url, writer } = sqlProfileFor(target, profile);
    if (!writer) throw new HarnessError('CONFIG_INVALID', 'sql load: the profile has no writer');
    return verifySqlLedger(url, writer.table, keys, options);
  }
}

/** The SQL load of a scenario's traffic profile against the target's database URL. */
export function sqlProfileFor(target: LoadTarget, profile: LoadProfile): SqlLoadProfile {
  const sql = profile.sql;
  const url = target.baseUrls[0];
  if (!sql) throw new HarnessError('CONFIG_INVALID', 'sql load: the scenario has no traffic.sql section');
  if (!url) throw new HarnessError('CONFIG_INVALID', 'sql load: the installation has no database URL');
  return {
    url,
    rate: profile.rate,
    connections: profile.connections,
    timeoutMs: profile.timeoutMs,
    maxInFlight: profile.maxInFlight,
    maxDurationMs: profile.maxDurationMs,
    statements: sql.statements.map((s) => ({ name: s.name, class: s.class, sql: s.sql, weight: s.weight })),
    ...(sql.writer ? { writer: { table: sql.writer.table, rate: sql.writer.rate } } : {}),
    versionQuery: profile.versionProbe.sql ?? DEFAULT_VERSION_QUERY,
    poolSize: sql.poolSize,
  };
}

/**
 * Validates the profile, creates the writer's table when there is a writer, and starts the load.
 * Aborting `ctx.signal` stops scheduling; `stop()` must still be called to collect the summary,
 * close the connections and end `samples()`.
 */
export async function startSqlLoad(profile: SqlLoadProfile, ctx: RunContext): Promise<RunningLoad> {
  validateSqlProfile(profile);
  if (profile.writer) await ensureLedgerTable(profile.url, profile.writer.table, profile.timeoutMs);
  const load = new SqlRunningLoad(profile, ctx);
  load.begin();
  return load;
}

type Arrival =
  | { kind: 'statement'; connection: ConnectionMode; pick: SmoothWeightedRoundRobin<SqlStatement> }
  | { kind: 'writer' };

class SqlRunningLoad extends RunningLoadBase {
  private readonly pending = new Set<Promise<void>>();
  private readonly connections: SqlConnections;
  private readonly scheduler: ArrivalScheduler<Arrival>;
  private sent = 0;
  private dropped = 0;
  private inFlight = 0;
  private writeCounter = 0;

  constructor(
    private readonly profile: SqlLoadProfile,
    private readonly ctx: RunContext,
  ) {
    super();
    this.connections = new SqlConnections({
      url: profile.url,
      poolSize: profile.poolSize ?? DEFAULT_POOL_SIZE,
      timeoutMs: profile.timeoutMs,
      versionQuery: profile.versionQuery ?? DEFAULT_VERSION_QUERY,
      logger: ctx.logger,
    });
    const streams: Array<{ ratePerSecond: number; tag: Arrival }> = [];
    if (profile.rate > 0) {
      for (const connection of profile.connections) {
        const pick = new SmoothWeightedRoundRobin(
          profile.statements.map((s) => ({ item: s, weight: s.weight })),
        );
        streams.push({ ratePerSecond: profile.rate, tag: { kind: 'statement', connection, pick } });
      }
    }
    if (profile.writer) streams.push({ ratePerSecond: profile.writer.rate, tag: { kind: 'writer' } });
    this.scheduler = new ArrivalScheduler<Arrival>({
      clock: ctx.clock,
      streams,
      durationMs: profile.maxDurationMs,
      signal: ctx.signal,
      onDue: (arrival, intendedStartMs) => this.dispatch(arrival, intendedStartMs),
      isFull: () => this.inFlight >= this.profile.maxInFlight,
      onSkipped: (_arrival, count) => {
        this.dropped += count;
      },
    });
  }

  begin(): void {
    this.ctx.logger.debug(
      { url: redact(this.profile.url), rate: this.profile.rate, connections: this.profile.connections },
      'sql load started',
    );
    this.scheduler.start();
  }

  protected async finish(): Promise<LoadSummary> {
    this.scheduler.end();
    // Each transaction ends by itself within its timeout (and its connection's close within another).
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.connections.close();
    const summary = this.scheduler.summarize({
      sent: this.sent,
      dropped: this.dropped,
      acknowledgedKeys: this.acked,
    });
    this.queue.close();
    this.ctx.logger.debug(
      { ...summary, acknowledgedKeys: summary.acknowledgedKeys.length },
      'sql load stopped',
    );
    return summary;
  }

  private dispatch(arrival: Arrival, intendedStartMs: number): void {
    const startMs = this.ctx.clock.now();
    if (this.inFlight >= this.profile.maxInFlight) {
      this.dropped++; // the scheduler skips arrivals while full; this catches a slot taken within one hand-over
      return;
    }
    this.sent++;
    this.inFlight++;
    const work =
      arrival.kind === 'writer'
        ? this.write(intendedStartMs, startMs)
        : this.statement(arrival.connection, arrival.pick.next(), intendedStartMs, startMs);
    const tracked: Promise<void> = work
      .catch((err: unknown) => this.ctx.logger.error({ err }, 'sql load: transaction bookkeeping failed'))
      .finally(() => {
        this.inFlight--;
        this.pending.delete(tracked);
      });
    this.pending.add(tracked);
  }

  private async statement(
    connection: ConnectionMode,
    statement: SqlStatement,
    intendedStartMs: number,
    startMs: number,
  ): Promise<void> {
    const result = await runTransaction({
      connections: this.connections,
      mode: connection,
      timeoutMs: this.profile.timeoutMs,
      clock: this.ctx.clock,
      body: async (client) => {
        await client.query(statement.sql, statement.params);
      },
    });
    this.queue.push({
      sampler: `${statement.name}:${connection}`,
      endpoint: statement.name,
      endpointClass: statement.class,
      connection,
      intendedStartMs,
      startMs,
      ...result,
    });
  }

  private async write(intendedStartMs: number, startMs: number): Promise<void> {
    const writer = this.profile.writer;
    if (!writer) return;
    this.writeCounter++;
    const key = `${this.ctx.runId}-${this.ctx.cellId}-w${this.writeCounter}`;
    const result = await runTransaction({
      connections: this.connections,
      mode: 'reused',
      timeoutMs: this.profile.timeoutMs,
      clock: this.ctx.clock,
      body: (client) => writeLedgerKey(client, writer.table, key),
    });
    // Acknowledged = COMMIT answered COMMIT within the deadline.
    if (result.outcome === 'ok') this.acked.push(key);
    this.queue.push({
      sampler: `${SQL_WRITER_ENDPOINT}:reused`,
      endpoint: SQL_WRITER_ENDPOINT,
      endpointClass: SQL_WRITER_CLASS,
      connection: 'reused',
      intendedStartMs,
      startMs,
      ...result,
    });
  }
}
