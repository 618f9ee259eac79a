import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type DragEvent,
  type MouseEvent as ReactMouseEvent,
  type RefObject,
} from 'react';
import {
  Background,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  getViewportForBounds,
  useReactFlow,
  useStoreApi,
  useUpdateNodeInternals,
  type Connection,
  type EdgeTypes,
  type FinalConnectionState,
  type NodeTypes,
} from '@xyflow/react';
import { canConnect } from '@tributary/shared';
import { nodeManifests } from '@tributary/nodes/manifests';
import { KIND_COLOUR, useCatalog } from '../catalog.js';
import { DetailContext, NODE_WIDTH, nodeHeight, useZoomDetail, type Detail } from '../canvas-detail.js';
import { EDGE_COMPONENT, type EditorEdge, type EditorNode } from '../doc-mapping.js';
import { countRender } from '../render-probe.js';
import { importText, notify, useDoc } from '../session.js';
import {
  duplicateSelected,
  selectAll,
  selectedIds,
  selectOnly,
  showHelp,
  showSettings,
  toggleDisabledSelected,
} from '../actions.js';
import { useMenu } from './ContextMenu.js';
import { EdgeOverview } from './EdgeOverview.js';
import { NotesLayer } from './NotesLayer.js';
import { useShortcutSheet } from './ShortcutSheet.js';
import { FlowNodeView } from './FlowNodeView.js';
import { LiveEdge } from './LiveEdge.js';

/** Module scope: a new object per render would remount every node. */
const nodeTypes: NodeTypes = Object.fromEntries(nodeManifests.map((m) => [m.type, FlowNodeView]));
const edgeTypes: EdgeTypes = { [EDGE_COMPONENT]: LiveEdge };

const FIT_VIEW = { maxZoom: 1, padding: 0.2 };
const MIN_ZOOM = 0.05;
/** Far out, edges are drawn by `EdgeOverview`, not as React Flow edges. */
const NO_EDGES: EditorEdge[] = [];
/** From this many nodes, only the nodes and edges in view are rendered (when zoomed in). */
const LARGE_FLOW = 200;
/** Half a node's size: a dropped node is centred under the pointer. */
const DROP_OFFSET = { x: 95, y: 30 };

const MINIMAP_SIZE = { width: 160, height: 110 };

export const PALETTE_MIME = 'application/x-tributary-type';

/**
 * The minimap's colour of each node, by its kind. A new function when the node types change: the
 * minimap paints a node again only when its colour function does, and a flow drawn before the node
 * types arrived would otherwise keep its grey squares.
 */
function useMiniMapColour(): (node: EditorNode) => string {
  const byType = useCatalog((s) => s.byType);
  return useCallback(
    (node: EditorNode) => {
      const info = byType.get(node.type ?? '');
      return info ? KIND_COLOUR[info.kind] : '#999';
    },
    [byType],
  );
}

/**
 * The fit-view viewport of a flow from its positions and the nodes' known sizes (`nodeHeight`),
 * without measuring: a flow just opened is framed before its nodes are mounted, so they are
 * mounted once, at the detail level of the framed zoom.
 */
function estimatedFit(nodes: readonly EditorNode[], width: number, height: number) {
  const byType = useCatalog.getState().byType;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const n of nodes) {
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + NODE_WIDTH);
    y1 = Math.max(y1, n.position.y + nodeHeight(byType.get(n.type ?? '')));
  }
  const bounds = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  return getViewportForBounds(bounds, width, height, MIN_ZOOM, FIT_VIEW.maxZoom, FIT_VIEW.padding);
}

/**
 * React Flow measures a node's handles when the node mounts or changes size, not when its handles
 * change. Two things change them at the same size, after which it measures the nodes on screen
 * again so that the edges it draws have ends:
 * - zooming in from far: the nodes get their handles back (see `FlowNodeView`);
 * - the node types arriving after the flow: until then a node has only an `error` handle, and a
 *   sink is as tall with its `in` handle, so edges into it were not drawn.
 */
function useHandlesMeasuredAgain(detail: Detail, container: RefObject<HTMLDivElement | null>): void {
  const updateNodeInternals = useUpdateNodeInternals();
  const byType = useCatalog((s) => s.byType);
  const previous = useRef({ detail, byType });
  useEffect(() => {
    const was = previous.current;
    previous.current = { detail, byType };
    const handlesChanged = was.detail === 'far' || was.byType !== byType;
    if (!handlesChanged || detail === 'far' || !container.current) return;
    const ids = [...container.current.querySelectorAll<HTMLElement>('.react-flow__node')].flatMap((el) =>
      el.dataset.id ? [el.dataset.id] : [],
    );
    updateNodeInternals(ids);
  }, [detail, byType, container, updateNodeInternals]);
}

export function Canvas() {
  const nodes = useDoc((s) => s.nodes);
  const edges = useDoc((s) => s.edges);
  const onNodesChange = useDoc((s) => s.onNodesChange);
  const onEdgesChange = useDoc((s) => s.onEdgesChange);
  const checkpoint = useDoc((s) => s.checkpoint);
  const { screenToFlowPosition, fitView, setViewport } = useReactFlow();
  const rfStore = useStoreApi();
  const detail = useZoomDetail(nodes.length);
  const large = nodes.length > LARGE_FLOW;
  countRender('Canvas');
  // The minimap covers a corner of the canvas: on by default only where there is room for it.
  const [showMap, setShowMap] = useState(() => typeof window === 'undefined' || window.innerWidth >= 1280);
  const miniMapColour = useMiniMapColour();

  // Another flow was loaded (not an edit, nor a rename of this one, nor "load theirs"): frame it
  // from its positions in the same render that mounts its nodes (zustand calls this inside the
  // document update, before React renders it), then exactly once its nodes are measured. Not on
  // an empty canvas: React Flow would queue the fit and jump to the first dropped node.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = useDoc.subscribe((s, prev) => {
      if (s.loads === prev.loads || s.docMeta.id === prev.docMeta.id || s.nodes.length === 0) return;
      const { width, height } = rfStore.getState();
      if (width > 0 && height > 0) void setViewport(estimatedFit(s.nodes, width, height));
      clearTimeout(timer);
      timer = setTimeout(() => void fitView(FIT_VIEW), 50);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [rfStore, setViewport, fitView]);

  // Far out, edges are drawn with a width in screen pixels (`--zoom-inverse` in styles.css): set
  // here, outside React, only when the zoom changes (never on a pan step).
  const container = useRef<HTMLDivElement>(null);
  useHandlesMeasuredAgain(detail, container);
  useEffect(() => {
    let last = 0;
    const update = (zoom: number) => {
      if (zoom === last) return;
      last = zoom;
      container.current?.style.setProperty('--zoom-inverse', String(1 / zoom));
    };
    update(rfStore.getState().transform[2]);
    return rfStore.subscribe((s) => update(s.transform[2]));
  }, [rfStore]);

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

  // A wire dropped on a node body that has no input (a source) is refused by React Flow without a
  // word: say why, as for a loop.
  const onConnectEnd = useCallback((event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    if (state.isValid || !state.fromNode) return;
    const point = 'changedTouches' in event ? event.changedTouches[0] : event;
    if (!point) return;
    const target = document.elementFromPoint(point.clientX, point.clientY)?.closest<HTMLElement>('.react-flow__node');
    const targetId = target?.dataset.id;
    if (!targetId || targetId === state.fromNode.id) return;
    const s = useDoc.getState();
    const type = s.nodes.find((n) => n.id === targetId)?.type;
    const info = useCatalog.getState().byType.get(type ?? '');
    if (!info || info.inputs.length > 0) return;
    const label = s.nodeMeta[targetId]?.label || info.label;
    notify(
      'error',
      `Cannot connect: "${label}" is a ${info.kind} and has no input — sources start a flow, nothing feeds them.`,
    );
  }, []);

  const onNodeContextMenu = useCallback((e: ReactMouseEvent, node: EditorNode) => {
    e.preventDefault();
    if (!node.selected) selectOnly([node.id]);
    const ids = selectedIds();
    const many = ids.length > 1;
    const s = useDoc.getState();
    const info = useCatalog.getState().byType.get(node.type ?? '');
    const allDisabled = ids.every((id) => s.nodeMeta[id]?.disabled === true);
    const testable = !many && (info?.kind === 'handler' || info?.kind === 'cache');
    const firstEdge =
      s.edges.find((edge) => edge.target === node.id) ?? s.edges.find((edge) => edge.source === node.id);
    useMenu.getState().open(
      { x: e.clientX, y: e.clientY },
      [
        { label: 'Duplicate', keys: 'Ctrl+D', run: duplicateSelected },
        { label: allDisabled ? 'Enable' : 'Disable', run: toggleDisabledSelected },
        {
          label: 'Test…',
          disabled: !testable,
          run: () => {
            showSettings(node.id);
            setTimeout(
              () => document.querySelector<HTMLDetailsElement>('[data-testid="test-panel"]')?.setAttribute('open', ''),
              0,
            );
          },
        },
        {
          label: 'Tap its wire',
          disabled: many || !firstEdge,
          run: () => firstEdge && selectOnly([], [firstEdge.id]),
        },
        { label: 'Help', disabled: many || !info, run: () => showHelp(node.id) },
        {
          label: many ? `Delete ${ids.length} nodes` : 'Delete',
          keys: 'Del',
          danger: true,
          run: () => useDoc.getState().removeSelected(),
        },
      ],
      many ? `${ids.length} nodes` : s.nodeMeta[node.id]?.label || info?.label || node.id,
    );
  }, []);

  const onEdgeContextMenu = useCallback((e: ReactMouseEvent, edge: EditorEdge) => {
    e.preventDefault();
    useMenu.getState().open(
      { x: e.clientX, y: e.clientY },
      [
        { label: 'Tap (sample its messages)', run: () => selectOnly([], [edge.id]) },
        {
          label: 'Delete',
          keys: 'Del',
          danger: true,
          run: () => {
            selectOnly([], [edge.id]);
            useDoc.getState().removeSelected();
          },
        },
      ],
      'Wire',
    );
  }, []);

  const onPaneContextMenu = useCallback(
    (e: ReactMouseEvent | MouseEvent) => {
      e.preventDefault();
      const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      useMenu.getState().open(
        { x: e.clientX, y: e.clientY },
        [
          { label: 'Select all', keys: 'Ctrl+A', run: selectAll },
          { label: 'Add a comment here', run: () => useDoc.getState().addNote('comment', at) },
          { label: 'Add a group here', run: () => useDoc.getState().addNote('group', at) },
          { label: 'Fit the flow in view', run: () => void fitView(FIT_VIEW) },
          { label: 'Keyboard shortcuts', keys: '?', run: () => useShortcutSheet.setState({ open: true }) },
        ],
        'Canvas',
      );
    },
    [screenToFlowPosition, fitView],
  );

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
    <DetailContext value={detail}>
      <div
        ref={container}
        className={`canvas detail-${detail}`}
        onDragOver={onDragOver}
        onDrop={onDrop}
        data-testid="canvas"
      >
        <ReactFlow<EditorNode, EditorEdge>
          nodes={nodes}
          edges={detail === 'far' ? NO_EDGES : edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          onNodeContextMenu={onNodeContextMenu}
          onEdgeContextMenu={onEdgeContextMenu}
          onPaneContextMenu={onPaneContextMenu}
          onNodeDragStart={checkpoint}
          // Far out every node is in view anyway, and panning would unmount and remount the ones
          // crossing the edge at each frame.
          onlyRenderVisibleElements={large && detail !== 'far'}
          minZoom={MIN_ZOOM}
          deleteKeyCode={['Delete', 'Backspace']}
          proOptions={{ hideAttribution: true }}
          colorMode="system"
        >
          {/* Zoomed out, the dots are a fraction of a pixel and a few pixels apart: a faint tint that
              costs a full-window pattern repaint on every pan step. */}
          {detail === 'near' && <Background gap={16} />}
          {detail === 'far' && <EdgeOverview />}
          <NotesLayer />
          {/* Far out, a large flow is its own overview; its minimap would repaint 1,000 nodes per pan step. */}
          {showMap && !(large && detail === 'far') && (
            <MiniMap pannable zoomable nodeColor={miniMapColour} style={MINIMAP_SIZE} />
          )}
          <Controls>
            <ControlButton
              onClick={() => setShowMap(!showMap)}
              title={showMap ? 'Hide the minimap' : 'Show the minimap'}
              aria-pressed={showMap}
              data-testid="minimap-toggle"
            >
              ▣
            </ControlButton>
          </Controls>
        </ReactFlow>
      </div>
    </DetailContext>
  );
}
