import { create } from 'zustand';

export type View = 'editor' | 'dashboard';

const fromHash = (hash: string): View => (hash === '#dashboard' ? 'dashboard' : 'editor');

/** Editor or dashboard; remembered in the URL hash so a reload (or a shared link) keeps the view. */
export interface ViewState {
  view: View;
  setView: (view: View) => void;
}

export const useView = create<ViewState>()((set) => ({
  view: typeof location === 'undefined' ? 'editor' : fromHash(location.hash),
  setView(view) {
    set({ view });
    if (typeof location === 'undefined' || fromHash(location.hash) === view) return;
    const url = new URL(location.href);
    url.hash = view === 'dashboard' ? 'dashboard' : '';
    history.replaceState(history.state, '', url);
  },
}));

/** Back and forward through hash changes follow too. */
export function followHash(): () => void {
  const onHash = () => useView.setState({ view: fromHash(location.hash) });
  window.addEventListener('hashchange', onHash);
  return () => window.removeEventListener('hashchange', onHash);
}
