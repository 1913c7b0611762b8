import { createHash } from 'node:crypto';

/**
 * Identifiers for Allure results, derived from the record so that writing the same run twice gives
 * the same files (a regenerated report overwrites, never duplicates), and the same cell in another
 * run groups with it in Allure's history.
 */

function sha256Hex(parts: readonly string[]): string {
  // A separator that cannot occur in ids keeps ("a", "bc") and ("ab", "c") apart.
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A UUID (RFC 9562 version 8: custom, name-based) from the given parts. */
export function deterministicUuid(...parts: string[]): string {
  const hex = sha256Hex(parts);
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

/** The test result of a cell in a run. */
export function cellResultUuid(runId: string, cellId: string): string {
  return deterministicUuid('upgrade-harness', 'result', runId, cellId);
}

/** One attachment of a cell in a run; `key` tells the cell's attachments apart. */
export function cellAttachmentUuid(runId: string, cellId: string, key: string): string {
  return deterministicUuid('upgrade-harness', 'attachment', runId, cellId, key);
}

/**
 * The cell as a test case, whatever run it is in: Allure's historyId and testCaseId. The cell id
 * already names every axis value (path, strategy, platform, ...), so equal ids are the same test.
 */
export function cellHistoryId(cellId: string): string {
  return sha256Hex(['upgrade-harness', 'cell', cellId]).slice(0, 32);
}
