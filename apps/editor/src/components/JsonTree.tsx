import { memo } from 'react';

/** Children listed per object or array level; the rest are counted. */
const CHILDREN_SHOWN = 100;

function leaf(value: unknown): { text: string; kind: string } {
  if (value === null) return { text: 'null', kind: 'null' };
  if (typeof value === 'string') return { text: JSON.stringify(value), kind: 'string' };
  if (typeof value === 'number' || typeof value === 'boolean') return { text: String(value), kind: typeof value };
  // bigint, undefined, symbol: what JSON cannot say.
  if (typeof value === 'bigint') return { text: `${value}n`, kind: 'number' };
  if (typeof value === 'symbol') return { text: value.toString(), kind: 'other' };
  return { text: 'undefined', kind: 'other' };
}

/** Characters of a closed node's preview. */
const PREVIEW_CHARS = 70;

/** One value inside a preview: leaves as they are, containers by their shape. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'object' && value !== null) return '{…}';
  const { text } = leaf(value);
  return text.length > 24 ? `${text.slice(0, 23)}…` : text;
}

/** What a closed node holds, as browsers' consoles show it: `{ id: 7, lines: Array(1) }`, `Array(3) [1, 2, 3]`. */
export function summary(value: object): string {
  const parts = Array.isArray(value)
    ? (value as unknown[]).map(inline)
    : Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${inline(v)}`);
  let body = '';
  for (const part of parts) {
    const next = body ? `${body}, ${part}` : part;
    if (next.length > PREVIEW_CHARS) {
      body = `${body}, …`;
      break;
    }
    body = next;
  }
  return Array.isArray(value) ? `Array(${value.length}) [${body}]` : `{ ${body} }`.replace('{  }', '{}');
}

/**
 * A value as an expandable tree (`<details>`): objects and arrays open level by level, the first
 * `openDepth` levels open at first.
 */
export const JsonTree = memo(function JsonTree({
  value,
  name,
  depth = 0,
  openDepth = 1,
}: {
  value: unknown;
  name?: string;
  depth?: number;
  openDepth?: number;
}) {
  const label = name !== undefined && <span className="tree-key">{name}: </span>;
  if (typeof value !== 'object' || value === null) {
    const { text, kind } = leaf(value);
    return (
      <div className="tree-leaf">
        {label}
        <span className={`tree-${kind}`}>{text}</span>
      </div>
    );
  }
  const entries: (readonly [string, unknown])[] = Array.isArray(value)
    ? (value as unknown[]).map((v, i) => [String(i), v] as const)
    : Object.entries(value as Record<string, unknown>);
  return (
    <details className="tree-node" open={depth < openDepth}>
      <summary>
        {label}
        {/* Closed: a preview of what it holds; open: its shape only (the children say the rest). */}
        <span className="tree-summary">{summary(value)}</span>
        <span className="tree-type">
          {Array.isArray(value) ? `Array(${value.length})` : `{${Object.keys(value).length}}`}
        </span>
      </summary>
      <div className="tree-children">
        {entries.slice(0, CHILDREN_SHOWN).map(([k, v]) => (
          <JsonTree key={k} name={k} value={v} depth={depth + 1} openDepth={openDepth} />
        ))}
        {entries.length > CHILDREN_SHOWN && <div className="muted">… {entries.length - CHILDREN_SHOWN} more</div>}
      </div>
    </details>
  );
});
