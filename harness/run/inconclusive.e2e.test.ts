import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMatrixFile } from '../testing/run-matrix-file.js';

/**
 * A generator asked for far more than this machine can send: the self-check must make the cell
 * `inconclusive` (exit code 3), never `passed`, even though every request it did send succeeded.
 */
describe('a starved load generator', () => {
  let dir: string;
  let server: Server;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-starved-'));
    let version = 'none';
    server = createServer((req, res) => {
      if (req.url?.startsWith('/set/')) version = req.url.slice(5);
      res.writeHead(200, { 'x-app-version': version }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    await writeFile(
      join(dir, 'scenario.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Scenario
name: starved
versions: [1.0.0, 2.0.0]
versionProbe: { header: x-app-version }
readiness: { path: /ready }
existing: { urls: ["${url}"] }
exec:
  install: [[node, -e, "fetch('${url}/set/{{version}}')"]]
  upgrade: [[node, -e, "fetch('${url}/set/{{version}}')"]]
  rollback: [[node, -e, "fetch('${url}/set/{{version}}')"]]
traffic:
  # 50,000 requests per second on each of two connection modes: far beyond two cores
  rate: 50000
  connections: [reused, new]
  timeoutMs: 30000
  maxInFlight: 64
  endpoints: [{ name: home, path: / }]
slo: { successRatio: 0.999, maxDowntimeSeconds: 0 }
timing: { baselineSeconds: 1, settleSeconds: 1, readyTimeoutSeconds: 10 }
`,
    );
    await writeFile(
      join(dir, 'matrix.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Matrix
name: starved
scenario: scenario.yaml
axes:
  platform: [existing]
  method: [exec]
  path: ["1.0.0 -> 2.0.0"]
  rollback: [never]
`,
    );
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('is inconclusive with the reason, and the run exits 3', async () => {
    const { record } = await runMatrixFile(join(dir, 'matrix.yaml'), {
      outDir: join(dir, 'reports'),
      runId: 'starved',
    });
    const cell = record.cells[0]!;
    expect(cell.requests.failed, JSON.stringify(cell.requests)).toBe(0);
    expect(cell.load.ok).toBe(false);
    expect(cell.load.achievedRate).toBeLessThan(0.9 * cell.load.targetRate);
    expect(cell.status).toBe('inconclusive');
    expect(cell.reason).toMatch(/load generator not trustworthy/);
    expect(cell.checks.find((c) => c.name === 'load')?.passed).toBe(false);
    expect(record.exitCode).toBe(3);
  }, 120_000);
});
