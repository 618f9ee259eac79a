/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * Forms and problems in words, in a real browser against the real runtime: field messages say what
 * is wrong about the field, malformed JSON says so, problems name nodes by label and link to them.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEditor, results, WIDE, type Editor } from './harness.js';

let editor: Editor;
let page: Page;

const broken = {
  schemaVersion: 1,
  id: 'broken',
  name: 'Broken settings',
  nodes: [
    {
      id: 'inline-1',
      type: 'inline',
      typeVersion: 1,
      label: 'Fixtures',
      position: { x: 0, y: 0 },
      config: { messages: [1, 2], repeat: 0 },
    },
    { id: 'map-1', type: 'map', typeVersion: 1, label: 'To reading', position: { x: 300, y: 0 }, config: {} },
    { id: 'counter-1', type: 'counter', typeVersion: 1, position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'inline-1:out>map-1:in', source: 'inline-1', sourcePort: 'out', target: 'map-1', targetPort: 'in' },
    { id: 'map-1:out>counter-1:in', source: 'map-1', sourcePort: 'out', target: 'counter-1', targetPort: 'in' },
  ],
};

const body = () => page.locator('body').textContent();

beforeAll(async () => {
  editor = await openEditor({
    flows: [broken],
    viewport: WIDE,
    open: '/#/flows/broken',
    waitFor: '[data-testid="node-map-1"]',
  });
  ({ page } = editor);
});

afterAll(() => editor?.close());

describe('forms and problems in plain words', () => {
  it('a field says what is wrong with it in words, not in validator terms', async () => {
    await page.locator('[data-testid="node-inline-1"]').click();
    const repeat = page.locator('.inspector [data-field="repeat"]');
    await expect.poll(() => repeat.locator('.problem').textContent()).toBe('must be at least 1');
    expect(await body()).not.toContain('Too small');

    // Text that is not JSON says so, and is not reported as a missing value.
    const messages = page.locator('#field-messages');
    await messages.fill('[1, 2');
    await page.locator('#field-repeat').fill('3');
    const row = page.locator('.inspector [data-field="messages"]');
    await expect.poll(() => row.locator('.json-error').textContent()).toContain('This is not valid JSON');
    expect(await row.locator('.problem:visible').count()).toBe(1);
    await messages.fill('[1, 2, 3]');
    await page.locator('#field-repeat').focus();
    await expect.poll(() => row.locator('.json-error').count()).toBe(0);
    await page.screenshot({ path: join(results, 'forms-field-messages.png') });
  });

  it('a refused deploy lists its problems by node label, and a link shows the node', async () => {
    await page.locator('[data-testid="deploy"]').click();
    const notice = page.locator('[data-testid="notice"]');
    await expect.poll(() => notice.textContent()).toContain('Deploy failed: 1 problem');
    const item = notice.locator('[data-testid="problem-list"] li').first();
    expect(await item.textContent()).toMatch(/^To readingValue is required \(/);
    expect(await notice.textContent()).not.toContain('/nodes/');
    await page.screenshot({ path: join(results, 'forms-deploy-problems.png') });
    await item.getByRole('button', { name: 'To reading' }).click();
    await expect.poll(() => page.locator('.inspector h2').textContent()).toBe('Map');
    expect(await page.locator('.inspector .muted').first().textContent()).toContain('map-1');

    // The flow's problems list (no node selected) names the node and the field as well.
    await page.locator('[aria-label="Flow settings"]').click();
    const list = page.locator('[data-testid="flow-settings"] [data-testid="problem-list"]');
    await expect.poll(() => list.textContent()).toMatch(/^To readingValue is required \(/);
  });
});
