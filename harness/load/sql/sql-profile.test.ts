import { describe, expect, it } from 'vitest';
import { quoteTable, type SqlLoadProfile, validateSqlProfile } from './sql-profile.js';

const good: SqlLoadProfile = {
  url: 'postgres://app:s3cret@127.0.0.1:5432/app',
  rate: 10,
  connections: ['reused', 'new'],
  timeoutMs: 1000,
  maxInFlight: 10,
  maxDurationMs: 1000,
  statements: [{ name: 'one', class: 'read', sql: 'SELECT 1', weight: 1 }],
  writer: { table: 'public.ledger', rate: 5 },
};

describe('validateSqlProfile', () => {
  it('accepts a sound profile, and a writer-only one', () => {
    expect(() => validateSqlProfile(good)).not.toThrow();
    expect(() => validateSqlProfile({ ...good, rate: 0, connections: [], statements: [] })).not.toThrow();
  });

  it('names every problem at once, without echoing the password of the URL', () => {
    let message = '';
    try {
      validateSqlProfile({
        ...good,
        url: 'mysql://app:s3cret@host/db',
        rate: -1,
        connections: ['new', 'new'],
        timeoutMs: 0,
        maxInFlight: 0,
        maxDurationMs: 0,
        poolSize: 0,
        writer: { table: 'ledger; DROP TABLE x', rate: 0 },
      });
    } catch (err) {
      message = (err as Error).message;
      expect((err as { code?: string }).code).toBe('CONFIG_INVALID');
    }
    for (const part of [
      'url',
      'rate',
      'connections',
      'timeoutMs',
      'maxInFlight',
      'maxDurationMs',
      'poolSize',
    ])
      expect(message).toContain(part);
    expect(message).toContain('writer.rate');
    expect(message).toContain('writer.table');
    expect(message).not.toContain('s3cret');
  });

  it('refuses statement weights that are not positive and duplicate statement names', () => {
    expect(() =>
      validateSqlProfile({
        ...good,
        statements: [
          { name: 'a', class: 'read', sql: 'SELECT 1', weight: 0 },
          { name: 'a', class: 'read', sql: 'SELECT 2', weight: 1 },
        ],
      }),
    ).toThrow(/weight must be > 0.*name used twice/);
    expect(() => validateSqlProfile({ ...good, statements: [] })).toThrow(/no statements/);
  });
});

describe('quoteTable', () => {
  it('quotes a name and a schema-qualified name, and refuses anything else', () => {
    expect(quoteTable('ledger')).toBe('"ledger"');
    expect(quoteTable('app.Ledger')).toBe('"app"."Ledger"');
    expect(() => quoteTable('a"b')).toThrow();
    expect(() => quoteTable('a.b.c')).toThrow();
  });
});
