import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { FrontDoorBackend } from './front-door-backend.js';
import { endToEndHeaders, hasRequestBody, originFormPath } from './front-door-headers.js';

/** Value of the `x-front-door` header on answers the front door makes itself. */
export type FrontDoorVerdict = 'no-backend' | 'upstream-error' | 'upstream-timeout';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Writes an answer of the front door's own, unless the response has already started. */
export function answer(
  res: ServerResponse,
  status: number,
  verdict: FrontDoorVerdict,
  message: string,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = `front door: ${message}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-front-door': verdict,
  });
  res.end(body);
}

/**
 * Forwards one client request to `backend` and streams the answer back. The caller has already
 * counted the request against the backend (`acquire`); this releases it when the exchange ends,
 * whichever way it ends. Never rejects.
 */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  backend: FrontDoorBackend,
  logger: Logger,
): Promise<void> {
  const abort = new AbortController();
  // A client that goes away takes its upstream request with it.
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', onClose);
  const withBody = hasRequestBody(req.headers);
  // A PassThrough, so that undici destroying the body on an upstream error does not destroy the
  // client's socket: the client gets a 502, not a reset.
  const body = withBody ? req.pipe(new PassThrough()) : undefined;
  let upstream: Dispatcher.ResponseData | undefined;
  try {
    upstream = await backend.pool.request({
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      path: originFormPath(req.url),
      headers: endToEndHeaders(req.headers),
      body: body ?? null,
      signal: abort.signal,
    });
  } catch (err: unknown) {
    if (!abort.signal.aborted) {
      const timedOut = TIMEOUT_CODES.has(errorCode(err) ?? '');
      logger.debug({ backend: backend.id, err: errorMessage(err) }, 'upstream request failed');
      if (withBody && !req.destroyed) {
        req.unpipe();
        req.resume();
      }
      if (timedOut) answer(res, 504, 'upstream-timeout', `backend ${backend.id} did not answer in time`);
      else answer(res, 502, 'upstream-error', `backend ${backend.id} failed: ${errorMessage(err)}`);
    }
    finish(res, onClose, backend);
    return;
  }
  try {
    if (abort.signal.aborted) throw new Error('client went away');
    res.writeHead(upstream.statusCode, upstream.statusText || undefined, endToEndHeaders(upstream.headers));
    await pipeline(upstream.body, res);
  } catch (err: unknown) {
    // Past the headers there is no honest status to send: cut the response, as the backend did.
    if (!abort.signal.aborted)
      logger.debug({ backend: backend.id, err: errorMessage(err) }, 'upstream response broke off');
    upstream.body.destroy();
    res.destroy();
  } finally {
    finish(res, onClose, backend);
  }
}

function finish(res: ServerResponse, onClose: () => void, backend: FrontDoorBackend): void {
  res.off('close', onClose);
  backend.release();
}
