import { useState, type DragEvent } from 'react';
import type { NodeTypeInfo } from '@tributary/shared';
import { KIND_COLOUR, KIND_ORDER, useCatalog } from '../catalog.js';
import { PALETTE_MIME } from './Canvas.js';

function onDragStart(e: DragEvent, type: string) {
  e.dataTransfer.setData(PALETTE_MIME, type);
  e.dataTransfer.effectAllowed = 'move';
}

function matches(t: NodeTypeInfo, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  return !f || [t.type, t.label, t.description, t.category].some((s) => s.toLowerCase().includes(f));
}

/** Node types grouped by kind; drag one onto the canvas to add it. */
export function Palette() {
  const nodeTypes = useCatalog((s) => s.nodeTypes);
  const error = useCatalog((s) => s.error);
  const [filter, setFilter] = useState('');
  return (
    <aside className="palette">
      <input
        type="search"
        placeholder="Filter node types"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        aria-label="Filter node types"
      />
      {error && <div className="error">{error}</div>}
      {KIND_ORDER.map((kind) => {
        const list = nodeTypes.filter((t) => t.kind === kind && matches(t, filter));
        if (list.length === 0) return null;
        return (
          <section key={kind}>
            <h3>{kind}s</h3>
            {list.map((t) => (
              <div
                key={t.type}
                className="palette-item"
                draggable
                onDragStart={(e) => onDragStart(e, t.type)}
                title={t.description}
                data-testid={`palette-${t.type}`}
                style={{ borderLeftColor: KIND_COLOUR[kind] }}
              >
                {t.label}
              </div>
            ))}
          </section>
        );
      })}
    </aside>
  );
}
