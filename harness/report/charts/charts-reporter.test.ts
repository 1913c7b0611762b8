import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildRunRecord,
  erroredCell,
  passedCell,
  realisticRunRecord,
} from '../../testing/run-record-builder.js';
import type { CellChartRenderer } from '../reporter.js';
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

  it("writes a note instead of the charts of a cell they cannot be drawn for, and the others' charts", async () => {
    const tiny = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2" viewBox="0 0 4 2"></svg>';
    let fail = true;
    const renderer: CellChartRenderer = (cell) => {
      if (cell.id === 'broken' && fail) throw new Error('chart SVG is not self-contained: it has a script');
      return [{ name: 'rate-by-outcome', title: 'rate', svg: tiny }];
    };
    const broken = { ...passedCell({ id: 'broken' }), artifactsDir: 'cells/broken' };
    const fine = { ...passedCell({ id: 'fine' }), artifactsDir: 'cells/fine' };
    const record = buildRunRecord({ cells: [broken, fine] });
    const written = await new ChartsReporter({ renderer, pngWidthPx: 8 }).write(record, dir);
    const note = join(dir, 'cells/broken/charts/charts-error.txt');
    expect(written).toEqual([
      note,
      join(dir, 'cells/fine/charts/rate-by-outcome.svg'),
      join(dir, 'cells/fine/charts/rate-by-outcome.png'),
    ]);
    expect(await readFile(note, 'utf8')).toBe(
      'charts could not be drawn: chart SVG is not self-contained: it has a script\n',
    );
    // Drawn later (a fixed renderer, `report` again), the charts replace the note.
    fail = false;
    await new ChartsReporter({ renderer, pngWidthPx: 8 }).write(record, dir);
    expect((await readdir(join(dir, 'cells/broken/charts'))).sort()).toEqual([
      'rate-by-outcome.png',
      'rate-by-outcome.svg',
    ]);
  });

  it('refuses a cell folder that a symbolic link leads out of the run directory, writing nothing there', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'charts-outside-'));
    try {
      const cell = { ...passedCell(), artifactsDir: 'cells/linked' };
      await mkdir(join(dir, 'cells'), { recursive: true });
      await symlink(outside, join(dir, 'cells/linked'));
      const record = buildRunRecord({ cells: [cell] });
      await expect(new ChartsReporter({ pngWidthPx: 8 }).write(record, dir)).rejects.toThrow(/outside/);
      // A dangling link is refused too: what is made through it would land where it points.
      await rm(join(dir, 'cells/linked'));
      await symlink(join(outside, 'later'), join(dir, 'cells/linked'));
      await expect(new ChartsReporter({ pngWidthPx: 8 }).write(record, dir)).rejects.toThrow(/outside/);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('writes nothing for cells without a timeline', async () => {
    expect(await new ChartsReporter().write(buildRunRecord({ cells: [erroredCell()] }), dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });
});
