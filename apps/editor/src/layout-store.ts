import { create } from 'zustand';

/** Sizes the user dragged (inspector width, log drawer height), kept for the next visit. */
export interface LayoutState {
  inspectorWidth: number;
  drawerHeight: number;
  /** The code editor taken out of the inspector, over the canvas. */
  codeExpanded: boolean;
  /** What the node inspector shows. */
  inspectorTab: 'settings' | 'help';
  setInspectorTab: (tab: 'settings' | 'help') => void;
  /** What the bottom drawer shows. */
  drawerTab: 'logs' | 'debug';
  setDrawerTab: (tab: 'logs' | 'debug') => void;
  setInspectorWidth: (px: number) => void;
  setDrawerHeight: (px: number) => void;
  setCodeExpanded: (on: boolean) => void;
}

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
    localStorage.setItem(KEY, JSON.stringify({ inspectorWidth: s.inspectorWidth, drawerHeight: s.drawerHeight }));
  } catch {
    // Not kept: the defaults come back next time.
  }
}

const saved = typeof localStorage === 'undefined' ? {} : stored();

export const useLayout = create<LayoutState>()((set, get) => ({
  inspectorWidth: typeof saved.inspectorWidth === 'number' ? saved.inspectorWidth : 320,
  drawerHeight: typeof saved.drawerHeight === 'number' ? saved.drawerHeight : 240,
  codeExpanded: false,
  drawerTab: 'logs',
  inspectorTab: 'settings',
  setInspectorTab(tab) {
    set({ inspectorTab: tab });
  },
  setDrawerTab(tab) {
    set({ drawerTab: tab });
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
