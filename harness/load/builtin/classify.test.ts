import { describe, expect, it } from 'vitest';
import { outcomeForError, outcomeForStatus, readVersion } from './classify.js';

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('outcomeForStatus', () => {
  it('is ok for an expected status and classifies the rest', () => {
    expect(outcomeForStatus(201, [200, 201])).toBe('ok');
    expect(outcomeForStatus(503, [200])).toBe('http_5xx');
    expect(outcomeForStatus(404, [200])).toBe('http_4xx');
    expect(outcomeForStatus(302, [200])).toBe('other');
    expect(outcomeForStatus(503, [503])).toBe('ok');
  });
});

describe('outcomeForError', () => {
  it('maps error codes to failure classes', () => {
    expect(outcomeForError(coded('ECONNREFUSED'), false)).toBe('refused');
    expect(outcomeForError(coded('ECONNRESET'), false)).toBe('reset');
    expect(outcomeForError(coded('UND_ERR_SOCKET', 'other side closed'), false)).toBe('reset');
    expect(outcomeForError(new Error('other side closed'), false)).toBe('reset');
    expect(outcomeForError(coded('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), false)).toBe('reset');
    expect(outcomeForError(coded('ENOTFOUND'), false)).toBe('dns');
    expect(outcomeForError(coded('EAI_AGAIN'), false)).toBe('dns');
    expect(outcomeForError(coded('UND_ERR_HEADERS_TIMEOUT'), false)).toBe('timeout');
    expect(outcomeForError(coded('UND_ERR_CONNECT_TIMEOUT'), false)).toBe('timeout');
    expect(outcomeForError(new Error('weird'), false)).toBe('other');
    expect(outcomeForError('not an error', false)).toBe('other');
  });

  it('says timeout when our own deadline fired, whatever the error', () => {
    expect(outcomeForError(coded('ECONNRESET'), true)).toBe('timeout');
  });

  it('looks into causes and aggregate errors', () => {
    expect(outcomeForError(new Error('fetch failed', { cause: coded('ECONNREFUSED') }), false)).toBe(
      'refused',
    );
    expect(outcomeForError(new AggregateError([coded('ECONNREFUSED')], 'all failed'), false)).toBe('refused');
  });
});

describe('readVersion', () => {
  it('reads a header case-insensitively', () => {
    expect(readVersion({ 'x-app-version': '2.0.0' }, undefined, { header: 'X-App-Version' })).toBe('2.0.0');
    expect(readVersion({ 'x-app-version': ['3', '4'] }, undefined, { header: 'x-app-version' })).toBe('3');
    expect(readVersion({}, undefined, { header: 'x-app-version' })).toBeUndefined();
  });

  it('reads a top-level JSON field, tolerating bodies that are not JSON objects', () => {
    expect(readVersion({}, '{"version":"1.2.3"}', { jsonField: 'version' })).toBe('1.2.3');
    expect(readVersion({}, '{"version":7}', { jsonField: 'version' })).toBe('7');
    expect(readVersion({}, '{"nested":{"version":"x"}}', { jsonField: 'version' })).toBeUndefined();
    expect(readVersion({}, 'not json', { jsonField: 'version' })).toBeUndefined();
    expect(readVersion({}, '[1]', { jsonField: 'version' })).toBeUndefined();
  });

  it('prefers the header and falls back to the body', () => {
    const probe = { header: 'x-v', jsonField: 'version' };
    expect(readVersion({ 'x-v': 'h' }, '{"version":"b"}', probe)).toBe('h');
    expect(readVersion({}, '{"version":"b"}', probe)).toBe('b');
  });
});
