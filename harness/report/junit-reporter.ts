import { join } from 'node:path';
import type { CellRecord, Check, RunRecord } from '../common/run-record.js';
import { describeExpectation, describeOutcomeSentence, expectsNonPass } from './format.js';
import type { Reporter } from './reporter.js';
import { writeTextFile } from './write-text-file.js';
import { escapeXmlText, xmlAttrs } from './xml.js';

export const JUNIT_FILE = 'junit.xml';

/**
 * `junit.xml` for GitLab CI and GitHub: one <testsuite> per cell, one <testcase> per check.
 *
 * The file must agree with the exit code, which is 0 exactly when every cell matched its
 * expectation. So:
 * - a cell that matched its expectation never yields a <failure> or <error>: a check that failed
 *   as expected is a passing testcase whose <system-out> says "expected failure: ...";
 * - a cell with an explicit non-pass expectation gets a testcase `expectation`, which fails when
 *   the expectation was not met ("expected failed (error-budget) but the cell passed"); it is also
 *   added to any other unmatched cell that would otherwise show no failure;
 * - an errored, timed-out or interrupted cell gets a testcase `cell` with an <error> carrying the
 *   cell's error message;
 * - an inconclusive cell gets a testcase `load` with <error type="inconclusive">: an error, not a
 *   failure, because the product was not judged (the load generator could not hold the rate), and
 *   because the exit code puts inconclusive with errored, not with failed. Either way CI is red.
 * In a cell that was not judged (errored, inconclusive, ...) a failed check is <skipped>: its number
 * may be an artefact of the breakdown, not a finding about the product.
 */
export class JunitReporter implements Reporter {
  readonly name = 'junit';

  async write(record: RunRecord, dir: string): Promise<string[]> {
    const path = join(dir, JUNIT_FILE);
    await writeTextFile(path, renderJunit(record));
    return [path];
  }
}

export type JunitCaseResult =
  | { kind: 'passed'; systemOut?: string }
  | { kind: 'failure' | 'error'; type: string; message: string; body: string }
  | { kind: 'skipped'; message: string };

export interface JunitTestCase {
  name: string;
  timeSeconds: number;
  result: JunitCaseResult;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export function renderJunit(record: RunRecord): string {
  const suites = record.cells.map((cell) => ({ cell, cases: cellTestCases(cell) }));
  const total = sumCounts(suites.map((s) => countCases(s.cases)));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${xmlAttrs({
      name: `upgrade-harness ${record.matrix.name}`,
      ...total,
      time: seconds(record.endedAt - record.startedAt),
      timestamp: isoTime(record.startedAt),
    })}>`,
  ];
  for (const { cell, cases } of suites) lines.push(...renderSuite(cell, cases));
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** The testcases of one cell, in a stable order: the cell-level case, checks, the expectation. */
export function cellTestCases(cell: CellRecord): JunitTestCase[] {
  const judged = cell.status === 'passed' || cell.status === 'failed';
  const cases: JunitTestCase[] = [];
  if (!judged) cases.push(unjudgedCellCase(cell));
  for (const check of cell.checks) cases.push(checkCase(cell, check, judged));
  const red = cases.some((c) => c.result.kind === 'failure' || c.result.kind === 'error');
  if (expectsNonPass(cell) || (!cell.matchedExpectation && !red)) cases.push(expectationCase(cell));
  return cases;
}

function unjudgedCellCase(cell: CellRecord): JunitTestCase {
  const inconclusive = cell.status === 'inconclusive';
  const message = inconclusive
    ? (cell.load.reason ?? cell.reason ?? 'the load generator could not hold the target rate')
    : (cell.error?.message ?? cell.reason ?? describeOutcomeSentence(cell));
  const body = inconclusive
    ? [
        `target rate: ${cell.load.targetRate} req/s`,
        `achieved rate: ${cell.load.achievedRate} req/s`,
        `scheduled: ${cell.load.scheduled}, sent: ${cell.load.sent}, dropped: ${cell.load.dropped}`,
        `schedule lag p99: ${cell.load.scheduleLagP99Ms} ms`,
        ...Object.entries(cell.load.byPhase ?? {}).map(
          ([phase, p]) =>
            `${phase}: ${p.achievedRate.toFixed(1)} req/s over ${p.seconds.toFixed(1)} s${p.judged ? '' : ' (too short to judge)'}`,
        ),
        ...(cell.load.process
          ? [
              `generator process: ${cell.load.process.cpuCores} CPU cores, event loop ${Math.round(cell.load.process.eventLoopUtilization * 100)}% busy`,
            ]
          : []),
      ].join('\n')
    : [`status: ${cell.status}`, `phase: ${cell.error?.phase ?? 'unknown'}`, message].join('\n');
  const name = inconclusive ? 'load' : 'cell';
  if (cell.matchedExpectation) {
    return {
      name,
      timeSeconds: 0,
      result: { kind: 'passed', systemOut: `expected ${cell.status}: ${message}` },
    };
  }
  return { name, timeSeconds: 0, result: { kind: 'error', type: cell.status, message, body } };
}

function checkCase(cell: CellRecord, check: Check, judged: boolean): JunitTestCase {
  const base = { name: check.name, timeSeconds: 0 };
  if (check.passed) return { ...base, result: { kind: 'passed' } };
  const detail = checkDetail(check);
  if (!judged) {
    return {
      ...base,
      result: { kind: 'skipped', message: `not judged (cell status ${cell.status}): ${check.message}` },
    };
  }
  const expectedHere = cell.expected?.status === 'failed' && cell.expected.reason === check.category;
  if (cell.matchedExpectation || expectedHere) {
    const why = `the cell was expected to end ${describeExpectation(cell.expected)}`;
    return {
      ...base,
      result: { kind: 'passed', systemOut: `expected failure: ${check.message}\n${why}\n${detail}` },
    };
  }
  return { ...base, result: { kind: 'failure', type: check.category, message: check.message, body: detail } };
}

function checkDetail(check: Check): string {
  return [
    `category: ${check.category}`,
    `value: ${check.value ?? 'not measured'}`,
    `limit: ${check.limit ?? 'none'}`,
  ].join('\n');
}

function expectationCase(cell: CellRecord): JunitTestCase {
  const expected = describeExpectation(cell.expected);
  const actual = describeOutcomeSentence(cell);
  if (cell.matchedExpectation) {
    return {
      name: 'expectation',
      timeSeconds: 0,
      result: { kind: 'passed', systemOut: `expected ${expected}; ${actual}` },
    };
  }
  const message = `expected ${expected} but ${actual}`;
  return {
    name: 'expectation',
    timeSeconds: 0,
    result: { kind: 'failure', type: 'expectation', message, body: message },
  };
}

function renderSuite(cell: CellRecord, cases: JunitTestCase[]): string[] {
  const properties: Array<[string, string | undefined]> = [
    ...Object.entries(cell.axes).map(([axis, value]): [string, string] => [`axis.${axis}`, value]),
    ['status', cell.status],
    ['reason', cell.reason],
    ['expected.status', cell.expected?.status ?? 'passed'],
    ['expected.reason', cell.expected?.reason],
    ['matchedExpectation', String(cell.matchedExpectation)],
    ['artifactsDir', cell.artifactsDir],
  ];
  const lines = [
    `  <testsuite${xmlAttrs({
      name: cell.id,
      ...countCases(cases),
      time: seconds(cell.endedAt - cell.startedAt),
      timestamp: isoTime(cell.startedAt),
    })}>`,
    '    <properties>',
    ...properties
      .filter((p): p is [string, string] => p[1] !== undefined)
      .map(([name, value]) => `      <property${xmlAttrs({ name, value })}/>`),
    '    </properties>',
  ];
  for (const testCase of cases) lines.push(...renderCase(cell.id, testCase));
  lines.push('  </testsuite>');
  return lines;
}

function renderCase(classname: string, testCase: JunitTestCase): string[] {
  const open = `    <testcase${xmlAttrs({ classname, name: testCase.name, time: seconds(testCase.timeSeconds * 1000) })}`;
  const { result } = testCase;
  switch (result.kind) {
    case 'passed':
      if (result.systemOut === undefined) return [`${open}/>`];
      return [
        `${open}>`,
        `      <system-out>${escapeXmlText(result.systemOut)}</system-out>`,
        '    </testcase>',
      ];
    case 'skipped':
      return [`${open}>`, `      <skipped${xmlAttrs({ message: result.message })}/>`, '    </testcase>'];
    case 'failure':
    case 'error':
      return [
        `${open}>`,
        `      <${result.kind}${xmlAttrs({ message: result.message, type: result.type })}>${escapeXmlText(result.body)}</${result.kind}>`,
        '    </testcase>',
      ];
  }
}

function countCases(cases: JunitTestCase[]): Counts {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.result.kind === 'failure').length,
    errors: cases.filter((c) => c.result.kind === 'error').length,
    skipped: cases.filter((c) => c.result.kind === 'skipped').length,
  };
}

function sumCounts(all: Counts[]): Counts {
  return all.reduce(
    (sum, c) => ({
      tests: sum.tests + c.tests,
      failures: sum.failures + c.failures,
      errors: sum.errors + c.errors,
      skipped: sum.skipped + c.skipped,
    }),
    { tests: 0, failures: 0, errors: 0, skipped: 0 },
  );
}

/** Milliseconds → seconds with 3 decimals; a negative or broken span reads as 0. */
function seconds(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? (ms / 1000).toFixed(3) : '0.000';
}

/** ISO 8601 without the zone suffix, as the JUnit schema wants (always UTC here). */
function isoTime(epochMs: number): string | undefined {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString().slice(0, 19) : undefined;
}
