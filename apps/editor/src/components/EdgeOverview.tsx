import { useMemo } from 'react';
import { ViewportPortal } from '@xyflow/react';
import { useCatalog } from '../catalog.js';
import { edgeSegments } from '../canvas-detail.js';
import { useDoc } from '../session.js';
import { fillColour, useStats } from '../stats-store.js';

const IDLE = '#8a93a6';
const ERROR = '#d04040';
/**
 * Edges per path. Raster tiles replay every path whose bounds meet them: one path for the whole
 * flow would be drawn once per tile, so edges (in document order, mostly near each other) go in
 * small groups.
 */
const PER_PATH = 24;

/**
 * Every edge of the flow in a few SVG paths (by colour, in groups), for the far-out view: 1,000 edge
 * components would each be an SVG of its own to lay out, paint and composite on every pan step.
 * Endpoints come from the document and the node geometry (`edgeSegments`), not from measuring.
 * Colour: the target queue's fill, in tenths; idle edges grey, error edges dashed red.
 */
export function EdgeOverview() {
  const nodes = useDoc((s) => s.nodes);
  const edges = useDoc((s) => s.edges);
  const byType = useCatalog((s) => s.byType);
  const stats = useStats((s) => s.edges);

  const segments = useMemo(() => edgeSegments(nodes, edges, byType), [nodes, edges, byType]);

  const byColour = new Map<string, string[]>();
  for (const s of segments) {
    const live = stats[s.id];
    const colour = s.error ? ERROR : live ? fillColour(Math.round(live.queueFill * 10) / 10) : IDLE;
    const list = byColour.get(colour) ?? [];
    list.push(s.d);
    byColour.set(colour, list);
  }
  const paths: { key: string; colour: string; d: string; count: number }[] = [];
  for (const [colour, ds] of byColour)
    for (let i = 0; i < ds.length; i += PER_PATH) {
      const group = ds.slice(i, i + PER_PATH);
      paths.push({ key: `${colour}-${i}`, colour, d: group.join(' '), count: group.length });
    }

  return (
    <ViewportPortal>
      <svg className="edge-overview" data-testid="edge-overview">
        {paths.map((p) => (
          <path
            key={p.key}
            d={p.d}
            stroke={p.colour}
            className={p.colour === ERROR ? 'error' : undefined}
            data-edges={p.count}
          />
        ))}
      </svg>
    </ViewportPortal>
  );
}
