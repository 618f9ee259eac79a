/**
 * Pure graph rules shared by the editor (what may be connected) and the runtime (in which order
 * nodes start, what a change affects). No zod, no document parsing: ids and edges only.
 */
import { ERROR_PORT, type NodeManifest } from './node-contract.js';

export interface GraphEdge {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

/** The parts of a manifest the graph rules need. */
export type PortManifest = Pick<NodeManifest, 'type' | 'kind' | 'inputs' | 'outputs' | 'label'>;

/** Manifests by type, as a map or a list (a list is indexed on each call). */
export type ManifestLookup<M extends { type: string } = PortManifest> = ReadonlyMap<string, M> | readonly M[];

/** A map of manifests by type from either form. */
export function manifestMap<M extends { type: string }>(manifests: ManifestLookup<M>): ReadonlyMap<string, M> {
  if (manifests instanceof Map) return manifests as ReadonlyMap<string, M>;
  return new Map((manifests as readonly M[]).map((m) => [m.type, m]));
}

/** Adjacency lists: node id → ids of the nodes it feeds (one entry per edge, in edge order). */
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
 * Kahn's topological order of `nodeIds` (ties keep the order of `nodeIds`, so the result is
 * stable). When the graph has a cycle, `order` holds the nodes that could be ordered and `cycle`
 * the nodes of one cycle, in edge order. Edges to ids outside `nodeIds` are ignored.
 *
 * @example
 * topologicalOrder(['b', 'a'], [{ source: 'a', sourcePort: 'out', target: 'b', targetPort: 'in' }])
 * // { order: ['a', 'b'], cycle: null }
 */
export function topologicalOrder(
  nodeIds: readonly string[],
  edges: readonly GraphEdge[],
): { order: string[]; cycle: string[] | null } {
  const known = new Set(nodeIds);
  const indegree = new Map<string, number>(nodeIds.map((id) => [id, 0]));
  const next = successors(edges.filter((e) => known.has(e.source) && known.has(e.target)));
  for (const targets of next.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);
  const queue = nodeIds.filter((id) => indegree.get(id) === 0);
  // An index instead of shift(): shift is O(n) per call, which adds up on large flows.
  for (let head = 0; head < queue.length; head++) {
    for (const t of next.get(queue[head]!) ?? []) {
      const d = indegree.get(t)! - 1;
      indegree.set(t, d);
      if (d === 0) queue.push(t);
    }
  }
  if (queue.length === known.size) return { order: queue, cycle: null };
  return { order: queue, cycle: findCycles(nodeIds, edges)[0] ?? null };
}

/**
 * One cycle per group of nodes that feed each other (strongly connected component), each the
 * shortest loop through the group's first node, in edge order; `[]` when the graph is acyclic.
 * A self-loop is a cycle of one node.
 *
 * @example
 * findCycles(['a', 'b', 'c'], [edge('a', 'b'), edge('b', 'a'), edge('c', 'c')]) // [['a', 'b'], ['c']]
 */
export function findCycles(nodeIds: readonly string[], edges: readonly GraphEdge[]): string[][] {
  const known = new Set(nodeIds);
  const next = successors(edges.filter((e) => known.has(e.source) && known.has(e.target)));
  const position = new Map(nodeIds.map((id, i) => [id, i]));
  const cycles: string[][] = [];
  for (const component of stronglyConnected(nodeIds, next)) {
    const members = new Set(component);
    const first = component.reduce((a, b) => (position.get(a)! <= position.get(b)! ? a : b));
    if (component.length === 1 && !(next.get(first) ?? []).includes(first)) continue;
    cycles.push(shortestLoop(first, members, next));
  }
  return cycles.sort((a, b) => position.get(a[0]!)! - position.get(b[0]!)!);
}

/** Tarjan's algorithm, iterative so that long chains do not overflow the call stack. */
function stronglyConnected(nodeIds: readonly string[], next: ReadonlyMap<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const open = (id: string) => {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
  };
  for (const root of nodeIds) {
    if (index.has(root)) continue;
    open(root);
    const work: { id: string; i: number }[] = [{ id: root, i: 0 }];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = next.get(frame.id) ?? [];
      if (frame.i < targets.length) {
        const t = targets[frame.i++]!;
        if (!index.has(t)) {
          open(t);
          work.push({ id: t, i: 0 });
        } else if (onStack.has(t)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(t)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let id: string;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          component.push(id);
        } while (id !== frame.id);
        components.push(component);
      }
    }
  }
  return components;
}

/** Breadth-first search from `start` back to itself, inside `members`. */
function shortestLoop(start: string, members: ReadonlySet<string>, next: ReadonlyMap<string, string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const t of next.get(id) ?? []) {
      if (t === start) {
        const loop = [id];
        while (loop[0] !== start) loop.unshift(parent.get(loop[0]!)!);
        return loop;
      }
      if (members.has(t) && !parent.has(t)) {
        parent.set(t, id);
        queue.push(t);
      }
    }
  }
  return [start]; // unreachable for a real component; keeps the type total
}

/** Every node reachable from `start` (one id or several) following edges forward, `start` excluded. */
export function downstreamOf(start: string | readonly string[], edges: readonly GraphEdge[]): Set<string> {
  return reach(typeof start === 'string' ? [start] : start, successors(edges));
}

/** Every node from which `start` (one id or several) can be reached, `start` excluded. */
export function upstreamOf(start: string | readonly string[], edges: readonly GraphEdge[]): Set<string> {
  const reversed = edges.map((e) => ({
    source: e.target,
    sourcePort: e.targetPort,
    target: e.source,
    targetPort: e.sourcePort,
  }));
  return reach(typeof start === 'string' ? [start] : start, successors(reversed));
}

function reach(start: readonly string[], next: ReadonlyMap<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length > 0) {
    for (const t of next.get(todo.pop()!) ?? []) {
      if (!seen.has(t)) {
        seen.add(t);
        todo.push(t);
      }
    }
  }
  for (const id of start) seen.delete(id);
  return seen;
}

/** Output ports of a node type, including the implicit `error` port (listed last). */
export function outputPorts(manifest: Pick<NodeManifest, 'outputs'>): string[] {
  const names = manifest.outputs.map((p) => p.name);
  return names.includes(ERROR_PORT) ? names : [...names, ERROR_PORT];
}

/** Input ports of a node type. */
export function inputPorts(manifest: Pick<NodeManifest, 'inputs'>): string[] {
  return manifest.inputs.map((p) => p.name);
}

export type ConnectCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether a new edge may be drawn: the editor refuses it and shows `reason`; `validateFlow`
 * applies the same rules to saved documents. Refused: a node feeding itself, edges into a source
 * or out of a sink (except its `error` port), unknown ports or node types, an edge that already
 * exists, and an edge that would close a loop.
 *
 * @example
 * canConnect(flow, manifests, { source: 'log', sourcePort: 'out', target: 'map', targetPort: 'in' })
 * // { ok: false, reason: 'Log is a sink: sinks have no outputs (only "error" can be wired)' }
 */
export function canConnect(
  flow: { nodes: readonly { id: string; type: string }[]; edges: readonly GraphEdge[] },
  manifests: ManifestLookup,
  edge: GraphEdge,
): ConnectCheck {
  const source = flow.nodes.find((n) => n.id === edge.source);
  const target = flow.nodes.find((n) => n.id === edge.target);
  if (!source) return { ok: false, reason: `node "${edge.source}" is not in this flow` };
  if (!target) return { ok: false, reason: `node "${edge.target}" is not in this flow` };
  if (source.id === target.id) return { ok: false, reason: 'a node cannot feed itself' };
  const byType = manifestMap(manifests);
  const sm = byType.get(source.type);
  const tm = byType.get(target.type);
  if (!sm) return { ok: false, reason: `unknown node type "${source.type}"` };
  if (!tm) return { ok: false, reason: `unknown node type "${target.type}"` };
  const [problem] = edgeEndProblems(edge, sm, tm);
  if (problem) return { ok: false, reason: problem.message };
  if (flow.edges.some((e) => sameEdge(e, edge))) return { ok: false, reason: 'these ports are already connected' };
  if (downstreamOf(edge.target, flow.edges).has(edge.source))
    return { ok: false, reason: 'this connection would close a loop (flows are acyclic)' };
  return { ok: true };
}

/** Why an edge's ends do not fit the nodes it joins (the one rule behind `canConnect` and `validateFlow`). */
export interface EdgeEndProblem {
  code: 'E_SINK_HAS_OUTPUT' | 'E_SOURCE_HAS_INPUT' | 'E_EDGE_MISSING_PORT';
  /** The edge field at fault. */
  field: 'source' | 'sourcePort' | 'target' | 'targetPort';
  /** The node at fault. */
  nodeId: string;
  message: string;
}

type EndManifest = Pick<NodeManifest, 'kind' | 'label' | 'inputs' | 'outputs'>;

/**
 * The port rules of one edge: sinks have no outputs but `error`, sources no inputs, and each port
 * must exist on its node. A side whose manifest is unknown is not checked.
 */
export function edgeEndProblems(edge: GraphEdge, source?: EndManifest, target?: EndManifest): EdgeEndProblem[] {
  const problems: EdgeEndProblem[] = [];
  if (source) {
    if (source.kind === 'sink' && edge.sourcePort !== ERROR_PORT) {
      problems.push({
        code: 'E_SINK_HAS_OUTPUT',
        field: 'source',
        nodeId: edge.source,
        message: `"${edge.source}" is a sink (${source.label}): sinks have no outputs, only "error" can be wired`,
      });
    } else if (!outputPorts(source).includes(edge.sourcePort)) {
      problems.push({
        code: 'E_EDGE_MISSING_PORT',
        field: 'sourcePort',
        nodeId: edge.source,
        message: `"${edge.source}" (${source.label}) has no output "${edge.sourcePort}"; its outputs: ${outputPorts(source).join(', ')}`,
      });
    }
  }
  if (target) {
    if (target.kind === 'source') {
      problems.push({
        code: 'E_SOURCE_HAS_INPUT',
        field: 'target',
        nodeId: edge.target,
        message: `"${edge.target}" is a source (${target.label}): sources have no inputs`,
      });
    } else if (!inputPorts(target).includes(edge.targetPort)) {
      problems.push({
        code: 'E_EDGE_MISSING_PORT',
        field: 'targetPort',
        nodeId: edge.target,
        message: `"${edge.target}" (${target.label}) has no input "${edge.targetPort}"; its inputs: ${inputPorts(target).join(', ') || 'none'}`,
      });
    }
  }
  return problems;
}

/** Two edges join the same output port to the same input port. */
export function sameEdge(a: GraphEdge, b: GraphEdge): boolean {
  return (
    a.source === b.source && a.sourcePort === b.sourcePort && a.target === b.target && a.targetPort === b.targetPort
  );
}
