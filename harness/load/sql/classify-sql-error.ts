import type { FailureClass } from '../../common/sample.js';
import { causes } from '../error-causes.js';

/**
 * SQLSTATEs that end the session: the server went away or threw us out (admin_shutdown,
 * crash_shutdown, idle session timeout, and class 08 connection exceptions).
 */
const RESET_SQLSTATES = new Set(['57P01', '57P02', '57P05', '08000', '08003', '08006', '08007', '08P01']);
/**
 * SQLSTATEs of a server that answers but will not take a session yet (starting up, shutting down,
 * too many connections): the SQL analogue of a refused connection.
 */
const REFUSED_SQLSTATES = new Set(['57P03', '08001', '08004', '53300']);
/** statement_timeout / cancel, lock_timeout. */
const TIMEOUT_SQLSTATES = new Set(['57014', '55P03']);

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);

// node-postgres reports its own conditions with plain messages, not codes.
const PG_RESET_MESSAGES = /connection terminated|not queryable|socket hang up|other side closed/i;
const PG_TIMEOUT_MESSAGES = /query read timeout|timeout expired|timeout exceeded when trying to connect/i;

/**
 * The failure class of a transaction that ended in an error. `timedOut` is our own deadline firing.
 * Connection-level failures are classified first; any other SQL error is `other`.
 */
export function outcomeForSqlError(err: unknown, timedOut: boolean): FailureClass {
  if (timedOut) return 'timeout';
  for (const e of causes(err)) {
    const code = typeof e.code === 'string' ? e.code : '';
    const message = e.message ?? '';
    if (code === 'ECONNREFUSED' || REFUSED_SQLSTATES.has(code)) return 'refused';
    if (RESET_CODES.has(code) || RESET_SQLSTATES.has(code)) return 'reset';
    if (TIMEOUT_CODES.has(code) || TIMEOUT_SQLSTATES.has(code)) return 'timeout';
    if (DNS_CODES.has(code)) return 'dns';
    if (PG_TIMEOUT_MESSAGES.test(message)) return 'timeout';
    if (PG_RESET_MESSAGES.test(message)) return 'reset';
  }
  return 'other';
}

/** Whether the error came from the server as an SQL error (it has a SQLSTATE), as opposed to the network. */
export function isSqlStateError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, severity } = err as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string';
}
