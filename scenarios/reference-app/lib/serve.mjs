/**
 * What every release of the reference app shares: the HTTP server on 127.0.0.1:$PORT, the
 * PostgreSQL pool on $DATABASE_URL, health/readiness/version endpoints, the `x-app-version`
 * header on every response, and a graceful shutdown on SIGTERM/SIGINT (stop accepting, finish
 * in-flight requests, close idle keep-alive connections, end the pool, exit 0).
 *
 * Env: PORT (default 0: any free port), DATABASE_URL (required),
 * SHUTDOWN_TIMEOUT_MS (default 10000: after it, open connections are cut and the exit code is 1).
 *
 * Stdout carries JSON lines; the first is `{"event":"listening","port":N,"version":"..."}`.
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { HttpError } from './http.mjs';

export { HttpError, isUniqueViolation, readJson, stringField } from './http.mjs';

/** @param {Record<string, unknown>} fields */
function logLine(fields) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

/** Logs errors to stderr, at most one line per second, counting what it skipped. */
function errorLogger() {
  let lastMs = 0;
  let skipped = 0;
  return (/** @type {Record<string, unknown>} */ fields) => {
    const now = Date.now();
    if (now - lastMs < 1000) {
      skipped++;
      return;
    }
    lastMs = now;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields, skipped })}\n`);
    skipped = 0;
  };
}

/** @param {string} pattern e.g. `/api/items/:key` */
function compile(pattern) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  const regex = new RegExp(`^${source}$`);
  return (/** @type {string} */ path) => {
    const match = regex.exec(path);
    if (!match) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
  };
}

/**
 * @typedef {{ status: number, body: unknown, headers?: Record<string, string> }} Reply
 * @typedef {{ params: Record<string, string>, url: URL }} RouteContext
 * @typedef {{ method: string, path: string, handler: (req: import('node:http').IncomingMessage, ctx: RouteContext) => Promise<Reply> }} Route
 * @typedef {{
 *   version: string,
 *   routes: (deps: { db: pg.Pool }) => Route[],
 *   configError?: string,
 * }} Release
 */

/**
 * Starts a release. `configError`, when set, is logged at start and makes /readyz answer 503.
 * @param {Release} release
 */
export async function serve(release) {
  const { version } = release;
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write('reference-app: DATABASE_URL is not set\n');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? '0');
  const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? '10000');
  const logError = errorLogger();

  const db = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 2000,
    query_timeout: 10_000,
  });
  // An idle client's connection can die (the database restarts); the pool replaces it.
  db.on('error', (err) => logError({ event: 'pool_error', message: err.message }));

  if (release.configError) logLine({ event: 'config_error', version, message: release.configError });

  let closing = false;
  let inFlight = 0;
  const routes = [
    ...builtinRoutes({ version, db, configError: release.configError, isClosing: () => closing }),
    ...release.routes({ db }),
  ].map((route) => ({ ...route, match: compile(route.path) }));

  const server = createServer(async (req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (closing) server.closeIdleConnections();
    });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    /** @type {Reply} */
    let reply;
    try {
      reply = await dispatch(routes, req, url);
    } catch (err) {
      if (err instanceof HttpError) {
        reply = { status: err.status, body: { error: err.message } };
      } else {
        const message = err instanceof Error ? err.message : String(err);
        logError({ event: 'request_failed', method: req.method, path: url.pathname, message });
        reply = { status: 500, body: { error: 'internal error', detail: message } };
      }
    }
    const headers = {
      'content-type': 'application/json',
      'x-app-version': version,
      ...reply.headers,
    };
    // Once shutting down, no connection is kept for another request.
    if (closing) headers.connection = 'close';
    res.writeHead(reply.status, headers);
    res.end(JSON.stringify(reply.body));
  });

  async function shutdown(signal) {
    if (closing) return;
    closing = true;
    logLine({ event: 'shutdown', signal, version, inFlight });
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      logLine({ event: 'shutdown_timeout', inFlight });
      server.closeAllConnections();
    }, shutdownTimeoutMs);
    await closed;
    clearTimeout(timer);
    await db.end().catch((err) => logError({ event: 'pool_end_failed', message: err.message }));
    logLine({ event: 'stopped', version });
    process.exit(timedOut ? 1 : 0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  });
  const address = server.address();
  logLine({
    event: 'listening',
    port: typeof address === 'object' && address ? address.port : port,
    version,
  });
}

async function dispatch(routes, req, url) {
  let pathMatched = false;
  for (const route of routes) {
    const params = route.match(url.pathname);
    if (!params) continue;
    pathMatched = true;
    if (route.method === req.method) return route.handler(req, { params, url });
  }
  if (pathMatched) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
  throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
}

/**
 * @param {{ version: string, db: pg.Pool, configError: string | undefined, isClosing: () => boolean }} deps
 * @returns {Route[]}
 */
function builtinRoutes({ version, db, configError, isClosing }) {
  return [
    { method: 'GET', path: '/healthz', handler: async () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async () => {
        if (configError) return { status: 503, body: { status: 'not ready', reason: configError } };
        if (isClosing()) return { status: 503, body: { status: 'not ready', reason: 'shutting down' } };
        try {
          await db.query('SELECT 1');
          return { status: 200, body: { status: 'ready' } };
        } catch (err) {
          const reason = `database: ${err instanceof Error ? err.message : String(err)}`;
          return { status: 503, body: { status: 'not ready', reason } };
        }
      },
    },
    { method: 'GET', path: '/version', handler: async () => ({ status: 200, body: { version } }) },
    {
      // For shutdown tests: a request that stays in flight for `ms` milliseconds.
      method: 'GET',
      path: '/debug/slow',
      handler: async (_req, { url }) => {
        const ms = Math.min(Math.max(Number(url.searchParams.get('ms') ?? '300') || 0, 0), 30_000);
        logLine({ event: 'debug_slow_started', ms });
        await sleep(ms);
        return { status: 200, body: { sleptMs: ms } };
      },
    },
  ];
}
