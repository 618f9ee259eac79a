import type { EdgeChange, NodeChange, ReactFlowInstance } from '@xyflow/react';
import type { EditorEdge, EditorNode } from './doc-mapping.js';
import { useDoc } from './session.js';
import { useView } from './view-store.js';

/** Zoom at least this far in when centring, so the node's figures are readable. */
const FOCUS_ZOOM = 0.9;

/**
 * Selects one node (and nothing else) and centres the canvas on it, switching to the editor view
 * first. Selection goes through the document store's change handlers, as a click would.
 */
export function focusNode(nodeId: string, flow: ReactFlowInstance<EditorNode, EditorEdge>): boolean {
  const doc = useDoc.getState();
  if (!doc.nodes.some((n) => n.id === nodeId)) return false;
  useView.getState().setView('editor');
  const nodeChanges: NodeChange<EditorNode>[] = doc.nodes
    .filter((n) => !!n.selected !== (n.id === nodeId))
    .map((n) => ({ type: 'select', id: n.id, selected: n.id === nodeId }));
  const edgeChanges: EdgeChange<EditorEdge>[] = doc.edges
    .filter((e) => e.selected)
    .map((e) => ({ type: 'select', id: e.id, selected: false }));
  if (edgeChanges.length > 0) doc.onEdgesChange(edgeChanges);
  if (nodeChanges.length > 0) doc.onNodesChange(nodeChanges);
  const node = flow.getInternalNode(nodeId);
  if (node) {
    const width = node.measured.width ?? 0;
    const height = node.measured.height ?? 0;
    const { x, y } = node.internals.positionAbsolute;
    void flow.setCenter(x + width / 2, y + height / 2, {
      zoom: Math.max(flow.getZoom(), FOCUS_ZOOM),
      duration: 300,
    });
  }
  return true;
}
