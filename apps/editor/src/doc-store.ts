import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange } from '@xyflow/react';
import { create } from 'zustand';
import type { CanvasNote, Connection, FlowDocument, FlowProblem } from '@tributary/shared';
import { layout } from './auto-layout.js';
import {
  edgeId,
  freshId,
  toEditorEdge,
  toEditorGraph,
  toFlowDocument,
  type DocMeta,
  type EditorEdge,
  type EditorGraph,
  type EditorNode,
  type NodeMeta,
} from './doc-mapping.js';

const HISTORY_LIMIT = 100;

/** What the clipboard holds: nodes and the edges between them. */
export interface Clip {
  nodes: EditorNode[];
  edges: EditorEdge[];
  nodeMeta: Record<string, NodeMeta>;
}

export interface DocState extends EditorGraph {
  /** The server's rev this edit started from; undefined until the flow exists on the server. */
  rev: string | undefined;
  dirty: boolean;
  past: EditorGraph[];
  future: EditorGraph[];
  /** Problems from the last deploy attempt (cleared by the next edit). */
  deployProblems: FlowProblem[];
  /** The field the last undo step was recorded for (see `setConfig`). */
  lastEdit: string | undefined;
  /** Counts `load` calls: a loaded document (open, import, reload) is framed anew, an edit is not. */
  loads: number;

  load: (doc: FlowDocument, rev: string | undefined, dirty?: boolean) => void;
  /** The server stored `saved` as `rev`; the flow stays dirty if it was edited since (omit `saved` to clear it). */
  markSaved: (rev: string, saved?: FlowDocument) => void;
  /** Records an undo step: call before a change that should be undoable as one step. */
  checkpoint: () => void;
  onNodesChange: (changes: NodeChange<EditorNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<EditorEdge>[]) => void;
  addNode: (
    type: string,
    typeVersion: number,
    position: { x: number; y: number },
    config: Record<string, unknown>,
  ) => string;
  addEdge: (source: string, sourcePort: string, target: string, targetPort: string) => void;
  /** `field` coalesces consecutive edits of one field (typing) into one undo step. */
  setConfig: (nodeId: string, config: Record<string, unknown>, field?: string) => void;
  setNodeMeta: (nodeId: string, patch: Partial<NodeMeta>) => void;
  /** Adds a comment or a group at a flow position (selected for typing); returns its id. */
  addNote: (kind: CanvasNote['kind'], at: { x: number; y: number }) => string;
  /** Changes a note; `field` coalesces a drag or typing into one undo step. */
  updateNote: (id: string, patch: Partial<Omit<CanvasNote, 'id' | 'kind'>>, field?: string) => void;
  removeNote: (id: string) => void;
  /** Disables or enables many nodes as one undo step. */
  setNodesDisabled: (nodeIds: readonly string[], disabled: boolean) => void;
  /** `field` coalesces consecutive edits of one flow field (typing) into one undo step. */
  setDocMeta: (patch: Partial<DocMeta>, field?: string) => void;
  /**
   * Replaces the flow's connections, and with them node configs that name a connection (a rename
   * or a removal), as one undo step; `field` coalesces typing as in `setConfig`.
   */
  setConnections: (
    connections: Connection[],
    configs?: ReadonlyMap<string, Record<string, unknown>>,
    field?: string,
  ) => void;
  /** Moves many nodes as one undo step (auto layout). */
  setPositions: (positions: ReadonlyMap<string, { x: number; y: number }>) => void;
  removeSelected: () => void;
  paste: (clip: Clip, offset: { x: number; y: number }) => void;
  undo: () => void;
  redo: () => void;
  setDeployProblems: (problems: FlowProblem[]) => void;
}

function snapshot(s: EditorGraph): EditorGraph {
  return { docMeta: s.docMeta, nodes: s.nodes, edges: s.edges, nodeMeta: s.nodeMeta };
}

/** Selection is UI state: restoring a snapshot must not bring back an old selection. */
function unselected(g: EditorGraph): EditorGraph {
  return {
    ...g,
    nodes: g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
    edges: g.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
  };
}

/** Changes that only touch UI state (selection, measuring) and neither dirty nor enter history. */
function isUiOnly(change: NodeChange | EdgeChange): boolean {
  return change.type === 'select' || change.type === 'dimensions';
}

export function createDocStore(initial: FlowDocument) {
  return create<DocState>()((set, get) => {
    const push = () => {
      const s = get();
      set({
        past: [...s.past, snapshot(s)].slice(-HISTORY_LIMIT),
        future: [],
        dirty: true,
        deployProblems: [],
        lastEdit: undefined,
      });
    };
    /** One undo step per edit, but one for a run of edits of the same field (typing). */
    const pushUnlessTyping = (key: string | undefined) => {
      if (key === undefined || key !== get().lastEdit) push();
      set({ lastEdit: key, dirty: true });
    };
    // React Flow reports one user action (Delete) as an edge change and a node change: one undo step.
    let inChangeBatch = false;
    const pushOncePerTask = () => {
      if (inChangeBatch) return set({ dirty: true });
      push();
      inChangeBatch = true;
      queueMicrotask(() => (inChangeBatch = false));
    };
    return {
      ...toEditorGraph(initial),
      rev: undefined,
      dirty: false,
      past: [],
      future: [],
      deployProblems: [],
      lastEdit: undefined,
      loads: 0,

      load(doc, rev, dirty = false) {
        const loads = get().loads + 1;
        set({ ...toEditorGraph(doc), rev, dirty, past: [], future: [], deployProblems: [], loads });
        if (doc.nodes.some((n) => n.position === undefined)) {
          // Written by hand without positions: lay it out (not an undo step; the flow is not changed).
          void layout(get().nodes, get().edges).then((positions) => {
            if (get().loads !== loads) return; // another flow was opened meanwhile
            set({ nodes: get().nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position })) });
          });
        }
      },
      markSaved(rev, saved) {
        // Edits made while the save was on its way are not in it: they stay unsaved changes.
        const changed = saved !== undefined && JSON.stringify(currentDocument(get())) !== JSON.stringify(saved);
        set({ rev, dirty: changed });
      },
      checkpoint: push,
      onNodesChange(changes) {
        const relevant = changes.filter((c) => !isUiOnly(c));
        // Moves are recorded once, at drag start (checkpoint), not per pointer event.
        if (relevant.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace')) pushOncePerTask();
        else if (relevant.length > 0) set({ dirty: true });
        const s = get();
        const nodes = applyNodeChanges(changes, s.nodes);
        const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
        if (removed.size === 0) {
          set({ nodes });
          return;
        }
        const nodeMeta = { ...s.nodeMeta };
        for (const id of removed) delete nodeMeta[id];
        set({ nodes, nodeMeta, edges: s.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) });
      },
      onEdgesChange(changes) {
        if (changes.some((c) => !isUiOnly(c))) pushOncePerTask();
        set({ edges: applyEdgeChanges(changes, get().edges) });
      },
      addNode(type, typeVersion, position, config) {
        push();
        const s = get();
        const id = freshId(type, new Set(s.nodes.map((n) => n.id)));
        set({
          nodes: [...s.nodes, { id, type, position, data: { config } }],
          nodeMeta: { ...s.nodeMeta, [id]: { typeVersion } },
        });
        return id;
      },
      addEdge(source, sourcePort, target, targetPort) {
        push();
        const edge = toEditorEdge({
          id: edgeId(source, sourcePort, target, targetPort),
          source,
          sourcePort,
          target,
          targetPort,
        });
        set({ edges: [...get().edges, edge] });
      },
      setConfig(nodeId, config, field) {
        pushUnlessTyping(field === undefined ? undefined : `${nodeId}\u0000${field}`);
        set({ nodes: get().nodes.map((n) => (n.id === nodeId ? { ...n, data: { config } } : n)) });
      },
      setNodeMeta(nodeId, patch) {
        push();
        const s = get();
        const current = s.nodeMeta[nodeId];
        if (!current) return;
        const next: NodeMeta = { ...current, ...patch };
        for (const key of Object.keys(patch) as (keyof NodeMeta)[]) if (next[key] === undefined) delete next[key];
        set({ nodeMeta: { ...s.nodeMeta, [nodeId]: next } });
      },
      addNote(kind, at) {
        push();
        const s = get();
        const notes = s.docMeta.editor?.notes ?? [];
        const id = freshId(kind, new Set(notes.map((n) => n.id)));
        const note: CanvasNote = {
          id,
          kind,
          text: '',
          position: { x: Math.round(at.x), y: Math.round(at.y) },
          ...(kind === 'group' ? { size: { width: 520, height: 260 } } : {}),
        };
        set({ docMeta: { ...s.docMeta, editor: { ...s.docMeta.editor, notes: [...notes, note] } } });
        return id;
      },
      updateNote(id, patch, field) {
        pushUnlessTyping(field === undefined ? undefined : `\u0000note\u0000${id}\u0000${field}`);
        const s = get();
        const notes = (s.docMeta.editor?.notes ?? []).map((n) => (n.id === id ? { ...n, ...patch } : n));
        set({ docMeta: { ...s.docMeta, editor: { ...s.docMeta.editor, notes } } });
      },
      removeNote(id) {
        push();
        const s = get();
        const notes = (s.docMeta.editor?.notes ?? []).filter((n) => n.id !== id);
        const docMeta: DocMeta = { ...s.docMeta, editor: { ...s.docMeta.editor, notes } };
        // The last note gone, the document is as if notes were never used.
        if (notes.length === 0) delete docMeta.editor;
        set({ docMeta });
      },
      setNodesDisabled(nodeIds, disabled) {
        push();
        const nodeMeta = { ...get().nodeMeta };
        for (const id of nodeIds) {
          const current = nodeMeta[id];
          if (!current) continue;
          const next: NodeMeta = { ...current, disabled: true };
          if (!disabled) delete next.disabled;
          nodeMeta[id] = next;
        }
        set({ nodeMeta });
      },
      setDocMeta(patch, field) {
        pushUnlessTyping(field === undefined ? undefined : `\u0000flow\u0000${field}`);
        const docMeta: DocMeta = { ...get().docMeta, ...patch };
        // An emptied optional field leaves the document, as if never set.
        for (const key of Object.keys(patch) as (keyof DocMeta)[]) if (patch[key] === undefined) delete docMeta[key];
        set({ docMeta });
      },
      setConnections(connections, configs, field) {
        pushUnlessTyping(field === undefined ? undefined : `\u0000connections\u0000${field}`);
        const s = get();
        const docMeta: DocMeta = { ...s.docMeta, connections };
        if (connections.length === 0) delete docMeta.connections;
        const nodes = configs?.size
          ? s.nodes.map((n) => {
              const config = configs.get(n.id);
              return config ? { ...n, data: { config } } : n;
            })
          : s.nodes;
        set({ docMeta, nodes });
      },
      setPositions(positions) {
        push();
        set({ nodes: get().nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position })) });
      },
      removeSelected() {
        const s = get();
        const gone = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
        const edges = s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
        if (gone.size === 0 && edges.length === s.edges.length) return;
        push();
        const nodeMeta = { ...s.nodeMeta };
        for (const id of gone) delete nodeMeta[id];
        set({ nodes: s.nodes.filter((n) => !gone.has(n.id)), edges, nodeMeta });
      },
      paste(clip, offset) {
        if (clip.nodes.length === 0) return;
        push();
        const s = get();
        const taken = new Set(s.nodes.map((n) => n.id));
        const rename = new Map<string, string>();
        const nodeMeta = { ...s.nodeMeta };
        const added: EditorNode[] = clip.nodes.map((n) => {
          const id = freshId(n.type ?? 'node', taken);
          taken.add(id);
          rename.set(n.id, id);
          nodeMeta[id] = { ...(clip.nodeMeta[n.id] ?? { typeVersion: 1 }) };
          return {
            id,
            type: n.type,
            position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
            data: { config: structuredClone(n.data.config) },
            selected: true,
          };
        });
        const addedEdges = clip.edges.flatMap((e) => {
          const source = rename.get(e.source);
          const target = rename.get(e.target);
          if (!source || !target) return [];
          return [
            toEditorEdge({
              id: edgeId(source, e.sourceHandle, target, e.targetHandle),
              source,
              sourcePort: e.sourceHandle,
              target,
              targetPort: e.targetHandle,
            }),
          ];
        });
        set({
          nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added],
          edges: [...s.edges, ...addedEdges],
          nodeMeta,
        });
      },
      undo() {
        const s = get();
        const previous = s.past.at(-1);
        if (!previous) return;
        set({
          ...unselected(previous),
          past: s.past.slice(0, -1),
          future: [snapshot(s), ...s.future],
          dirty: true,
        });
      },
      redo() {
        const s = get();
        const next = s.future[0];
        if (!next) return;
        set({ ...unselected(next), past: [...s.past, snapshot(s)], future: s.future.slice(1), dirty: true });
      },
      setDeployProblems(problems) {
        set({ deployProblems: problems });
      },
    };
  });
}

export type DocStore = ReturnType<typeof createDocStore>;

/** The selected nodes and the edges among them. */
export function copySelection(s: DocState): Clip {
  const nodes = s.nodes.filter((n) => n.selected);
  const ids = new Set(nodes.map((n) => n.id));
  const nodeMeta: Record<string, NodeMeta> = {};
  for (const id of ids) if (s.nodeMeta[id]) nodeMeta[id] = s.nodeMeta[id];
  return { nodes, edges: s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)), nodeMeta };
}

export function currentDocument(s: DocState): FlowDocument {
  return toFlowDocument(s);
}
