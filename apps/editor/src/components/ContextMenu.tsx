import { useEffect } from 'react';
import { create } from 'zustand';

export interface MenuItem {
  label: string;
  /** Shown right-aligned: the shortcut that does the same. */
  keys?: string;
  run: () => void;
  disabled?: boolean;
  danger?: boolean;
}

interface MenuState {
  at: { x: number; y: number } | undefined;
  items: MenuItem[];
  title: string | undefined;
  open: (at: { x: number; y: number }, items: MenuItem[], title?: string) => void;
  close: () => void;
}

export const useMenu = create<MenuState>()((set) => ({
  at: undefined,
  items: [],
  title: undefined,
  open(at, items, title) {
    set({ at, items, title });
  },
  close() {
    set({ at: undefined, items: [], title: undefined });
  },
}));

/** The one context menu of the page, at the pointer; Escape, a click elsewhere or a scroll close it. */
export function ContextMenu() {
  const at = useMenu((s) => s.at);
  const items = useMenu((s) => s.items);
  const title = useMenu((s) => s.title);
  useEffect(() => {
    if (!at) return;
    const close = () => useMenu.getState().close();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', onKey);
    window.addEventListener('wheel', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('wheel', close);
    };
  }, [at]);
  if (!at) return null;
  // Kept inside the window.
  const left = Math.min(at.x, window.innerWidth - 230);
  const top = Math.min(at.y, window.innerHeight - (items.length * 30 + 40));
  return (
    <div
      className="context-menu"
      role="menu"
      style={{ left, top }}
      data-testid="context-menu"
      onPointerDown={(e) => e.stopPropagation()}
    >
      {title && <div className="menu-title">{title}</div>}
      {items.map((item) => (
        <button
          key={item.label}
          role="menuitem"
          disabled={item.disabled}
          className={item.danger ? 'danger' : undefined}
          onClick={() => {
            useMenu.getState().close();
            item.run();
          }}
        >
          <span>{item.label}</span>
          {item.keys && <kbd>{item.keys}</kbd>}
        </button>
      ))}
    </div>
  );
}
