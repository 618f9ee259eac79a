import { create } from 'zustand';
import { useView } from './view-store.js';

/** Sizes the user dragged (inspector width, log drawer height), kept for the next visit. */
export interface LayoutState {
  inspectorWidth: number;
  drawerHeight: number;
  /** The code editor taken out of the inspector, over the canvas. */
  codeExpanded: boolean;
  /** What the node inspector shows. */
  inspectorTab: 'settings' | 'help';
  setInspectorTab: (tab: 'settings' | 'help') => void;
  /** What the right sidebar shows: the inspector, or the debug messages (Node-RED's debug tab). */
  sidebarTab: SidebarTab;
  setSidebarTab: (tab: SidebarTab) => void;
  /** Shows the debug messages, or back to the inspector when they are showing. */
  toggleDebug: () => void;
  setInspectorWidth: (px: number) => void;
  setDrawerHeight: (px: number) => void;
  setCodeExpanded: (on: boolean) => void;
}

export type SidebarTab = 'inspector' | 'debug';

const KEY = 'tributary.layout';
export const INSPECTOR_MIN = 260;
export const INSPECTOR_MAX = 900;
export const DRAWER_MIN = 100;

export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function stored(): Partial<LayoutState> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<LayoutState>;
  } catch {
    return {};
  }
}

function keep(s: LayoutState) {
  try {
    localStorage.setItem(
      KEY,
      JSON.stringify({ inspectorWidth: s.inspectorWidth, drawerHeight: s.drawerHeight, sidebarTab: s.sidebarTab }),
    );
  } catch {
    // Not kept: the defaults come back next time.
  }
}

const saved = typeof localStorage === 'undefined' ? {} : stored();

export const useLayout = create<LayoutState>()((set, get) => ({
  inspectorWidth: typeof saved.inspectorWidth === 'number' ? saved.inspectorWidth : 320,
  drawerHeight: typeof saved.drawerHeight === 'number' ? saved.drawerHeight : 240,
  codeExpanded: false,
  sidebarTab: saved.sidebarTab === 'debug' ? 'debug' : 'inspector',
  inspectorTab: 'settings',
  setInspectorTab(tab) {
    // Asked for a node's settings or help (its menu, say): the inspector comes to the front.
    set({ inspectorTab: tab, sidebarTab: 'inspector' });
    keep(get());
  },
  setSidebarTab(tab) {
    set({ sidebarTab: tab });
    keep(get());
  },
  toggleDebug() {
    // From the dashboard or the flow list, the debug tab opens on the editor, where it lives.
    const view = useView.getState();
    if (view.view !== 'editor') {
      view.setView('editor');
      get().setSidebarTab('debug');
    } else get().setSidebarTab(get().sidebarTab === 'debug' ? 'inspector' : 'debug');
  },
  setInspectorWidth(px) {
    set({ inspectorWidth: Math.round(clamp(px, INSPECTOR_MIN, INSPECTOR_MAX)) });
    keep(get());
  },
  setDrawerHeight(px) {
    set({ drawerHeight: Math.round(clamp(px, DRAWER_MIN, 2000)) });
    keep(get());
  },
  setCodeExpanded(on) {
    set({ codeExpanded: on });
  },
}));
