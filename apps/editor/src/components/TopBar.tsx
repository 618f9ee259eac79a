import { useRef } from 'react';
import { useReactFlow } from '@xyflow/react';
import { layout } from '../auto-layout.js';
import { useDoc, useUi, deploy, exportFlow, importText, newFlow, openFlow, save, stop } from '../session.js';
import { showFlowSettings } from '../session.js';
import { useStats } from '../stats-store.js';
import { useView } from '../view-store.js';
import { useLayout } from '../layout-store.js';
import { ProblemList } from './ProblemList.js';
import { ViewToggle } from './ViewToggle.js';
import { FOLD_ALL_ACTIONS, FOLD_FILE_ACTIONS, OverflowMenu, useMedia, type MenuAction } from './OverflowMenu.js';

/** Flow picker, name, save/deploy/stop, import/export, and the page's notices. */
export function TopBar() {
  const flows = useUi((s) => s.flows);
  const busy = useUi((s) => s.busy);
  const notice = useUi((s) => s.notice);
  const conflict = useUi((s) => s.conflict);
  const id = useDoc((s) => s.docMeta.id);
  const name = useDoc((s) => s.docMeta.name);
  const dirty = useDoc((s) => s.dirty);
  const saved = useDoc((s) => s.rev !== undefined);
  const canUndo = useDoc((s) => s.past.length > 0);
  const canRedo = useDoc((s) => s.future.length > 0);
  const state = useStats((s) => s.state);
  const reason = useStats((s) => s.reason);
  const connected = useStats((s) => s.connected);
  const file = useRef<HTMLInputElement>(null);
  const { fitView } = useReactFlow();
  const autoLayout = async () => {
    const { nodes, edges } = useDoc.getState();
    if (nodes.length === 0) return;
    useDoc.getState().setPositions(await layout(nodes, edges));
    setTimeout(() => void fitView({ maxZoom: 1, padding: 0.2 }), 50);
  };
  const running = state === 'running' || state === 'deploying';
  const debugOn = useLayout((s) => s.sidebarTab === 'debug');
  const editorView = useView((s) => s.view === 'editor');
  // In a narrow window these go into a "⋯" menu so the flow picker and name stay readable.
  const foldFile = useMedia(FOLD_FILE_ACTIONS);
  const narrow = useMedia(FOLD_ALL_ACTIONS);
  const pickFile = () => file.current?.click();
  const layoutTitle = 'Arrange the nodes left to right';
  return (
    <header className="topbar">
      <button className="brand" onClick={() => useView.getState().setView('home')} title="All flows" data-testid="home">
        <span className="long">Tributary</span>
        <span className="short">≋</span>
      </button>
      <select
        aria-label="Open flow"
        value={saved ? id : ''}
        onChange={(e) => e.target.value && void openFlow(e.target.value)}
      >
        {!saved && <option value="">{id} (new)</option>}
        {flows.map((f) => (
          <option key={f.id} value={f.id}>
            {/* The open flow's state comes live from the runtime; the others from the (polled) list. */}
            {f.name || f.id} · {f.id === id && state ? state : f.state}
          </option>
        ))}
      </select>
      <input
        className="flow-name"
        aria-label="Flow name"
        value={name}
        onChange={(e) => useDoc.getState().setDocMeta({ name: e.target.value }, 'name')}
      />
      <button onClick={showFlowSettings} title="Flow settings: id, description, connections" aria-label="Flow settings">
        ⚙
      </button>
      {/* A flow the server has never seen is not saved, edited or not. */}
      <span
        className={`dirty${dirty || !saved ? ' on' : ''}`}
        data-testid="dirty"
        title={!saved ? 'not saved on the runtime yet' : dirty ? 'unsaved changes' : 'saved'}
      >
        {!saved ? '●' : dirty ? '●' : '✓'}
        <span className="words">{!saved ? ' not saved' : dirty ? ' unsaved' : ' saved'}</span>
      </span>
      {!narrow && <button onClick={newFlow}>New</button>}
      <button onClick={() => useDoc.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)">
        ↶
      </button>
      <button onClick={() => useDoc.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
        ↷
      </button>
      {!narrow && (
        <button onClick={() => void autoLayout()} title={layoutTitle}>
          Layout
        </button>
      )}
      <button onClick={() => void save()} disabled={!!busy} data-testid="save">
        Save
      </button>
      <button className="primary" onClick={() => void deploy()} disabled={!!busy} data-testid="deploy">
        Deploy
      </button>
      <button onClick={() => void stop()} disabled={!!busy || !saved || !running} data-testid="stop">
        Stop
      </button>
      <span className={`state ${state ?? 'none'}`} data-testid="flow-state" title={reason}>
        {busy ?? state ?? 'not deployed'}
      </span>
      <span className="spacer" />
      <button
        className={`debug-button${debugOn && editorView ? ' on' : ''}`}
        aria-pressed={debugOn && editorView}
        onClick={() => useLayout.getState().toggleDebug()}
        title="Debug messages in the sidebar (Ctrl+Shift+D)"
        data-testid="debug-toggle"
      >
        Debug
      </button>
      <ViewToggle />
      {foldFile ? (
        <OverflowMenu
          actions={[
            ...(narrow
              ? ([
                  { label: 'New', run: newFlow },
                  { label: 'Layout', title: layoutTitle, run: () => void autoLayout() },
                ] satisfies MenuAction[])
              : []),
            { label: 'Import', run: pickFile },
            { label: 'Export', run: exportFlow },
          ]}
        />
      ) : (
        <>
          <button onClick={pickFile}>Import</button>
          <button onClick={exportFlow}>Export</button>
        </>
      )}
      <input
        ref={file}
        type="file"
        accept=".json,application/json"
        hidden
        data-testid="import-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void f.text().then((text) => importText(text, f.name));
          e.target.value = '';
        }}
      />
      <span className={`live ${connected ? 'on' : ''}`} title={connected ? 'live connection' : 'no live connection'}>
        ●
      </span>
      {notice && (
        <div className={`notice ${notice.kind}`} role="status" data-testid="notice">
          <span className="notice-text">
            {notice.text}
            {notice.problems && notice.problems.length > 0 && <ProblemList problems={notice.problems} max={6} />}
          </span>
          {conflict && (
            <>
              {' '}
              <button onClick={() => void save(conflict.rev)}>Overwrite theirs</button>
              <button
                onClick={() => {
                  useDoc.getState().load(conflict.flow, conflict.rev);
                  useUi.setState({ conflict: undefined, notice: undefined });
                }}
              >
                Load theirs
              </button>
            </>
          )}
          <button className="close" onClick={() => useUi.setState({ notice: undefined, conflict: undefined })}>
            ×
          </button>
        </div>
      )}
    </header>
  );
}

/** A refused import: every problem with its JSON path; the current flow is untouched. */
export function ImportProblems() {
  const refused = useUi((s) => s.importProblems);
  if (!refused) return null;
  return (
    <div className="modal" role="dialog" aria-label="Import problems" data-testid="import-problems">
      <div className="modal-body">
        <h2>Cannot import {refused.source}</h2>
        <p className="muted">The current flow was not changed.</p>
        <ul>
          {refused.problems.map((p, i) => (
            <li key={i}>
              <code>{p.path || '/'}</code> {p.message}
            </li>
          ))}
        </ul>
        <button onClick={() => useUi.setState({ importProblems: undefined })}>Close</button>
      </div>
    </div>
  );
}
