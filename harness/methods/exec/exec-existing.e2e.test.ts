import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMatrixFile } from '../../testing/run-matrix-file.js';

/**
 * The `existing` platform and `exec` method against a real server the test owns: the user's
 * commands change what it serves (its version, an outage), the harness only sends traffic and judges.
 */
describe('existing platform + exec method', () => {
  let dir: string;
  let server: Server;
  let url: string;
  // ground truth: when the server really answered 503
  let firstDown: number | undefined;
  let firstUpAfter: number | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uh-exec-'));
    await writeFile(join(dir, 'version.txt'), 'none');
    server = createServer((req, res) => {
      const version = readFileSync(join(dir, 'version.txt'), 'utf8').trim();
      const down = existsSync(join(dir, 'down'));
      const now = performance.timeOrigin + performance.now();
      if (down && req.url !== '/readyz') {
        firstDown ??= now;
        res.writeHead(503, { 'x-app-version': version }).end('down');
        return;
      }
      if (firstDown !== undefined && firstUpAfter === undefined && req.url !== '/readyz') firstUpAfter = now;
      res
        .writeHead(200, { 'x-app-version': version, 'content-type': 'application/json' })
        .end(JSON.stringify({ version }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    await writeFile(
      join(dir, 'scenario.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Scenario
name: exec-target
versions: [1.0.0, 2.0.0, 3.0.0]
versionProbe: { header: x-app-version }
readiness: { path: /readyz }
existing:
  urls: ["${url}"]
exec:
  install: [[sh, -c, "printf %s {{version}} > version.txt", sh, "--db-url=postgres://deploy:s3cretpw@db.internal/app", "--password=s3cretpw"]]
  upgrade:
    - [sh, -c, "test {{version}} != 3.0.0 || { echo 'migration failed' >&2; exit 1; }"]
    - [sh, -c, "touch down; sleep 0.6; printf %s {{version}} > version.txt; rm down"]
  rollback: [[sh, -c, "printf %s {{version}} > version.txt"]]
traffic:
  rate: 100
  connections: [reused, new]
  endpoints: [{ name: home, class: web, path: / }]
slo: { successRatio: 0.99, maxDowntimeSeconds: 0 }
timing: { baselineSeconds: 1, settleSeconds: 1, readyTimeoutSeconds: 5 }
`,
    );
    await writeFile(
      join(dir, 'matrix.yaml'),
      `apiVersion: upgrade-harness/v1
kind: Matrix
name: exec-test
scenario: scenario.yaml
axes:
  platform: [existing]
  method: [exec]
  path: ["1.0.0 -> 2.0.0", "1.0.0 -> 3.0.0"]
  rollback: [on-failure]
`,
    );
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('measures the outage the commands caused, and rolls back a failed upgrade', async () => {
    const { record } = await runMatrixFile(join(dir, 'matrix.yaml'), {
      outDir: join(dir, 'reports'),
      runId: 'exec',
    });
    const [ok, broken] = record.cells;
    expect(ok!.axes).toMatchObject({ platform: 'existing', method: 'exec', from: '1.0.0', to: '2.0.0' });
    // The commands took the server down for ~0.6 s: a real outage, measured against what the server did.
    expect(firstDown).toBeDefined();
    expect(firstUpAfter).toBeDefined();
    const truth = (firstUpAfter! - firstDown!) / 1000;
    expect(ok!.status).toBe('failed');
    expect(ok!.reason).toMatch(/^downtime/);
    expect(Math.abs(ok!.downtimeSeconds - truth)).toBeLessThan(0.05);
    expect(ok!.versions.servedBy['2.0.0']).toBeGreaterThan(0);

    expect(broken!.status).toBe('failed');
    expect(broken!.reason).toBe('upgrade-failed');
    expect(broken!.checks.find((c) => c.name === 'upgrade')?.message).toContain('migration failed');
    expect(broken!.rollback).toMatchObject({ attempted: true, succeeded: true });
    expect(record.exitCode).toBe(1);

    // the commands carried a password twice; no report or log may show it
    const files = (await readdir(join(dir, 'reports'), { recursive: true, withFileTypes: true })).filter(
      (f) => f.isFile(),
    );
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = await readFile(join(f.parentPath, f.name), 'utf8');
      expect(text, f.name).not.toContain('s3cretpw');
    }
    const execLog = await readFile(
      join(dir, 'reports', 'exec', ok!.artifactsDir, 'logs', 'exec.log'),
      'utf8',
    );
    expect(execLog).toContain('--password=***');
  }, 120_000);
});
