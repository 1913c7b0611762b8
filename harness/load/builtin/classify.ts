import type { FailureClass, Outcome } from '../../common/sample.js';
import type { VersionProbeConfig } from '../../config/types.js';
import { causes } from '../error-causes.js';

/** ok when the status is expected; otherwise the class of the unexpected status. */
export function outcomeForStatus(status: number, expectStatus: readonly number[]): Outcome {
  if (expectStatus.includes(status)) return 'ok';
  if (status >= 500 && status <= 599) return 'http_5xx';
  if (status >= 400 && status <= 499) return 'http_4xx';
  return 'other';
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);
// A body cut short of its content-length is a connection that ended mid-response: undici says so
// with a socket error on keep-alive connections, and with a length mismatch on `connection: close`.
const RESET_CODES = new Set([
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);

/** The failure class of a request that ended in an error; `timedOut` is our own deadline firing. */
export function outcomeForError(err: unknown, timedOut: boolean): FailureClass {
  if (timedOut) return 'timeout';
  for (const e of causes(err)) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (code === 'ECONNREFUSED') return 'refused';
    if (TIMEOUT_CODES.has(code) || e.name === 'TimeoutError') return 'timeout';
    if (RESET_CODES.has(code) || /other side closed|socket hang up/i.test(e.message ?? '')) return 'reset';
    if (DNS_CODES.has(code)) return 'dns';
  }
  return 'other';
}

/** The serving version from a header or a top-level JSON field of the body, if the probe names one. */
export function readVersion(
  headers: Record<string, string | string[] | undefined>,
  body: string | undefined,
  probe: VersionProbeConfig,
): string | undefined {
  if (probe.header) {
    const value = headers[probe.header.toLowerCase()];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== '') return first;
  }
  if (probe.jsonField && body !== undefined) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const value = (parsed as Record<string, unknown>)[probe.jsonField];
        if (typeof value === 'string' || typeof value === 'number') return String(value);
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}
