import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFile } from './load.js';

const ROOT = join(import.meta.dirname, '..', '..');

async function yamlFiles(dir: string): Promise<string[]> {
  const names = await readdir(join(ROOT, dir));
  return names.filter((n) => n.endsWith('.yaml')).map((n) => join(dir, n));
}

describe('shipped scenarios, matrices and catalogs', async () => {
  const files = [
    ...(await yamlFiles('scenarios')),
    ...(await yamlFiles('matrices')),
    ...(await yamlFiles(join('matrices', 'catalogs'))),
  ];

  it('are there to check', () => {
    expect(files).toContain(join('scenarios', 'postgres-minor.yaml'));
    expect(files).toContain(join('matrices', 'demo.yaml'));
    expect(files).toContain(join('matrices', 'catalogs', 'gitlab.yaml'));
  });

  for (const file of files) {
    it(`${file} validates`, async () => {
      const validated = await validateFile(join(ROOT, file));
      if (validated.kind === 'Matrix') expect(validated.plan.cells.length).toBeGreaterThan(0);
    });
  }
});
