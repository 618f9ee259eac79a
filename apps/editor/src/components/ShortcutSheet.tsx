import { create } from 'zustand';

export const useShortcutSheet = create<{ open: boolean }>()(() => ({ open: false }));

export const SHORTCUTS: [keys: string, what: string][] = [
  ['Ctrl+S', 'Save (also while typing in a field)'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'Undo / redo'],
  ['Ctrl+A', 'Select every node'],
  ['Ctrl+C / Ctrl+X / Ctrl+V', 'Copy / cut / paste nodes (paste a flow JSON to import it)'],
  ['Ctrl+D', 'Duplicate the selection'],
  ['Ctrl+Shift+D', 'Show or hide the debug messages (sidebar)'],
  ['Delete / Backspace', 'Delete the selection'],
  ['Shift+drag', 'Select with a box'],
  ['Right click', 'Menu of a node, a wire or the canvas'],
  ['Esc', 'Close a menu, a dialog or the large code editor'],
  ['?', 'This list'],
];

/** The keyboard shortcuts (`?`). */
export function ShortcutSheet() {
  const open = useShortcutSheet((s) => s.open);
  if (!open) return null;
  const close = () => useShortcutSheet.setState({ open: false });
  return (
    <div
      className="modal"
      role="dialog"
      aria-label="Keyboard shortcuts"
      data-testid="shortcut-sheet"
      onClick={close}
      onKeyDown={(e) => e.key === 'Escape' && close()}
    >
      <div className="modal-body" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <td>
                  <kbd>{keys}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button onClick={close} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}
