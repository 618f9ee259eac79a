import { memo } from 'react';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { ERROR_PORT, type EdgeStats } from '@tributary/shared';
import { useDetail } from '../canvas-detail.js';
import { compact } from '../format.js';
import { countRender } from '../render-probe.js';
import { fillColour, rateWidth, useStats } from '../stats-store.js';

/**
 * What an edge draws from its stats, packed in one string: a selector result compared by value, so
 * a tick that leaves colour, width (to 0.5 px) and label as they were does not re-render the edge
 * (and costs no array comparison for each of 1,000 edges).
 */
function edgeLook(stats: EdgeStats | undefined, withLabel: boolean): string {
  if (!stats) return '';
  const width = Math.round(rateWidth(stats.rate1s) * 2) / 2;
  if (!withLabel) return `${fillColour(stats.queueFill)}\n${width}`;
  const title = `total ${stats.total}, queue ${Math.round(stats.queueFill * 100)}%`;
  return `${fillColour(stats.queueFill)}\n${width}\n${compact(stats.rate1s)}/s\n${title}`;
}

/** An edge that shows its live rate (label and width) and the target queue's fill (colour). */
export const LiveEdge = memo(function LiveEdge(props: EdgeProps) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, sourceHandleId } = props;
  const detailed = useDetail() === 'near';
  const look = useStats((s) => edgeLook(s.edges[id], detailed));
  const [colour, width, label, title] = look ? look.split('\n') : [];
  countRender('LiveEdge');
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const isError = sourceHandleId === ERROR_PORT;
  const stroke = colour ?? (isError ? '#d04040' : '#8a93a6');
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        style={{
          stroke: selected ? '#1f6feb' : stroke,
          strokeWidth: width === undefined ? 1.5 : Number(width),
          strokeDasharray: isError ? '5 4' : undefined,
        }}
      />
      {label && (
        <EdgeLabelRenderer>
          <div
            className="edge-label"
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            title={title}
          >
            {label}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});
LiveEdge.displayName = 'LiveEdge';
