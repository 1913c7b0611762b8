/**
 * Writes the JSON Schemas of scenario and matrix files to schemas/ (run: `npm run schemas`).
 * json-schema.test.ts fails when the committed files differ from what this writes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFiles } from '../harness/config/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const { path, text } of schemaFiles()) {
  const target = join(root, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, text);
  console.log(`wrote ${path}`);
}
