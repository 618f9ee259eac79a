import type { FlowDocument } from './flow-document.js';

const ORDER: Record<string, readonly string[]> = {
  document: ['schemaVersion', 'id', 'name', 'description', 'settings', 'connections', 'nodes', 'edges'],
  node: ['id', 'type', 'typeVersion', 'label', 'description', 'position', 'disabled', 'config'],
  edge: ['id', 'source', 'sourcePort', 'target', 'targetPort'],
  connection: ['id', 'type', 'label', 'config'],
  position: ['x', 'y'],
};

function ordered(
  value: unknown,
  order?: readonly string[],
  child?: (key: string) => readonly string[] | undefined,
): unknown {
  if (Array.isArray(value)) return value.map((item) => ordered(item, order, child));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source).filter((k) => source[k] !== undefined);
  const known = order ? order.filter((k) => keys.includes(k)) : [];
  const rest = keys.filter((k) => !known.includes(k)).sort();
  const out: Record<string, unknown> = {};
  for (const key of [...known, ...rest]) out[key] = ordered(source[key], child?.(key), undefined);
  return out;
}

/**
 * The canonical text of a flow: document fields in a fixed order, free-form objects (config,
 * settings) with sorted keys, 2-space indent, trailing newline. `serializeFlow(parse(text)) === text`
 * for any text it produced, so files diff to the lines a change touched.
 *
 * @example
 * writeFileSync('orders.flow.json', serializeFlow(flow));
 */
export function serializeFlow(doc: FlowDocument): string {
  const canonical = ordered(doc, ORDER.document, (key) => {
    if (key === 'nodes') return ORDER.node;
    if (key === 'edges') return ORDER.edge;
    if (key === 'connections') return ORDER.connection;
    return undefined;
  }) as Record<string, unknown>;
  // Positions inside nodes keep x before y (sorted already) — nothing else needs a fixed order.
  return JSON.stringify(canonical, null, 2) + '\n';
}
