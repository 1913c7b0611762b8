import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import type { CellRecord } from '../common/run-record.js';
import {
  buildRunRecord,
  cellStart,
  downtimeFailedCell,
  erroredCell,
  expectedErrorBudgetFailureCell,
  inconclusiveCell,
  passedCell,
  realisticRunRecord,
  unexpectedPassCell,
} from '../testing/run-record-builder.js';
import { JunitReporter, renderJunit } from './junit-reporter.js';

interface Attrs {
  [key: string]: unknown;
}
interface ParsedCase extends Attrs {
  failure?: Attrs & { '#text'?: string };
  error?: Attrs & { '#text'?: string };
  skipped?: Attrs;
  'system-out'?: string;
}
interface ParsedSuite extends Attrs {
  properties: { property: Attrs[] };
  testcase: ParsedCase[];
}
interface ParsedSuites extends Attrs {
  testsuite?: ParsedSuite[];
}

function parse(xml: string): ParsedSuites {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    htmlEntities: true,
    parseAttributeValue: false,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  return (parser.parse(xml) as { testsuites: ParsedSuites }).testsuites;
}

function suiteOf(root: ParsedSuites, cell: CellRecord): ParsedSuite {
  const suite = root.testsuite?.find((s) => s.name === cell.id);
  if (!suite) throw new Error(`no testsuite for ${cell.id}`);
  return suite;
}

function caseOf(suite: ParsedSuite, name: string): ParsedCase {
  const found = suite.testcase.find((c) => c.name === name);
  if (!found) throw new Error(`no testcase ${name} in ${String(suite.name)}`);
  return found;
}

function normalizeTimes(xml: string): string {
  return xml
    .replace(/ time="[\d.]+"/g, ' time="<time>"')
    .replace(/ timestamp="[^"]+"/g, ' timestamp="<timestamp>"');
}

describe('junit.xml', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('counts tests, failures and errors of the realistic run', () => {
    const record = realisticRunRecord();
    const root = parse(renderJunit(record));
    expect(root.name).toBe('upgrade-harness demo');
    // passed 5 checks; downtime-failed 5 (2 failing); expected failure 5 + expectation; errored: cell;
    // rolled back 6 (upgrade failing).
    expect(root).toMatchObject({ tests: '23', failures: '3', errors: '1', skipped: '0' });
    expect(root.testsuite).toHaveLength(record.cells.length);
    const suites = root.testsuite ?? [];
    const summed = (key: string) => suites.reduce((n, s) => n + Number(s[key]), 0);
    expect(summed('tests')).toBe(23);
    expect(summed('failures')).toBe(3);
    expect(summed('errors')).toBe(1);
    const cases = suites.flatMap((s) => s.testcase);
    expect(cases).toHaveLength(23);
    expect(cases.filter((c) => c.failure !== undefined)).toHaveLength(3);
    expect(cases.filter((c) => c.error !== undefined)).toHaveLength(1);
  });

  it('writes one testcase per check with the cell id as classname, and the axes as properties', () => {
    const cell = downtimeFailedCell();
    const suite = suiteOf(parse(renderJunit(buildRunRecord({ cells: [cell] }))), cell);
    expect(suite.testcase.map((c) => c.name)).toEqual(cell.checks.map((c) => c.name));
    expect(new Set(suite.testcase.map((c) => c.classname))).toEqual(new Set([cell.id]));
    const props = Object.fromEntries(suite.properties.property.map((p) => [p.name, p.value]));
    expect(props).toMatchObject({
      'axis.strategy': 'recreate',
      'axis.from': '1.0.0',
      'axis.to': '1.1.0',
      status: 'failed',
      reason: 'downtime',
      'expected.status': 'passed',
      matchedExpectation: 'false',
    });
    const downtime = caseOf(suite, 'downtime');
    expect(downtime.failure).toMatchObject({ type: 'downtime', message: 'downtime 6.515 s > 0 s allowed' });
    expect(downtime.failure?.['#text']).toContain('value: 6.515');
    expect(downtime.failure?.['#text']).toContain('limit: 0');
    expect(caseOf(suite, 'version').failure).toBeUndefined();
  });

  it('does not count a failure that the matrix expected', () => {
    const cell = expectedErrorBudgetFailureCell();
    expect(cell.matchedExpectation).toBe(true);
    const root = parse(renderJunit(buildRunRecord({ cells: [cell] })));
    expect(root).toMatchObject({ failures: '0', errors: '0' });
    const suite = suiteOf(root, cell);
    const budget = caseOf(suite, 'error-budget');
    expect(budget.failure).toBeUndefined();
    expect(budget['system-out']).toMatch(/^expected failure: error budget 445\.3 % used/);
    expect(caseOf(suite, 'expectation')['system-out']).toBe(
      'expected failed (error-budget); the cell failed (error-budget)',
    );
  });

  it('keeps every failing check of a matched cell green, not only the expected category', () => {
    const cell: CellRecord = {
      ...downtimeFailedCell(),
      expected: { status: 'failed' },
      matchedExpectation: true,
    };
    const root = parse(renderJunit(buildRunRecord({ cells: [cell] })));
    expect(root).toMatchObject({ failures: '0', errors: '0' });
    const suite = suiteOf(root, cell);
    expect(caseOf(suite, 'downtime')['system-out']).toMatch(
      /^expected failure: downtime 6\.515 s > 0 s allowed\nthe cell was expected to end failed\n/,
    );
    expect(caseOf(suite, 'error-budget')['system-out']).toMatch(/^expected failure: /);
    expect(caseOf(suite, 'expectation')['system-out']).toBe('expected failed; the cell failed (downtime)');
  });

  it('fails the expectation testcase when an expected failure did not happen', () => {
    const cell = unexpectedPassCell();
    const root = parse(renderJunit(buildRunRecord({ cells: [cell] })));
    expect(root).toMatchObject({ failures: '1', errors: '0' });
    expect(caseOf(suiteOf(root, cell), 'expectation').failure).toMatchObject({
      type: 'expectation',
      message: 'expected failed (error-budget) but the cell passed',
    });
  });

  it('fails an expected-failure cell that failed for another reason', () => {
    const cell: CellRecord = {
      ...downtimeFailedCell(),
      expected: { status: 'failed', reason: 'error-budget' },
      matchedExpectation: false,
    };
    const suite = suiteOf(parse(renderJunit(buildRunRecord({ cells: [cell] }))), cell);
    expect(caseOf(suite, 'downtime').failure).toBeDefined();
    expect(caseOf(suite, 'error-budget').failure).toBeUndefined();
    expect(caseOf(suite, 'expectation').failure?.message).toBe(
      'expected failed (error-budget) but the cell failed (downtime)',
    );
    expect(suite.failures).toBe('2');
  });

  it('never shows an unmatched cell green, even without a failing check', () => {
    const cell: CellRecord = {
      ...passedCell(),
      status: 'failed',
      reason: 'version',
      matchedExpectation: false,
    };
    const suite = suiteOf(parse(renderJunit(buildRunRecord({ cells: [cell] }))), cell);
    expect(caseOf(suite, 'expectation').failure?.message).toBe(
      'expected passed but the cell failed (version)',
    );
  });

  it('reports an errored cell as one error carrying its message', () => {
    const cell = erroredCell();
    const suite = suiteOf(parse(renderJunit(buildRunRecord({ cells: [cell] }))), cell);
    expect(suite.testcase).toHaveLength(1);
    const error = caseOf(suite, 'cell').error;
    expect(error).toMatchObject({ type: 'errored', message: cell.error?.message });
    expect(error?.['#text']).toContain('phase: provision');
  });

  it.each(['timedout', 'interrupted'] as const)('reports a %s cell as an error', (status) => {
    const cell: CellRecord = {
      ...erroredCell(),
      status,
      error: { phase: 'upgrade', message: `upgrade ${status}` },
    };
    const suite = suiteOf(parse(renderJunit(buildRunRecord({ cells: [cell] }))), cell);
    expect(caseOf(suite, 'cell').error).toMatchObject({ type: status, message: `upgrade ${status}` });
  });

  it('shows an inconclusive cell as an error, with its measured numbers skipped', () => {
    const cell = inconclusiveCell();
    const root = parse(renderJunit(buildRunRecord({ cells: [cell] })));
    expect(root).toMatchObject({ errors: '1', failures: '0', skipped: '2' });
    const suite = suiteOf(root, cell);
    const load = suite.testcase[0];
    expect(load?.name).toBe('load');
    expect(load?.error).toMatchObject({ type: 'inconclusive', message: cell.load.reason });
    expect(load?.error?.['#text']).toContain('achieved rate: 76.4 req/s');
    expect(caseOf(suite, 'error-budget').skipped?.message).toMatch(
      /^not judged \(cell status inconclusive\)/,
    );
  });

  it('passes a cell that ended as its expectation said, whatever the status', () => {
    const cell = inconclusiveCell({ expected: { status: 'inconclusive' } });
    expect(cell.matchedExpectation).toBe(true);
    const root = parse(renderJunit(buildRunRecord({ cells: [cell] })));
    expect(root).toMatchObject({ errors: '0', failures: '0' });
    expect(suiteOf(root, cell).testcase[0]?.['system-out']).toMatch(/^expected inconclusive: /);
  });

  it('escapes special characters in names, properties, messages and bodies', () => {
    const nasty = `a<b>&"c" 'd' | e\n\tf\u0001g\uD800h`;
    const base = downtimeFailedCell();
    const cell: CellRecord = {
      ...base,
      id: `cell "x" <&>`,
      axes: { ...base.axes, custom: nasty },
      checks: base.checks.map((c) => (c.name === 'downtime' ? { ...c, name: nasty, message: nasty } : c)),
    };
    const xml = renderJunit(buildRunRecord({ cells: [cell], matrixName: 'm&m <nightly>' }));
    const forbidden = [...xml].filter((ch) => {
      const code = ch.codePointAt(0) ?? 0;
      return (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') || (code >= 0xd800 && code <= 0xdfff);
    });
    expect(forbidden).toEqual([]);
    const root = parse(xml);
    expect(root.name).toBe('upgrade-harness m&m <nightly>');
    const suite = suiteOf(root, cell);
    const property = suite.properties.property.find((p) => p.name === 'axis.custom');
    const cleaned = `a<b>&"c" 'd' | e\n\tf\uFFFDg\uFFFDh`;
    expect(property?.value).toBe(cleaned);
    const testCase = caseOf(suite, cleaned);
    expect(testCase.classname).toBe(`cell "x" <&>`);
    expect(testCase.failure?.message).toBe(cleaned);
  });

  it('writes times in seconds with 3 decimals', () => {
    const cell = passedCell({ startedAt: cellStart(0) });
    const record = buildRunRecord({ cells: [{ ...cell, endedAt: cell.startedAt + 1_234.5678 }] });
    const root = parse(renderJunit(record));
    expect(root.testsuite?.[0]?.time).toBe('1.235');
    expect(root.time).toBe(((record.endedAt - record.startedAt) / 1000).toFixed(3));
    expect(root.testsuite?.[0]?.testcase[0]?.time).toBe('0.000');
    expect(root.testsuite?.[0]?.timestamp).toBe('2026-01-01T02:00:01');
  });

  it('writes a valid file for a run without cells', () => {
    const root = parse(renderJunit(buildRunRecord({ cells: [], status: 'interrupted' })));
    expect(root).toMatchObject({ tests: '0', failures: '0', errors: '0' });
  });

  it('writes junit.xml into the directory and matches the snapshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'junit-reporter-'));
    dirs.push(dir);
    const files = await new JunitReporter().write(realisticRunRecord(), join(dir, 'nested'));
    expect(files).toEqual([join(dir, 'nested', 'junit.xml')]);
    const xml = await readFile(join(dir, 'nested', 'junit.xml'), 'utf8');
    await expect(normalizeTimes(xml)).toMatchFileSnapshot('./testdata/junit.xml');
  });
});
