import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../common/run-record.js';
import { startCli } from '../testing/cli.js';
import { processesWithMark, waitFor } from '../testing/leftovers.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('Ctrl-C', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it.each([
    { when: 'during the upgrade', progress: 'plain', phase: 'upgrade' },
    { when: 'during the install, with the live progress view', progress: 'live', phase: 'install' },
  ])(
    '$when: tears everything down, writes the record and exits 130',
    async ({ progress, phase }) => {
      const out = await mkdtemp(join(tmpdir(), 'uh-interrupt-'));
      dirs.push(out);
      const mark = `UH_TEST_MARK_${randomUUID()}`;
      const cli = startCli(
        [
          'run',
          'harness/testing/testdata/interrupt-matrix.yaml',
          '--out',
          out,
          '--run-id',
          'r1',
          '--progress',
          progress,
        ],
        { env: { ...process.env, CI: 'true', UPGRADE_HARNESS_TEST_MARK: mark } },
      );
      if (phase === 'upgrade') {
        await cli.waitForLine(/: upgrade…/, 90_000);
        // the CLI itself, PostgreSQL, three replicas at least
        expect((await processesWithMark(mark)).length).toBeGreaterThanOrEqual(5);
      } else {
        // PostgreSQL is up (the CLI and the postmaster carry the mark), the replicas are not yet
        await waitFor(
          async () =>
            (await processesWithMark(mark)).some((p) => /\/bin\/postgres /.test(p.cmdline))
              ? true
              : undefined,
          'PostgreSQL to start',
          90_000,
        );
      }
      cli.child.kill('SIGINT');
      const result = await cli.done;
      expect(result.stderr).toContain('SIGINT: stopping');
      expect(result.code, result.stderr).toBe(130);

      const left = await processesWithMark(mark);
      expect(left, `left running: ${left.map((p) => `${p.pid} ${p.cmdline}`).join('\n')}`).toEqual([]);

      const record = JSON.parse(await readFile(join(out, 'r1', 'run.json'), 'utf8')) as RunRecord;
      expect(record.status).toBe('interrupted');
      expect(record.exitCode).toBe(130);
      const cell = record.cells[0]!;
      expect(cell.status).toBe('interrupted');
      expect(cell.phases.find((p) => p.name === phase)?.status).toBe('interrupted');
      expect(cell.phases.find((p) => p.name === 'diagnostics')?.status).toBe('passed');
      expect(cell.phases.find((p) => p.name === 'teardown')?.status).toBe('passed');
      expect(cell.checks.find((c) => c.name === 'upgrade')).toBeUndefined();

      // every port the cell listened on (front door, replicas, database) is closed
      const ports = new Set<number>();
      for (const e of cell.events)
        for (const m of e.message.matchAll(/(?:port |127\.0\.0\.1:)(\d{2,5})/g)) ports.add(Number(m[1]));
      if (phase === 'upgrade') expect(ports.size).toBeGreaterThanOrEqual(2);
      for (const port of ports) expect(await refused(port), `port ${port} still open`).toBe(true);
      // PostgreSQL was shut down before its data folder went away
      const dbLog = await readFile(join(out, 'r1', cell.artifactsDir, 'logs', 'db.log'), 'utf8').catch(
        () => '',
      );
      expect(dbLog).not.toMatch(/PANIC/);
    },
    150_000,
  );
});
