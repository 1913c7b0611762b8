/**
 * Building blocks shared by the scenario and matrix schemas: names, versions, commands, env maps
 * and upgrade paths, each with a message written for the person editing the file.
 */
import { z } from 'zod';
import { describeValue, expectedMessage } from './messages.js';
import { didYouMean } from './suggest.js';
import type { PathInput } from './types.js';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
/** Versions and custom axis values end up in cell ids and folder names: no spaces, no slashes. */
export const VALUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `FROM -> TO` or `FROM -> STOP -> ... -> TO`, spaces optional (a "-" right before ">" is the arrow). */
export const PATH_STRING_PATTERN =
  /^\s*[A-Za-z0-9](?:[A-Za-z0-9._+]|-(?!>))*(?:\s*->\s*[A-Za-z0-9](?:[A-Za-z0-9._+]|-(?!>))*)+\s*$/;

export const nameSchema = z.string().regex(NAME_PATTERN, {
  error: (issue) =>
    `expected a name of lowercase letters, digits and "-" that starts with a letter or digit, got ${describeValue(issue.input)}`,
});

export const versionSchema = z.string().regex(VALUE_PATTERN, {
  error: (issue) =>
    `expected a version such as "1.2.3" (letters, digits, ".", "_", "+", "-"), got ${describeValue(issue.input)}`,
});

export const axisValueSchema = z.string().regex(VALUE_PATTERN, {
  error: (issue) =>
    `expected a value of letters, digits, ".", "_", "+", "-", got ${describeValue(issue.input)}`,
});

export const urlPathSchema = z.string().regex(/^\//, {
  error: (issue) => `expected a URL path starting with "/", got ${describeValue(issue.input)}`,
});

export const httpUrlSchema = z.url({
  protocol: /^https?$/,
  error: (issue) => `expected an http:// or https:// URL, got ${describeValue(issue.input)}`,
});

export const positiveNumber = z.number().positive();
export const positiveInt = z.number().int().positive();
export const nonNegativeNumber = z.number().nonnegative();
export const nonNegativeInt = z.number().int().nonnegative();
/** A ratio in (0, 1]. */
export const ratioSchema = z.number().gt(0).lte(1);

/**
 * Splits a command written as one string on whitespace. There is no quoting: an argument that
 * contains spaces needs the list form. `{{ ... }}` templates stay in one piece even with spaces.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (text.startsWith('{{', i)) {
      depth++;
      current += '{{';
      i++;
      continue;
    }
    if (depth > 0 && text.startsWith('}}', i)) {
      depth--;
      current += '}}';
      i++;
      continue;
    }
    if (depth === 0 && /\s/.test(ch)) {
      if (current !== '') words.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current !== '') words.push(current);
  return words;
}

const commandString = z
  .string()
  .regex(/\S/, { error: 'a command must not be empty' })
  .transform((text) => splitCommand(text));

/** One argument of a command in list form; numbers are accepted and kept as written. */
const argument = z.union([z.string(), z.number()], {
  error: (issue) => expectedMessage('a command argument (a string)', issue.input),
});

/**
 * One command: `[node, server.mjs]`, or the string `node server.mjs`, split on whitespace
 * (no quoting; use the list form for arguments with spaces).
 */
export const argvSchema = z
  .union([commandString, z.array(argument).min(1, { error: 'a command must not be empty' })], {
    error: (issue) =>
      expectedMessage(
        'a command: a string such as "node server.mjs" or a list such as [node, server.mjs]',
        issue.input,
      ),
  })
  .transform((argv) => argv.map((word) => String(word)))
  .meta({ description: 'A command: a list of arguments, or one string split on whitespace (no quoting).' });

/** A list of commands; a single string is one command. */
export const commandsSchema = z
  .union([commandString.transform((argv) => [argv]), z.array(argvSchema)], {
    error: (issue) => expectedMessage('a list of commands (or one command as a string)', issue.input),
  })
  .meta({
    description: 'A list of commands, each a list of arguments or a string; one string is one command.',
  });

const envValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (issue) => expectedMessage('a string value', issue.input),
  })
  .transform((value) => String(value));

/** Environment variables; numbers and booleans are turned into strings. */
export const envSchema = z.record(
  z.string().regex(ENV_NAME_PATTERN, {
    error: (issue) =>
      `expected an environment variable name (letters, digits, "_", not starting with a digit), got ${describeValue(issue.input)}`,
  }),
  envValue,
);

/** The `via` keywords of a path. */
export const VIA_KEYWORDS = ['required-stops', 'direct'] as const;

const viaSchema = z
  .union([z.enum(VIA_KEYWORDS), z.array(versionSchema).min(1, { error: 'use via: direct for no stops' })], {
    error: (issue) =>
      `${expectedMessage('via: required-stops, direct, or a list of versions', issue.input)}${typeof issue.input === 'string' ? didYouMean(issue.input, VIA_KEYWORDS) : ''}`,
  })
  .meta({
    description:
      "The stops on the way, upgraded through in order: `required-stops` (the catalog's required stops strictly between from and to), `direct` (none), or a list of versions.",
  });

const pathObject = z.strictObject({
  from: versionSchema.meta({
    description: "A version, or n-K: the version K places before `to` in the catalog's versions.",
  }),
  to: versionSchema.meta({ description: "A version, or latest: the catalog's last version." }),
  via: viaSchema.optional(),
});

const pathString = z
  .string()
  .regex(PATH_STRING_PATTERN, {
    error: (issue) =>
      `expected an upgrade path such as "1.0.0 -> 1.1.0" (or "1.0.0 -> 1.1.0 -> 2.0.0" through a stop), got ${describeValue(issue.input)}`,
  })
  .transform((text): PathInput => {
    const versions = text.split('->').map((part) => part.trim());
    const from = versions[0] ?? '';
    const to = versions[versions.length - 1] ?? '';
    const via = versions.slice(1, -1);
    return via.length > 0 ? { from, to, via } : { from, to };
  });

/**
 * An upgrade path as written: `{from, to, via?}`, the string `"1.0.0 -> 1.1.0"`, or a chain
 * `"1.0.0 -> 1.1.0 -> 2.0.0"` (the middle versions are stops). Loading resolves `n-K`, `latest`
 * and `via: required-stops` against the matrix's catalog.
 */
export const pathSchema = z
  .union([pathString, pathObject], {
    error: (issue) =>
      expectedMessage('an upgrade path: "FROM -> TO" or {from: FROM, to: TO, via: [STOPS]}', issue.input),
  })
  .meta({
    description:
      'An upgrade path: "1.0.0 -> 1.1.0", "1.0.0 -> 1.1.0 -> 2.0.0" (through 1.1.0), or {from, to, via}; from may be n-K and to latest (from the catalog).',
  });
