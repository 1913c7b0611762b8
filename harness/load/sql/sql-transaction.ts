import type pg from 'pg';
import type { Clock } from '../../common/clock.js';
import type { ConnectionMode, Outcome } from '../../common/sample.js';
import { isSqlStateError, outcomeForSqlError } from './classify-sql-error.js';
import { type SqlConnections, type SqlSession, within } from './sql-connections.js';

const TIMED_OUT = Symbol('timed out');

export interface TransactionResult {
  outcome: Outcome;
  version?: string;
  endMs: number;
}

export interface TransactionSpec {
  connections: SqlConnections;
  mode: ConnectionMode;
  timeoutMs: number;
  clock: Clock;
  /** The transaction's statements on the checked-out connection; rejects on failure. */
  body(client: pg.ClientBase): Promise<void>;
}

/**
 * Runs one transaction: get a connection (pool or fresh), learn its version, run the body.
 * Never throws: errors become failure classes. The whole exchange is bounded by `timeoutMs`; a
 * connection we gave up on, or that is broken or mid-transaction, is closed rather than reused.
 * Resolves after the connection is given back or closed (bounded too), `endMs` is taken before.
 */
export async function runTransaction(spec: TransactionSpec): Promise<TransactionResult> {
  const held: { session?: SqlSession; timedOut: boolean } = { timedOut: false };
  const attempt = (async () => {
    const opened = await spec.connections.open(spec.mode);
    held.session = opened;
    if (held.timedOut) throw new Error('transaction abandoned after its deadline');
    const version = await spec.connections.version(opened.client);
    await spec.body(opened.client);
    return version;
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((done) => {
    timer = setTimeout(() => done(TIMED_OUT), spec.timeoutMs);
  });
  try {
    const first = await Promise.race([attempt, deadline]);
    const endMs = spec.clock.now();
    if (first === TIMED_OUT) {
      held.timedOut = true;
      // Closing the connection fails the statement still running on it, so `attempt` settles.
      await held.session?.done(true);
      await within(attempt, spec.timeoutMs + 1000);
      await held.session?.done(true);
      return { outcome: 'timeout', endMs };
    }
    await held.session?.done(false);
    return first === undefined ? { outcome: 'ok', endMs } : { outcome: 'ok', version: first, endMs };
  } catch (err: unknown) {
    const endMs = spec.clock.now();
    const outcome = outcomeForSqlError(err, false);
    // A plain SQL error leaves an idle, healthy connection: keep it, as a real client would.
    const client = held.session?.client;
    const keep = outcome === 'other' && isSqlStateError(err) && client?.getTransactionStatus() === 'I';
    await held.session?.done(!keep);
    return { outcome, endMs };
  } finally {
    clearTimeout(timer);
  }
}
