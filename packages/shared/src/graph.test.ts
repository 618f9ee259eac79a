import { describe, expect, it } from 'vitest';
import {
  canConnect,
  downstreamOf,
  findCycles,
  outputPorts,
  topologicalOrder,
  upstreamOf,
  type GraphEdge,
  type NodeManifest,
} from './index.js';
import { tHandler, tSink, tSource } from './testing/test-catalog.js';

const manifests = new Map<string, NodeManifest>([tSource, tHandler, tSink].map((m) => [m.type, m]));
const e = (source: string, target: string, sourcePort = 'out', targetPort = 'in'): GraphEdge => ({
  source,
  sourcePort,
  target,
  targetPort,
});
const flow = {
  nodes: [
    { id: 'src', type: 't-source' },
    { id: 'h1', type: 't-handler' },
    { id: 'h2', type: 't-handler' },
    { id: 'sink', type: 't-sink' },
  ],
  edges: [e('src', 'h1'), e('h1', 'h2'), e('h2', 'sink')],
};

describe('topologicalOrder', () => {
  it('puts every node after the nodes that feed it, ties in the given order', () => {
    expect(topologicalOrder(['sink', 'h2', 'h1', 'src'], flow.edges)).toEqual({
      order: ['src', 'h1', 'h2', 'sink'],
      cycle: null,
    });
    // Diamond: a feeds b and c, both feed d; b and c keep their given order.
    const diamond = [e('a', 'c'), e('a', 'b'), e('b', 'd'), e('c', 'd')];
    expect(topologicalOrder(['d', 'c', 'b', 'a'], diamond).order).toEqual(['a', 'c', 'b', 'd']);
  });

  it('orders what it can and names a cycle when there is one', () => {
    expect(topologicalOrder(['a', 'b', 'c', 'd'], [e('a', 'b'), e('b', 'c'), e('c', 'b'), e('c', 'd')])).toEqual({
      order: ['a'],
      cycle: ['b', 'c'],
    });
  });

  it('ignores edges to nodes it was not given', () => {
    expect(topologicalOrder(['a'], [e('a', 'ghost'), e('ghost', 'a')])).toEqual({ order: ['a'], cycle: null });
  });

  it('copes with a 10,000-node chain (no recursion limits)', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `n${i}`);
    const chain = ids.slice(1).map((id, i) => e(`n${i}`, id));
    expect(topologicalOrder([...ids].reverse(), chain).order).toEqual(ids);
    expect(findCycles(ids, [...chain, e('n9999', 'n0')])[0]).toHaveLength(10_000);
  });
});

describe('findCycles', () => {
  it('finds one loop per group of nodes feeding each other, self-loops included', () => {
    const edges = [e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'd'), e('x', 'x'), e('d', 'y')];
    expect(findCycles(['a', 'b', 'c', 'd', 'x', 'y'], edges)).toEqual([['a', 'b', 'c'], ['x']]);
  });

  it('names the shortest loop through the first node of a tangled group', () => {
    // a → b → c → d → a, and a shortcut c → a.
    const edges = [e('a', 'b'), e('b', 'c'), e('c', 'd'), e('d', 'a'), e('c', 'a')];
    expect(findCycles(['a', 'b', 'c', 'd'], edges)).toEqual([['a', 'b', 'c']]);
  });

  it('returns nothing for an acyclic graph', () => {
    expect(findCycles(['src', 'h1', 'h2', 'sink'], flow.edges)).toEqual([]);
  });
});

describe('upstream and downstream', () => {
  it('follows edges both ways, leaving out the start', () => {
    expect([...downstreamOf('h1', flow.edges)].sort()).toEqual(['h2', 'sink']);
    expect([...upstreamOf('h2', flow.edges)].sort()).toEqual(['h1', 'src']);
    expect([...downstreamOf(['src', 'h2'], flow.edges)].sort()).toEqual(['h1', 'sink']);
    expect(downstreamOf('sink', flow.edges).size).toBe(0);
  });
});

describe('canConnect', () => {
  it.each([
    [e('h2', 'src'), '"src" is a source (Test source): sources have no inputs'],
    [e('sink', 'h1'), '"sink" is a sink (Test sink): sinks have no outputs, only "error" can be wired'],
    [e('h2', 'h1'), 'this connection would close a loop (flows are acyclic)'],
    [e('h1', 'h1'), 'a node cannot feed itself'],
    [e('src', 'h1'), 'these ports are already connected'],
    [e('src', 'h2', 'left'), '"src" (Test source) has no output "left"; its outputs: out, error'],
    [e('src', 'h2', 'out', 'side'), '"h2" (Test handler) has no input "side"; its inputs: in'],
    [e('src', 'nowhere'), 'node "nowhere" is not in this flow'],
  ])('refuses %o: %s', (edge, reason) => {
    expect(canConnect(flow, manifests, edge)).toEqual({ ok: false, reason });
  });

  it('refuses nodes of unknown types', () => {
    const withGhost = { ...flow, nodes: [...flow.nodes, { id: 'g', type: 'ghost' }] };
    expect(canConnect(withGhost, manifests, e('h1', 'g'))).toEqual({ ok: false, reason: 'unknown node type "ghost"' });
  });

  it('accepts sensible connections, including error ports and a second port between the same nodes', () => {
    expect(canConnect(flow, manifests, e('src', 'h2'))).toEqual({ ok: true });
    // Allowed port, but h1 already feeds the sink: this one would loop back.
    expect(canConnect(flow, manifests, e('sink', 'h1', 'error'))).toEqual({
      ok: false,
      reason: 'this connection would close a loop (flows are acyclic)',
    });
    expect(canConnect(flow, manifests, e('h1', 'sink', 'error'))).toEqual({ ok: true });
    expect(canConnect(flow, manifests, e('src', 'h1', 'error'))).toEqual({ ok: true });
    // A sink's error port feeding a new dead-letter sink.
    const withDlq = { ...flow, nodes: [...flow.nodes, { id: 'dlq', type: 't-sink' }] };
    expect(canConnect(withDlq, [tSource, tHandler, tSink], e('sink', 'dlq', 'error'))).toEqual({ ok: true });
  });

  it('lists the implicit error port last among the outputs', () => {
    expect(outputPorts(tHandler)).toEqual(['out', 'other', 'error']);
    expect(outputPorts(tSink)).toEqual(['error']);
  });
});
