import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { ERROR_PORT, type NodeStats } from '@tributary/shared';
import { KIND_COLOUR, useCatalog } from '../catalog.js';
import { nodeHeight, PORT_GAP, PORT_TOP, portsOf, useDetail, type Detail } from '../canvas-detail.js';
import type { EditorNode } from '../doc-mapping.js';
import { compact, latency } from '../format.js';
import { lagText, sourceLag } from '../lag.js';
import { countRender } from '../render-probe.js';
import { useDoc, useUi } from '../session.js';
import { isLive, useStats } from '../stats-store.js';

/** Problems of one node (client validation and the last deploy), as a count: a narrow selector. */
function useProblemCount(id: string): number {
  const local = useUi((s) => s.problems.filter((p) => p.nodeId === id).length);
  // The runtime often refuses for the same reasons the editor found: those count once.
  const deploy = useDoc((s) => {
    const mine = s.deployProblems.filter((p) => p.nodeId === id);
    if (mine.length === 0) return 0;
    const known = new Set(useUi.getState().problems.map((p) => `${p.path}\u0000${p.message}`));
    return mine.filter((p) => !known.has(`${p.path}\u0000${p.message}`)).length;
  });
  return local + deploy;
}

/**
 * A node's figures as the text shown, packed in one string compared by value: a tick that changes
 * nothing visible (an idle node, a rate that rounds the same) does not re-render the line.
 */
function statsText(stats: NodeStats | undefined): string {
  if (!stats) return '';
  const count = stats.custom.count;
  const lag = sourceLag(stats);
  return [
    compact(stats.rate1s),
    compact(stats.in),
    compact(stats.out),
    stats.errors > 0 ? compact(stats.errors) : '',
    latency(stats.latencyMs.p99),
    typeof count === 'number' ? String(count) : '',
    lag ? lagText(lag) : '',
  ].join('\n');
}

/** At a glance: the rate and the errors only, in text sized for the screen (see `.node-glance`). */
function glanceText(stats: NodeStats | undefined): string {
  if (!stats) return '';
  // Whole messages per second above 1: at a glance a decimal costs room and says little.
  const rate = stats.rate1s >= 1 && stats.rate1s < 1e4 ? String(Math.round(stats.rate1s)) : compact(stats.rate1s);
  return `${rate}\n${stats.errors > 0 ? compact(stats.errors) : ''}`;
}

function GlanceLine({ id }: { id: string }) {
  const text = useStats((s) => glanceText(s.nodes[id]));
  countRender('StatsLine');
  if (!text) return null;
  const [rate, errors] = text.split('\n');
  return (
    <div className="node-glance" data-testid={`stats-${id}`}>
      <span title="messages per second">{rate}/s</span>
      {errors && <span className="errors">{errors} err</span>}
    </div>
  );
}

function StatsLine({ id, detail }: { id: string; detail: Detail }) {
  if (detail === 'glance') return <GlanceLine id={id} />;
  if (detail !== 'near') return null;
  return <NearStats id={id} />;
}

function NearStats({ id }: { id: string }) {
  const text = useStats((s) => statsText(s.nodes[id]));
  countRender('StatsLine');
  if (!text) return null;
  const [rate, inCount, outCount, errors, p99, count, lag] = text.split('\n');
  return (
    <div className="node-stats" data-testid={`stats-${id}`}>
      <span title="messages per second">{rate}/s</span>
      <span title="in / out">
        {inCount}↓ {outCount}↑
      </span>
      {errors && <span className="errors">{errors} err</span>}
      <span title="p99 latency">p99 {p99}</span>
      {count && (
        <span className="count" data-testid={`count-${id}`} title="count">
          # {count}
        </span>
      )}
      {lag && (
        <span
          className="lag"
          data-testid={`lag-${id}`}
          title="consumer lag: messages behind the end of the topic · age of the last record read"
        >
          {lag}
        </span>
      )}
    </div>
  );
}

/**
 * One component for every node type: ports from the manifest, colour by kind. Its height comes
 * from its ports (see `nodeHeight`) at every detail level, so handles stay where they were measured.
 */
export const FlowNodeView = memo(function FlowNodeView({ id, type, selected }: NodeProps<EditorNode>) {
  const info = useCatalog((s) => s.byType.get(type));
  const label = useDoc((s) => s.nodeMeta[id]?.label);
  const disabled = useDoc((s) => s.nodeMeta[id]?.disabled === true);
  const problems = useProblemCount(id);
  const failure = useStats((s) => (s.failedNode?.id === id ? s.failedNode.reason : undefined));
  // A stopped flow says so on each node once it ran here (or failed); a flow never deployed does not.
  const stoppedAs = useStats((s) =>
    s.state === 'failed' || (s.ranHere && s.state !== undefined && !isLive(s.state)) ? s.state : undefined,
  );
  const detail = useDetail();
  countRender('FlowNodeView');
  const { inputs, outputs } = portsOf(info);
  const colour = info ? KIND_COLOUR[info.kind] : '#888';
  const classes = `tnode tnode-${detail}${selected ? ' selected' : ''}${disabled ? ' disabled' : ''}${problems > 0 ? ' has-problems' : ''}${failure ? ' failed' : ''}`;
  const handles = (
    <>
      {inputs.map((name, i) => (
        <Handle
          key={`in-${name}`}
          id={name}
          type="target"
          position={Position.Left}
          style={{ top: PORT_TOP + i * PORT_GAP }}
          title={name}
        />
      ))}
      {outputs.map((name, i) => (
        <Handle
          key={`out-${name}`}
          id={name}
          type="source"
          position={Position.Right}
          className={name === ERROR_PORT ? 'error-port' : undefined}
          style={{ top: PORT_TOP + i * PORT_GAP }}
          title={name}
        >
          {(detail === 'near' || detail === 'mid') && outputs.length > 1 && <span className="port-label">{name}</span>}
        </Handle>
      ))}
    </>
  );
  // Far out, a plain block: no text and no handles (the edge overview draws the edges from
  // positions; each handle is a React Flow store subscriber called on every pan step). The canvas
  // has the handles measured again when it zooms in (see `useHandlesMeasuredAgain`).
  if (detail === 'far')
    return (
      <div
        className={classes}
        style={{ background: colour, borderColor: colour, height: nodeHeight(info) }}
        data-testid={`node-${id}`}
        title={label || info?.label || type}
      />
    );
  const title = label || info?.label || type;
  return (
    <div className={classes} style={{ borderColor: colour, minHeight: nodeHeight(info) }} data-testid={`node-${id}`}>
      <div className="tnode-head" style={{ background: colour }}>
        {/* The whole head row for the title, on up to two lines; longer ones are cut, and said in full on hover. */}
        <span className="tnode-title" title={title} data-testid={`title-${id}`}>
          {title}
        </span>
        {problems > 0 && (
          <span className="badge" title={`${problems} problem(s): see the inspector`}>
            {problems}
          </span>
        )}
        {failure && (
          <span className="badge failed" title={failure} data-testid={`failed-${id}`}>
            failed
          </span>
        )}
      </div>
      <div className="tnode-sub" hidden={detail === 'glance'}>
        <span className="tnode-kind">{info?.kind ?? '?'}</span> {id}
        {!info && <em> unknown type "{type}"</em>}
      </div>
      {failure ? (
        <div className="node-failure" title={failure} data-testid={`failure-${id}`}>
          {failure}
        </div>
      ) : stoppedAs ? (
        <div className="node-state" data-testid={`state-${id}`}>
          {stoppedAs}
        </div>
      ) : (
        <StatsLine id={id} detail={detail} />
      )}
      {handles}
    </div>
  );
});
FlowNodeView.displayName = 'FlowNodeView';
