import { request as httpRequest } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ExecError, runCommand } from '../../common/exec.js';
import { kubeConfigFor } from './client-helpers.js';
import { FakeKube } from './fake-kube.js';
import { PORT_FORWARD_PROTOCOL } from './port-forward-server.js';
import type { KubeObject } from './types.js';

const ns = 'default';

function pod(name: string, phase = 'Running', nodeName = 'fake-node-1'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'web:1' }], ...(nodeName ? { nodeName } : {}) },
    status: { phase },
  };
}

/** A TCP server on 127.0.0.1:0 running `onConnection` per connection; remembers its sockets. */
async function tcpServer(onConnection: (socket: Socket) => void): Promise<{
  port: number;
  sockets: Socket[];
  close(): Promise<void>;
}> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Collects what a stream receives. */
function sink(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

type Closable = { close(): Promise<void> };

describe('FakeKube pods/portforward over WebSocket', () => {
  const cleanups: Closable[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c.close();
  });
  const start = async (tls = false) => {
    const kube = await FakeKube.start({ tls });
    cleanups.push(kube);
    return kube;
  };
  const echo = async () => {
    const server = await tcpServer((socket) => socket.pipe(socket));
    cleanups.push(server);
    return server;
  };

  /** Opens a raw WebSocket to the endpoint and resolves with the frames and close code, or the HTTP status of a refusal. */
  const raw = (
    kube: FakeKube,
    path: string,
    options: { protocols?: string[]; token?: string; send?: Buffer } = {},
  ) =>
    new Promise<{ status: number; frames: Buffer[]; closeCode?: number }>((resolve, reject) => {
      const frames: Buffer[] = [];
      const ws = new WebSocket(`${kube.url.replace(/^http/, 'ws')}${path}`, options.protocols ?? [], {
        headers: { Authorization: `Bearer ${options.token ?? kube.token}` },
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0, frames });
        res.resume();
        ws.terminate();
      });
      ws.on('open', () => {
        if (options.send) ws.send(options.send);
      });
      ws.on('message', (data) => frames.push(data as Buffer));
      ws.on('close', (code) => resolve({ status: 101, frames, closeCode: code }));
      ws.on('error', (err) => {
        if (!/Unexpected server response/.test(err.message)) reject(err);
      });
    });

  it('relays bytes both ways for client-node PortForward over TLS, with protocol v4 and the port first', async () => {
    const kube = await start(true);
    const target = await echo();
    kube.store.put(pod('web-1'));
    const asked: string[] = [];
    kube.setPortForwardTarget((p, port) => {
      asked.push(`${p.metadata.name}:${port}`);
      return port === 8080 ? { host: '127.0.0.1', port: target.port } : undefined;
    });
    const output = sink();
    const errors = sink();
    const input = new PassThrough();
    const ws = await new PortForward(kubeConfigFor(kube)).portForward(
      ns,
      'web-1',
      [8080],
      output.stream,
      errors.stream,
      input,
    );
    if (typeof ws === 'function') throw new Error('expected a WebSocket');
    expect(ws.protocol).toBe(PORT_FORWARD_PROTOCOL);
    input.write('hello through the tunnel');
    await until(() => output.text() === 'hello through the tunnel', 'the echo');
    expect(asked).toEqual(['web-1:8080']);
    expect(kube.portForwardTunnels()).toEqual({ open: 1, opened: 1 });

    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    input.end();
    await closed;
    await until(() => kube.portForwardTunnels().open === 0, 'the tunnel to end');
    await until(() => target.sockets.every((s) => s.destroyed), 'the target connection to close');
    expect(errors.text()).toBe('');
    expect(kube.events().find((e) => e.path.endsWith('/portforward'))).toMatchObject({
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/pods/web-1/portforward`,
      query: { ports: '8080' },
      status: 101,
    });
  });

  it('sends the port (2 bytes little-endian) first on both channels, and a refused port as an error', async () => {
    const kube = await start();
    kube.store.put(pod('web-1'));
    const result = await raw(kube, `/api/v1/namespaces/${ns}/pods/web-1/portforward?ports=9999`, {
      protocols: ['v5.channel.k8s.io', PORT_FORWARD_PROTOCOL],
    });
    expect(result.status).toBe(101);
    expect(result.frames[0]).toEqual(Buffer.from([0, 0x0f, 0x27]));
    expect(result.frames[1]).toEqual(Buffer.from([1, 0x0f, 0x27]));
    const error = result.frames[2];
    expect(error?.[0]).toBe(1);
    expect(error?.subarray(1).toString()).toMatch(
      /^error forwarding port 9999 to pod web-1, uid [0-9a-f-]+: failed to connect to localhost:9999 .*connection refused/,
    );
    expect(result.closeCode).toBe(1000);
  });

  it('serves a client that offers no subprotocol (binary, as the kubelet does)', async () => {
    const kube = await start();
    const target = await echo();
    kube.store.put(pod('web-1'));
    kube.setPortForwardTarget(() => ({ host: '127.0.0.1', port: target.port }));
    const frames: Buffer[] = [];
    const ws = new WebSocket(
      `${kube.url.replace(/^http/, 'ws')}/api/v1/namespaces/${ns}/pods/web-1/portforward?ports=80`,
      {
        headers: { Authorization: `Bearer ${kube.token}` },
      },
    );
    ws.on('message', (data) => frames.push(data as Buffer));
    await new Promise((resolve) => ws.on('open', resolve));
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('ping')]));
    await until(() => frames.length >= 3, 'the echo');
    expect(frames[2]).toEqual(Buffer.concat([Buffer.of(0), Buffer.from('ping')]));
    const closed = new Promise((resolve) => ws.on('close', resolve));
    ws.close();
    await closed;
  });

  it('refuses before upgrading: missing pod, bad token, no node, not running, bad ports or protocols, SPDY, faults', async () => {
    const kube = await start();
    kube.store.put(pod('web-1'));
    kube.store.put(pod('pending', 'Pending'));
    kube.store.put(pod('unscheduled', 'Pending', ''));
    const path = (name: string, query = '?ports=80') =>
      `/api/v1/namespaces/${ns}/pods/${name}/portforward${query}`;
    const v4 = { protocols: [PORT_FORWARD_PROTOCOL] };
    expect((await raw(kube, path('nope'), v4)).status).toBe(404);
    expect((await raw(kube, path('web-1'), { ...v4, token: 'wrong' })).status).toBe(401);
    expect((await raw(kube, path('unscheduled'), v4)).status).toBe(400);
    expect((await raw(kube, path('pending'), v4)).status).toBe(500);
    expect((await raw(kube, path('web-1', ''), v4)).status).toBe(400);
    expect((await raw(kube, path('web-1', '?ports=0'), v4)).status).toBe(400);
    expect((await raw(kube, path('web-1'), { protocols: ['v5.channel.k8s.io'] })).status).toBe(403);
    kube.injectFault({ path: path('web-1', ''), status: 503, reason: 'ServiceUnavailable' });
    expect((await raw(kube, path('web-1'), v4)).status).toBe(503);

    // kubectl's SPDY upgrade: refused with a Status that says why.
    const spdy = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${kube.url}${path('web-1')}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${kube.token}`, Connection: 'Upgrade', Upgrade: 'SPDY/3.1' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(spdy.status).toBe(400);
    expect(JSON.parse(spdy.body)).toMatchObject({
      kind: 'Status',
      code: 400,
      message: expect.stringMatching(/SPDY/),
    });
    const missing = kube.events().find((e) => e.path === path('nope', ''));
    expect(missing?.status).toBe(404);
  });

  it('ends open tunnels with an error when their pod is deleted, and on a clean close from the target without one', async () => {
    const kube = await start();
    const target = await echo();
    const bye = await tcpServer((socket) => socket.end('bye'));
    cleanups.push(bye);
    kube.store.put(pod('web-1'));
    kube.store.put(pod('web-2'));
    kube.setPortForwardTarget((p) => ({
      host: '127.0.0.1',
      port: p.metadata.name === 'web-1' ? target.port : bye.port,
    }));
    const kc = kubeConfigFor(kube);

    const output = sink();
    const errors = sink();
    const input = new PassThrough();
    const ws = await new PortForward(kc).portForward(ns, 'web-1', [80], output.stream, errors.stream, input);
    if (typeof ws === 'function') throw new Error('expected a WebSocket');
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    input.write('x');
    await until(() => output.text() === 'x', 'the echo');
    kube.store.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'web-1' });
    await closed;
    expect(errors.text()).toMatch(/^error forwarding port 80 to pod web-1, uid .*the pod was deleted/);
    await until(() => target.sockets.every((s) => s.destroyed), 'the target connection to close');

    const output2 = sink();
    const errors2 = sink();
    const ws2 = await new PortForward(kc).portForward(
      ns,
      'web-2',
      [80],
      output2.stream,
      errors2.stream,
      new PassThrough(),
    );
    if (typeof ws2 === 'function') throw new Error('expected a WebSocket');
    const closeCode = await new Promise<number>((resolve) =>
      ws2.on('close', (code: number) => resolve(code)),
    );
    expect(closeCode).toBe(1000);
    expect(output2.text()).toBe('bye');
    expect(errors2.text()).toBe('');
  });

  it('tells the real kubectl 1.32 (SPDY, tunnelled over WebSocket or not) that only v4.channel.k8s.io is served', async () => {
    const kube = await start(true);
    kube.store.put(pod('web-1'));
    let failure: unknown;
    try {
      await runCommand(['kubectl', '--kubeconfig', kube.kubeconfigPath, 'port-forward', 'pod/web-1', ':80'], {
        timeoutMs: 30_000,
      });
    } catch (err: unknown) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(ExecError);
    expect((failure as ExecError).result?.stderr).toMatch(/SPDY is not implemented/);
    // First the WebSocket tunnel (subprotocol SPDY/3.1+portforward.k8s.io), then the SPDY fallback.
    const tries = kube.events().filter((e) => e.path.endsWith('/portforward'));
    expect(tries.map((e) => `${e.method} ${e.status}`)).toEqual(['GET 403', 'POST 400']);
  });

  it('ends open tunnels when FakeKube closes', async () => {
    const kube = await FakeKube.start();
    const target = await echo();
    kube.store.put(pod('web-1'));
    kube.setPortForwardTarget(() => ({ host: '127.0.0.1', port: target.port }));
    const ws = await new PortForward(kubeConfigFor(kube)).portForward(
      ns,
      'web-1',
      [80],
      new PassThrough(),
      null,
      new PassThrough(),
    );
    if (typeof ws === 'function') throw new Error('expected a WebSocket');
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await kube.close();
    await closed;
    await until(() => target.sockets.every((s) => s.destroyed), 'the target connection to close');
  });
});
