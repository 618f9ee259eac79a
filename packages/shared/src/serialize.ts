import type { FlowDocument } from './flow-document.js';
import { parseJsonText } from './json-text.js';
import { parseFlowDocument, type ValidationResult } from './validate-flow.js';

/** Field order of the document's own objects; free-form objects (config, settings …) sort their keys. */
export const CANONICAL_KEY_ORDER = {
  document: ['schemaVersion', 'id', 'name', 'description', 'settings', 'connections', 'nodes', 'edges', 'editor'],
  node: ['id', 'type', 'typeVersion', 'label', 'description', 'position', 'disabled', 'config'],
  edge: ['id', 'source', 'sourcePort', 'target', 'targetPort'],
  connection: ['id', 'type', 'label', 'config'],
  position: ['x', 'y'],
} as const satisfies Record<string, readonly string[]>;

type Order = readonly string[] | undefined;

/** Which fixed order applies to the object found under `key` of an object ordered by `parent`. */
function childOrder(parent: Order, key: string): { self: Order; items: Order } {
  if (parent === CANONICAL_KEY_ORDER.document) {
    if (key === 'nodes') return { self: undefined, items: CANONICAL_KEY_ORDER.node };
    if (key === 'edges') return { self: undefined, items: CANONICAL_KEY_ORDER.edge };
    if (key === 'connections') return { self: undefined, items: CANONICAL_KEY_ORDER.connection };
  }
  if (parent === CANONICAL_KEY_ORDER.node && key === 'position')
    return { self: CANONICAL_KEY_ORDER.position, items: undefined };
  return { self: undefined, items: undefined };
}

/** UTF-16 code-unit order, like `Array.prototype.sort`, so every engine agrees. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Writes JSON itself rather than through `JSON.stringify(sortedCopy)`: JavaScript objects list
 * integer-like keys ("10", "2") first whatever the insertion order, so a sorted copy would not
 * stay sorted.
 */
function write(value: unknown, order: Order, itemOrder: Order, indent: string): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    value = (value as { toJSON(): unknown }).toJSON();
  // Non-finite numbers become null and functions/symbols vanish, as JSON.stringify does.
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += (i === 0 ? '\n' : ',\n') + inner;
      out += write(item === undefined || typeof item === 'function' ? null : item, itemOrder, undefined, inner);
    }
    return out + '\n' + indent + ']';
  }
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source).filter((k) => source[k] !== undefined && typeof source[k] !== 'function');
  const fixed = order ? order.filter((k) => keys.includes(k)) : [];
  const rest = (fixed.length > 0 ? keys.filter((k) => !fixed.includes(k)) : keys).sort(byCodeUnit);
  const ordered = fixed.length > 0 ? [...fixed, ...rest] : rest;
  if (ordered.length === 0) return '{}';
  let out = '{';
  for (let i = 0; i < ordered.length; i++) {
    const key = ordered[i]!;
    const child = childOrder(order, key);
    out += (i === 0 ? '\n' : ',\n') + inner + JSON.stringify(key) + ': ';
    out += write(source[key], child.self, child.items, inner);
  }
  return out + '\n' + indent + '}';
}

/**
 * The canonical text of a flow: the document's fields in a fixed order (schemaVersion, id, name,
 * description, settings, connections, nodes, edges; node: id, type, typeVersion, label,
 * description, position, disabled, config; edge: id, source, sourcePort, target, targetPort;
 * connection: id, type, label, config), every other object's keys sorted, 2-space indent and a
 * trailing newline. `serializeFlow(JSON.parse(text)) === text` for any text it wrote, so saving
 * an unchanged flow changes no byte, and a change diffs to the lines it touched.
 *
 * @example
 * await writeFile('orders.flow.json', serializeFlow(flow));
 */
export function serializeFlow(doc: FlowDocument): string {
  return write(doc, CANONICAL_KEY_ORDER.document, undefined, '') + '\n';
}

/**
 * The reading half of `serializeFlow`: the text of a flow file to a flow document. Malformed JSON
 * is an `E_JSON_MALFORMED` problem with the line and column; an older document is migrated to the
 * current `schemaVersion`; then the document's shape is checked (`parseFlowDocument`: unknown
 * fields are problems, node configs are left as written and not checked against node types, so
 * a draft loads). `serializeFlow(parseFlowJson(text).flow) === text` for any text `serializeFlow`
 * wrote. To check a flow against the installed node types as well, use `validateFlowText`.
 *
 * @example
 * const loaded = parseFlowJson(await readFile('orders.flow.json', 'utf8'));
 * if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
 * loaded.flow.name = 'Orders (copy)';
 * await writeFile('orders-copy.flow.json', serializeFlow(loaded.flow));
 */
export function parseFlowJson(text: string): ValidationResult {
  const parsed = parseJsonText(text);
  return parsed.ok ? parseFlowDocument(parsed.value) : { ok: false, problems: [parsed.problem] };
}
