import { useCallback } from 'react';
import { useCatalog } from '../catalog.js';
import { useDoc, useUi } from '../session.js';
import { plainMessage } from '../plain-words.js';
import type { NodeTypeInfo } from '@tributary/shared';
import { api } from '../api.js';
import { duplicateSelected, toggleDisabledSelected } from '../actions.js';
import { layout } from '../auto-layout.js';
import { useLayout } from '../layout-store.js';
import type { CodeProblem } from './CodeField.js';
import { ConfigForm } from './ConfigForm.js';
import { HelpPanel } from './HelpPanel.js';
import { TestPanel } from './TestPanel.js';
import { FlowSettings } from './FlowSettings.js';

/** The id of the only selected node (a narrow selector: a string). */
function useSelectedId(): string | undefined {
  return useDoc((s) => {
    let found: string | undefined;
    for (const n of s.nodes) {
      if (!n.selected) continue;
      if (found) return undefined;
      found = n.id;
    }
    return found;
  });
}

function NodeInspector({ id }: { id: string }) {
  const type = useDoc((s) => s.nodes.find((n) => n.id === id)?.type);
  const typeVersion = useDoc((s) => s.nodeMeta[id]?.typeVersion);
  const info = useCatalog((s) => (type ? s.byType.get(type) : undefined));
  const tab = useLayout((s) => s.inspectorTab);
  if (!type) return null;
  return (
    <div className="inspector-body" data-testid="inspector">
      <h2>{info?.label ?? type}</h2>
      <div className="muted">
        {id} · {type} v{typeVersion}
      </div>
      {info && (
        <div className="segmented inspector-tabs" role="tablist">
          {(['settings', 'help'] as const).map((t) => (
            <button
              key={t}
              role="tab"
              aria-selected={tab === t}
              className={tab === t ? 'on' : undefined}
              onClick={() => useLayout.getState().setInspectorTab(t)}
              data-testid={`inspector-tab-${t}`}
            >
              {t === 'settings' ? 'Settings' : 'Help'}
            </button>
          ))}
        </div>
      )}
      {info && tab === 'help' ? <HelpPanel info={info} /> : <NodeSettings id={id} info={info} />}
    </div>
  );
}

function NodeSettings({ id, info }: { id: string; info: NodeTypeInfo | undefined }) {
  const node = useDoc((s) => s.nodes.find((n) => n.id === id));
  const index = useDoc((s) => s.nodes.findIndex((n) => n.id === id));
  const meta = useDoc((s) => s.nodeMeta[id]);
  const local = useUi((s) => s.problems);
  const deploy = useDoc((s) => s.deployProblems);
  const flowId = useDoc((s) => s.docMeta.id);
  const onChange = useCallback(
    (config: Record<string, unknown>, field: string) => useDoc.getState().setConfig(id, config, field),
    [id],
  );
  // The runtime compiles the code as it would at deploy: its own message, on its own line.
  const checkCode = useCallback(
    async (field: string, code: string): Promise<CodeProblem[]> => {
      const current = useDoc.getState().nodes.find((n) => n.id === id);
      if (!current?.type) return [];
      const outcome = await api.nodeTest({
        type: current.type,
        nodeId: id,
        config: { ...current.data.config, [field]: code },
      });
      if (outcome.kind !== 'config') return [];
      return outcome.problems
        .filter((p) => p.path === `/${field}`)
        .map((p) => ({
          message: p.message,
          ...(p.line ? { line: p.line } : {}),
          ...(p.column ? { column: p.column } : {}),
        }));
    },
    [id],
  );
  if (!node || !meta) return null;
  const problems = [...local, ...deploy].filter((p) => p.nodeId === id);
  const pointer = `/nodes/${index}/config`;
  const general = problems.filter((p) => !p.path.startsWith(`${pointer}/`));
  return (
    <>
      {info && <p className="muted">{info.description}</p>}
      <div className="field">
        <label htmlFor="node-label">Label</label>
        <input
          id="node-label"
          type="text"
          placeholder={info?.label}
          value={meta.label ?? ''}
          onChange={(e) => useDoc.getState().setNodeMeta(id, { label: e.target.value || undefined })}
        />
      </div>
      <div className="field inline">
        <label htmlFor="node-disabled">Disabled</label>
        <input
          id="node-disabled"
          type="checkbox"
          checked={meta.disabled === true}
          onChange={(e) => useDoc.getState().setNodeMeta(id, { disabled: e.target.checked || undefined })}
        />
      </div>
      {general.map((p, i) => (
        <div key={i} className="problem">
          {plainMessage(p.message)}
        </div>
      ))}
      {info ? (
        <ConfigForm
          key={id}
          schema={info.configSchema}
          config={node.data.config}
          problems={problems}
          pointer={pointer}
          secretName={`${flowId}.${id}`}
          onChange={onChange}
          checkCode={checkCode}
        />
      ) : (
        <div className="problem">Unknown node type: its config cannot be edited here.</div>
      )}
      {info && info.kind !== 'source' && node.type && <TestPanel key={id} id={id} type={node.type} kind={info.kind} />}
    </>
  );
}

/** Several nodes selected: what can be done to all of them at once. */
function SelectionPanel({ count }: { count: number }) {
  const allDisabled = useDoc((s) =>
    s.nodes.filter((n) => n.selected).every((n) => s.nodeMeta[n.id]?.disabled === true),
  );
  return (
    <div className="inspector-body selection-panel" data-testid="selection-panel">
      <h2>{count} nodes selected</h2>
      <p className="muted">Shift+click or Shift+drag to change the selection.</p>
      <div className="actions">
        <button onClick={duplicateSelected}>Duplicate</button>
        <button onClick={toggleDisabledSelected}>{allDisabled ? 'Enable all' : 'Disable all'}</button>
        <button onClick={() => void layoutSelection()}>Arrange</button>
        <button className="danger" onClick={() => useDoc.getState().removeSelected()}>
          Delete {count}
        </button>
      </div>
    </div>
  );
}

/** Arranges the selected nodes left to right, keeping them where the selection was. */
async function layoutSelection() {
  const { nodes, edges } = useDoc.getState();
  const chosen = nodes.filter((n) => n.selected);
  if (chosen.length < 2) return;
  const ids = new Set(chosen.map((n) => n.id));
  const positions = await layout(
    chosen,
    edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
  );
  const x0 = Math.min(...chosen.map((n) => n.position.x));
  const y0 = Math.min(...chosen.map((n) => n.position.y));
  const px = Math.min(...[...positions.values()].map((p) => p.x));
  const py = Math.min(...[...positions.values()].map((p) => p.y));
  const moved = new Map([...positions].map(([id, p]) => [id, { x: p.x - px + x0, y: p.y - py + y0 }]));
  useDoc.getState().setPositions(moved);
}

/** The selected node's settings, several nodes' bulk actions, or the flow's settings. */
export function Inspector() {
  const id = useSelectedId();
  const count = useDoc((s) => s.nodes.reduce((n, node) => n + (node.selected ? 1 : 0), 0));
  return (
    <aside className="inspector">
      {id ? <NodeInspector id={id} /> : count > 1 ? <SelectionPanel count={count} /> : <FlowSettings />}
    </aside>
  );
}
