/** Small HTTP helpers shared by every release: JSON bodies, errors with a status, request bodies. */

const MAX_BODY_BYTES = 64 * 1024;

/** An error a handler throws to answer with `status` and `{ error: message }`. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads and parses a JSON object body.
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<Record<string, unknown>>}
 */
export async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let value;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  return value;
}

/**
 * @param {Record<string, unknown>} body
 * @param {string} field
 * @param {{ optional?: boolean, max?: number }} [options]
 * @returns {string | undefined}
 */
export function stringField(body, field, { optional = false, max = 500 } = {}) {
  const value = body[field];
  if (value === undefined || value === null) {
    if (optional) return undefined;
    throw new HttpError(400, `"${field}" is required`);
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new HttpError(400, `"${field}" must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/** PostgreSQL's unique_violation. */
export function isUniqueViolation(err) {
  return typeof err === 'object' && err !== null && /** @type {{ code?: string }} */ (err).code === '23505';
}
