import { describe, expect, it } from 'vitest';
import { serializeFlow, type FlowDocument } from '@tributary/shared';
import { currentDocument } from './doc-store.js';
import { importText, useDoc, useUi } from './session.js';

const good: FlowDocument = {
  schemaVersion: 1,
  id: 'imported',
  name: 'Imported',
  nodes: [
    { id: 'seq', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { count: 3 } },
    { id: 'sink', type: 'counter', typeVersion: 1, position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e', source: 'seq', sourcePort: 'out', target: 'sink', targetPort: 'in' }],
};

describe('import', () => {
  it('refuses a broken flow with JSON paths and leaves the current flow alone', () => {
    const before = serializeFlow(currentDocument(useDoc.getState()));
    const broken = { ...good, edges: [{ ...good.edges[0], targetPort: 'nope' }], nodes: [good.nodes[0]] };
    expect(importText(JSON.stringify(broken), 'broken.json')).toBe(false);
    const problems = useUi.getState().importProblems?.problems ?? [];
    expect(problems.map((p) => p.path)).toContain('/edges/0/target');
    expect(serializeFlow(currentDocument(useDoc.getState()))).toBe(before);

    expect(importText('{ "schemaVersion": 1, ', 'cut.json')).toBe(false);
    expect(useUi.getState().importProblems?.problems[0]?.code).toBe('E_JSON_MALFORMED');
  });

  it('loads a valid flow as unsaved changes, byte-identical on export', () => {
    expect(importText(serializeFlow(good), 'good.json')).toBe(true);
    const s = useDoc.getState();
    expect(s.dirty).toBe(true);
    expect(s.rev).toBeUndefined();
    expect(serializeFlow(currentDocument(s))).toBe(serializeFlow(good));
    expect(useUi.getState().importProblems).toBeUndefined();
  });
});
