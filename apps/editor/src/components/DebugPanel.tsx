import { memo, useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { EditorEdge, EditorNode } from '../doc-mapping.js';
import { DEBUG_CAP, useDebug, visibleDebug, type DebugEntry, type DebugFilter } from '../debug-store.js';
import { focusNode } from '../focus-node.js';
import { useDoc } from '../session.js';
import { clockTime } from '../units.js';
import { JsonTree } from './JsonTree.js';

/** Within this many pixels of the bottom counts as "at the newest message". */
const AT_BOTTOM_PX = 24;

/** Ids of the nodes selected on the canvas, as one string (a narrow selector). */
function useSelectedKey(): string {
  return useDoc((s) => {
    let key = '';
    for (const n of s.nodes) if (n.selected) key += `${n.id}\u0000`;
    return key;
  });
}

const DebugRow = memo(function DebugRow({
  entry,
  label,
  selected,
  onNode,
}: {
  entry: DebugEntry;
  label: string;
  selected: boolean;
  onNode: (id: string) => void;
}) {
  const { payload } = entry;
  const key = 'key' in payload ? payload.key : undefined;
  return (
    <li className={`debug-row${selected ? ' selected' : ''}`} data-testid="debug-row" data-seq={entry.seq}>
      <button
        className="debug-meta"
        onClick={() => onNode(entry.nodeId)}
        title={`Select ${label} on the canvas`}
        data-testid="debug-node"
      >
        <time>{clockTime(entry.at)}</time> <span className="debug-node">{label}</span>
        {typeof key === 'string' && <span className="debug-key">key {key}</span>}
      </button>
      {'key' in payload ? <JsonTree value={payload} name="msg" /> : <JsonTree value={payload.value} name="value" />}
    </li>
  );
});

/** Picks debug nodes for the `pick` filter. */
function PickList({ picked, nodes }: { picked: readonly string[]; nodes: { id: string; label: string }[] }) {
  const set = new Set(picked);
  return (
    <div className="debug-picks" role="group" aria-label="Debug nodes shown" data-testid="debug-picks">
      {nodes.map((n) => (
        <label key={n.id}>
          <input
            type="checkbox"
            checked={set.has(n.id)}
            onChange={(e) => {
              const next = e.target.checked ? [...picked, n.id] : picked.filter((id) => id !== n.id);
              useDebug.getState().setFilter({ mode: 'pick', picked: next });
            }}
          />
          {n.label}
        </label>
      ))}
    </div>
  );
}

/**
 * The messages of the flow's debug nodes, as Node-RED's debug sidebar shows them: oldest at the top,
 * the newest at the bottom and kept in view (autoscroll, off as soon as the user scrolls up to read),
 * each message a tree to open; filtered by debug node (all, the selected ones, a pick list); the
 * last DEBUG_CAP kept; paused, the list holds still and counts what it misses. Clicking a message's
 * node name selects that node and centres the canvas on it.
 */
export function DebugPanel() {
  const entries = useDebug((s) => s.entries);
  const filter = useDebug((s) => s.filter);
  const received = useDebug((s) => s.received);
  const missed = useDebug((s) => s.missed);
  const paused = useDebug((s) => s.paused);
  const autoscroll = useDebug((s) => s.autoscroll);
  const nodes = useDoc((s) => s.nodes);
  const meta = useDoc((s) => s.nodeMeta);
  const selectedKey = useSelectedKey();
  const selected = useMemo(() => new Set(selectedKey.split('\u0000').filter(Boolean)), [selectedKey]);
  const debugNodes = useMemo(
    () => nodes.filter((n) => n.type === 'debug').map((n) => ({ id: n.id, label: meta[n.id]?.label || n.id })),
    [nodes, meta],
  );
  const labelOf = (id: string) => meta[id]?.label || id;
  // The store keeps newest first; the list reads top to bottom in time, as a log does.
  const shown = useMemo(() => visibleDebug(entries, filter, selected).reverse(), [entries, filter, selected]);
  const flow = useReactFlow<EditorNode, EditorEdge>();
  const onNode = useMemo(() => (id: string) => void focusNode(id, flow), [flow]);
  const list = useRef<HTMLDivElement>(null);

  useLayoutEffect(() => {
    const el = list.current;
    if (el && autoscroll) el.scrollTop = el.scrollHeight;
  }, [shown, autoscroll]);
  // Back on the tab after a while: start at the newest again.
  useEffect(() => useDebug.getState().setAutoscroll(true), []);

  const setFilter = (mode: DebugFilter['mode']) =>
    useDebug
      .getState()
      .setFilter(mode === 'pick' ? { mode, picked: filter.mode === 'pick' ? filter.picked : [] } : { mode });

  return (
    <div className="debug-panel" data-testid="debug-panel">
      <div className="debug-head">
        <div className="segmented" role="group" aria-label="Show messages of">
          {(
            [
              ['all', 'All'],
              ['selected', 'Selected'],
              ['pick', 'Pick…'],
            ] as const
          ).map(([mode, words]) => (
            <button
              key={mode}
              className={filter.mode === mode ? 'on' : undefined}
              aria-pressed={filter.mode === mode}
              onClick={() => setFilter(mode)}
              data-testid={`debug-filter-${mode}`}
              title={
                mode === 'all'
                  ? 'Messages of every debug node'
                  : mode === 'selected'
                    ? 'Messages of the nodes selected on the canvas'
                    : 'Messages of the debug nodes you tick'
              }
            >
              {words}
            </button>
          ))}
        </div>
        <span className="spacer" />
        <button
          onClick={() => useDebug.getState().setPaused(!paused)}
          aria-pressed={paused}
          data-testid="debug-pause"
          title={paused ? 'List new messages again' : 'Hold the list still (new messages are counted)'}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          onClick={() => useDebug.getState().clear()}
          disabled={entries.length === 0}
          data-testid="debug-clear"
          title="Remove every message from the list"
        >
          Clear
        </button>
      </div>
      {filter.mode === 'pick' && <PickList picked={filter.picked} nodes={debugNodes} />}
      <div className="debug-status muted" data-testid="debug-status">
        {shown.length} shown · {received} received · last {DEBUG_CAP} kept
        {paused && missed > 0 && <strong> · paused, {missed} not listed</strong>}
      </div>
      <div
        className="debug-scroll"
        ref={list}
        data-testid="debug-scroll"
        onScroll={(e) => {
          const el = e.currentTarget;
          const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_BOTTOM_PX;
          if (atBottom !== useDebug.getState().autoscroll) useDebug.getState().setAutoscroll(atBottom);
        }}
      >
        {shown.length === 0 ? (
          <p className="muted log-empty">
            {debugNodes.length === 0
              ? 'No debug node in this flow: add one (Sinks › Debug) and wire any output to it.'
              : entries.length > 0
                ? filter.mode === 'selected'
                  ? 'No message of the selected nodes: select a debug node on the canvas.'
                  : 'No message of the picked debug nodes.'
                : 'No debug message yet: deploy the flow; messages reaching a debug node show here.'}
          </p>
        ) : (
          <ol className="debug-list">
            {shown.map((e) => (
              <DebugRow
                key={e.seq}
                entry={e}
                label={labelOf(e.nodeId)}
                selected={selected.has(e.nodeId)}
                onNode={onNode}
              />
            ))}
          </ol>
        )}
      </div>
      {!autoscroll && shown.length > 0 && (
        <button
          className="debug-follow"
          onClick={() => useDebug.getState().setAutoscroll(true)}
          data-testid="debug-follow"
          title="Scroll to the newest message and keep it in view"
        >
          ↓ Newest
        </button>
      )}
    </div>
  );
}
