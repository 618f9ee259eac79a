import { create } from 'zustand';
import { nodeManifests, connectionTypes } from '@tributary/nodes/manifests';
import type { NodeCatalog, NodeKind, NodeTypeInfo } from '@tributary/shared';

/** Node types as the runtime serves them (palette, ports, config forms). */
export interface CatalogState {
  nodeTypes: NodeTypeInfo[];
  byType: ReadonlyMap<string, NodeTypeInfo>;
  error: string | undefined;
  set: (nodeTypes: NodeTypeInfo[]) => void;
  fail: (message: string) => void;
}

export const useCatalog = create<CatalogState>()((set) => ({
  nodeTypes: [],
  byType: new Map(),
  error: undefined,
  set(nodeTypes) {
    set({ nodeTypes, byType: new Map(nodeTypes.map((t) => [t.type, t])), error: undefined });
  },
  fail(message) {
    set({ error: message });
  },
}));

/** The browser-safe manifests (with their zod schemas) that `validateFlow` checks against. */
export const validationCatalog: NodeCatalog = { nodeTypes: nodeManifests, connectionTypes };

export const KIND_ORDER: readonly NodeKind[] = ['source', 'handler', 'cache', 'sink'];

export const KIND_COLOUR: Record<NodeKind, string> = {
  source: '#2f7de1',
  handler: '#8a5cd6',
  cache: '#d08a1c',
  sink: '#2a9d6a',
};
