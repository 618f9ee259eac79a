/**
 * Flow documents for the server tests, built from the real node types of @tributary/nodes (the
 * server runs whatever the registry holds, so the tests use what users use).
 */
import type { FlowDocument, FlowSettings } from '@tributary/shared';

type NodeSpec = [id: string, type: string, config?: Record<string, unknown>];

export function flow(id: string, nodes: NodeSpec[], chain: string[][], settings?: FlowSettings): FlowDocument {
  return {
    schemaVersion: 1,
    id,
    name: `Test ${id}`,
    ...(settings ? { settings } : {}),
    nodes: nodes.map(([nodeId, type, config], i) => ({
      id: nodeId,
      type,
      typeVersion: 1,
      position: { x: i * 200, y: 0 },
      config: config ?? {},
    })),
    edges: chain.map(([source, target]) => ({
      id: `${source}->${target}`,
      source: source!,
      sourcePort: 'out',
      target: target!,
      targetPort: 'in',
    })),
  };
}

/** An endless source → a pass-through function → a sink that counts. */
export function endlessFlow(id: string, settings?: FlowSettings, code = 'return msg;'): FlowDocument {
  return flow(
    id,
    [
      ['numbers', 'sequence', {}],
      ['work', 'function', { code }],
      ['sink', 'counter'],
    ],
    [
      ['numbers', 'work'],
      ['work', 'sink'],
    ],
    settings,
  );
}

/** A flow whose handler never returns: the watchdog's case. */
export function spinningFlow(id: string, settings?: FlowSettings): FlowDocument {
  const doc = endlessFlow(id, settings, 'while (true) {}');
  doc.nodes[1]!.id = 'spin';
  doc.edges = [
    { id: 'numbers->spin', source: 'numbers', sourcePort: 'out', target: 'spin', targetPort: 'in' },
    { id: 'spin->sink', source: 'spin', sourcePort: 'out', target: 'sink', targetPort: 'in' },
  ];
  return doc;
}
