/**
 * Render counters for tests and the canvas benchmark: components call `countRender(name)` while
 * rendering. It does nothing unless the page defined `window.__tributaryRenders` (an e2e test's
 * init script does), so the product pays one property read per render.
 */
declare global {
  interface Window {
    __tributaryRenders?: Record<string, number>;
  }
}

export function countRender(name: string): void {
  const counts = typeof window === 'undefined' ? undefined : window.__tributaryRenders;
  if (counts) counts[name] = (counts[name] ?? 0) + 1;
}
