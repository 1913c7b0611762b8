import { errorMessage } from '../../common/errors.js';

/** Written in a cell's charts folder, instead of its charts, when they could not be drawn. */
export const CHARTS_ERROR_FILE = 'charts-error.txt';

/**
 * What every report says where a cell's charts would be when drawing them failed: one broken cell
 * costs its own charts, never the report.
 */
export function chartsErrorText(error: unknown): string {
  return `charts could not be drawn: ${errorMessage(error)}`;
}
