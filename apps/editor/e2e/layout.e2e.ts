/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * The editor's layout from 1024 × 700 to 2560 × 1440, in a real browser against the real runtime
 * running the demo flow: the top bar keeps every control in one row of the same height, the
 * dashboard and the list never scroll sideways, the inspector and the log drawer can be resized.
 * Screenshots of each size go to test-results/ (the good ones are kept in docs/).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFlow, openEditor, results, type Editor, type Runtime } from './harness.js';

const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
  { width: 2560, height: 1440 },
];

let editor: Editor;
let runtime: Runtime;
let page: Page;

/** Controls of the top bar that stick out of the window or out of the bar. */
async function clippedControls(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const bar = document.querySelector('.topbar')!.getBoundingClientRect();
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>(
      '.topbar > button, .topbar > select, .topbar > input, .topbar > .segmented, .topbar > .state, .topbar > .overflow-menu, .topbar > .live',
    )) {
      if (el.hidden || el.getClientRects().length === 0) continue;
      const r = el.getBoundingClientRect();
      if (r.right > Math.min(window.innerWidth, bar.right) + 0.5 || r.left < -0.5 || r.width < 8)
        out.push(el.textContent || el.getAttribute('aria-label') || el.tagName);
    }
    return out;
  });
}

/**
 * How many pixels short the flow picker and the name field are of showing 18 characters of a
 * typical flow name in their own font (0: enough room). The picker's arrow takes ~20 px.
 */
async function readableShortfall(p: Page): Promise<{ picker: number; name: number }> {
  return p.evaluate(() => {
    const sample = 'Sensor alerts demo'; // 18 characters
    const shortfall = (el: HTMLElement, reserve: number) => {
      const style = getComputedStyle(el);
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = style.font;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - reserve;
      return Math.max(0, Math.ceil(ctx.measureText(sample).width - room));
    };
    return {
      picker: shortfall(document.querySelector<HTMLElement>('.topbar select[aria-label="Open flow"]')!, 20),
      name: shortfall(document.querySelector<HTMLElement>('.topbar .flow-name')!, 0),
    };
  });
}

beforeAll(async () => {
  editor = await openEditor({ flows: [await demoFlow()], deploy: ['demo'], viewport: SIZES[0]! });
  ({ runtime, page } = editor);
});

afterAll(() => editor?.close());

describe('layout from 1024 × 700 to 2560 × 1440', () => {
  it('keeps the top bar in one row of one height, and nothing scrolls sideways', async () => {
    await page.goto(`${runtime.url}/#/flows/demo`);
    await page.locator('[data-testid="node-sensors"]').waitFor();
    const heights = new Set<number>();
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const tag = `${size.width}x${size.height}`;
      await page.goto(`${runtime.url}/#/flows/demo`);
      await page.reload();
      await page.locator('[data-testid="node-sensors"]').waitFor();
      await expect
        .poll(() => page.locator('.node-stats, .node-glance').count(), { timeout: 30_000 })
        .toBeGreaterThan(0);
      heights.add((await page.locator('.topbar').boundingBox())!.height);
      expect(await clippedControls(page), tag).toEqual([]);
      expect(await readableShortfall(page), tag).toEqual({ picker: 0, name: 0 });
      // Every action stays reachable: on the bar, or in the "⋯" menu of a narrower window.
      const actions = ['New', 'Layout', 'Import', 'Export'];
      const reachable: string[] = [];
      for (const name of actions)
        if (await page.locator('.topbar').getByRole('button', { name, exact: true }).isVisible()) reachable.push(name);
      const more = page.locator('[data-testid="more-actions"]');
      if ((await more.count()) > 0) {
        await more.click();
        const items = page.getByRole('menuitem');
        await items.first().waitFor();
        reachable.push(...(await items.allTextContents()));
        const menu = (await page.getByRole('menu').boundingBox())!;
        expect(menu.x + menu.width, tag).toBeLessThanOrEqual(size.width);
        await page.screenshot({ path: join(results, `layout-menu-${tag}.png`) });
        await page.keyboard.press('Escape');
        await expect.poll(() => items.count()).toBe(0);
      }
      expect(reachable.sort(), tag).toEqual([...actions].sort());
      // The canvas keeps most of the height with the log drawer open.
      await page.locator('[data-testid="log-toggle"]').click();
      const canvas = (await page.locator('[data-testid="canvas"]').boundingBox())!;
      expect(canvas.height, tag).toBeGreaterThan(size.height * 0.45);
      await page.screenshot({ path: join(results, `layout-editor-${tag}.png`) });
      await page.locator('[data-testid="log-toggle"]').click();

      await page.locator('[data-testid="view-dashboard"]').click();
      await page.locator('[data-testid="chart-flow-throughput"]').waitFor();
      const sideways = await page.evaluate(() => {
        const d = document.querySelector('.dashboard')!;
        return { dash: d.scrollWidth - d.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth };
      });
      expect(sideways, tag).toEqual({ dash: 0, page: 0 });
      await page.screenshot({ path: join(results, `layout-dashboard-${tag}.png`) });
      await page.locator('[data-testid="view-editor"]').click();

      await page.locator('[data-testid="home"]').click();
      await page.locator('[data-testid="flow-row-demo"]').waitFor();
      await page.screenshot({ path: join(results, `layout-home-${tag}.png`) });
      await page.locator('[data-testid="flow-row-demo"] .flow-link').click();
      await page.locator('[data-testid="node-sensors"]').waitFor();
    }
    expect([...heights]).toHaveLength(1);
  });

  it('the inspector and the log drawer are resized by dragging their edge', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const inspector = page.locator('.inspector');
    const before = (await inspector.boundingBox())!.width;
    const handle = (await page.locator('[data-testid="inspector-resizer"]').boundingBox())!;
    await page.mouse.move(handle.x + 3, handle.y + 200);
    await page.mouse.down();
    await page.mouse.move(handle.x - 150, handle.y + 200, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await inspector.boundingBox())!.width).toBeGreaterThan(before + 100);

    await page.locator('[data-testid="log-toggle"]').click();
    const drawer = page.locator('[data-testid="log-panel"]');
    const tall = (await drawer.boundingBox())!.height;
    const edge = (await page.locator('[data-testid="drawer-resizer"]').boundingBox())!;
    await page.mouse.move(edge.x + 300, edge.y + 3);
    await page.mouse.down();
    await page.mouse.move(edge.x + 300, edge.y + 103, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await drawer.boundingBox())!.height).toBeLessThan(tall - 60);

    // The minimap can be put away (it covers a corner of the canvas).
    const maps = () => page.locator('.react-flow__minimap').count();
    const had = await maps();
    await page.locator('[data-testid="minimap-toggle"]').click();
    await expect.poll(maps).toBe(had === 0 ? 1 : 0);
  });
});
