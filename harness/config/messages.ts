/**
 * Plain-words messages for schema issues. Zod's defaults ("Invalid input: expected number,
 * received string") are replaced by what the person editing the YAML needs: what was expected,
 * what was found, and for a closed set of values, the set.
 */
import type { z } from 'zod';
import { didYouMean } from './suggest.js';

/** How a value found in the file is shown: strings quoted, collections by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

const EXPECTED_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of key: value pairs',
  record: 'a map of key: value pairs',
  null: 'an empty value',
};

export function describeExpected(expected: string): string {
  return EXPECTED_WORDS[expected] ?? expected;
}

export function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : String(v))).join(', ');
}

/** `expected WHAT, got VALUE`, or that the field is missing when there is no value. */
export function expectedMessage(what: string, input: unknown): string {
  return input === undefined
    ? `required field is missing (expected ${what})`
    : `expected ${what}, got ${describeValue(input)}`;
}

type RawIssue = z.core.$ZodRawIssue;

function invalidType(issue: RawIssue & { code: 'invalid_type' }): string {
  const expected = describeExpected(issue.expected);
  if (issue.input === undefined) return `required field is missing (expected ${expected})`;
  if (issue.expected === 'int' && typeof issue.input === 'number') {
    return `expected a whole number, got ${issue.input}`;
  }
  const hint =
    issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean')
      ? '; put the value in quotes'
      : '';
  return `expected ${expected}, got ${describeValue(issue.input)}${hint}`;
}

function bound(issue: RawIssue & { code: 'too_small' | 'too_big' }): string {
  const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  const small = issue.code === 'too_small';
  switch (issue.origin) {
    case 'array':
    case 'set': {
      if (small && limit === 1) return 'must not be empty';
      return small ? `must have at least ${limit} items` : `must have at most ${limit} items`;
    }
    case 'string': {
      if (small && limit === 1) return 'must not be empty';
      return small ? `must be at least ${limit} characters long` : `must be at most ${limit} characters long`;
    }
    default: {
      const words = small
        ? issue.inclusive
          ? `must be at least ${limit}`
          : `must be greater than ${limit}`
        : issue.inclusive
          ? `must be at most ${limit}`
          : `must be less than ${limit}`;
      return `${words}, got ${describeValue(issue.input)}`;
    }
  }
}

function invalidValue(issue: RawIssue & { code: 'invalid_value' }): string {
  const got = describeValue(issue.input);
  if (issue.values.length === 1) return `expected ${JSON.stringify(issue.values[0])}, got ${got}`;
  const suggestion =
    typeof issue.input === 'string'
      ? didYouMean(
          issue.input,
          issue.values.map((v) => String(v)),
        )
      : '';
  return `expected one of: ${listValues(issue.values)}; got ${got}${suggestion}`;
}

/**
 * The error map passed to every parse. Schemas that need a more specific message (names,
 * versions, commands) set their own, which zod consults first.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return invalidType(issue);
    case 'too_small':
    case 'too_big':
      return bound(issue);
    case 'invalid_value':
      return invalidValue(issue);
    case 'invalid_format':
      if (issue.format === 'regex')
        return `expected text matching ${issue.pattern}, got ${describeValue(issue.input)}`;
      if (issue.format === 'url') return `expected a URL, got ${describeValue(issue.input)}`;
      return `expected a ${issue.format}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'}: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return expectedMessage('one of the accepted forms', issue.input);
    case 'invalid_key':
      return 'invalid key';
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
};
