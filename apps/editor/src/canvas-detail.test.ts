import { describe, expect, it } from 'vitest';
import { toNodeTypeInfo, type NodeTypeInfo } from '@tributary/shared';
import { nodeManifests } from '@tributary/nodes/manifests';
import { detailAt, edgeSegments, FAR_ZOOM, NEAR_ZOOM, nodeHeight, portsOf } from './canvas-detail.js';
import { toEditorEdge, type EditorNode } from './doc-mapping.js';

const byType = new Map<string, NodeTypeInfo>(nodeManifests.map((m) => [m.type, toNodeTypeInfo(m)]));

const node = (id: string, type: string, x: number, y: number): EditorNode => ({
  id,
  type,
  position: { x, y },
  data: { config: {} },
});

describe('canvas detail levels', () => {
  it('shows blocks far out, titles in between, live figures close up', () => {
    expect(detailAt(0.05, 1000)).toBe('far');
    expect(detailAt(FAR_ZOOM, 1000)).toBe('mid');
    expect(detailAt(NEAR_ZOOM - 0.01, 1000)).toBe('mid');
    expect(detailAt(NEAR_ZOOM)).toBe('near');
    expect(detailAt(2)).toBe('near');
  });

  it('a flow of a few hundred nodes keeps its figures (glance) where a large one shows blocks', () => {
    expect(detailAt(0.2, 60)).toBe('glance');
    expect(detailAt(0.35, 200)).toBe('glance');
    expect(detailAt(0.2, 1000)).toBe('far');
    expect(detailAt(0.35, 1000)).toBe('mid');
    expect(detailAt(0.05, 60)).toBe('far');
    expect(detailAt(0.5, 60)).toBe('near');
  });

  it('sizes a node by its ports, the error port included', () => {
    expect(portsOf(byType.get('cache'))).toEqual({ inputs: ['in'], outputs: ['out', 'miss', 'error'] });
    expect(nodeHeight(byType.get('cache'))).toBe(40 + 3 * 22);
    // A sink draws only its error port on the right.
    expect(portsOf(byType.get('counter'))).toEqual({ inputs: ['in'], outputs: ['error'] });
    expect(nodeHeight(byType.get('counter'))).toBe(62);
    expect(nodeHeight(undefined)).toBe(62);
  });
});

describe('edge segments for the far-out view', () => {
  it('join the handles where React Flow draws them, from positions alone', () => {
    const nodes = [node('a', 'sequence', 0, 0), node('b', 'cache', 300, 100), node('c', 'counter', 600, 0)];
    const edges = [
      toEditorEdge({ id: 'a>b', source: 'a', sourcePort: 'out', target: 'b', targetPort: 'in' }),
      toEditorEdge({ id: 'b>c', source: 'b', sourcePort: 'miss', target: 'c', targetPort: 'in' }),
      toEditorEdge({ id: 'b!c', source: 'b', sourcePort: 'error', target: 'c', targetPort: 'in' }),
    ];
    const segments = edgeSegments(nodes, edges, byType);
    expect(segments.map((s) => [s.id, s.error])).toEqual([
      ['a>b', false],
      ['b>c', false],
      ['b!c', true],
    ]);
    // a's first output (its handle's outer side, 4 px right of the node) to b's input (4 px left of b).
    expect(segments[0]?.d).toMatch(/^M194,42 C.* 296,142$/);
    // b's second output, 22 px below the first.
    expect(segments[1]?.d).toMatch(/^M494,164 C.* 596,42$/);
  });

  it('leave out edges whose node or port is unknown', () => {
    const nodes = [node('a', 'sequence', 0, 0), node('c', 'counter', 300, 0)];
    const edges = [
      toEditorEdge({ id: 'x', source: 'a', sourcePort: 'nope', target: 'c', targetPort: 'in' }),
      toEditorEdge({ id: 'y', source: 'gone', sourcePort: 'out', target: 'c', targetPort: 'in' }),
    ];
    expect(edgeSegments(nodes, edges, byType)).toEqual([]);
  });
});
