/**
 * JSON Schema for editors and other tools, generated from the zod schemas (the input side, so
 * fields with defaults are optional). `npm run schemas` writes them to schemas/.
 */
import { z } from 'zod';
import { CatalogSchema } from './catalog.js';
import { MatrixSchema, ScenarioSchema } from './schema.js';

export type JsonSchema = Record<string, unknown>;

function generate(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema;
}

export function scenarioJsonSchema(): JsonSchema {
  return generate(ScenarioSchema);
}

export function matrixJsonSchema(): JsonSchema {
  return generate(MatrixSchema);
}

export function catalogJsonSchema(): JsonSchema {
  return generate(CatalogSchema);
}

/** The files `npm run schemas` writes, relative to the repository root, with their text. */
export function schemaFiles(): Array<{ path: string; text: string }> {
  const text = (schema: JsonSchema) => `${JSON.stringify(schema, null, 2)}\n`;
  return [
    { path: 'schemas/scenario.schema.json', text: text(scenarioJsonSchema()) },
    { path: 'schemas/matrix.schema.json', text: text(matrixJsonSchema()) },
    { path: 'schemas/catalog.schema.json', text: text(catalogJsonSchema()) },
  ];
}
