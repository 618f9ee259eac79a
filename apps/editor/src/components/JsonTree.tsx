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

/** "{3}", "[12]": what a closed node holds. */
function summary(value: object): string {
  return Array.isArray(value) ? `Array(${value.length})` : `{${Object.keys(value).length}}`;
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
        <span className="tree-summary">{summary(value)}</span>
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
