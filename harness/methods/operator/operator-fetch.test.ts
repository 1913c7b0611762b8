import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, InfraError } from '../../common/errors.js';
import { fetchManifest, safeUrl } from './operator-fetch.js';

const LIMITS = { timeoutMs: 5_000, maxBytes: 1024, maxRedirections: 2 };

describe('fetchManifest from a local HTTP server', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/op.yaml')) {
        res.writeHead(200, { 'content-type': 'application/yaml' });
        res.end('kind: ConfigMap\n');
      } else if (url === '/moved') {
        res.writeHead(302, { location: '/op.yaml' });
        res.end();
      } else if (url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(4096));
      } else if (url === '/big-chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('x'.repeat(800));
        res.end('x'.repeat(800));
      } else if (url === '/slow') {
        setTimeout(() => res.end('late'), 2_000).unref();
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const signal = () => new AbortController().signal;
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => err as Error,
    );

  it('returns the body, following redirects', async () => {
    expect(await fetchManifest(`${base}/op.yaml`, signal(), LIMITS)).toBe('kind: ConfigMap\n');
    expect(await fetchManifest(`${base}/moved`, signal(), LIMITS)).toBe('kind: ConfigMap\n');
  });

  it('fails with an InfraError naming the URL without its secrets', async () => {
    const err = await failure(
      fetchManifest(`http://ops:s3cret@127.0.0.1:${new URL(base).port}/gone?X-Sig=abc123`, signal(), LIMITS),
    );
    expect(err).toBeInstanceOf(InfraError);
    expect(err?.message).toBe(`fetching operator manifest ${base}/gone?X-Sig=*** failed: HTTP 404`);
    expect(err?.message).not.toMatch(/s3cret|abc123/);
    expect((err as InfraError).hint).toMatch(/check the URL/);
  });

  it('refuses a body over the size limit, announced or not', async () => {
    for (const path of ['/big', '/big-chunked']) {
      const err = await failure(fetchManifest(`${base}${path}`, signal(), LIMITS));
      expect(err).toBeInstanceOf(InfraError);
      expect(err?.message).toMatch(/is larger than/);
    }
  });

  it('gives up after its timeout, and stops at once on abort', async () => {
    const err = await failure(fetchManifest(`${base}/slow`, signal(), { ...LIMITS, timeoutMs: 200 }));
    expect(err).toBeInstanceOf(InfraError);
    expect(err?.message).toMatch(/took longer than 0\.2 s/);
    const controller = new AbortController();
    const pending = failure(fetchManifest(`${base}/slow`, controller.signal, LIMITS));
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortedError);
  });

  it('fetches only http and https, and names a refused connection', async () => {
    expect(await failure(fetchManifest('file:///etc/passwd', signal(), LIMITS))).toBeInstanceOf(InfraError);
    const closed = await failure(fetchManifest('http://127.0.0.1:1/op.yaml', signal(), LIMITS));
    expect(closed?.message).toMatch(/^fetching operator manifest http:\/\/127\.0\.0\.1:1\/op\.yaml failed: /);
  });

  it('shows URLs without user, password or query values', () => {
    expect(safeUrl('https://u:p@example.com/a.yaml?token=t&v=1#frag')).toBe(
      'https://example.com/a.yaml?token=***&v=***#frag',
    );
    expect(safeUrl('not a url?sig=1')).toBe('not a url?***');
  });
});
