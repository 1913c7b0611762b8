import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny replica for front-door tests: answers with `x-app-version`, has a switchable readiness
 * endpoint and a few slow routes. Test-only; lives here because the front door's tests share it.
 */
export interface TestBackend {
  readonly url: string;
  readonly version: string;
  /** What `/healthz` answers: 200 when true, 503 when false. */
  ready: boolean;
  /** Requests seen, probes excluded. */
  readonly served: number;
  /** Requests whose client went away before the answer was sent. */
  readonly aborted: number;
  /** Graceful: stop listening, close idle connections, wait for the rest (bounded). */
  close(): Promise<void>;
  /** Abrupt: drop every connection at once, as a crashed process would. */
  kill(): Promise<void>;
  /** Answers every request waiting on `/gate`. */
  openGate(): void;
}

const SLOW_MS = 300;
const HANG_MS = 5_000;

export async function startTestBackend(
  version: string,
  options: { ready?: boolean } = {},
): Promise<TestBackend> {
  let served = 0;
  let aborted = 0;
  const state = { ready: options.ready ?? true };

  const reply = (res: ServerResponse, body: string) => {
    res.writeHead(200, {
      'content-type': 'text/plain',
      'x-app-version': version,
      'set-cookie': ['a=1', 'b=2'],
    });
    res.end(body);
  };
  const later = (req: IncomingMessage, res: ServerResponse, ms: number) => {
    const timer = setTimeout(() => reply(res, `${version} after ${ms} ms`), ms);
    res.once('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) aborted += 1;
    });
    req.resume();
  };

  const gate = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/healthz') {
      res.writeHead(state.ready ? 200 : 503, { 'x-app-version': version });
      res.end(state.ready ? 'ok' : 'not ready');
      return;
    }
    served += 1;
    if (path === '/slow') return later(req, res, SLOW_MS);
    if (path === '/hang') return later(req, res, HANG_MS);
    if (path === '/gate') {
      const timer = setTimeout(() => reply(res, `${version} gate timed out`), HANG_MS);
      const open = () => {
        clearTimeout(timer);
        reply(res, `${version} through the gate`);
      };
      gate.add(open);
      res.once('close', () => {
        clearTimeout(timer);
        gate.delete(open);
        if (!res.writableFinished) aborted += 1;
      });
      req.resume();
      return;
    }
    if (path === '/echo') {
      res.writeHead(200, { 'x-app-version': version, 'x-method': req.method ?? '' });
      req.pipe(res);
      return;
    }
    req.resume();
    reply(res, `${version} ${req.method} ${path} host=${req.headers.host ?? ''}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const closeServer = (abrupt: boolean) =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      const force = setTimeout(() => server.closeAllConnections(), abrupt ? 0 : 2_000);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      if (abrupt) server.closeAllConnections();
      else server.closeIdleConnections();
    });

  return {
    url,
    version,
    get ready() {
      return state.ready;
    },
    set ready(value: boolean) {
      state.ready = value;
    },
    get served() {
      return served;
    },
    get aborted() {
      return aborted;
    },
    openGate: () => {
      for (const open of [...gate]) open();
      gate.clear();
    },
    close: () => closeServer(false),
    kill: () => closeServer(true),
  };
}

/** One GET over a fresh connection (`agent: false`, `Connection: close`); resolves with status and version. */
export function getOnNewConnection(url: string): Promise<{ status: number; version: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => {
        const header = res.headers['x-app-version'];
        resolve({ status: res.statusCode ?? 0, version: typeof header === 'string' ? header : undefined });
      });
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end();
  });
}
