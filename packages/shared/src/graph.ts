import { ERROR_PORT, type NodeManifest } from './node-contract.js';

export interface GraphEdge {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

/** Adjacency lists: node id → ids of the nodes it feeds. */
export function successors(edges: readonly GraphEdge[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    const list = out.get(e.source);
    if (list) list.push(e.target);
    else out.set(e.source, [e.target]);
  }
  return out;
}

/**
 * Kahn's topological order of `nodeIds`; `cycle` lists nodes on a cycle when there is one.
 *
 * @example
 * topologicalOrder(['a', 'b'], [{ source: 'a', sourcePort: 'out', target: 'b', targetPort: 'in' }])
 * // { order: ['a', 'b'], cycle: null }
 */
export function topologicalOrder(
  nodeIds: readonly string[],
  edges: readonly GraphEdge[],
): { order: string[]; cycle: string[] | null } {
  const known = new Set(nodeIds);
  const indegree = new Map<string, number>(nodeIds.map((id) => [id, 0]));
  const next = successors(edges.filter((e) => known.has(e.source) && known.has(e.target)));
  for (const targets of next.values()) for (const t of targets) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  const ready = nodeIds.filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const t of next.get(id) ?? []) {
      const d = indegree.get(t)! - 1;
      indegree.set(t, d);
      if (d === 0) ready.push(t);
    }
  }
  if (order.length === nodeIds.length) return { order, cycle: null };
  return {
    order,
    cycle: findCycle(
      nodeIds.filter((id) => indegree.get(id)! > 0),
      next,
    ),
  };
}

function findCycle(candidates: string[], next: Map<string, string[]>): string[] {
  const inCycleSet = new Set(candidates);
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 1);
    stack.push(id);
    for (const t of next.get(id) ?? []) {
      if (!inCycleSet.has(t)) continue;
      if (state.get(t) === 1) return stack.slice(stack.indexOf(t));
      if (!state.has(t)) {
        const found = visit(t);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 2);
    return null;
  };
  for (const id of candidates) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return candidates;
}

/** Every node reachable from `start` following edges forward (not including `start`). */
export function downstreamOf(start: string, edges: readonly GraphEdge[]): Set<string> {
  return reach(start, successors(edges));
}

/** Every node that reaches `start` (not including `start`). */
export function upstreamOf(start: string, edges: readonly GraphEdge[]): Set<string> {
  return reach(
    start,
    successors(
      edges.map((e) => ({ source: e.target, sourcePort: e.targetPort, target: e.source, targetPort: e.sourcePort })),
    ),
  );
}

function reach(start: string, next: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    for (const t of next.get(todo.pop()!) ?? []) {
      if (!seen.has(t)) {
        seen.add(t);
        todo.push(t);
      }
    }
  }
  return seen;
}

/** Output ports of a node type, including the implicit error port. */
export function outputPorts(manifest: Pick<NodeManifest, 'outputs'>): string[] {
  return [...manifest.outputs.map((p) => p.name), ERROR_PORT];
}

export type ConnectCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether a new edge makes sense: the editor refuses it with `reason` shown, the validator reports
 * the same rules on saved documents.
 *
 * @example
 * canConnect({ nodes, edges }, manifests, { source: 'sink', sourcePort: 'out', target: 'x', targetPort: 'in' })
 * // { ok: false, reason: 'a sink has no outputs' }
 */
export function canConnect(
  flow: { nodes: readonly { id: string; type: string }[]; edges: readonly GraphEdge[] },
  manifests: ReadonlyMap<string, Pick<NodeManifest, 'kind' | 'inputs' | 'outputs' | 'label'>>,
  edge: GraphEdge,
): ConnectCheck {
  const source = flow.nodes.find((n) => n.id === edge.source);
  const target = flow.nodes.find((n) => n.id === edge.target);
  if (!source || !target) return { ok: false, reason: 'both ends must be nodes of this flow' };
  if (source.id === target.id) return { ok: false, reason: 'a node cannot feed itself' };
  const sm = manifests.get(source.type);
  const tm = manifests.get(target.type);
  if (!sm || !tm) return { ok: false, reason: `unknown node type "${!sm ? source.type : target.type}"` };
  if (tm.kind === 'source') return { ok: false, reason: 'a source has no inputs' };
  if (sm.kind === 'sink' && edge.sourcePort !== ERROR_PORT) return { ok: false, reason: 'a sink has no outputs' };
  if (!outputPorts(sm).includes(edge.sourcePort))
    return { ok: false, reason: `${sm.label} has no output "${edge.sourcePort}"` };
  if (!tm.inputs.some((p) => p.name === edge.targetPort))
    return { ok: false, reason: `${tm.label} has no input "${edge.targetPort}"` };
  if (
    flow.edges.some(
      (e) =>
        e.source === edge.source &&
        e.sourcePort === edge.sourcePort &&
        e.target === edge.target &&
        e.targetPort === edge.targetPort,
    )
  )
    return { ok: false, reason: 'these ports are already connected' };
  if (downstreamOf(edge.target, flow.edges).has(edge.source) || edge.target === edge.source)
    return { ok: false, reason: 'this connection would close a loop (flows are acyclic)' };
  return { ok: true };
}
