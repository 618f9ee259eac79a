import { useView, type View } from '../view-store.js';

const VIEWS: { view: View; label: string }[] = [
  { view: 'editor', label: 'Editor' },
  { view: 'dashboard', label: 'Dashboard' },
];

/** Editor or dashboard of the same flow (the flow stays loaded). */
export function ViewToggle() {
  const current = useView((s) => s.view);
  return (
    <div className="segmented view-toggle" role="group" aria-label="View">
      {VIEWS.map(({ view, label }) => (
        <button
          key={view}
          aria-pressed={current === view}
          className={current === view ? 'on' : undefined}
          onClick={() => useView.getState().setView(view)}
          data-testid={`view-${view}`}
        >
          {label}
        </button>
      ))}
    </div>
  );
}
