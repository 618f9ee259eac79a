import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serializeFlow, type FlowDocument } from './index.js';

const text = readFileSync(new URL('./__fixtures__/orders.flow.json', import.meta.url), 'utf8');

describe('serializeFlow', () => {
  it('is byte-identical on load → save', () => {
    expect(serializeFlow(JSON.parse(text) as FlowDocument)).toBe(text);
  });

  it('writes fields in canonical order whatever order they came in, config keys sorted', () => {
    const doc = JSON.parse(text) as FlowDocument;
    const shuffled = {
      edges: doc.edges.map((e) => ({
        targetPort: e.targetPort,
        target: e.target,
        id: e.id,
        sourcePort: e.sourcePort,
        source: e.source,
      })),
      nodes: doc.nodes.map(({ config, ...n }) => ({
        config: Object.fromEntries(Object.entries(config).reverse()),
        ...n,
      })),
      name: doc.name,
      connections: doc.connections,
      settings: doc.settings,
      description: doc.description,
      id: doc.id,
      schemaVersion: doc.schemaVersion,
    } as FlowDocument;
    expect(serializeFlow(shuffled)).toBe(text);
  });

  it('leaves out undefined fields and ends with a newline', () => {
    const out = serializeFlow({ schemaVersion: 1, id: 'x', name: 'X', description: undefined, nodes: [], edges: [] });
    expect(out).toBe('{\n  "schemaVersion": 1,\n  "id": "x",\n  "name": "X",\n  "nodes": [],\n  "edges": []\n}\n');
  });
});
