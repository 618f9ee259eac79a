import type { Edge, Node } from '@xyflow/react';
import { CURRENT_SCHEMA_VERSION, type FlowDocument, type FlowEdge, type FlowNode } from '@tributary/shared';

/** React Flow node data: the config only (labels etc. are read from `nodeMeta` by id; no callbacks). */
export type NodeData = { config: Record<string, unknown> };
export type EditorNode = Node<NodeData>;
export type EditorEdge = Edge & { sourceHandle: string; targetHandle: string };

/** Per-node document fields that are not the config or the position. */
export interface NodeMeta {
  typeVersion: number;
  label?: string;
  description?: string;
  disabled?: boolean;
}

/** Flow-level document fields (everything but nodes and edges). */
export type DocMeta = Omit<FlowDocument, 'nodes' | 'edges'>;

export interface EditorGraph {
  docMeta: DocMeta;
  nodes: EditorNode[];
  edges: EditorEdge[];
  nodeMeta: Record<string, NodeMeta>;
}

/** The React Flow node type of every node: one generic component renders all Tributary types. */
export const NODE_COMPONENT = 'tributary';
export const EDGE_COMPONENT = 'live';

/** A document as React Flow nodes/edges: `node.type` is the Tributary type (all map to one component). */
export function toEditorGraph(doc: FlowDocument): EditorGraph {
  const { nodes, edges, ...docMeta } = doc;
  const nodeMeta: Record<string, NodeMeta> = {};
  const rfNodes: EditorNode[] = nodes.map((n) => {
    const meta: NodeMeta = { typeVersion: n.typeVersion };
    if (n.label !== undefined) meta.label = n.label;
    if (n.description !== undefined) meta.description = n.description;
    if (n.disabled !== undefined) meta.disabled = n.disabled;
    nodeMeta[n.id] = meta;
    // A hand-written flow may leave positions out: placed at the origin here, laid out by `load`.
    const position = n.position ? { ...n.position } : { x: 0, y: 0 };
    return { id: n.id, type: n.type, position, data: { config: n.config } };
  });
  return { docMeta, nodes: rfNodes, edges: edges.map(toEditorEdge), nodeMeta };
}

export function toEditorEdge(e: FlowEdge): EditorEdge {
  return {
    id: e.id,
    type: EDGE_COMPONENT,
    source: e.source,
    sourceHandle: e.sourcePort,
    target: e.target,
    targetHandle: e.targetPort,
  };
}

/** Back to the document: UI-only fields (selection, measured size, dragging…) are dropped. */
export function toFlowDocument(graph: EditorGraph): FlowDocument {
  const nodes: FlowNode[] = graph.nodes.map((n) => {
    const meta = graph.nodeMeta[n.id] ?? { typeVersion: 1 };
    const out: FlowNode = {
      id: n.id,
      type: n.type ?? 'unknown',
      typeVersion: meta.typeVersion,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      config: n.data.config,
    };
    if (meta.label !== undefined) out.label = meta.label;
    if (meta.description !== undefined) out.description = meta.description;
    if (meta.disabled !== undefined) out.disabled = meta.disabled;
    return out;
  });
  const edges: FlowEdge[] = graph.edges.map((e) => ({
    id: e.id,
    source: e.source,
    sourcePort: e.sourceHandle,
    target: e.target,
    targetPort: e.targetHandle,
  }));
  return { ...graph.docMeta, schemaVersion: CURRENT_SCHEMA_VERSION, nodes, edges };
}

/** Edge ids say what they join (the id grammar allows `:` and `>`). */
export function edgeId(source: string, sourcePort: string, target: string, targetPort: string): string {
  return `${source}:${sourcePort}>${target}:${targetPort}`;
}

/** The first `<base>-<n>` not in `taken`. */
export function freshId(base: string, taken: ReadonlySet<string>): string {
  const stem = base.replace(/[^A-Za-z0-9_.:>-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'node';
  for (let i = 1; ; i++) {
    const id = `${stem}-${i}`;
    if (!taken.has(id)) return id;
  }
}

export function emptyDocument(id: string, name: string): FlowDocument {
  return { schemaVersion: CURRENT_SCHEMA_VERSION, id, name, nodes: [], edges: [] };
}
