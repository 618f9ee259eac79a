import { IdSchema, type Connection, type NodeTypeInfo } from '@tributary/shared';
import { useCatalog } from './catalog.js';
import { freshId, type EditorNode } from './doc-mapping.js';
import { withoutOptionalForms } from './form-schema.js';
import { useDoc } from './session.js';

interface PropertySchema {
  ui?: { widget?: string; connectionType?: string };
}

/** The config fields of a node type that name a connection (widget `connection`), by field → connection type. */
export function connectionFields(info: NodeTypeInfo | undefined): Map<string, string | undefined> {
  const properties = (info?.configSchema.properties ?? {}) as Record<string, PropertySchema>;
  const fields = new Map<string, string | undefined>();
  for (const [key, property] of Object.entries(properties))
    if (property.ui?.widget === 'connection') fields.set(key, property.ui.connectionType);
  return fields;
}

/** The nodes whose config names connection `id`. */
export function connectionUsers(
  id: string,
  nodes: readonly EditorNode[],
  byType: ReadonlyMap<string, NodeTypeInfo>,
): EditorNode[] {
  return nodes.filter((n) => {
    for (const key of connectionFields(byType.get(n.type ?? '')).keys()) if (n.data.config[key] === id) return true;
    return false;
  });
}

const list = (): Connection[] => useDoc.getState().docMeta.connections ?? [];

/** Adds a connection of `type` with its type's defaults; returns its id (`<type>-<n>`). */
export function addConnection(type: string): string {
  const info = useCatalog.getState().connectionTypes.find((t) => t.type === type);
  const connections = list();
  const id = freshId(type, new Set(connections.map((c) => c.id)));
  const config = info ? withoutOptionalForms(structuredClone(info.defaults), info.configSchema) : {};
  useDoc.getState().setConnections([...connections, { id, type, config }]);
  return id;
}

/** Changes one connection (label or config); `field` coalesces typing into one undo step. */
export function updateConnection(id: string, patch: Partial<Omit<Connection, 'id'>>, field?: string): void {
  const connections = list().map((c) => {
    if (c.id !== id) return c;
    const next: Connection = { ...c, ...patch };
    if (next.label === undefined || next.label === '') delete next.label;
    return next;
  });
  useDoc.getState().setConnections(connections, undefined, field === undefined ? undefined : `${id}/${field}`);
}

/**
 * Renames a connection and every node field that names it, in one undo step. Returns why not
 * (an id the schema refuses, or one already taken), or undefined when done.
 */
export function renameConnection(id: string, next: string): string | undefined {
  if (next === id) return undefined;
  const parsed = IdSchema.safeParse(next);
  if (!parsed.success) return parsed.error.issues[0]?.message ?? 'not a valid id';
  const connections = list();
  if (connections.some((c) => c.id === next)) return `a connection "${next}" exists already`;
  const { nodes } = useDoc.getState();
  const byType = useCatalog.getState().byType;
  const configs = new Map<string, Record<string, unknown>>();
  for (const node of connectionUsers(id, nodes, byType)) {
    const config = { ...node.data.config };
    for (const key of connectionFields(byType.get(node.type ?? '')).keys()) if (config[key] === id) config[key] = next;
    configs.set(node.id, config);
  }
  useDoc.getState().setConnections(
    connections.map((c) => (c.id === id ? { ...c, id: next } : c)),
    configs,
  );
  return undefined;
}

/** Removes a connection. Nodes that named it keep the name, and validation points at them. */
export function removeConnection(id: string): void {
  useDoc.getState().setConnections(list().filter((c) => c.id !== id));
}
