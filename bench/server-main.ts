/**
 * The benchmark's server, run as its own process so it shares no event loop with a generator:
 * node:http on 127.0.0.1 and an OS-chosen port, 200 with a small body and `x-app-version`.
 * Prints `{"port":N}` once listening; exits on SIGTERM/SIGINT or after `maxLifetimeMs` (argv[2]).
 */
import { createServer } from 'node:http';

const maxLifetimeMs = Number(process.argv[2] ?? 600_000);
const body = Buffer.from('{"ok":true}\n');
const headers = {
  'content-type': 'application/json',
  'content-length': String(body.length),
  'x-app-version': '1.0.0',
};

const server = createServer((req, res) => {
  // The body of a request (none in this benchmark) must be read for keep-alive to go on.
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.maxRequestsPerSocket = 0;

function shutdown(code: number): void {
  server.close(() => process.exit(code));
  server.closeAllConnections();
  setTimeout(() => process.exit(code), 2000).unref();
}

process.once('SIGTERM', () => shutdown(0));
process.once('SIGINT', () => shutdown(0));
setTimeout(() => shutdown(0), Number.isFinite(maxLifetimeMs) ? maxLifetimeMs : 600_000).unref();

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
