import { createContext, useContext } from 'react';
import { getBezierPath, Position, useStore } from '@xyflow/react';
import { ERROR_PORT, outputPorts, type NodeTypeInfo } from '@tributary/shared';
import type { EditorEdge, EditorNode } from './doc-mapping.js';

/**
 * How much a node shows at the current zoom. `far`: a block in its kind's colour (text is under
 * 4 px there, and painting 1,000 nodes' text in software costs most of a frame); `mid`: title and
 * id; `near`: live figures too (only then does a node subscribe to its stats). `glance`, for flows
 * of up to `GLANCE_NODES` nodes in place of `far` and `mid`: the title and the rate and errors in
 * text sized for the screen, so a running flow fitted to the window still shows its numbers.
 */
export type Detail = 'far' | 'mid' | 'glance' | 'near';

export const FAR_ZOOM = 0.3;
export const NEAR_ZOOM = 0.45;
/** Flows up to this size read their figures at fit zoom (a few hundred text lines paint cheaply). */
export const GLANCE_NODES = 250;
/** Below this zoom even a glance is a few pixels: blocks again. */
export const GLANCE_MIN_ZOOM = 0.12;

export function detailAt(zoom: number, nodeCount = 0): Detail {
  if (zoom >= NEAR_ZOOM) return 'near';
  if (nodeCount <= GLANCE_NODES) return zoom < GLANCE_MIN_ZOOM ? 'far' : 'glance';
  return zoom < FAR_ZOOM ? 'far' : 'mid';
}

/** The detail level at the current zoom, for the canvas (one store subscription). */
export const useZoomDetail = (nodeCount: number): Detail => useStore((s) => detailAt(s.transform[2], nodeCount));

/**
 * The canvas passes the detail level down by context rather than each node and edge subscribing
 * to the viewport: React Flow calls every subscriber on every pan step, and 2,000 more of them
 * cost a few ms per frame on a large flow.
 */
export const DetailContext = createContext<Detail>('near');
export const useDetail = (): Detail => useContext(DetailContext);

export const NODE_WIDTH = 190;
export const PORT_TOP = 40;
export const PORT_GAP = 22;

/** Port names of a node type as drawn: inputs left; outputs and the implicit error port right. */
export function portsOf(info: NodeTypeInfo | undefined): { inputs: string[]; outputs: string[] } {
  const inputs = info?.inputs.map((p) => p.name) ?? [];
  const outputs = info ? (info.kind === 'sink' ? [ERROR_PORT] : outputPorts(info)) : [ERROR_PORT];
  return { inputs, outputs };
}

/**
 * A node's height before any live figures: the ports set it. Known before the node is rendered,
 * so a large flow can be framed before its 1,000 nodes are mounted and measured.
 */
export function nodeHeight(info: NodeTypeInfo | undefined): number {
  const { inputs, outputs } = portsOf(info);
  return PORT_TOP + Math.max(inputs.length, outputs.length, 1) * PORT_GAP;
}

/** `.tnode` border; handles are placed inside it (absolute positioning uses the padding box). */
const NODE_BORDER = 2;
/** 10 px handles with React Flow's 1 px border, centred on the padding box's side: edges end at their outer side. */
const HANDLE_SIZE = 12;

export interface EdgeSegment {
  id: string;
  /** SVG path data, in flow coordinates. */
  d: string;
  /** From an `error` port (drawn dashed). */
  error: boolean;
}

/**
 * Each edge as the bezier React Flow would draw, from node positions and port order alone (no
 * measuring): the far-out view draws all of them in a few paths. Edges to unknown nodes or ports
 * are left out.
 */
export function edgeSegments(
  nodes: readonly EditorNode[],
  edges: readonly EditorEdge[],
  byType: ReadonlyMap<string, NodeTypeInfo>,
): EdgeSegment[] {
  const at = new Map(nodes.map((n) => [n.id, n]));
  const out: EdgeSegment[] = [];
  for (const e of edges) {
    const source = at.get(e.source);
    const target = at.get(e.target);
    if (!source || !target) continue;
    const from = portsOf(byType.get(source.type ?? '')).outputs.indexOf(e.sourceHandle);
    const to = portsOf(byType.get(target.type ?? '')).inputs.indexOf(e.targetHandle);
    if (from < 0 || to < 0) continue;
    const [d] = getBezierPath({
      sourceX: source.position.x + NODE_WIDTH - NODE_BORDER + HANDLE_SIZE / 2,
      sourceY: source.position.y + NODE_BORDER + PORT_TOP + from * PORT_GAP,
      sourcePosition: Position.Right,
      targetX: target.position.x + NODE_BORDER - HANDLE_SIZE / 2,
      targetY: target.position.y + NODE_BORDER + PORT_TOP + to * PORT_GAP,
      targetPosition: Position.Left,
    });
    out.push({ id: e.id, d, error: e.sourceHandle === ERROR_PORT });
  }
  return out;
}
