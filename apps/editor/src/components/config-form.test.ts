import { describe, expect, it } from 'vitest';
import { toNodeTypeInfo } from '@tributary/shared';
import { nodeManifests } from '@tributary/nodes/manifests';
import { enumOptions, formFields, type FieldSchema } from './ConfigForm.js';

function schemaOf(type: string): FieldSchema {
  const manifest = nodeManifests.find((m) => m.type === type);
  if (!manifest) throw new Error(`no ${type}`);
  return toNodeTypeInfo(manifest).configSchema;
}

describe('config form fields', () => {
  it('orders fields by their ui hint and keeps the widget hints', () => {
    const fields = formFields(schemaOf('function'));
    expect(fields.map((f) => f.key)).toEqual(['code', 'concurrency', 'timeoutMs', 'cacheName']);
    expect(fields[0]?.ui.widget).toBe('code');
    expect(fields[1]?.ui.advanced).toBe(true);
  });

  it('reads enums from plain enums and from unions of constants', () => {
    expect(enumOptions({ enum: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(enumOptions({ anyOf: [{ const: 1 }, { const: 2 }] })).toEqual([1, 2]);
    expect(enumOptions({ type: 'string' })).toBeUndefined();
  });
});
