import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matrixJsonSchema, scenarioJsonSchema, schemaFiles } from './json-schema.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('JSON Schema', () => {
  it('matches the committed files in schemas/', async () => {
    for (const { path, text } of schemaFiles()) {
      const committed = await readFile(join(ROOT, path), 'utf8').catch(() => '');
      if (committed !== text) {
        expect.fail(
          `${path} is out of date with harness/config/schema.ts: run \`npm run schemas\` and commit the result`,
        );
      }
    }
  });

  it('describes the input side: fields with defaults are not required', () => {
    const scenario = scenarioJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(scenario.required.sort()).toEqual([
      'apiVersion',
      'kind',
      'name',
      'traffic',
      'versionProbe',
      'versions',
    ]);
    expect(scenario.properties).toHaveProperty('timing');
    const matrix = matrixJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: { axes: { required: string[] } };
    };
    expect(matrix.required.sort()).toEqual(['apiVersion', 'axes', 'kind', 'name', 'scenario']);
    expect(matrix.properties.axes.required).toEqual(['path']);
    expect(matrix.additionalProperties).toBe(false);
  });

  it('ends the written files with a newline and pretty-prints them', () => {
    for (const { text } of schemaFiles()) {
      expect(text.endsWith('}\n')).toBe(true);
      expect(text).toContain('\n  "type": "object"');
    }
  });
});
