import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildRunRecord,
  erroredCell,
  passedCell,
  realisticRunRecord,
} from '../../testing/run-record-builder.js';
import { ChartsReporter } from './charts-reporter.js';

describe('ChartsReporter', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charts-reporter-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every chart of every measured cell as SVG and PNG into the cell folder', async () => {
    const record = realisticRunRecord();
    const written = await new ChartsReporter({ pngWidthPx: 480 }).write(record, dir);
    const measured = record.cells.filter((c) => c.timeline);
    expect(written).toHaveLength(measured.length * 3 * 2);
    for (const cell of measured) {
      const files = await readdir(join(dir, cell.artifactsDir, 'charts'));
      expect(files.sort()).toEqual([
        'latency.png',
        'latency.svg',
        'rate-by-outcome.png',
        'rate-by-outcome.svg',
        'version-share.png',
        'version-share.svg',
      ]);
      const svg = await readFile(join(dir, cell.artifactsDir, 'charts', 'latency.svg'), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      const png = await readFile(join(dir, cell.artifactsDir, 'charts', 'latency.png'));
      expect(png.readUInt32BE(16)).toBe(480);
    }
    const errored = record.cells.find((c) => !c.timeline);
    expect(errored?.status).toBe('errored');
    expect(written.some((p) => p.includes(errored?.artifactsDir ?? '?'))).toBe(false);
  });

  it('refuses a cell folder outside the run directory', async () => {
    const record = buildRunRecord({ cells: [{ ...passedCell(), artifactsDir: '../elsewhere' }] });
    await expect(new ChartsReporter().write(record, dir)).rejects.toThrow(/outside/);
    expect(await readdir(join(dir, '..'))).not.toContain('elsewhere');
  });

  it('writes nothing for cells without a timeline', async () => {
    expect(await new ChartsReporter().write(buildRunRecord({ cells: [erroredCell()] }), dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });
});
