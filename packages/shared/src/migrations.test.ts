import { describe, expect, it } from 'vitest';
import { migrateDocument, migrateNodeConfig, validateFlow } from './index.js';
import { catalog, tHandler } from './testing/test-catalog.js';

describe('document migrations', () => {
  it('upgrades a v0 document (React Flow shape, no schemaVersion) to v1 and validates it', () => {
    const v0 = {
      id: 'old',
      name: 'Old flow',
      nodes: [
        { id: 'a', type: 't-source', position: { x: 1, y: 2 }, data: { label: 'A', config: { count: 3 } } },
        { id: 'b', type: 't-sink', position: { x: 3, y: 4 }, data: { config: {} } },
      ],
      edges: [{ id: 'a-b', source: 'a', sourceHandle: 'out', target: 'b', targetHandle: 'in' }],
    };
    const migrated = migrateDocument(v0);
    expect(migrated).toMatchObject({ ok: true, from: 0 });
    const result = validateFlow(v0, catalog);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.flow.schemaVersion).toBe(1);
      expect(result.flow.nodes[0]).toMatchObject({ label: 'A', typeVersion: 1, config: { count: 3 } });
      expect(result.flow.edges[0]).toEqual({
        id: 'a-b',
        source: 'a',
        sourcePort: 'out',
        target: 'b',
        targetPort: 'in',
      });
    }
  });

  it('passes current documents through untouched', () => {
    const doc = { schemaVersion: 1, id: 'x', name: 'x', nodes: [], edges: [] };
    expect(migrateDocument(doc)).toEqual({ ok: true, doc, from: 1 });
  });
});

describe('node config migrations', () => {
  it('runs each step from the saved typeVersion to the current one', () => {
    expect(migrateNodeConfig(tHandler, 1, { expr: 'value > 1' })).toEqual({ expression: 'value > 1' });
    expect(migrateNodeConfig(tHandler, 2, { expression: 'x' })).toEqual({ expression: 'x' });
  });

  it('says which step is missing', () => {
    expect(() => migrateNodeConfig({ ...tHandler, typeVersion: 3 }, 1, { expr: 'a' })).toThrow(
      /no config migration from typeVersion 2 to 3/,
    );
  });
});
