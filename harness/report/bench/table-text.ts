/**
 * The two table formats the bench report writes: GitHub-flavoured Markdown and CSV (RFC 4180:
 * comma-separated, CRLF line ends, a field quoted when it holds a comma, quote, CR or LF, quotes
 * doubled). Both take rows of already-formatted strings.
 */

export type Align = 'left' | 'right';

/** A Markdown table; cells cannot end the cell (`|` escaped), break the row or open an HTML tag. */
export function markdownTable(
  header: readonly string[],
  align: readonly Align[],
  rows: readonly string[][],
): string {
  const line = (cells: readonly string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  const rule = header.map((_, i) => (align[i] === 'right' ? '--:' : ':--'));
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Text for a table cell: inline text that also cannot end the cell. */
export function markdownCell(text: string): string {
  return inlineText(text).replace(/\|/g, '\\|');
}

/** Text on one line that cannot open an HTML tag (and so hide the rest of the document). */
export function inlineText(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;');
}

/** One CSV document: the header row, then the rows, each line ended by CRLF (RFC 4180). */
export function csvDocument(header: readonly string[], rows: readonly string[][]): string {
  return [header, ...rows].map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

/**
 * A CSV field holding text (an axis value, a version): one that a spreadsheet would read as a
 * formula (it starts with `=`, `+`, `-`, `@`, a tab or a CR) gets a leading `'`, so opening the
 * file runs nothing (OWASP "CSV injection"). Numbers are written with csvNumber, never through this.
 */
export function csvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** Column-name prefix of an axis in the CSVs, so an axis named like a fixed column (`cells`) cannot clash. */
export const CSV_AXIS_PREFIX = 'axis.';

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
