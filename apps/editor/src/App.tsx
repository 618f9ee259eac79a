import { useEffect, type CSSProperties } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { loadCatalog } from './catalog.js';
import { copySelection, type Clip } from './doc-store.js';
import { connectLive } from './live.js';
import { importText, openFlow, refreshFlows, revalidate, save, startUp, useDoc } from './session.js';
import { useStats } from './stats-store.js';
import { followHash, parseHash, useView } from './view-store.js';
import { FlowList } from './components/FlowList.js';
import { ContextMenu } from './components/ContextMenu.js';
import { ShortcutSheet, useShortcutSheet } from './components/ShortcutSheet.js';
import { selectAll } from './actions.js';
import { Resizer } from './components/Resizer.js';
import { useLayout } from './layout-store.js';
import { Canvas } from './components/Canvas.js';
import { Dashboard } from './components/Dashboard.js';
import { Sidebar } from './components/Sidebar.js';
import { LogPanel } from './components/LogPanel.js';
import { Palette } from './components/Palette.js';
import { TapPanel } from './components/TapPanel.js';
import { ImportProblems, TopBar } from './components/TopBar.js';
import { TokenPrompt } from './components/TokenPrompt.js';

let clipboard: Clip | undefined;

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** Editor shortcuts; they stay out of the way while a form field or code editor has focus. */
function onKeyDown(e: KeyboardEvent) {
  const mod = e.ctrlKey || e.metaKey;
  // Saving works from inside a field too (the browser's "save page" would be no use here).
  if (mod && e.key.toLowerCase() === 's') {
    e.preventDefault();
    void save();
    return;
  }
  // The debug sidebar opens from anywhere, as saving does.
  if (mod && e.shiftKey && e.key.toLowerCase() === 'd') {
    e.preventDefault();
    useLayout.getState().toggleDebug();
    return;
  }
  if (typing(e.target)) return;
  if (e.key === 'Escape' && useShortcutSheet.getState().open) {
    useShortcutSheet.setState({ open: false });
    return;
  }
  if (e.key === '?' && !mod) {
    e.preventDefault();
    useShortcutSheet.setState({ open: !useShortcutSheet.getState().open });
    return;
  }
  if (!mod) return;
  const doc = useDoc.getState();
  const key = e.key.toLowerCase();
  if (key === 'z' && !e.shiftKey) doc.undo();
  else if ((key === 'z' && e.shiftKey) || key === 'y') doc.redo();
  else if (key === 'c') clipboard = copySelection(doc);
  else if (key === 'x') {
    clipboard = copySelection(doc);
    doc.removeSelected();
  } else if (key === 'd') doc.paste(copySelection(doc), { x: 40, y: 40 });
  else if (key === 'a') selectAll();
  else return;
  e.preventDefault();
}

/** Paste: nodes copied in this page, or a flow JSON text (imported, after checking). */
function onPaste(e: ClipboardEvent) {
  if (typing(e.target)) return;
  const text = e.clipboardData?.getData('text/plain') ?? '';
  if (text.trim().startsWith('{')) {
    e.preventDefault();
    importText(text, 'the clipboard');
  } else if (clipboard) {
    e.preventDefault();
    useDoc.getState().paste(clipboard, { x: 40, y: 40 });
  }
}

export function App() {
  const view = useView((s) => s.view);
  const inspectorWidth = useLayout((s) => s.inspectorWidth);
  useEffect(() => {
    void loadCatalog();
    void startUp(parseHash(location.hash));
    // Flows deployed or stopped elsewhere (CLI, another tab) show up in the picker.
    const poll = setInterval(() => void refreshFlows(), 10_000);
    useStats.getState().reset(useDoc.getState().docMeta.id);
    const disconnect = connectLive();
    const unfollowHash = followHash((id) => void openFlow(id));
    // Validation follows the document, debounced: typing stays smooth on big flows.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = useDoc.subscribe((s, prev) => {
      if (s.nodes === prev.nodes && s.edges === prev.edges && s.nodeMeta === prev.nodeMeta) return;
      clearTimeout(timer);
      timer = setTimeout(revalidate, 250);
    });
    revalidate();
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('paste', onPaste);
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (useDoc.getState().dirty) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      disconnect();
      unfollowHash();
      clearInterval(poll);
      unsubscribe();
      clearTimeout(timer);
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('paste', onPaste);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, []);

  return (
    <ReactFlowProvider>
      <div className="app">
        <TopBar />
        {/* The dashboard lies over the editor, which stays mounted (viewport, selection). */}
        <main
          className={view !== 'editor' ? 'covered' : undefined}
          style={{ '--inspector-w': `${inspectorWidth}px` } as CSSProperties}
        >
          <Palette />
          <Canvas />
          <Sidebar />
          <Resizer
            axis="x"
            direction={-1}
            label="Inspector width"
            size={inspectorWidth}
            onResize={(px) => useLayout.getState().setInspectorWidth(Math.min(px, window.innerWidth * 0.6))}
            testId="inspector-resizer"
          />
          {view === 'editor' && <TapPanel />}
          {view === 'dashboard' && <Dashboard />}
          {view === 'home' && <FlowList />}
        </main>
        <LogPanel />
        <ImportProblems />
        <ContextMenu />
        <ShortcutSheet />
        <TokenPrompt />
      </div>
    </ReactFlowProvider>
  );
}
