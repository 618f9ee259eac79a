import { useDebug } from '../debug-store.js';
import { useLayout } from '../layout-store.js';
import { DebugPanel } from './DebugPanel.js';
import { Inspector } from './Inspector.js';

/**
 * The right sidebar: the inspector, or the debug messages in a tab beside it (as in Node-RED), so
 * the canvas keeps its width. Its width is the inspector's (drag its left edge).
 */
export function Sidebar() {
  const tab = useLayout((s) => s.sidebarTab);
  const received = useDebug((s) => s.received);
  return (
    <div className="sidebar">
      <div className="sidebar-tabs" role="tablist" aria-label="Sidebar">
        <button
          role="tab"
          aria-selected={tab === 'inspector'}
          className={tab === 'inspector' ? 'on' : undefined}
          onClick={() => useLayout.getState().setSidebarTab('inspector')}
          data-testid="sidebar-tab-inspector"
        >
          Inspector
        </button>
        <button
          role="tab"
          aria-selected={tab === 'debug'}
          className={tab === 'debug' ? 'on' : undefined}
          onClick={() => useLayout.getState().setSidebarTab('debug')}
          title="Messages of the debug nodes (Ctrl+Shift+D)"
          data-testid="sidebar-tab-debug"
        >
          Debug
          {tab !== 'debug' && received > 0 && (
            <span className="badge quiet" data-testid="debug-badge">
              {received > 999 ? '999+' : received}
            </span>
          )}
        </button>
      </div>
      {tab === 'debug' ? (
        <div className="sidebar-body">
          <DebugPanel />
        </div>
      ) : (
        <Inspector />
      )}
    </div>
  );
}
