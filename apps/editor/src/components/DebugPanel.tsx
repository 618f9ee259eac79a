import { useMemo } from 'react';
import { useDebug } from '../debug-store.js';
import { useDoc } from '../session.js';
import { clockTime } from '../units.js';
import { JsonTree } from './JsonTree.js';

/**
 * The messages of the flow's debug nodes (Node-RED's debug sidebar): newest first, each as a tree
 * to open, filtered by debug node, the last 200 kept.
 */
export function DebugPanel() {
  const entries = useDebug((s) => s.entries);
  const filter = useDebug((s) => s.nodeId);
  const received = useDebug((s) => s.received);
  const paused = useDebug((s) => s.paused);
  const nodes = useDoc((s) => s.nodes);
  const meta = useDoc((s) => s.nodeMeta);
  const debugNodes = useMemo(() => nodes.filter((n) => n.type === 'debug'), [nodes]);
  const shown = filter ? entries.filter((e) => e.nodeId === filter) : entries;
  const labelOf = (id: string) => meta[id]?.label || id;
  return (
    <div className="debug-panel" data-testid="debug-panel">
      <div className="debug-head">
        <select
          aria-label="Debug node filter"
          data-testid="debug-filter"
          value={filter ?? ''}
          onChange={(e) => useDebug.getState().setNodeFilter(e.target.value || undefined)}
        >
          <option value="">All debug nodes</option>
          {debugNodes.map((n) => (
            <option key={n.id} value={n.id}>
              {labelOf(n.id)}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <span className="muted">
          {shown.length} shown · {received} received{paused ? ' (paused)' : ''}
        </span>
        <button onClick={() => useDebug.getState().setPaused(!paused)} aria-pressed={paused} data-testid="debug-pause">
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button onClick={() => useDebug.getState().clear()} disabled={entries.length === 0}>
          Clear
        </button>
      </div>
      {shown.length === 0 ? (
        <p className="muted log-empty">
          {debugNodes.length === 0
            ? 'No debug node in this flow: add one (Sinks › Debug) and wire any output to it.'
            : 'No debug message yet: deploy the flow; messages reaching a debug node show here.'}
        </p>
      ) : (
        <ol className="debug-list">
          {shown.map((e) => (
            <li key={e.seq} className="debug-row" data-testid="debug-row" data-seq={e.seq}>
              <div className="debug-meta">
                <time>{clockTime(e.at)}</time> <span className="log-node">{labelOf(e.nodeId)}</span>
              </div>
              {'key' in e.payload ? <JsonTree value={e.payload} /> : <JsonTree value={e.payload.value} name="value" />}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
