import { create } from 'zustand';
import { nodeManifests, connectionTypes } from '@tributary/nodes/manifests';
import { ApiFailure, api } from './api.js';
import type { ConnectionTypeInfo, NodeCatalog, NodeKind, NodeTypeInfo } from '@tributary/shared';

/** Node and connection types as the runtime serves them (palette, ports, config forms). */
export interface CatalogState {
  nodeTypes: NodeTypeInfo[];
  byType: ReadonlyMap<string, NodeTypeInfo>;
  connectionTypes: ConnectionTypeInfo[];
  error: string | undefined;
  set: (nodeTypes: NodeTypeInfo[], connectionTypes?: ConnectionTypeInfo[]) => void;
  fail: (message: string) => void;
}

export const useCatalog = create<CatalogState>()((set) => ({
  nodeTypes: [],
  byType: new Map(),
  connectionTypes: [],
  error: undefined,
  set(nodeTypes, connectionTypes = []) {
    set({ nodeTypes, byType: new Map(nodeTypes.map((t) => [t.type, t])), connectionTypes, error: undefined });
  },
  fail(message) {
    set({ error: message });
  },
}));

/** Loads node and connection types from the runtime (a refused token shows the sign-in prompt instead). */
export async function loadCatalog(): Promise<void> {
  try {
    const r = await api.nodeTypes();
    useCatalog.getState().set(r.nodeTypes, r.connectionTypes);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return;
    useCatalog.getState().fail(`Node types not loaded: ${(e as Error).message}`);
  }
}

/** The browser-safe manifests (with their zod schemas) that `validateFlow` checks against. */
export const validationCatalog: NodeCatalog = { nodeTypes: nodeManifests, connectionTypes };

export const KIND_ORDER: readonly NodeKind[] = ['source', 'handler', 'cache', 'sink'];

export const KIND_COLOUR: Record<NodeKind, string> = {
  source: '#2f7de1',
  handler: '#8a5cd6',
  cache: '#d08a1c',
  sink: '#2a9d6a',
};
