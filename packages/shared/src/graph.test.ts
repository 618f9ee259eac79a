import { describe, expect, it } from 'vitest';
import { canConnect, downstreamOf, topologicalOrder, upstreamOf, type NodeManifest } from './index.js';
import { tHandler, tSink, tSource } from './testing/test-catalog.js';

const manifests = new Map<string, NodeManifest>([tSource, tHandler, tSink].map((m) => [m.type, m]));
const e = (source: string, target: string, sourcePort = 'out') => ({ source, sourcePort, target, targetPort: 'in' });
const flow = {
  nodes: [
    { id: 'src', type: 't-source' },
    { id: 'h1', type: 't-handler' },
    { id: 'h2', type: 't-handler' },
    { id: 'sink', type: 't-sink' },
  ],
  edges: [e('src', 'h1'), e('h1', 'h2'), e('h2', 'sink')],
};

describe('graph rules', () => {
  it('orders nodes topologically and reports a cycle', () => {
    expect(topologicalOrder(['sink', 'h2', 'h1', 'src'], flow.edges)).toEqual({
      order: ['src', 'h1', 'h2', 'sink'],
      cycle: null,
    });
    expect(topologicalOrder(['a', 'b', 'c'], [e('a', 'b'), e('b', 'c'), e('c', 'b')]).cycle).toEqual(['b', 'c']);
  });

  it('knows what is up- and downstream', () => {
    expect([...downstreamOf('h1', flow.edges)].sort()).toEqual(['h2', 'sink']);
    expect([...upstreamOf('h2', flow.edges)].sort()).toEqual(['h1', 'src']);
  });

  it.each([
    [e('h2', 'src'), 'a source has no inputs'],
    [e('sink', 'h1'), 'a sink has no outputs'],
    [e('h2', 'h1'), 'this connection would close a loop (flows are acyclic)'],
    [e('h1', 'h1'), 'a node cannot feed itself'],
    [e('src', 'h1'), 'these ports are already connected'],
    [e('src', 'h2', 'left'), 'Test source has no output "left"'],
  ])('refuses %o: %s', (edge, reason) => {
    expect(canConnect(flow, manifests, edge)).toEqual({ ok: false, reason });
  });

  it('accepts sensible connections, including a sink’s error port', () => {
    expect(canConnect(flow, manifests, e('src', 'h2'))).toEqual({ ok: true });
    expect(canConnect(flow, manifests, e('h1', 'sink', 'error'))).toEqual({ ok: true });
  });
});
