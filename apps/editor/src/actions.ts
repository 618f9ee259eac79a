/**
 * Editor actions shared by the keyboard, the context menus and the "N selected" panel, so each
 * does the same thing wherever it is started from.
 */
import type { EdgeChange, NodeChange } from '@xyflow/react';
import type { EditorEdge, EditorNode } from './doc-mapping.js';
import { copySelection } from './doc-store.js';
import { useLayout } from './layout-store.js';
import { useDoc } from './session.js';

/** Selects exactly these nodes (and no edge), as clicks would. */
export function selectOnly(nodeIds: readonly string[], edgeIds: readonly string[] = []): void {
  const doc = useDoc.getState();
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  const nodeChanges: NodeChange<EditorNode>[] = doc.nodes
    .filter((n) => !!n.selected !== nodes.has(n.id))
    .map((n) => ({ type: 'select', id: n.id, selected: nodes.has(n.id) }));
  const edgeChanges: EdgeChange<EditorEdge>[] = doc.edges
    .filter((e) => !!e.selected !== edges.has(e.id))
    .map((e) => ({ type: 'select', id: e.id, selected: edges.has(e.id) }));
  if (edgeChanges.length) doc.onEdgesChange(edgeChanges);
  if (nodeChanges.length) doc.onNodesChange(nodeChanges);
}

export const selectAll = () => selectOnly(useDoc.getState().nodes.map((n) => n.id));

export function selectedIds(): string[] {
  return useDoc
    .getState()
    .nodes.filter((n) => n.selected)
    .map((n) => n.id);
}

/** Copies of the selected nodes (and the edges among them), offset, selected instead. */
export function duplicateSelected(): void {
  const doc = useDoc.getState();
  doc.paste(copySelection(doc), { x: 40, y: 40 });
}

/** Disables the selected nodes, or enables them when all are disabled already: one undo step. */
export function toggleDisabledSelected(): void {
  const doc = useDoc.getState();
  const ids = selectedIds();
  if (ids.length === 0) return;
  const disable = !ids.every((id) => doc.nodeMeta[id]?.disabled === true);
  doc.setNodesDisabled(ids, disable);
}

export function showHelp(nodeId: string): void {
  selectOnly([nodeId]);
  useLayout.getState().setInspectorTab('help');
}

export function showSettings(nodeId: string): void {
  selectOnly([nodeId]);
  useLayout.getState().setInspectorTab('settings');
}
