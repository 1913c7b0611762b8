import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Attachment, ContentType } from 'allure-js-commons';
import type { CellRecord, RunRecord } from '../../common/run-record.js';
import { cellDirIn, realPathInside } from '../charts/cell-dir.js';
import { chartsErrorText } from '../charts/chart-error.js';
import type { CellChartRenderer } from '../reporter.js';
import { cellAttachmentUuid } from './allure-ids.js';

/** The harness's own log of a cell, in the cell's artifacts folder (already redacted). */
export const CELL_LOG_FILE = 'cell.log';
/** The one-page Kubernetes diagnostics of a cell (observe/kube-diagnostics.ts writes it), relative to its folder. */
export const KUBE_SUMMARY_FILE = 'diagnostics/kubernetes/summary.md';
/** Longer logs are attached as their last this many bytes (the end is where a failure shows). */
export const DEFAULT_MAX_LOG_BYTES = 10 * 1024 * 1024;

/** An attachment to write as `source` next to the results, and its reference in the test result. */
export interface PendingAttachment {
  attachment: Attachment;
  content: Buffer;
}

export interface CellAttachmentOptions {
  charts?: CellChartRenderer | undefined;
  maxLogBytes?: number | undefined;
}

/** The cell's part of run.json, its timeline charts (when a renderer is given) and its log (when present). */
export async function cellAttachments(
  record: RunRecord,
  cell: CellRecord,
  runDir: string,
  options: CellAttachmentOptions,
): Promise<PendingAttachment[]> {
  const make = (key: string, name: string, type: ContentType, ext: string, content: string | Buffer) => ({
    attachment: {
      name,
      type,
      source: `${cellAttachmentUuid(record.runId, cell.id, key)}-attachment.${ext}`,
    },
    content: typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
  });
  const pending: PendingAttachment[] = [
    make(
      'cell-record',
      'cell record (run.json)',
      ContentType.JSON,
      'json',
      `${JSON.stringify(cell, null, 2)}\n`,
    ),
  ];
  if (options.charts) {
    try {
      for (const chart of options.charts(cell, record)) {
        pending.push(make(`chart:${chart.name}`, `chart: ${chart.title}`, ContentType.SVG, 'svg', chart.svg));
      }
    } catch (error: unknown) {
      // A chart bug must not cost the cell its test result; the failure shows where the charts would be.
      const text = `${chartsErrorText(error)}\n`;
      pending.push(make('chart-error', 'charts (not rendered)', ContentType.TEXT, 'txt', text));
    }
  }
  const maxBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
  const log = await readCellFile(runDir, cell, CELL_LOG_FILE, maxBytes);
  if (log !== undefined) pending.push(make('cell-log', CELL_LOG_FILE, ContentType.TEXT, 'txt', log));
  const kube = await readCellFile(runDir, cell, KUBE_SUMMARY_FILE, maxBytes);
  if (kube !== undefined) {
    pending.push(make('kube-summary', 'Kubernetes diagnostics (summary.md)', ContentType.TEXT, 'txt', kube));
  }
  return pending;
}

/**
 * A file of the cell's folder (its log), or undefined when there is none, or when the record or a
 * symbolic link points outside the run directory (a run directory from elsewhere is not trusted to
 * stay inside itself). A file over `maxBytes` keeps its end, after a line saying how much was left out.
 */
async function readCellFile(
  runDir: string,
  cell: CellRecord,
  file: string,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const dir = cellDirIn(runDir, cell.artifactsDir);
  if (dir === null) return undefined;
  const path = await realPathInside(runDir, join(dir, file));
  if (path === null) return undefined;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // The real path has no link left; O_NOFOLLOW keeps one from being put there meanwhile.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    const { size } = stats;
    const length = Math.min(size, maxBytes);
    const body = Buffer.alloc(length);
    const { bytesRead } = await handle.read(body, 0, length, size - length);
    const kept = body.subarray(0, bytesRead);
    if (length === size) return kept;
    const note = `[... the first ${size - length} bytes of ${file} are left out; the whole file is in ${cell.artifactsDir} ...]\n`;
    return Buffer.concat([Buffer.from(note, 'utf8'), kept]);
  } finally {
    await handle.close();
  }
}
