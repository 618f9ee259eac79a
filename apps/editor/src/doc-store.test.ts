import { describe, expect, it } from 'vitest';
import { copySelection, createDocStore, currentDocument } from './doc-store.js';
import { emptyDocument } from './doc-mapping.js';

function store() {
  return createDocStore(emptyDocument('t', 'Test'));
}

describe('document store', () => {
  it('undoes and redoes node additions, edges and config edits', () => {
    const s = store();
    const a = s.getState().addNode('sequence', 1, { x: 0, y: 0 }, { start: 0 });
    const b = s.getState().addNode('counter', 1, { x: 200, y: 0 }, {});
    s.getState().addEdge(a, 'out', b, 'in');
    s.getState().setConfig(a, { start: 5 });
    expect(s.getState().dirty).toBe(true);
    expect(currentDocument(s.getState()).nodes[0]?.config).toEqual({ start: 5 });

    s.getState().undo();
    expect(currentDocument(s.getState()).nodes[0]?.config).toEqual({ start: 0 });
    s.getState().undo();
    expect(s.getState().edges).toHaveLength(0);
    s.getState().undo();
    s.getState().undo();
    expect(s.getState().nodes).toHaveLength(0);
    s.getState().undo(); // nothing left: no-op
    expect(s.getState().nodes).toHaveLength(0);

    s.getState().redo();
    s.getState().redo();
    s.getState().redo();
    expect(currentDocument(s.getState()).edges).toEqual([
      { id: `${a}:out>${b}:in`, source: a, sourcePort: 'out', target: b, targetPort: 'in' },
    ]);
  });

  it('a new edit after undo drops the redo branch', () => {
    const s = store();
    s.getState().addNode('sequence', 1, { x: 0, y: 0 }, {});
    s.getState().undo();
    s.getState().addNode('counter', 1, { x: 0, y: 0 }, {});
    s.getState().redo();
    expect(s.getState().nodes.map((n) => n.type)).toEqual(['counter']);
  });

  it('deleting a node removes its edges, and undo brings both back', () => {
    const s = store();
    const a = s.getState().addNode('sequence', 1, { x: 0, y: 0 }, {});
    const b = s.getState().addNode('counter', 1, { x: 0, y: 0 }, {});
    s.getState().addEdge(a, 'out', b, 'in');
    s.getState().onNodesChange([{ type: 'remove', id: a }]);
    expect(s.getState().edges).toHaveLength(0);
    expect(s.getState().nodeMeta[a]).toBeUndefined();
    s.getState().undo();
    expect(s.getState().edges).toHaveLength(1);
    expect(s.getState().nodes).toHaveLength(2);
  });

  it('a Delete reported as edge and node changes is one undo step', async () => {
    const s = store();
    const a = s.getState().addNode('sequence', 1, { x: 0, y: 0 }, {});
    const b = s.getState().addNode('counter', 1, { x: 0, y: 0 }, {});
    s.getState().addEdge(a, 'out', b, 'in');
    await Promise.resolve();
    const edge = s.getState().edges[0]!.id;
    s.getState().onEdgesChange([{ type: 'remove', id: edge }]);
    s.getState().onNodesChange([{ type: 'remove', id: b }]);
    await Promise.resolve();
    s.getState().undo();
    expect(s.getState().nodes).toHaveLength(2);
    expect(s.getState().edges).toHaveLength(1);
  });

  it('selection changes neither dirty the flow nor enter history', () => {
    const s = store();
    const a = s.getState().addNode('sequence', 1, { x: 0, y: 0 }, {});
    s.getState().markSaved('r1');
    s.getState().onNodesChange([{ type: 'select', id: a, selected: true }]);
    expect(s.getState().dirty).toBe(false);
    expect(s.getState().past).toHaveLength(1);
  });

  it('paste gives fresh ids and keeps the edges among the copied nodes', () => {
    const s = store();
    const a = s.getState().addNode('sequence', 1, { x: 0, y: 0 }, { start: 1 });
    const b = s.getState().addNode('counter', 1, { x: 100, y: 0 }, {});
    s.getState().addEdge(a, 'out', b, 'in');
    s.getState().onNodesChange([
      { type: 'select', id: a, selected: true },
      { type: 'select', id: b, selected: true },
    ]);
    s.getState().paste(copySelection(s.getState()), { x: 40, y: 40 });
    const doc = currentDocument(s.getState());
    expect(doc.nodes.map((n) => n.id)).toEqual(['sequence-1', 'counter-1', 'sequence-2', 'counter-2']);
    expect(doc.nodes[2]?.position).toEqual({ x: 40, y: 40 });
    expect(doc.edges.map((e) => e.id)).toEqual(['sequence-1:out>counter-1:in', 'sequence-2:out>counter-2:in']);
  });
});

describe('typing in one field', () => {
  it('is one undo step, and another field starts a new one', () => {
    const s = store();
    const a = s.getState().addNode('function', 1, { x: 0, y: 0 }, { code: '' });
    for (const code of ['r', 're', 'ret']) s.getState().setConfig(a, { code }, 'code');
    s.getState().setConfig(a, { code: 'ret', concurrency: 2 }, 'concurrency');
    s.getState().undo();
    expect(s.getState().nodes[0]?.data.config).toEqual({ code: 'ret' });
    s.getState().undo();
    expect(s.getState().nodes[0]?.data.config).toEqual({ code: '' });
  });
});

describe('auto layout', () => {
  it('places a chain left to right in one undo step', async () => {
    const { layout } = await import('./auto-layout.js');
    const s = store();
    const a = s.getState().addNode('sequence', 1, { x: 500, y: 500 }, {});
    const b = s.getState().addNode('function', 1, { x: 0, y: 0 }, {});
    const c = s.getState().addNode('counter', 1, { x: 250, y: 900 }, {});
    s.getState().addEdge(a, 'out', b, 'in');
    s.getState().addEdge(b, 'out', c, 'in');
    s.getState().setPositions(await layout(s.getState().nodes, s.getState().edges));
    const x = (id: string) => s.getState().nodes.find((n) => n.id === id)!.position.x;
    expect(x(a)).toBeLessThan(x(b));
    expect(x(b)).toBeLessThan(x(c));
    s.getState().undo();
    expect(s.getState().nodes.find((n) => n.id === a)!.position).toEqual({ x: 500, y: 500 });
  });
});

describe('flow fields', () => {
  it('typing the name is one undo step; an emptied description leaves the document', () => {
    const s = store();
    for (const name of ['O', 'Or', 'Orders']) s.getState().setDocMeta({ name }, 'name');
    s.getState().setDocMeta({ description: 'x' }, 'description');
    s.getState().setDocMeta({ description: undefined }, 'description');
    expect('description' in currentDocument(s.getState())).toBe(false);
    s.getState().undo();
    expect(currentDocument(s.getState()).name).toBe('Orders');
    s.getState().undo();
    expect(currentDocument(s.getState()).name).toBe('Test');
  });

  it('an edit made while a save was on its way stays an unsaved change', () => {
    const s = store();
    s.getState().setDocMeta({ name: 'Orders' }, 'name');
    const sent = currentDocument(s.getState());
    s.getState().markSaved('r1', sent);
    expect(s.getState().dirty).toBe(false);
    s.getState().setDocMeta({ name: 'Orders, edited' }, 'name');
    const sentAgain = currentDocument(s.getState());
    s.getState().setDocMeta({ name: 'Orders, edited twice' }, 'name');
    s.getState().markSaved('r2', sentAgain);
    expect(s.getState().rev).toBe('r2');
    expect(s.getState().dirty).toBe(true);
  });

  it('counts loads, so a loaded flow is framed and an edit is not', () => {
    const s = store();
    const before = s.getState().loads;
    s.getState().setDocMeta({ id: 'renamed' });
    expect(s.getState().loads).toBe(before);
    s.getState().load(emptyDocument('other', 'Other'), 'r1');
    expect(s.getState().loads).toBe(before + 1);
  });
});

describe('opening a hand-written flow without positions', () => {
  it('lays its nodes out left to right (ELK) without making the flow dirty or an undo step', async () => {
    const s = store();
    const doc = {
      ...emptyDocument('hand', 'Hand-written'),
      nodes: [
        { id: 'a', type: 'sequence', typeVersion: 1, config: {} },
        { id: 'b', type: 'function', typeVersion: 1, config: {} },
        { id: 'c', type: 'counter', typeVersion: 1, config: {} },
      ],
      edges: [
        { id: 'a->b', source: 'a', sourcePort: 'out', target: 'b', targetPort: 'in' },
        { id: 'b->c', source: 'b', sourcePort: 'out', target: 'c', targetPort: 'in' },
      ],
    };
    s.getState().load(doc, 'r1');
    const deadline = Date.now() + 20_000;
    const xs = () => s.getState().nodes.map((n) => n.position.x);
    while (new Set(xs()).size < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const [a, b, c] = xs() as [number, number, number];
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(c);
    expect(s.getState().dirty).toBe(false);
    expect(s.getState().past).toHaveLength(0);
  });
});
