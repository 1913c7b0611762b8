/**
 * Reads and parses one YAML file, keeping positions. Syntax errors and duplicate keys become
 * config issues instead of exceptions.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { ConfigIssue } from '../common/errors.js';
import { errorMessage } from '../common/errors.js';
import { formatPath, type YamlSource } from './locate.js';

export type ParsedYaml =
  | { ok: true; source: YamlSource; data: unknown; issues: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[] };

function issueAt(file: string, line: number, column: number, message: string, path = ''): ConfigIssue {
  return { file, line, column, path, message };
}

function duplicateKeys(source: YamlSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const position = (offset: number | undefined) => {
    const { line, col } = source.lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };
  const visit = (node: unknown, path: PropertyKey[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        const first = seen.get(key);
        if (first !== undefined) {
          const { line, column } = position(offset);
          const firstLine = position(first).line;
          issues.push(
            issueAt(
              source.file,
              line,
              column,
              `duplicate key "${key}" (first defined on line ${firstLine})`,
              formatPath([...path, key]),
            ),
          );
        } else seen.set(key, offset ?? 0);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        visit(item, [...path, index]);
      });
    }
  };
  visit(source.doc.contents, []);
  return issues;
}

/** Inside [...] or {...}, an unquoted {{template}} reads as a nested map: say so. */
function templateHint(text: string, lineCounter: LineCounter, line: number): string {
  const start = lineCounter.lineStarts[line - 1] ?? 0;
  const end = lineCounter.lineStarts[line] ?? text.length;
  return text.slice(start, end).includes('{{')
    ? "; a value with a {{template}} inside [...] or {...} must be quoted, e.g. 'releases/{{version}}/server.mjs'"
    : '';
}

/** Parses YAML text; `file` is only used in issues. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    // One error per line: the parser often reports follow-on errors for the same mistake.
    const byLine = new Map<number, ConfigIssue>();
    for (const err of doc.errors) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      if (byLine.has(line)) continue;
      byLine.set(
        line,
        issueAt(file, line, col, `YAML syntax error: ${err.message}${templateHint(text, lineCounter, line)}`),
      );
    }
    return { ok: false, issues: [...byLine.values()] };
  }
  const source: YamlSource = { file, doc, lineCounter };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err: unknown) {
    return { ok: false, issues: [issueAt(file, 1, 1, `YAML error: ${errorMessage(err)}`)] };
  }
  return { ok: true, source, data, issues: duplicateKeys(source) };
}

/** Reads and parses a YAML file; a missing file is an issue at 1:1. */
export async function readYaml(file: string): Promise<ParsedYaml> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err: unknown) {
    const code = (err as { code?: string }).code;
    const message = code === 'ENOENT' ? 'file not found' : `cannot read the file: ${errorMessage(err)}`;
    return { ok: false, issues: [issueAt(file, 1, 1, message)] };
  }
  return parseYaml(text, file);
}
