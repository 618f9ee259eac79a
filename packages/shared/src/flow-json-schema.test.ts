import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flowJsonSchema, flowJsonSchemaText } from './index.js';

describe('published JSON Schema (flow.schema.json)', () => {
  it('matches the committed file', () => {
    const committed = readFileSync(new URL('../flow.schema.json', import.meta.url), 'utf8');
    expect(
      committed,
      'packages/shared/flow.schema.json is stale: regenerate it with `pnpm --filter @tributary/shared schema` and commit it',
    ).toBe(flowJsonSchemaText());
  });

  it('identifies itself and describes the v1 document, unknown fields refused', () => {
    const schema = flowJsonSchema() as {
      $id: string;
      title: string;
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(schema.$id).toMatch(/flow\.schema\.json$/);
    expect(schema.title).toBe('Tributary flow document');
    expect(schema.properties.schemaVersion).toMatchObject({ const: 1 });
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'id', 'name', 'nodes', 'edges']));
    expect(schema.additionalProperties).toBe(false);
  });
});
