import { describe, expect, it } from 'vitest';
import { redact, redactDeep } from './redact.js';

describe('redact', () => {
  it('hides passwords in URLs, key=value secrets and bearer tokens', () => {
    expect(redact('postgres://app:s3cret@127.0.0.1:5432/db')).toBe('postgres://app:***@127.0.0.1:5432/db');
    expect(redact('PGPASSWORD=hunter2 token: abc.def')).toBe('PGPASSWORD=*** token: ***');
    expect(redact('Authorization: Bearer eyJabc.def')).toBe('Authorization: Bearer ***');
  });

  it("hides a kubeconfig's key material (client-node quotes the file in its parse errors)", () => {
    expect(redact('    client-key-data: TUlJRXZRSUJBREFO==\n    client-certificate-data: "TUlJQ2"')).toBe(
      '    client-key-data: ***\n    client-certificate-data: "***"',
    );
  });

  it('redactDeep also hides the value of keys that name a secret, whatever the value looks like', () => {
    const values = { postgresql: { password: 'plain', port: 5432 }, auth: { apiKey: 12345, user: 'x' } };
    expect(redactDeep(values)).toEqual({
      postgresql: { password: '***', port: 5432 },
      auth: { apiKey: '***', user: 'x' },
    });
    // keys that only mention a secret-ish word as part of something else stay
    expect(redactDeep({ acknowledgedKeys: ['k1'], tokenizer: 'x' })).toEqual({
      acknowledgedKeys: ['k1'],
      tokenizer: '***',
    });
  });
});
