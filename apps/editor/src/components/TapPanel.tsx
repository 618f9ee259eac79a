import { memo, useEffect, useState } from 'react';
import { useCatalog } from '../catalog.js';
import { compact } from '../format.js';
import { startTap, stopTap } from '../live.js';
import { useDoc } from '../session.js';
import { useStats } from '../stats-store.js';
import { useTap, type TapMessage } from '../tap-store.js';
import { clockTime, prettyValue, previewValue } from '../units.js';

/** The id of the only selected edge while no node is selected (a narrow selector: a string). */
function useSelectedEdgeId(): string | undefined {
  return useDoc((s) => {
    if (s.nodes.some((n) => n.selected)) return undefined;
    let found: string | undefined;
    for (const e of s.edges) {
      if (!e.selected) continue;
      if (found) return undefined;
      found = e.id;
    }
    return found;
  });
}

function useNodeLabel(id: string | undefined): string {
  const label = useDoc((s) => (id ? s.nodeMeta[id]?.label : undefined));
  const type = useDoc((s) => (id ? s.nodes.find((n) => n.id === id)?.type : undefined));
  const typeLabel = useCatalog((s) => (type ? s.byType.get(type)?.label : undefined));
  return label || typeLabel || id || '?';
}

const TapRow = memo(function TapRow({ message }: { message: TapMessage }) {
  const [open, setOpen] = useState(false);
  const headers = Object.entries(message.headers);
  return (
    <li className="tap-msg" data-testid="tap-message">
      <div className="tap-meta">
        <time title={`sampled at ${clockTime(message.at)}`}>{clockTime(message.timestamp)}</time>
        <span className="tap-key">
          key <code>{message.key ?? 'null'}</code>
        </span>
        {message.skipped > 0 && (
          <span className="tap-skipped" title="messages on this edge since the previous sample, not sampled">
            +{compact(message.skipped)} skipped
          </span>
        )}
      </div>
      <button className="tap-value" aria-expanded={open} onClick={() => setOpen(!open)} title="Show the value as JSON">
        <span className="caret">{open ? '▾' : '▸'}</span>
        <code>{previewValue(message.value)}</code>
      </button>
      {open && (
        <pre className="tap-json" data-testid="tap-json">
          {prettyValue(message.value)}
        </pre>
      )}
      {headers.length > 0 && (
        <div className="tap-headers">
          {headers.map(([k, v]) => (
            <span key={k} className="tap-header">
              <b>{k}</b> {v}
            </span>
          ))}
        </div>
      )}
    </li>
  );
});

function EdgeTap({ edgeId }: { edgeId: string }) {
  const flowId = useDoc((s) => s.docMeta.id);
  const edge = useDoc((s) => s.edges.find((e) => e.id === edgeId));
  const source = useNodeLabel(edge?.source);
  const target = useNodeLabel(edge?.target);
  const stats = useStats((s) => s.edges[edgeId]);
  const running = useStats((s) => s.state === 'running');
  const mine = useTap((s) => s.edgeId === edgeId && s.flowId === flowId);
  const status = useTap((s) => (mine ? s.status : 'off'));
  const error = useTap((s) => (mine ? s.error : undefined));
  const paused = useTap((s) => mine && s.paused);
  const messages = useTap((s) => s.messages);
  const received = useTap((s) => s.received);
  const skipped = useTap((s) => s.skipped);
  const missed = useTap((s) => s.missed);
  const tapping = status === 'on' || status === 'starting';

  // Deselecting the edge (or leaving the editor) unmounts this panel: the tap ends with it.
  useEffect(
    () => () => {
      if (useTap.getState().edgeId === edgeId) stopTap();
    },
    [edgeId],
  );

  const close = () => useDoc.getState().onEdgesChange([{ type: 'select', id: edgeId, selected: false }]);
  const list = mine ? messages : [];
  return (
    <aside className="tap-panel" data-testid="tap-panel" aria-label="Message tap">
      <header className="tap-head">
        <div>
          <h2>Edge</h2>
          <div className="tap-route">
            <strong>{source}</strong>
            <span className="muted"> {edge?.sourceHandle} → </span>
            <strong>{target}</strong>
          </div>
          <div className="muted tap-id">{edgeId}</div>
        </div>
        <button className="close" onClick={close} aria-label="Close" title="Close (stops the tap)">
          ×
        </button>
      </header>
      <div className="tap-stats">
        <span>
          <b>{stats ? compact(stats.rate1s) : '–'}</b>/s
        </span>
        <span>
          <b>{stats ? compact(stats.total) : '–'}</b> carried
        </span>
        <span>
          queue <b>{stats ? Math.round(stats.queueFill * 100) : '–'}</b>%
        </span>
      </div>
      <div className="tap-actions">
        {tapping ? (
          <>
            <button onClick={() => useTap.getState().setPaused(!paused)} data-testid="tap-pause">
              {paused ? 'Resume' : 'Pause'}
            </button>
            <button onClick={() => useTap.getState().clear()} data-testid="tap-clear">
              Clear
            </button>
            <button onClick={stopTap} data-testid="tap-stop">
              Stop
            </button>
            <span className={`tap-live${paused ? ' paused' : ''}`}>
              {status === 'starting' ? 'starting…' : paused ? `paused · ${missed} new` : '● live'}
            </span>
          </>
        ) : (
          <button className="primary" onClick={() => void startTap(flowId, edgeId)} data-testid="tap-start">
            Tap messages
          </button>
        )}
      </div>
      {status === 'error' && (
        <div className="problem tap-error" role="alert" data-testid="tap-error">
          {error}
        </div>
      )}
      {tapping && !running && <p className="muted">The flow is not running: samples arrive once it is deployed.</p>}
      {!tapping && list.length === 0 && status !== 'error' && (
        <p className="muted">
          Samples live messages on this edge (at most five a second): key, value, headers and time. Only this browser
          sees them.
        </p>
      )}
      {(received > 0 || tapping) && mine && (
        <div className="tap-count muted" data-testid="tap-count">
          {received} sampled · {compact(skipped)} skipped · showing {list.length}
        </div>
      )}
      <ol className="tap-list">
        {list.map((m) => (
          <TapRow key={m.seq} message={m} />
        ))}
      </ol>
    </aside>
  );
}

/** Message tap of the selected edge; it lies over the inspector while one edge is selected. */
export function TapPanel() {
  const edgeId = useSelectedEdgeId();
  return edgeId ? <EdgeTap key={edgeId} edgeId={edgeId} /> : null;
}
