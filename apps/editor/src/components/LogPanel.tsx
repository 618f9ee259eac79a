import { memo, useMemo } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { LogLevel } from '@tributary/shared';
import { useCatalog } from '../catalog.js';
import type { EditorEdge, EditorNode } from '../doc-mapping.js';
import { focusNode } from '../focus-node.js';
import { LOG_LEVELS, useLogs, visibleEntries, type LogEntry } from '../log-store.js';
import { useLayout } from '../layout-store.js';
import { useDoc } from '../session.js';
import { Resizer } from './Resizer.js';
import { clockTime } from '../units.js';

/** Rows drawn at most; the store keeps more, the filters reach them. */
const SHOWN = 300;

/** Node labels by id (the label set on the node, else its type's label). */
function useNodeLabels(): ReadonlyMap<string, string> {
  const nodes = useDoc((s) => s.nodes);
  const meta = useDoc((s) => s.nodeMeta);
  const byType = useCatalog((s) => s.byType);
  return useMemo(
    () => new Map(nodes.map((n) => [n.id, meta[n.id]?.label || byType.get(n.type ?? '')?.label || n.id])),
    [nodes, meta, byType],
  );
}

const LogRow = memo(function LogRow({
  entry,
  label,
  onNode,
}: {
  entry: LogEntry;
  label: string | undefined;
  onNode: (id: string) => void;
}) {
  return (
    <li className={`log-row ${entry.level}`} data-testid="log-row" data-level={entry.level}>
      <time title={entry.count > 1 ? `first ${clockTime(entry.firstAt)}` : undefined}>{clockTime(entry.at)}</time>
      <span className={`log-level ${entry.level}`}>{entry.level}</span>
      {entry.nodeId ? (
        <button
          className="log-node"
          onClick={() => onNode(entry.nodeId!)}
          title={`Show ${entry.nodeId} on the canvas`}
          data-testid="log-node"
        >
          {label ?? entry.nodeId}
        </button>
      ) : (
        <span className="log-node none">flow</span>
      )}
      <span className="log-message">
        {entry.code && <code className="log-code">{entry.code}</code>}
        {entry.message}
      </span>
      {entry.count > 1 && (
        <span className="log-count" title={`${entry.count} occurrences`} data-testid="log-count">
          ×{entry.count}
        </span>
      )}
    </li>
  );
});

/**
 * The flow's log lines and node errors (bottom drawer), newest first, repeats folded. A node name
 * selects that node and centres the canvas on it. Closed, it shows how many lines came in.
 */
export function LogPanel() {
  const open = useLogs((s) => s.open);
  const entries = useLogs((s) => s.entries);
  const unseen = useLogs((s) => s.unseen);
  const severe = useLogs((s) => s.unseenSevere);
  const levels = useLogs((s) => s.levels);
  const nodeFilter = useLogs((s) => s.nodeId);
  const labels = useNodeLabels();
  const flow = useReactFlow<EditorNode, EditorEdge>();
  const onNode = useMemo(() => (id: string) => void focusNode(id, flow), [flow]);
  const shown = useMemo(
    () => visibleEntries(entries, { levels, nodeId: nodeFilter }).slice(0, SHOWN),
    [entries, levels, nodeFilter],
  );
  const counts = useMemo(() => {
    const c: Record<LogLevel, number> = { debug: 0, info: 0, warn: 0, error: 0 };
    for (const e of entries) c[e.level]++;
    return c;
  }, [entries]);
  const logs = useLogs.getState();
  const height = useLayout((s) => s.drawerHeight);

  return (
    <section
      className={`logdrawer${open ? ' open' : ''}`}
      data-testid="log-panel"
      aria-label="Logs and errors"
      style={open ? { height: `min(${height}px, 60vh)` } : undefined}
    >
      {open && (
        <Resizer
          axis="y"
          direction={-1}
          label="Log drawer height"
          size={Math.min(height, window.innerHeight * 0.6)}
          onResize={(px) => useLayout.getState().setDrawerHeight(px)}
          testId="drawer-resizer"
        />
      )}
      <header className="logdrawer-head">
        <button
          className={`drawer-toggle${open ? ' on' : ''}`}
          onClick={() => logs.setOpen(!open)}
          aria-expanded={open}
          data-testid="log-toggle"
        >
          <span className="caret">{open ? '▾' : '▴'}</span> Logs &amp; errors
          {!open && unseen > 0 && (
            <span className={`badge${severe ? '' : ' quiet'}`} data-testid="log-badge">
              {unseen > 999 ? '999+' : unseen}
            </span>
          )}
        </button>
        {open && (
          <>
            <div className="segmented levels" role="group" aria-label="Levels">
              {LOG_LEVELS.map((level) => (
                <button
                  key={level}
                  className={levels[level] ? `on ${level}` : undefined}
                  aria-pressed={levels[level]}
                  onClick={() => logs.toggleLevel(level)}
                  data-testid={`log-level-${level}`}
                >
                  {level} <span className="n">{counts[level]}</span>
                </button>
              ))}
            </div>
            <select
              aria-label="Node filter"
              data-testid="log-node-filter"
              value={nodeFilter ?? ''}
              onChange={(e) => logs.setNodeFilter(e.target.value || undefined)}
            >
              <option value="">All nodes</option>
              {[...labels].map(([id, label]) => (
                <option key={id} value={id}>
                  {label} · {id}
                </option>
              ))}
            </select>
            <span className="spacer" />
            <span className="muted">
              {shown.length < entries.length ? `${shown.length} of ${entries.length}` : entries.length} lines
            </span>
            <button onClick={() => logs.clear()} disabled={entries.length === 0}>
              Clear
            </button>
          </>
        )}
      </header>
      {open && (
        <div className="logdrawer-body">
          {shown.length === 0 ? (
            <p className="muted log-empty">
              {entries.length === 0
                ? 'No log lines yet. Log nodes, function code (ctx.log) and failing nodes write here while the flow runs.'
                : 'No line matches the filters.'}
            </p>
          ) : (
            <ol className="log-list">
              {shown.map((e) => (
                <LogRow key={e.id} entry={e} label={e.nodeId ? labels.get(e.nodeId) : undefined} onNode={onNode} />
              ))}
            </ol>
          )}
        </div>
      )}
    </section>
  );
}
