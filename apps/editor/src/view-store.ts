import { create } from 'zustand';

/** `home`: the list of flows; `editor` and `dashboard`: of the open flow. */
export type View = 'home' | 'editor' | 'dashboard';

/** What a URL hash asks for. `flowId` undefined: the flow already open (or the start-up choice). */
export interface Route {
  view: View;
  flowId: string | undefined;
}

const FLOW_ROUTE = /^#\/flows\/([^/]+)(\/dashboard)?\/?$/;

/**
 * `#/flows` (home), `#/flows/<id>` (its editor), `#/flows/<id>/dashboard`; the older `#dashboard`
 * (the open flow's dashboard) still works. An empty hash is the start: the last or running flow.
 */
export function parseHash(hash: string): Route {
  if (hash === '#dashboard') return { view: 'dashboard', flowId: undefined };
  if (hash === '#/flows' || hash === '#/flows/' || hash === '#/') return { view: 'home', flowId: undefined };
  const match = FLOW_ROUTE.exec(hash);
  if (match?.[1]) {
    let id: string;
    try {
      id = decodeURIComponent(match[1]);
    } catch {
      return { view: 'home', flowId: undefined };
    }
    return { view: match[2] ? 'dashboard' : 'editor', flowId: id };
  }
  return { view: 'editor', flowId: undefined };
}

/** The hash of a view of a flow; a flow the server does not have yet has no address of its own. */
export function hashOf(view: View, flowId: string | undefined): string {
  if (view === 'home') return '#/flows';
  if (flowId === undefined) return view === 'dashboard' ? '#dashboard' : '';
  const base = `#/flows/${encodeURIComponent(flowId)}`;
  return view === 'dashboard' ? `${base}/dashboard` : base;
}

export interface ViewState {
  view: View;
  /** The saved flow the address names (undefined for a new, never-saved flow). */
  flowId: string | undefined;
  setView: (view: View) => void;
  /** The open flow changed (opened, saved for the first time, renamed): the address follows. */
  setFlow: (flowId: string | undefined, push?: boolean) => void;
}

/** The address last written or followed (traversal fires both hashchange and popstate). */
let handled = '';

function writeHash(hash: string, push: boolean) {
  if (typeof location === 'undefined' || location.hash === hash) return;
  handled = hash;
  const url = new URL(location.href);
  url.hash = hash;
  if (push) history.pushState(history.state, '', url);
  else history.replaceState(history.state, '', url);
}

const initial =
  typeof location === 'undefined' ? { view: 'editor' as View, flowId: undefined } : parseHash(location.hash);

export const useView = create<ViewState>()((set, get) => ({
  view: initial.view,
  flowId: initial.flowId,
  setView(view) {
    set({ view });
    writeHash(hashOf(view, get().flowId), view === 'home');
  },
  setFlow(flowId, push = false) {
    const view = get().view === 'home' ? 'editor' : get().view;
    set({ flowId, view });
    writeHash(hashOf(view, flowId), push);
  },
}));

/**
 * Back, forward and edited addresses: the view follows at once; another flow's address is handed
 * to `open` (which may ask about unsaved changes first).
 */
export function followHash(open: (flowId: string) => void): () => void {
  handled = location.hash;
  const onHash = () => {
    // Traversal fires both events: handle each address once.
    if (location.hash === handled) return;
    handled = location.hash;
    const route = parseHash(location.hash);
    const current = useView.getState().flowId;
    useView.setState({ view: route.view });
    if (route.flowId !== undefined && route.flowId !== current) open(route.flowId);
  };
  window.addEventListener('hashchange', onHash);
  window.addEventListener('popstate', onHash);
  return () => {
    window.removeEventListener('hashchange', onHash);
    window.removeEventListener('popstate', onHash);
  };
}
