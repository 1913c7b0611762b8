import { type Dispatcher, request } from 'undici';
import type { Clock } from '../../common/clock.js';
import type { Outcome } from '../../common/sample.js';
import type { VersionProbeConfig } from '../../config/types.js';
import { outcomeForError, outcomeForStatus, readVersion } from './classify.js';

export interface RequestSpec {
  method: Dispatcher.HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  dispatcher: Dispatcher;
  /** Ask for `connection: close` so the connection is not reused. */
  closeConnection: boolean;
  timeoutMs: number;
  expectStatus: readonly number[];
  versionProbe: VersionProbeConfig;
  clock: Clock;
}

export interface RequestResult {
  outcome: Outcome;
  status?: number;
  version?: string;
  endMs: number;
}

/**
 * Sends one request and always reads its body to the end (a response counts when fully received).
 * Never throws: errors become failure classes. The whole exchange is bounded by `timeoutMs`.
 */
export async function sendRequest(spec: RequestSpec): Promise<RequestResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, spec.timeoutMs);
  let status: number | undefined;
  try {
    const res = await request(spec.url, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      dispatcher: spec.dispatcher,
      signal: controller.signal,
      reset: spec.closeConnection,
      headersTimeout: spec.timeoutMs,
      bodyTimeout: spec.timeoutMs,
    });
    status = res.statusCode;
    let text: string | undefined;
    if (spec.versionProbe.jsonField) {
      text = await res.body.text();
    } else {
      for await (const _chunk of res.body) {
        // drained: the body must arrive in full for the response to count
      }
    }
    const version = readVersion(res.headers, text, spec.versionProbe);
    const result: RequestResult = {
      outcome: outcomeForStatus(status, spec.expectStatus),
      status,
      endMs: spec.clock.now(),
    };
    if (version !== undefined) result.version = version;
    return result;
  } catch (err: unknown) {
    const result: RequestResult = { outcome: outcomeForError(err, timedOut), endMs: spec.clock.now() };
    if (status !== undefined) result.status = status;
    return result;
  } finally {
    clearTimeout(timer);
  }
}
