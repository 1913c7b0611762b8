import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../common/run-record.js';
import { startCli } from '../testing/cli.js';
import { processesWithMark } from '../testing/leftovers.js';

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

describe('Ctrl-C during an upgrade', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('tears everything down, writes the record and exits 130', async () => {
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
        'plain',
      ],
      {
        env: { UPGRADE_HARNESS_TEST_MARK: mark },
      },
    );
    await cli.waitForLine(/: upgrade…/, 90_000);
    const during = await processesWithMark(mark);
    // the CLI itself, PostgreSQL, three replicas at least
    expect(during.length).toBeGreaterThanOrEqual(5);
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.stderr).toContain('SIGINT: stopping');
    expect(result.code).toBe(130);

    const left = await processesWithMark(mark);
    expect(left, `left running: ${left.map((p) => `${p.pid} ${p.cmdline}`).join('\n')}`).toEqual([]);

    const record = JSON.parse(await readFile(join(out, 'r1', 'run.json'), 'utf8')) as RunRecord;
    expect(record.status).toBe('interrupted');
    expect(record.exitCode).toBe(130);
    const cell = record.cells[0]!;
    expect(cell.status).toBe('interrupted');
    expect(cell.phases.find((p) => p.name === 'upgrade')?.status).toBe('interrupted');
    expect(cell.phases.find((p) => p.name === 'teardown')?.status).toBe('passed');

    // every port the cell listened on (front door, replicas, database) is closed
    const ports = new Set<number>();
    for (const e of cell.events)
      for (const m of e.message.matchAll(/(?:port |127\.0\.0\.1:)(\d{2,5})/g)) ports.add(Number(m[1]));
    const logDir = join(out, 'r1', cell.artifactsDir, 'logs');
    for (const m of (await readFile(join(logDir, 'hooks.log'), 'utf8').catch(() => '')).matchAll(
      /127\.0\.0\.1:(\d{2,5})/g,
    ))
      ports.add(Number(m[1]));
    expect(ports.size).toBeGreaterThanOrEqual(2);
    for (const port of ports) expect(await refused(port), `port ${port} still open`).toBe(true);
  }, 150_000);
});
