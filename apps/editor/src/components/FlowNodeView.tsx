import { memo } from 'react';
import { Handle, Position, useStore, type NodeProps } from '@xyflow/react';
import { ERROR_PORT, outputPorts, type NodeStats } from '@tributary/shared';
import { KIND_COLOUR, useCatalog } from '../catalog.js';
import type { EditorNode } from '../doc-mapping.js';
import { compact, latency } from '../format.js';
import { lagText, sourceLag } from '../lag.js';
import { useDoc, useUi } from '../session.js';
import { useStats } from '../stats-store.js';

const PORT_GAP = 22;
/** Below this zoom the figures are unreadable: nodes skip them (and their stats subscription). */
export const DETAIL_ZOOM = 0.45;
export const useDetailed = () => useStore((s) => s.transform[2] >= DETAIL_ZOOM);

const PORT_TOP = 40;

/** Problems of one node (client validation and the last deploy), as a count: a narrow selector. */
function useProblemCount(id: string): number {
  const local = useUi((s) => s.problems.filter((p) => p.nodeId === id).length);
  const deploy = useDoc((s) => s.deployProblems.filter((p) => p.nodeId === id).length);
  return local + deploy;
}

function StatsLine({ id }: { id: string }) {
  const stats: NodeStats | undefined = useStats((s) => s.nodes[id]);
  if (!stats) return null;
  const count = stats.custom.count;
  const lag = sourceLag(stats);
  return (
    <div className="node-stats" data-testid={`stats-${id}`}>
      <span title="messages per second">{compact(stats.rate1s)}/s</span>
      <span title="in / out">
        {compact(stats.in)}↓ {compact(stats.out)}↑
      </span>
      {stats.errors > 0 && <span className="errors">{compact(stats.errors)} err</span>}
      <span title="p99 latency">p99 {latency(stats.latencyMs.p99)}</span>
      {typeof count === 'number' && (
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
          {lagText(lag)}
        </span>
      )}
    </div>
  );
}

/** One component for every node type: ports from the manifest, colour by kind. */
export const FlowNodeView = memo(function FlowNodeView({ id, type, selected }: NodeProps<EditorNode>) {
  const info = useCatalog((s) => s.byType.get(type));
  const label = useDoc((s) => s.nodeMeta[id]?.label);
  const disabled = useDoc((s) => s.nodeMeta[id]?.disabled === true);
  const problems = useProblemCount(id);
  const detailed = useDetailed();
  const inputs = info?.inputs.map((p) => p.name) ?? [];
  const outputs = info ? (info.kind === 'sink' ? [ERROR_PORT] : outputPorts(info)) : [ERROR_PORT];
  const colour = info ? KIND_COLOUR[info.kind] : '#888';
  const ports = Math.max(inputs.length, outputs.length, 1);
  return (
    <div
      className={`tnode${selected ? ' selected' : ''}${disabled ? ' disabled' : ''}`}
      style={{ borderColor: colour, minHeight: PORT_TOP + ports * PORT_GAP }}
      data-testid={`node-${id}`}
    >
      <div className="tnode-head" style={{ background: colour }}>
        <span className="tnode-kind">{info?.kind ?? '?'}</span>
        <span className="tnode-title">{label || info?.label || type}</span>
        {problems > 0 && (
          <span className="badge" title={`${problems} problem(s): see the inspector`}>
            {problems}
          </span>
        )}
      </div>
      <div className="tnode-sub">
        {id}
        {!info && <em> unknown type "{type}"</em>}
      </div>
      {detailed && <StatsLine id={id} />}
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
          {outputs.length > 1 && <span className="port-label">{name}</span>}
        </Handle>
      ))}
    </div>
  );
});
