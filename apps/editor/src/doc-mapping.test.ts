import { describe, expect, it } from 'vitest';
import { serializeFlow, type FlowDocument } from '@tributary/shared';
import { toEditorGraph, toFlowDocument } from './doc-mapping.js';

const doc: FlowDocument = {
  schemaVersion: 1,
  id: 'demo',
  name: 'Demo',
  description: 'two nodes',
  settings: { batchSize: 64 },
  nodes: [
    { id: 'seq', type: 'sequence', typeVersion: 1, label: 'Numbers', position: { x: 0, y: 10 }, config: { count: 5 } },
    { id: 'count', type: 'counter', typeVersion: 1, position: { x: 300, y: 10 }, config: {}, disabled: true },
  ],
  edges: [{ id: 'e1', source: 'seq', sourcePort: 'out', target: 'count', targetPort: 'in' }],
};

describe('document ↔ React Flow mapping', () => {
  it('round-trips a document byte for byte', () => {
    expect(serializeFlow(toFlowDocument(toEditorGraph(doc)))).toBe(serializeFlow(doc));
  });

  it('keeps node data to the config and drops UI-only fields on the way back', () => {
    const graph = toEditorGraph(doc);
    expect(graph.nodes[0]?.data).toEqual({ config: { count: 5 } });
    graph.nodes = graph.nodes.map((n) => ({
      ...n,
      selected: true,
      dragging: true,
      measured: { width: 100, height: 40 },
      position: { x: n.position.x + 0.4, y: n.position.y },
    }));
    graph.edges = graph.edges.map((e) => ({ ...e, selected: true, animated: true }));
    expect(toFlowDocument(graph)).toEqual(doc);
  });
});
