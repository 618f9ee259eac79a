/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * The debug sidebar and the help panel, in a real browser against the real runtime: messages reaching
 * `debug` nodes show as trees in a sidebar beside the canvas (at 1024×700 too), filtered by node,
 * paused, cleared, linked to their node; each node's help is the text of docs/nodes.md.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edge, openEditor, results, type Editor } from './harness.js';

const nodesDoc = fileURLToPath(new URL('../../../docs/nodes.md', import.meta.url));

let editor: Editor;
let page: Page;

const flow = {
  schemaVersion: 1,
  id: 'dbg',
  name: 'Debugging',
  nodes: [
    {
      id: 'orders',
      type: 'inline',
      typeVersion: 1,
      position: { x: 0, y: 0 },
      config: { messages: [{ order: { id: 7, lines: [{ sku: 'A-1', qty: 2 }] } }], forever: true, intervalMs: 300 },
    },
    { id: 'watch', type: 'debug', typeVersion: 1, label: 'Watch orders', position: { x: 300, y: 0 }, config: {} },
    { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 200 }, config: { rate: 2 } },
    { id: 'raw', type: 'debug', typeVersion: 1, label: 'Raw numbers', position: { x: 300, y: 200 }, config: {} },
  ],
  edges: [edge('orders', 'watch'), edge('numbers', 'raw')],
};

/** Text without Markdown marks or extra spaces, to compare rendered help with its source. */
const plain = (text: string) => text.replace(/[*`]/g, '').replace(/\s+/g, ' ').trim();

/** Whether the debug list shows its newest message (scrolled to the bottom). */
const atBottom = (page: Page) =>
  page.locator('[data-testid="debug-scroll"]').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 30);

/** Opens the tree level of `key` in a debug row. */
const keyOf = (row: Locator, key: string) =>
  row.locator('summary').filter({ has: page.locator('.tree-key', { hasText: new RegExp(`^${key}: $`) }) });
const openKey = (row: Locator, key: string) => keyOf(row, key).click();

const seqs = async (page: Page) =>
  (
    await page.locator('[data-testid="debug-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-seq')))
  ).join(',');

beforeAll(async () => {
  // The smallest window the editor holds at: the sidebar must be usable there.
  editor = await openEditor({
    flows: [flow],
    deploy: ['dbg'],
    viewport: { width: 1024, height: 700 },
    open: '/#/flows/dbg',
    waitFor: '[data-testid="node-watch"]',
  });
  ({ page } = editor);
});

afterAll(() => editor?.close());

describe('debug sidebar and help panel', () => {
  it('opens beside the canvas from the shortcut and the top bar, resizable, usable at 1024×700', async () => {
    await page.keyboard.press('ControlOrMeta+Shift+D');
    const panel = page.locator('[data-testid="debug-panel"]');
    await panel.waitFor();
    const rows = page.locator('[data-testid="debug-row"]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(3);
    expect(await panel.textContent()).toContain('Watch orders');
    expect(await panel.textContent()).toContain('Raw numbers');
    // On the right, inside the window, the canvas keeping most of the width.
    const side = (await page.locator('.sidebar').boundingBox())!;
    const canvas = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    expect(side.x + side.width).toBeLessThanOrEqual(1024);
    expect(side.x).toBeGreaterThanOrEqual(canvas.x + canvas.width - 1);
    expect(canvas.width).toBeGreaterThan(450);
    const scroll = (await page.locator('[data-testid="debug-scroll"]').boundingBox())!;
    expect(scroll.y + scroll.height).toBeLessThanOrEqual(700);
    expect(scroll.height).toBeGreaterThan(200);
    // The newest message stays in view while messages arrive.
    const before = await seqs(page);
    await expect.poll(() => seqs(page)).not.toBe(before);
    await expect.poll(() => atBottom(page)).toBe(true);

    // Wider by its edge (the inspector's: they share the column).
    const resizer = page.locator('[data-testid="inspector-resizer"]');
    await resizer.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect
      .poll(async () => (await page.locator('.sidebar').boundingBox())!.width)
      .toBeGreaterThan(side.width + 30);

    // The top bar button goes back to the inspector, and to the debug messages again.
    await page.locator('[data-testid="debug-toggle"]').click();
    await page.locator('[data-testid="sidebar-tab-inspector"][aria-selected="true"]').waitFor();
    await expect.poll(() => panel.count()).toBe(0);
    await page.locator('[data-testid="debug-toggle"]').click();
    await panel.waitFor();
    await page.screenshot({ path: join(results, 'debug-sidebar-1024x700.png') });
  });

  it('filters by node: the picked ones, or the ones selected on the canvas', async () => {
    const rows = page.locator('[data-testid="debug-row"]');
    const labels = async () => new Set(await rows.locator('.debug-node').allTextContents());
    await page.locator('[data-testid="debug-filter-pick"]').click();
    await page.locator('[data-testid="debug-picks"]').getByLabel('Watch orders').check();
    await expect.poll(labels).toEqual(new Set(['Watch orders']));
    await page.locator('[data-testid="debug-picks"]').getByLabel('Raw numbers').check();
    await expect.poll(labels).toEqual(new Set(['Watch orders', 'Raw numbers']));

    await page.locator('[data-testid="debug-filter-selected"]').click();
    await page.locator('[data-testid="node-raw"]').click();
    await expect.poll(labels).toEqual(new Set(['Raw numbers']));
    await page.locator('[data-testid="debug-filter-all"]').click();
    await expect.poll(labels).toEqual(new Set(['Watch orders', 'Raw numbers']));
  });

  it('pauses to read a message as a tree, clears, and a click on a message selects its node', async () => {
    const rows = page.locator('[data-testid="debug-row"]');
    // Enough messages to scroll (they keep coming), so reading further up can be tried below.
    await expect
      .poll(
        () => page.locator('[data-testid="debug-scroll"]').evaluate((el) => el.scrollHeight > el.clientHeight + 100),
        { timeout: 60_000 },
      )
      .toBe(true);
    await page.locator('[data-testid="debug-pause"]').click();
    const held = await seqs(page);
    const status = page.locator('[data-testid="debug-status"]');
    // Messages keep coming: counted, not listed.
    await expect.poll(() => status.textContent()).toMatch(/paused, \d+ not listed/);
    expect(await seqs(page)).toBe(held);

    const row = rows.filter({ hasText: 'Watch orders' }).last();
    expect(await row.locator('.tree-key').allTextContents()).toContain('order: ');
    // Closed, a level shows a preview of what it holds; the inner levels open on a click.
    expect(await keyOf(row, 'order').locator('.tree-summary').textContent()).toBe('{ id: 7, lines: Array(1) }');
    expect(await row.innerText()).not.toContain('A-1');
    await openKey(row, 'order');
    await openKey(row, 'lines');
    await openKey(row, '0');
    await expect.poll(() => row.innerText()).toContain('"A-1"');

    // Scrolled up to read: the list stays where the reader is, a button leads back to the newest.
    await page.locator('[data-testid="debug-scroll"]').evaluate((el) => (el.scrollTop = 0));
    await page.locator('[data-testid="debug-follow"]').waitFor();

    // The node name selects and centres the node that printed it; the inspector stays hidden.
    await row.locator('[data-testid="debug-node"]').click();
    await expect
      .poll(() => page.locator('.react-flow__node[data-id="watch"]').getAttribute('class'))
      .toContain('selected');
    await expect.poll(() => page.locator('.debug-row.selected').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(results, 'debug-sidebar-paused-1024x700.png') });

    // Cleared, the list starts over following the newest.
    await page.locator('[data-testid="debug-clear"]').click();
    await expect.poll(() => rows.count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="debug-follow"]').count()).toBe(0);
    await page.locator('[data-testid="debug-pause"]').click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(1);
    await expect.poll(() => atBottom(page)).toBe(true);

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('.react-flow__controls-fitview').click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(8);
    await openKey(rows.filter({ hasText: 'Watch orders' }).last(), 'order');
    await page.screenshot({ path: join(results, 'debug-sidebar-1440x900.png') });
  });

  it('a node’s help panel shows the text of docs/nodes.md for its type', async () => {
    // Asked for from the node's menu while the debug tab shows: the inspector comes to the front.
    await page.locator('[data-testid="debug-panel"]').waitFor();
    await page.locator('[data-testid="node-watch"]').click({ button: 'right' });
    await page.locator('[data-testid="context-menu"]').getByRole('menuitem', { name: 'Help' }).click();
    await page.locator('[data-testid="sidebar-tab-inspector"][aria-selected="true"]').waitFor();
    const doc = await readFile(nodesDoc, 'utf8');
    const section = doc.split('### Debug (`debug`)')[1]!.split('\n| setting')[0]!;
    const docsText = section.split(/Ports — .*\n/)[1]!;
    expect(plain((await page.locator('[data-testid="help-docs"]').textContent())!)).toBe(plain(docsText));
    expect(await page.locator('[data-testid="help-panel"]').textContent()).toContain('Max per second');
    await page.screenshot({ path: join(results, 'help-panel.png') });
    await page.locator('[data-testid="inspector-tab-settings"]').click();
    await page.locator('#field-maxPerSecond').waitFor();
  });
});
