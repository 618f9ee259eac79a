/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * The debug panel and the help panel, in a real browser against the real runtime: messages reaching
 * `debug` nodes show as trees, filtered by node; each node's help is the text of docs/nodes.md.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edge, openEditor, results, WIDE, type Editor } from './harness.js';

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

beforeAll(async () => {
  editor = await openEditor({
    flows: [flow],
    deploy: ['dbg'],
    viewport: WIDE,
    open: '/#/flows/dbg',
    waitFor: '[data-testid="node-watch"]',
  });
  ({ page } = editor);
});

afterAll(() => editor?.close());

describe('debug and help panels', () => {
  it('shows what reaches debug nodes as trees you open, filtered by node', async () => {
    await page.locator('[data-testid="debug-toggle"]').click();
    const rows = page.locator('[data-testid="debug-row"]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThan(3);
    const panel = page.locator('[data-testid="debug-panel"]');
    expect(await panel.textContent()).toContain('Watch orders');
    expect(await panel.textContent()).toContain('Raw numbers');

    await panel.getByLabel('Debug node filter').selectOption('watch');
    await expect
      .poll(async () => new Set(await rows.locator('.log-node').allTextContents()))
      .toEqual(new Set(['Watch orders']));
    // The value is open at first, what it holds opens level by level on a click.
    // New rows keep arriving on top: pause the list to read it.
    await page.locator('[data-testid="debug-pause"]').click();
    const seq = await rows.first().getAttribute('data-seq');
    const first = page.locator(`[data-testid="debug-row"][data-seq="${seq}"]`);
    expect(await first.locator('.tree-key').allTextContents()).toContain('order: ');
    expect(await first.innerText()).not.toContain('A-1');
    await first.locator('summary', { hasText: 'order' }).click();
    await first.locator('summary', { hasText: 'lines' }).click();
    await first.locator('summary', { hasText: '0' }).last().click();
    await expect.poll(() => first.innerText()).toContain('"A-1"');
    await page.screenshot({ path: join(results, 'debug-panel.png') });
  });

  it('a node’s help panel shows the text of docs/nodes.md for its type', async () => {
    await page.locator('[data-testid="node-watch"]').click();
    await page.locator('[data-testid="inspector-tab-help"]').click();
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
