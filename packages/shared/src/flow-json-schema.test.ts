import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flowJsonSchemaText, toNodeTypeInfo } from './index.js';
import { tHandler, tSource } from './testing/test-catalog.js';

describe('published JSON Schema', () => {
  it('matches the committed flow.schema.json (regenerate with `pnpm --filter @tributary/shared schema`)', () => {
    const committed = readFileSync(new URL('../flow.schema.json', import.meta.url), 'utf8');
    expect(committed, 'packages/shared/flow.schema.json is stale: run `pnpm --filter @tributary/shared schema`').toBe(
      flowJsonSchemaText(),
    );
  });
});

describe('node type info for the editor', () => {
  it('carries the config as JSON Schema with UI hints, and defaults for new nodes', () => {
    const info = toNodeTypeInfo(tSource);
    expect(info.configSchema.properties).toMatchObject({
      connection: { type: 'string', ui: { widget: 'connection', connectionType: 'kafka' } },
      count: { type: 'integer', default: 10 },
    });
    expect(info.defaults).toEqual({ count: 10 });
    expect('config' in info).toBe(false);
    // A required field without a default: the new node starts without it (and shows a problem).
    expect(toNodeTypeInfo(tHandler).defaults).toEqual({});
  });
});
