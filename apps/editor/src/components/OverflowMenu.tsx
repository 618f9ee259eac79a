import { useEffect, useRef, useState, useSyncExternalStore } from 'react';

/**
 * Below these widths the top bar folds its less used actions into a "⋯" menu, so the flow picker
 * and name keep room for their text: first Import/Export, then New and Layout too.
 */
export const FOLD_FILE_ACTIONS = '(max-width: 1600px)';
export const FOLD_ALL_ACTIONS = '(max-width: 1280px)';

/** Whether a media query matches, kept up to date as the window is resized. */
export function useMedia(query: string): boolean {
  return useSyncExternalStore(
    (changed) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', changed);
      return () => list.removeEventListener('change', changed);
    },
    () => window.matchMedia(query).matches,
  );
}

export interface MenuAction {
  label: string;
  title?: string;
  run: () => void;
}

/** A "⋯" button with a drop-down of actions; closes on a choice, Escape, or a click elsewhere. */
export function OverflowMenu({ actions }: { actions: readonly MenuAction[] }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    const escape = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    document.addEventListener('pointerdown', outside);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);
  return (
    <div className="overflow-menu" ref={box}>
      <button
        aria-label="More actions"
        title={actions.map((a) => a.label).join(', ')}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        data-testid="more-actions"
      >
        ⋯
      </button>
      {open && (
        <div className="overflow-menu-list" role="menu">
          {actions.map((a) => (
            <button
              key={a.label}
              role="menuitem"
              title={a.title}
              onClick={() => {
                setOpen(false);
                a.run();
              }}
            >
              {a.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
