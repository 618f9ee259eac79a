import type { PointerEvent } from 'react';

/**
 * A drag handle: reports the pointer's movement since the drag started (pixels along its axis),
 * with the size there was at the start, so the owner computes the new size. Arrow keys move it too.
 */
export function Resizer(props: {
  axis: 'x' | 'y';
  label: string;
  size: number;
  onResize: (size: number) => void;
  /** +1: dragging towards larger coordinates grows the panel; -1: shrinks it (a panel on the right). */
  direction: 1 | -1;
  testId?: string;
}) {
  const { axis, size, onResize, direction } = props;
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const start = axis === 'x' ? e.clientX : e.clientY;
    const from = size;
    const target = e.currentTarget;
    target.setPointerCapture(e.pointerId);
    const move = (ev: globalThis.PointerEvent) =>
      onResize(from + direction * ((axis === 'x' ? ev.clientX : ev.clientY) - start));
    const up = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
      target.removeEventListener('pointercancel', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
    target.addEventListener('pointercancel', up);
  };
  return (
    <div
      className={`resizer resizer-${axis}`}
      role="separator"
      aria-orientation={axis === 'x' ? 'vertical' : 'horizontal'}
      aria-label={props.label}
      aria-valuenow={size}
      tabIndex={0}
      data-testid={props.testId}
      onPointerDown={onPointerDown}
      onKeyDown={(e) => {
        const grow =
          axis === 'x' ? (direction === 1 ? 'ArrowRight' : 'ArrowLeft') : direction === 1 ? 'ArrowDown' : 'ArrowUp';
        const shrink =
          axis === 'x' ? (direction === 1 ? 'ArrowLeft' : 'ArrowRight') : direction === 1 ? 'ArrowUp' : 'ArrowDown';
        if (e.key === grow) onResize(size + 20);
        else if (e.key === shrink) onResize(size - 20);
        else return;
        e.preventDefault();
      }}
    />
  );
}
