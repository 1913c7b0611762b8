/**
 * Runs a ScriptedServer in a process of its own, so that its script keeps time whatever the test's
 * event loop (the load generator) is doing. Started by ScriptedServerProcess:
 *
 *   node --import tsx scripted-server-main.ts '<ScriptedServerMainConfig as JSON>'
 *
 * When both servers listen it prints one line `{"port":…,"controlPort":…}` to stdout. The control
 * server (127.0.0.1, its own port, untouched by the script) answers `GET /now` → `{"now": epoch ms}`,
 * `POST /run` with `{"t0": epoch ms}` → 204 (arms the script, times on this process' clock) and
 * `GET /state` → ScriptedServerState. The process exits on SIGTERM or SIGINT, and by itself after
 * `maxLifetimeMs` so that a test which died without stopping it leaves nothing behind for long.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { systemClock } from '../common/clock.js';
import { ScriptedServer, type ScriptWindow } from './scripted-server.js';

export interface ScriptedServerMainConfig {
  script: ScriptWindow[];
  initialVersion?: string;
  maxLifetimeMs: number;
}

export interface ScriptedServerReady {
  port: number;
  controlPort: number;
}

function parseConfig(text: string | undefined): ScriptedServerMainConfig {
  const raw = JSON.parse(text ?? '') as Partial<ScriptedServerMainConfig>;
  if (!Array.isArray(raw.script)) throw new Error('config.script must be an array');
  if (typeof raw.maxLifetimeMs !== 'number' || !(raw.maxLifetimeMs > 0)) {
    throw new Error('config.maxLifetimeMs must be a positive number');
  }
  const config: ScriptedServerMainConfig = { script: raw.script, maxLifetimeMs: raw.maxLifetimeMs };
  if (typeof raw.initialVersion === 'string') config.initialVersion = raw.initialVersion;
  return config;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function control(server: ScriptedServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/now') return send(res, 200, { now: systemClock.now() });
  if (req.method === 'GET' && req.url === '/state') return send(res, 200, server.state());
  if (req.method === 'POST' && req.url === '/run') {
    const { t0 } = JSON.parse(await readBody(req)) as { t0?: unknown };
    if (typeof t0 !== 'number' || !Number.isFinite(t0))
      return send(res, 400, { error: 't0 must be a number' });
    server.run(t0);
    return send(res, 204);
  }
  send(res, 404, { error: `unknown control request ${req.method} ${req.url}` });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('control server has no address');
  return address.port;
}

async function main(argv: readonly string[]): Promise<void> {
  const config = parseConfig(argv[2]);
  const server = await ScriptedServer.start({
    script: config.script,
    ...(config.initialVersion === undefined ? {} : { initialVersion: config.initialVersion }),
  });
  const controlServer = createServer((req, res) => {
    control(server, req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
  const controlPort = await listen(controlServer);
  let exiting = false;
  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    controlServer.closeAllConnections();
    controlServer.close();
    void server.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', exit);
  process.once('SIGINT', exit);
  setTimeout(exit, config.maxLifetimeMs).unref();
  const ready: ScriptedServerReady = { port: server.port, controlPort };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(
    `scripted-server-main: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
