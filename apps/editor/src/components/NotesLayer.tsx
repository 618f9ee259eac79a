import { memo, useState, type PointerEvent } from 'react';
import { useStore, ViewportPortal } from '@xyflow/react';
import type { CanvasNote } from '@tributary/shared';
import { useDoc } from '../session.js';

const NO_NOTES: CanvasNote[] = [];

/**
 * Drags in flow coordinates: the pointer's screen movement divided by the zoom. One undo step per
 * drag (the field key stays the same while it lasts).
 */
function dragger(note: CanvasNote, zoom: number, what: 'move' | 'size') {
  return (e: PointerEvent<HTMLElement>) => {
    if (e.button !== 0) return;
    e.stopPropagation();
    e.preventDefault();
    const target = e.currentTarget;
    target.setPointerCapture(e.pointerId);
    const start = { x: e.clientX, y: e.clientY };
    const from = what === 'move' ? note.position : (note.size ?? { width: 220, height: 80 });
    const field = `${what}-${Date.now()}`;
    const move = (ev: globalThis.PointerEvent) => {
      const dx = (ev.clientX - start.x) / zoom;
      const dy = (ev.clientY - start.y) / zoom;
      if (what === 'move' && 'x' in from)
        useDoc
          .getState()
          .updateNote(note.id, { position: { x: Math.round(from.x + dx), y: Math.round(from.y + dy) } }, field);
      else if ('width' in from)
        useDoc.getState().updateNote(
          note.id,
          {
            size: {
              width: Math.max(120, Math.round(from.width + dx)),
              height: Math.max(60, Math.round(from.height + dy)),
            },
          },
          field,
        );
    };
    const up = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
  };
}

const Note = memo(function Note({ note, zoom }: { note: CanvasNote; zoom: number }) {
  // A new note opens for typing; later a double-click (or the pencil, for a group) edits it.
  const [editing, setEditing] = useState(note.text === '');
  const size = note.size ?? (note.kind === 'group' ? { width: 520, height: 260 } : undefined);
  const text = (
    <textarea
      className="note-text"
      autoFocus
      aria-label={note.kind === 'group' ? 'Group title' : 'Comment'}
      value={note.text}
      onChange={(e) => useDoc.getState().updateNote(note.id, { text: e.target.value }, 'text')}
      onBlur={() => setEditing(false)}
      onKeyDown={(e) => e.key === 'Escape' && e.currentTarget.blur()}
      rows={note.kind === 'group' ? 1 : 3}
    />
  );
  return (
    <div
      className={`note note-${note.kind}`}
      data-testid={`note-${note.id}`}
      style={{
        transform: `translate(${note.position.x}px, ${note.position.y}px)`,
        ...(size ? { width: size.width, height: size.height } : {}),
      }}
    >
      <div className="note-bar nodrag nopan" onPointerDown={dragger(note, zoom, 'move')} title="Drag to move">
        {note.kind === 'group' ? (
          editing ? (
            text
          ) : (
            <span className="note-title" onDoubleClick={() => setEditing(true)}>
              {note.text || 'Group'}
            </span>
          )
        ) : (
          <span className="note-kind">comment</span>
        )}
        {!editing && (
          <button
            className="note-remove"
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => setEditing(true)}
            aria-label={`Edit this ${note.kind}`}
          >
            ✎
          </button>
        )}
        <button
          className="note-remove"
          onPointerDown={(e) => e.stopPropagation()}
          onClick={() => useDoc.getState().removeNote(note.id)}
          aria-label={`Remove this ${note.kind}`}
        >
          ×
        </button>
      </div>
      {note.kind === 'comment' &&
        (editing ? (
          text
        ) : (
          <div className="note-body" onDoubleClick={() => setEditing(true)} title="Double-click to edit">
            {note.text || 'Double-click to write'}
          </div>
        ))}
      {note.kind === 'group' && (
        <div className="note-resize nodrag nopan" onPointerDown={dragger(note, zoom, 'size')} title="Drag to resize" />
      )}
    </div>
  );
});

/**
 * Comments and titled groups of the flow (`editor.notes` in the document), drawn in flow
 * coordinates behind the nodes; moved by their bar, groups resized by their corner.
 */
export function NotesLayer() {
  const notes = useDoc((s) => s.docMeta.editor?.notes ?? NO_NOTES);
  const zoom = useStore((s) => s.transform[2]);
  if (notes.length === 0) return null;
  return (
    <ViewportPortal>
      <div className="notes-layer">
        {notes.map((n) => (
          <Note key={n.id} note={n} zoom={zoom} />
        ))}
      </div>
    </ViewportPortal>
  );
}
