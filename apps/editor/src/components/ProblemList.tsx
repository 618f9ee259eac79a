import { useReactFlow } from '@xyflow/react';
import type { FlowProblem } from '@tributary/shared';
import { useCatalog } from '../catalog.js';
import type { EditorEdge, EditorNode } from '../doc-mapping.js';
import { focusNode } from '../focus-node.js';
import type { FieldSchema } from '../form-schema.js';
import { describeProblem } from '../plain-words.js';
import { useDoc } from '../session.js';

/** A node's label and config schema, for naming it and its fields in words. */
export function nodeLookup(id: string): { label: string; schema: FieldSchema | undefined } | undefined {
  const doc = useDoc.getState();
  const node = doc.nodes.find((n) => n.id === id);
  if (!node) return undefined;
  const info = useCatalog.getState().byType.get(node.type ?? '');
  return { label: doc.nodeMeta[id]?.label || info?.label || id, schema: info?.configSchema as FieldSchema | undefined };
}

/** Problems in words, each naming its node by label, with a link that selects and shows the node. */
export function ProblemList({ problems: all, max = 20 }: { problems: FlowProblem[]; max?: number }) {
  // The editor's own check and the runtime's refusal often find the same problem: say it once.
  const seen = new Set<string>();
  const problems = all.filter((p) => {
    const key = `${p.nodeId ?? ''}\u0000${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const flow = useReactFlow<EditorNode, EditorEdge>();
  // Re-render when labels change.
  useDoc((s) => s.nodeMeta);
  return (
    <ul className="problem-list" data-testid="problem-list">
      {problems.slice(0, max).map((p, i) => {
        const w = describeProblem(p, nodeLookup);
        return (
          <li key={i} className="problem">
            {w.nodeId ? (
              <button
                type="button"
                className="link problem-node"
                onClick={() => focusNode(w.nodeId!, flow)}
                title={`Show ${w.node} on the canvas`}
              >
                {w.node}
              </button>
            ) : null}
            {w.field && <span className="problem-field">{w.field}</span>} {w.text}
          </li>
        );
      })}
      {problems.length > max && <li className="muted">… and {problems.length - max} more</li>}
    </ul>
  );
}
