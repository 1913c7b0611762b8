import { errorMessage } from '../../common/errors.js';
import { redact } from '../../common/redact.js';

/**
 * How an error of @kubernetes/client-node is told in one line, the same everywhere (namespaces,
 * the operator's objects, the port-forward, gc).
 */
/** The HTTP status of an error client-node threw, when it is one. */
export function apiCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * What went wrong, in one line: `403: namespaces is forbidden: …` from a Status body, else the
 * error's first line (client-node's own messages carry the response headers after it).
 */
export function apiErrorText(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null | undefined)?.message;
  const code = apiCode(err);
  if (typeof message === 'string' && message) return redact(code ? `${code}: ${message}` : message);
  const cause = (err as { cause?: unknown } | null)?.cause;
  const causeCode = (cause as { code?: unknown } | null | undefined)?.code;
  const first = errorMessage(err).split('\n')[0] ?? '';
  return redact(
    typeof causeCode === 'string' && !first.includes(causeCode) ? `${first} (${causeCode})` : first,
  );
}
