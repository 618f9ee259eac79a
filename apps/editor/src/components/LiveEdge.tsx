import { memo } from 'react';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { ERROR_PORT } from '@tributary/shared';
import { compact } from '../format.js';
import { fillColour, rateWidth, useStats } from '../stats-store.js';
import { useDetailed } from './FlowNodeView.js';

/** An edge that shows its live rate (label and width) and the target queue's fill (colour). */
export const LiveEdge = memo(function LiveEdge(props: EdgeProps) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, sourceHandleId } = props;
  const stats = useStats((s) => s.edges[id]);
  const detailed = useDetailed();
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const isError = sourceHandleId === ERROR_PORT;
  const stroke = stats ? fillColour(stats.queueFill) : isError ? '#d04040' : '#8a93a6';
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        style={{
          stroke: selected ? '#1f6feb' : stroke,
          strokeWidth: stats ? rateWidth(stats.rate1s) : 1.5,
          strokeDasharray: isError ? '5 4' : undefined,
        }}
      />
      {stats && detailed && (
        <EdgeLabelRenderer>
          <div
            className="edge-label"
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            title={`total ${stats.total}, queue ${Math.round(stats.queueFill * 100)}%`}
          >
            {compact(stats.rate1s)}/s
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});
