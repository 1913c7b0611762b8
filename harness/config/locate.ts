/**
 * Maps a field path to a line and column in the YAML source. A value is located at the value; an
 * unknown key at the key; a field that is not in the file (missing, or defaulted) at the entry
 * that should hold it.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Pair } from 'yaml';
import type { ConfigIssue } from '../common/errors.js';
import type { ConfigProblem } from './zod-issues.js';

/** A parsed YAML file. */
export interface YamlSource {
  /** As given by the caller; relative paths are kept. */
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

interface Step {
  node: unknown;
  /** The map entry whose value is `node`, when it is one. */
  pair?: Pair;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return undefined;
}

function resolve(node: unknown, doc: Document.Parsed): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function walk(doc: Document.Parsed, path: readonly PropertyKey[]): Step[] {
  const steps: Step[] = [{ node: doc.contents }];
  let current: unknown = doc.contents;
  for (const segment of path) {
    current = resolve(current, doc);
    if (isMap(current)) {
      const pair = current.items.find((p) => keyText(p.key) === String(segment));
      if (!pair) break;
      steps.push({ node: pair.value, pair });
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      if (segment < 0 || segment >= current.items.length) break;
      current = current.items[segment];
      steps.push({ node: current });
    } else break;
  }
  return steps;
}

function startOf(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return range[0];
  }
  return undefined;
}

function isEmptyScalar(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function isBlockCollection(node: unknown): boolean {
  return (isMap(node) || isSeq(node)) && !node.flow;
}

/** The source offset a problem points at. */
function offsetFor(source: YamlSource, problem: ConfigProblem): number | undefined {
  const steps = walk(source.doc, problem.path);
  const found = steps.length === problem.path.length + 1;
  const last = steps[steps.length - 1];
  if (!last) return undefined;
  if (found && problem.target === 'key' && last.pair) return startOf(last.pair.key);
  // An empty value or a block collection (which starts on the next line) is shown at its key.
  const atKey = last.pair && (isEmptyScalar(last.node) || isBlockCollection(last.node));
  if (found && !atKey) return startOf(last.node) ?? startOf(last.pair?.key);
  // Not in the file (or empty): point at the entry that should hold it.
  if (last.pair) return startOf(last.pair.key);
  return startOf(last.node);
}

export function locate(source: YamlSource, problem: ConfigProblem): { line: number; column: number } {
  const offset = offsetFor(source, problem);
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `axes.path[1].to`; keys with other characters are quoted: `env["A.B"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const text = String(segment);
      if (PLAIN_KEY.test(text)) out += out === '' ? text : `.${text}`;
      else out += `[${JSON.stringify(text)}]`;
    }
  }
  return out;
}

export function toConfigIssue(source: YamlSource, problem: ConfigProblem): ConfigIssue {
  const { line, column } = locate(source, problem);
  return { file: source.file, line, column, path: formatPath(problem.path), message: problem.message };
}
