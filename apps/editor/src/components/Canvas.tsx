import { useCallback, useEffect, type DragEvent } from 'react';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeTypes,
  type NodeTypes,
} from '@xyflow/react';
import { canConnect } from '@tributary/shared';
import { nodeManifests } from '@tributary/nodes/manifests';
import { KIND_COLOUR, useCatalog } from '../catalog.js';
import { EDGE_COMPONENT, type EditorEdge, type EditorNode } from '../doc-mapping.js';
import { importText, notify, useDoc } from '../session.js';
import { FlowNodeView } from './FlowNodeView.js';
import { LiveEdge } from './LiveEdge.js';

/** Module scope: a new object per render would remount every node. */
const nodeTypes: NodeTypes = Object.fromEntries(nodeManifests.map((m) => [m.type, FlowNodeView]));
const edgeTypes: EdgeTypes = { [EDGE_COMPONENT]: LiveEdge };

const FIT_VIEW = { maxZoom: 1, padding: 0.2 };
/** Half a node's size: a dropped node is centred under the pointer. */
const DROP_OFFSET = { x: 95, y: 30 };

export const PALETTE_MIME = 'application/x-tributary-type';

function miniMapColour(node: EditorNode): string {
  const info = useCatalog.getState().byType.get(node.type ?? '');
  return info ? KIND_COLOUR[info.kind] : '#999';
}

export function Canvas() {
  const nodes = useDoc((s) => s.nodes);
  const edges = useDoc((s) => s.edges);
  const onNodesChange = useDoc((s) => s.onNodesChange);
  const onEdgesChange = useDoc((s) => s.onEdgesChange);
  const checkpoint = useDoc((s) => s.checkpoint);
  const flowId = useDoc((s) => s.docMeta.id);
  const { screenToFlowPosition, fitView } = useReactFlow();

  // A newly opened flow is framed once its nodes are measured; edits never move the view.
  useEffect(() => {
    // Not on an empty canvas: React Flow would queue the fit and jump to the first dropped node.
    const timer = setTimeout(() => {
      if (useDoc.getState().nodes.length > 0) void fitView(FIT_VIEW);
    }, 50);
    return () => clearTimeout(timer);
  }, [flowId, fitView]);

  const onConnect = useCallback((c: Connection) => {
    if (!c.sourceHandle || !c.targetHandle) return;
    const s = useDoc.getState();
    const edge = { source: c.source, sourcePort: c.sourceHandle, target: c.target, targetPort: c.targetHandle };
    const check = canConnect(
      {
        nodes: s.nodes.map((n) => ({ id: n.id, type: n.type ?? '' })),
        edges: s.edges.map((e) => ({
          source: e.source,
          sourcePort: e.sourceHandle,
          target: e.target,
          targetPort: e.targetHandle,
        })),
      },
      useCatalog.getState().nodeTypes,
      edge,
    );
    if (!check.ok) notify('error', `Cannot connect: ${check.reason}`);
    else s.addEdge(edge.source, edge.sourcePort, edge.target, edge.targetPort);
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = e.dataTransfer.types.includes('Files') ? 'copy' : 'move';
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      const file = e.dataTransfer.files[0];
      if (file) {
        void file.text().then((text) => importText(text, file.name));
        return;
      }
      const type = e.dataTransfer.getData(PALETTE_MIME);
      const info = useCatalog.getState().byType.get(type);
      if (!info) return;
      const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const position = { x: Math.round(at.x - DROP_OFFSET.x), y: Math.round(at.y - DROP_OFFSET.y) };
      useDoc.getState().addNode(info.type, info.typeVersion, position, structuredClone(info.defaults));
    },
    [screenToFlowPosition],
  );

  return (
    <div className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow<EditorNode, EditorEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeDragStart={checkpoint}
        onlyRenderVisibleElements={nodes.length > 200}
        minZoom={0.05}
        deleteKeyCode={['Delete', 'Backspace']}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <MiniMap pannable zoomable nodeColor={miniMapColour} />
        <Controls />
      </ReactFlow>
    </div>
  );
}
