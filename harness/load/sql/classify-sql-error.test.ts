import { describe, expect, it } from 'vitest';
import { isSqlStateError, outcomeForSqlError } from './classify-sql-error.js';

/** What node-postgres' DatabaseError looks like: a message, a severity and a SQLSTATE code. */
function dbError(code: string, message = 'server said no'): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('outcomeForSqlError', () => {
  it.each([
    [netError('ECONNREFUSED'), 'refused'],
    [new AggregateError([netError('ECONNREFUSED')], 'all attempts failed'), 'refused'],
    [dbError('57P03', 'the database system is starting up'), 'refused'],
    [dbError('53300', 'sorry, too many clients already'), 'refused'],
    [netError('ECONNRESET'), 'reset'],
    [netError('EPIPE'), 'reset'],
    [dbError('57P01', 'terminating connection due to administrator command'), 'reset'],
    [dbError('57P02'), 'reset'],
    [dbError('08006'), 'reset'],
    [dbError('08003'), 'reset'],
    [new Error('Connection terminated unexpectedly'), 'reset'],
    [new Error('Client has encountered a connection error and is not queryable'), 'reset'],
    [new Error('wrapped', { cause: netError('ECONNRESET') }), 'reset'],
    [dbError('57014', 'canceling statement due to statement timeout'), 'timeout'],
    [dbError('55P03', 'canceling statement due to lock timeout'), 'timeout'],
    [new Error('Query read timeout'), 'timeout'],
    [new Error('timeout expired'), 'timeout'],
    [new Error('timeout exceeded when trying to connect'), 'timeout'],
    [netError('ETIMEDOUT'), 'timeout'],
    [netError('ENOTFOUND'), 'dns'],
    [dbError('22012', 'division by zero'), 'other'],
    [dbError('23505', 'duplicate key value violates unique constraint'), 'other'],
    [dbError('42P01', 'relation "nope" does not exist'), 'other'],
    ['a string', 'other'],
    [null, 'other'],
  ] as const)('%s → %s', (err, expected) => {
    expect(outcomeForSqlError(err, false)).toBe(expected);
  });

  it('is a timeout when our own deadline fired, whatever the error', () => {
    expect(outcomeForSqlError(dbError('22012'), true)).toBe('timeout');
  });
});

describe('isSqlStateError', () => {
  it('tells server SQL errors from network errors', () => {
    expect(isSqlStateError(dbError('22012'))).toBe(true);
    expect(isSqlStateError(netError('ECONNRESET'))).toBe(false);
    expect(isSqlStateError(new Error('Connection terminated'))).toBe(false);
    expect(isSqlStateError(undefined)).toBe(false);
  });
});
