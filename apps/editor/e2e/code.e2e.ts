/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * Code fields in a real browser against the real runtime: syntax errors marked on their line as you
 * type with the runtime's own message, a test panel that runs the selected node on the runtime
 * (isolated, time-limited), and an editor that can be resized and expanded.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEditor, results, WIDE, type Editor, type Runtime } from './harness.js';

let editor: Editor;
let runtime: Runtime;
let page: Page;

const flow = {
  schemaVersion: 1,
  id: 'code',
  name: 'Code',
  nodes: [
    { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { rate: 5 } },
    {
      id: 'double',
      type: 'function',
      typeVersion: 1,
      label: 'Double',
      position: { x: 300, y: 0 },
      config: { code: 'return { value: value * 2 };' },
    },
    { id: 'total', type: 'counter', typeVersion: 1, position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'numbers:out>double:in', source: 'numbers', sourcePort: 'out', target: 'double', targetPort: 'in' },
    { id: 'double:out>total:in', source: 'double', sourcePort: 'out', target: 'total', targetPort: 'in' },
  ],
};

const code = () => page.locator('.inspector .cm-content');

async function typeCode(text: string): Promise<void> {
  await code().click();
  await page.keyboard.press('ControlOrMeta+a');
  // As pasted: typed keys would get brackets closed and lines indented for them.
  await page.keyboard.insertText(text);
  await expect.poll(() => code().textContent()).toBe(text.replace(/\n/g, ''));
}

beforeAll(async () => {
  editor = await openEditor({ flows: [flow], viewport: WIDE, open: '/#/flows/code' });
  ({ runtime, page } = editor);
  await page.locator('[data-testid="node-double"]').click();
  await code().waitFor();
});

afterAll(() => editor?.close());

describe('code fields', () => {
  it('marks a syntax error on its line as you type, with the runtime message, and clears it once fixed', async () => {
    await typeCode('const doubled = value * 2;\nreturn { value: doubled ');
    const mark = page.locator('.inspector .cm-lintRange-error');
    await expect.poll(() => mark.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.locator('.inspector .cm-lint-marker-error').first().hover();
    const tooltip = page.locator('.cm-tooltip-lint');
    await expect.poll(() => tooltip.textContent()).toContain('syntax error at the end of the code');
    await page.screenshot({ path: join(results, 'code-syntax-error.png') });

    await page.keyboard.press('Escape');
    await code().click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.type('};');
    await expect.poll(() => mark.count(), { timeout: 60_000 }).toBe(0);
  });

  it('runs the node on a sample message on the runtime and shows what came out, errors and hangs included', async () => {
    await page.locator('[data-testid="test-panel"] summary').click();
    await page.locator('#test-value').fill('21');
    await page.locator('[data-testid="test-run"]').click();
    const result = page.locator('[data-testid="test-result"]');
    await expect.poll(() => result.locator('.test-out pre').first().textContent(), { timeout: 60_000 }).toBe('42');
    await page.screenshot({ path: join(results, 'code-test-panel.png') });

    await typeCode("if (value > 10) throw new Error('too big: ' + value);\nreturn msg;");
    await page.locator('[data-testid="test-run"]').click();
    await expect.poll(() => result.locator('.test-error').textContent()).toContain('too big: 21');

    await typeCode('while (true) {}');
    await page.locator('[data-testid="test-run"]').click();
    await expect.poll(() => result.textContent(), { timeout: 30_000 }).toContain('no result after');
    // The editor and the runtime go on answering.
    expect((await runtime.api('GET', '/api/health')).status).toBe(200);
  });

  it('the code editor grows by its corner and expands over the page', async () => {
    const box = page.locator('.inspector .code-box');
    const before = (await box.boundingBox())!;
    await page.mouse.move(before.x + before.width - 3, before.y + before.height - 3);
    await page.mouse.down();
    await page.mouse.move(before.x + before.width - 3, before.y + before.height + 150, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await box.boundingBox())!.height).toBeGreaterThan(before.height + 100);

    await page.locator('[data-testid="code-expand"]').click();
    const field = page.locator('[data-testid="code-field"].expanded');
    await expect.poll(async () => (await field.boundingBox())?.width ?? 0).toBeGreaterThan(1200);
    // Long lines wrap rather than scroll sideways.
    await typeCode(`return { value: '${'long text '.repeat(40)}' };`);
    const scroller = page.locator('[data-testid="code-field"] .cm-scroller');
    expect(await scroller.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(results, 'code-expanded.png') });
    await page.locator('[data-testid="code-expand"]').click();
    await expect.poll(() => field.count()).toBe(0);
  });
});
