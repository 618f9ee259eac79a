import { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { FlowRunState, NodeKind } from '@tributary/shared';
import { api } from '../api.js';
import { KIND_COLOUR, KIND_ORDER, useCatalog } from '../catalog.js';
import { DashboardFeed } from '../dashboard-feed.js';
import { flowRoles, type Metric } from '../series.js';
import { deploy, useDoc, useUi } from '../session.js';
import { useStats } from '../stats-store.js';
import { figure, millis, percent, perSecond, seconds } from '../units.js';
import { TimeChart, type ChartSpec } from './TimeChart.js';

/** Colours of styles.css: blue (primary), green (ok), amber (warning), red (error), grey. */
const BLUE = '#1f6feb';
const GREEN = '#2a9d6a';
const AMBER = '#d08a1c';
const RED = '#d04040';
const GREY = '#8a93a6';
const PURPLE = KIND_COLOUR.handler;

const throughput = (inLabel: string, outLabel: string): ChartSpec => ({
  title: 'Throughput (messages/s)',
  format: perSecond,
  series: [
    { metric: 'in', label: inLabel, colour: BLUE },
    { metric: 'out', label: outLabel, colour: GREEN },
  ],
});

const latencySpec = (title: string): ChartSpec => ({
  title,
  format: millis,
  series: [
    { metric: 'p50', label: 'p50', colour: GREEN },
    { metric: 'p95', label: 'p95', colour: AMBER },
    { metric: 'p99', label: 'p99', colour: RED },
  ],
});

const ERRORS: ChartSpec = {
  title: 'Errors and drops (messages/s)',
  format: perSecond,
  series: [
    { metric: 'errors', label: 'Errors', colour: RED },
    { metric: 'dropped', label: 'Dropped', colour: GREY, dash: [4, 3] },
  ],
};

const queueSpec = (title: string, label: string): ChartSpec => ({
  title,
  format: percent,
  max: 100,
  series: [{ metric: 'queue', label, colour: AMBER }],
});

const LAG: ChartSpec = {
  title: 'Consumer lag (messages · seconds)',
  format: figure,
  rightFormat: seconds,
  series: [
    { metric: 'lag', label: 'Messages behind', colour: PURPLE },
    { metric: 'lagSeconds', label: 'Seconds behind', colour: AMBER, right: true, dash: [5, 3] },
  ],
};

/** Module scope: stable identities, so the charts are built once. */
const FLOW_CHARTS = {
  throughput: throughput('In (from sources)', 'Out (to sinks)'),
  latency: latencySpec('End-to-end latency (slowest sink)'),
  queue: queueSpec('Backpressure (fullest input queue)', 'Queue fill'),
};
const NODE_CHARTS = {
  throughput: throughput('In', 'Out'),
  latency: latencySpec('Latency since the source'),
  queue: queueSpec('Input queue fill', 'Queue fill'),
};
const pickFlow = (feed: DashboardFeed) => feed.flow;
const pickNode = (feed: DashboardFeed) => feed.node;

const WINDOWS = [
  { label: '1 min', seconds: 60 },
  { label: '5 min', seconds: 300 },
  { label: '15 min', seconds: 900 },
] as const;

const LIVE_STATES: ReadonlySet<FlowRunState | undefined> = new Set(['running', 'deploying']);

function useFeed<T>(feed: DashboardFeed, select: (feed: DashboardFeed) => T): T {
  return useSyncExternalStore(feed.subscribe, () => select(feed));
}

interface NodeOption {
  id: string;
  label: string;
  kind: NodeKind | undefined;
}

/** The flow's nodes for the picker: sources first, then handlers, caches, sinks (document order within). */
function useNodeOptions(): NodeOption[] {
  const nodes = useDoc((s) => s.nodes);
  const meta = useDoc((s) => s.nodeMeta);
  const byType = useCatalog((s) => s.byType);
  const options = nodes.map((n) => {
    const info = byType.get(n.type ?? '');
    return { id: n.id, label: meta[n.id]?.label || info?.label || n.type || n.id, kind: info?.kind };
  });
  const rank = (kind: NodeKind | undefined) => (kind ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);
  return options
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i)
    .map((x) => x.o);
}

/** The node to show first: the one selected on the canvas, else the busiest, else the first. */
function initialNode(options: NodeOption[]): string | undefined {
  const selected = useDoc.getState().nodes.filter((n) => n.selected);
  if (selected.length === 1) return selected[0]!.id;
  const stats = useStats.getState().nodes;
  let best: string | undefined;
  let bestRate = -1;
  for (const o of options) {
    const rate = stats[o.id]?.rate1s ?? -1;
    if (rate > bestRate) [best, bestRate] = [o.id, rate];
  }
  return best ?? options[0]?.id;
}

function Kpi({ label, value, tone }: { label: string; value: string; tone?: 'bad' | 'warn' }) {
  return (
    <div className={`kpi${tone ? ` ${tone}` : ''}`}>
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
    </div>
  );
}

/** The newest figures of the whole flow: this row re-renders once a tick, nothing else does. */
function FlowKpis({ feed }: { feed: DashboardFeed }) {
  useFeed(feed, (f) => f.version);
  const flow = feed.flow;
  const show = (metric: Metric, format: (v: number) => string) => {
    const v = flow.latest(metric);
    return v === null ? '–' : format(v);
  };
  const errors = flow.latest('errors') ?? 0;
  const queue = flow.latest('queue') ?? 0;
  return (
    <div className="kpis" data-testid="dashboard-kpis">
      <Kpi label="in (from sources)" value={show('in', perSecond)} />
      <Kpi label="out (to sinks)" value={show('out', perSecond)} />
      <Kpi label="p99 end-to-end" value={show('p99', millis)} />
      <Kpi label="errors" value={show('errors', perSecond)} tone={errors > 0 ? 'bad' : undefined} />
      <Kpi label="fullest queue" value={show('queue', percent)} tone={queue >= 80 ? 'warn' : undefined} />
      {flow.has('lag') && (
        <Kpi
          label="consumer lag"
          value={`${show('lag', figure)}${flow.latest('lagSeconds') === null ? '' : ` · ${show('lagSeconds', seconds)}`}`}
        />
      )}
    </div>
  );
}

function EmptyState({ saved }: { saved: boolean }) {
  const busy = useUi((s) => s.busy);
  return (
    <div className="dash-empty" data-testid="dashboard-empty">
      <div className="dash-empty-icon" aria-hidden>
        ▁▃▅▂▇
      </div>
      <h2>No live figures yet</h2>
      <p className="muted">
        {saved
          ? 'This flow is not deployed. Deploy it to chart its throughput, latency, errors and lag.'
          : 'This flow is not saved yet. Deploy saves it and starts it; the charts fill from then on.'}
      </p>
      <button className="primary" onClick={() => void deploy()} disabled={!!busy}>
        {busy ?? 'Deploy'}
      </button>
    </div>
  );
}

/** Four charts of the flow or of the picked node; test ids read `chart-<scope>-<name>`. */
function ChartGrid({
  scope,
  charts,
  feed,
  windowS,
  lagNote,
}: {
  scope: 'flow' | 'node';
  charts: [name: string, spec: ChartSpec][];
  feed: DashboardFeed;
  windowS: number;
  /** Shown on an empty lag chart (why a source has no lag yet). */
  lagNote?: ReactNode;
}) {
  return (
    <div className="chart-grid">
      {charts.map(([name, spec]) => (
        <TimeChart
          key={name}
          spec={spec}
          feed={feed}
          pick={scope === 'flow' ? pickFlow : pickNode}
          windowS={windowS}
          testId={`chart-${scope}-${name}`}
          empty={name === 'lag' ? lagNote : undefined}
        />
      ))}
    </div>
  );
}

function DashboardBody({ flowId }: { flowId: string }) {
  const [feed] = useState(() => {
    const doc = useDoc.getState();
    const byType = useCatalog.getState().byType;
    const roles = flowRoles(doc.nodes, doc.edges, (type) => byType.get(type)?.kind);
    return new DashboardFeed(flowId, roles, async (id) => (await api.stats(id)).snapshots);
  });
  const options = useNodeOptions();
  const [nodeId, setNodeId] = useState(() => initialNode(options));
  const [windowS, setWindowS] = useState<number>(300);
  const state = useStats((s) => s.state);
  const name = useDoc((s) => s.docMeta.name);
  const status = useFeed(feed, (f) => (f.loading ? 'loading' : f.flow.length > 0 ? 'data' : 'empty'));
  const error = useFeed(feed, (f) => f.error);
  const flowHasLag = useFeed(feed, (f) => f.flow.has('lag'));
  const picked = options.find((o) => o.id === nodeId);
  const pickedNode = nodeId && picked ? nodeId : options[0]?.id;
  const pickedKind = options.find((o) => o.id === pickedNode)?.kind;

  useEffect(() => feed.setNode(pickedNode), [feed, pickedNode]);

  if (status === 'empty' && !LIVE_STATES.has(state)) return <EmptyState saved />;
  const lagNote = 'This source reports no consumer lag (Kafka sources do).';
  return (
    <div className="dash-body">
      <div className="dash-head">
        <h2>{name || flowId}</h2>
        <span className={`state ${state ?? 'none'}`}>{state ?? 'not deployed'}</span>
        <span className="spacer" />
        <div className="segmented" role="group" aria-label="Time range">
          {WINDOWS.map((w) => (
            <button
              key={w.seconds}
              className={windowS === w.seconds ? 'on' : undefined}
              aria-pressed={windowS === w.seconds}
              onClick={() => setWindowS(w.seconds)}
            >
              {w.label}
            </button>
          ))}
        </div>
      </div>
      {!LIVE_STATES.has(state) && (
        <div className="dash-banner" role="status">
          This flow is {state ?? 'not running'}: the charts show its last recorded figures.
        </div>
      )}
      {error && <div className="dash-banner error">{error}</div>}
      <FlowKpis feed={feed} />
      <h3 className="dash-section">Whole flow</h3>
      <ChartGrid
        scope="flow"
        feed={feed}
        windowS={windowS}
        charts={[
          ['throughput', FLOW_CHARTS.throughput],
          ['latency', FLOW_CHARTS.latency],
          ['errors', ERRORS],
          flowHasLag ? ['lag', LAG] : ['queue', FLOW_CHARTS.queue],
        ]}
      />
      <div className="dash-section node-pick">
        <h3>Node</h3>
        <select
          aria-label="Node"
          data-testid="dashboard-node"
          value={pickedNode ?? ''}
          onChange={(e) => setNodeId(e.target.value)}
        >
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label} · {o.id}
              {o.kind ? ` (${o.kind})` : ''}
            </option>
          ))}
        </select>
        {pickedKind && (
          <span className="kind-chip" style={{ background: KIND_COLOUR[pickedKind] }}>
            {pickedKind}
          </span>
        )}
      </div>
      {pickedNode && (
        <ChartGrid
          scope="node"
          feed={feed}
          windowS={windowS}
          lagNote={lagNote}
          charts={[
            ['throughput', NODE_CHARTS.throughput],
            ['latency', NODE_CHARTS.latency],
            ['errors', ERRORS],
            pickedKind === 'source' ? ['lag', LAG] : ['queue', NODE_CHARTS.queue],
          ]}
        />
      )}
    </div>
  );
}

/**
 * The flow's dashboard: charts of the whole flow and of one node, from the runtime's history and
 * then the live ticks. It lies over the editor, which stays mounted (viewport, selection, undo).
 */
export function Dashboard() {
  const flowId = useDoc((s) => s.docMeta.id);
  const saved = useDoc((s) => s.rev !== undefined);
  return (
    <div className="dashboard" data-testid="dashboard">
      {saved ? <DashboardBody key={flowId} flowId={flowId} /> : <EmptyState saved={false} />}
    </div>
  );
}
