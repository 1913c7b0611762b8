import { Agent, interceptors, request } from 'undici';
import { AbortedError, errorMessage, InfraError } from '../../common/errors.js';
import { redact } from '../../common/redact.js';

export interface FetchLimits {
  /** The whole fetch (connect, headers, body), in ms. */
  timeoutMs: number;
  maxBytes: number;
  /** Redirects followed (release downloads redirect to a CDN). */
  maxRedirections: number;
}

export const MANIFEST_FETCH_LIMITS: FetchLimits = {
  timeoutMs: 30_000,
  maxBytes: 5 * 1024 * 1024,
  maxRedirections: 5,
};

const HINT =
  'check the URL in operator.manifests (it may name a release that does not exist), or download the file and list its path instead';

/** The URL for messages: no user or password, every query value hidden (signed URLs carry secrets there). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const key of new Set(u.searchParams.keys())) u.searchParams.set(key, '***');
    return redact(u.toString());
  } catch {
    return redact(url.replace(/[?#].*$/s, '?***'));
  }
}

/**
 * GETs an operator manifest over http(s): 2xx only, redirects followed, at most `maxBytes`, all
 * within `timeoutMs`. Failures are InfraErrors naming the URL without its secrets; an abort of
 * `signal` is an AbortedError.
 */
export async function fetchManifest(
  url: string,
  signal: AbortSignal,
  limits: FetchLimits = MANIFEST_FETCH_LIMITS,
): Promise<string> {
  const shown = safeUrl(url);
  const protocol = protocolOf(url);
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InfraError(`operator manifest ${shown}: only http and https URLs are fetched`);
  }
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const agent = new Agent({ connectTimeout: limits.timeoutMs });
  const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: limits.maxRedirections }));
  try {
    const response = await request(url, {
      method: 'GET',
      dispatcher,
      signal: AbortSignal.any([signal, timeout]),
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
      headers: { accept: 'application/yaml, application/x-yaml, text/yaml, text/plain, */*' },
    });
    const { statusCode, body } = response;
    if (statusCode < 200 || statusCode >= 300) {
      await body.dump().catch(() => {});
      throw new InfraError(`fetching operator manifest ${shown} failed: HTTP ${statusCode}`, { hint: HINT });
    }
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length > limits.maxBytes) {
      body.destroy();
      throw tooLarge(shown, limits);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limits.maxBytes) {
        body.destroy();
        throw tooLarge(shown, limits);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (err instanceof InfraError) throw err;
    if (signal.aborted) throw new AbortedError(`interrupted while fetching operator manifest ${shown}`);
    if (timeout.aborted) {
      throw new InfraError(
        `fetching operator manifest ${shown} took longer than ${limits.timeoutMs / 1000} s`,
        { cause: err, hint: HINT },
      );
    }
    const message = redact(errorMessage(err).replaceAll(url, shown));
    throw new InfraError(`fetching operator manifest ${shown} failed: ${message}`, {
      cause: err,
      hint: HINT,
    });
  } finally {
    await agent.close().catch(() => {});
  }
}

function tooLarge(shown: string, limits: FetchLimits): InfraError {
  return new InfraError(
    `operator manifest ${shown} is larger than ${Math.round(limits.maxBytes / 1024 / 1024)} MB`,
    { hint: 'an operator manifest of this size is unusual: check the URL' },
  );
}

function protocolOf(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}
