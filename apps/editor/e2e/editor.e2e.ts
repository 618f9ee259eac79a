/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * The editor in a real browser (Debian chromium) against the real runtime, which serves the built
 * editor: build both first (`pnpm --filter @tributary/runtime build`, `pnpm --filter @tributary/editor build`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEditor, results, topBarAction, type Editor, type Runtime } from './harness.js';

let editor: Editor;
let runtime: Runtime;
let baseUrl: string;
let page: Page;

/** Drags a palette item onto the canvas at (x, y) relative to the canvas. */
async function dropFromPalette(type: string, x: number, y: number): Promise<void> {
  await page.dragAndDrop(`[data-testid="palette-${type}"]`, '.react-flow__pane', { targetPosition: { x, y } });
}

async function wire(source: string, sourcePort: string, target: string, targetPort: string): Promise<void> {
  const from = page.locator(`[data-id="${source}"] .react-flow__handle[data-handleid="${sourcePort}"]`);
  const to = page.locator(`[data-id="${target}"] .react-flow__handle[data-handleid="${targetPort}"]`);
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

async function count(): Promise<number> {
  const text = await page.locator('[data-testid="count-counter-1"]').textContent({ timeout: 30_000 });
  return Number((text ?? '').replace(/[^0-9]/g, ''));
}

beforeAll(async () => {
  editor = await openEditor({ open: '', waitFor: '[data-testid="palette-sequence"]' });
  ({ runtime, page } = editor);
  baseUrl = runtime.url;
});

afterAll(() => editor?.close());

describe('editor end to end', () => {
  it('builds sequence → function → counter, saves, deploys, and shows the count growing', async () => {
    await dropFromPalette('sequence', 120, 200);
    await dropFromPalette('function', 420, 200);
    await dropFromPalette('counter', 720, 200);
    for (const id of ['sequence-1', 'function-1', 'counter-1'])
      await page.locator(`[data-testid="node-${id}"]`).waitFor();

    await wire('sequence-1', 'out', 'function-1', 'in');
    await wire('function-1', 'out', 'counter-1', 'in');
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(2);

    // Sequence at a set rate (kind to the shared machine), function doubling each message.
    await page.locator('[data-testid="node-sequence-1"]').click();
    await page.locator('#field-rate').fill('200');
    await page.locator('[data-testid="node-function-1"]').click();
    const code = page.locator('.inspector .cm-content');
    await code.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('return [msg, msg];');
    await expect.poll(() => code.textContent()).toBe('return [msg, msg];');

    // A flow the runtime has never seen says so, edited or not.
    expect(await page.locator('[data-testid="dirty"]').textContent()).toContain('not saved');
    await page.locator('[data-testid="save"]').click();
    await expect.poll(() => page.locator('[data-testid="dirty"]').textContent()).toBe('✓ saved');
    // Saved: the flow has its own address.
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/flows\/flow-/);

    await page.locator('[data-testid="deploy"]').click();
    await expect
      .poll(() => page.locator('[data-testid="flow-state"]').textContent(), { timeout: 30_000 })
      .toBe('running');

    const first = await count();
    await expect.poll(count, { timeout: 30_000 }).toBeGreaterThan(first);
    await expect.poll(() => page.locator('.edge-label').count(), { timeout: 10_000 }).toBe(2);
    await topBarAction(page, 'Layout');
    await expect.poll(() => page.locator('[data-testid="dirty"]').textContent()).toContain('unsaved');
    const xs = await Promise.all(
      ['sequence-1', 'function-1', 'counter-1'].map(
        async (n) => (await page.locator(`[data-testid="node-${n}"]`).boundingBox())!.x,
      ),
    );
    expect(xs[0]).toBeLessThan(xs[1]!);
    expect(xs[1]).toBeLessThan(xs[2]!);
    await page.locator('[data-testid="save"]').click();
    await expect.poll(() => page.locator('[data-testid="dirty"]').textContent()).not.toContain('unsaved');
    await page.screenshot({ path: join(results, 'editor-e2e.png') });

    // The document the server holds is what was built on the canvas.
    const id = await page.evaluate(() => document.querySelector<HTMLSelectElement>('select')?.value ?? '');
    const record = (await (await fetch(`${baseUrl}/api/flows/${id}`)).json()) as {
      flow: { nodes: { id: string; config: Record<string, unknown> }[]; edges: { id: string }[] };
    };
    expect(record.flow.nodes.map((n) => n.id)).toEqual(['sequence-1', 'function-1', 'counter-1']);
    expect(record.flow.nodes[1]?.config.code).toBe('return [msg, msg];');
    expect(record.flow.nodes[0]?.config.rate).toBe(200);
    expect(record.flow.edges.map((e) => e.id)).toEqual(['sequence-1:out>function-1:in', 'function-1:out>counter-1:in']);

    // Export downloads exactly what the server's export endpoint serves.
    const [download] = await Promise.all([page.waitForEvent('download'), topBarAction(page, 'Export')]);
    expect(download.suggestedFilename()).toBe(`${id}.flow.json`);
    const downloaded = await readFile(await download.path(), 'utf8');
    const served = await (await fetch(`${baseUrl}/api/flows/${id}/export`)).text();
    expect(downloaded).toBe(served);
  });

  it('refuses an impossible wire and a broken import, leaving the flow as it was', async () => {
    const edgesBefore = await page.locator('.react-flow__edge').count();
    await wire('counter-1', 'error', 'function-1', 'in');
    await expect.poll(() => page.locator('[data-testid="notice"]').textContent()).toContain('would close a loop');
    expect(await page.locator('.react-flow__edge').count()).toBe(edgesBefore);

    const bad = JSON.stringify({
      schemaVersion: 1,
      id: 'bad',
      name: 'Bad',
      nodes: [{ id: 'x', type: 'nope' }],
      edges: [],
    });
    await page.locator('[data-testid="import-file"]').setInputFiles({
      name: 'bad.flow.json',
      mimeType: 'application/json',
      buffer: Buffer.from(bad),
    });
    const dialog = page.locator('[data-testid="import-problems"]');
    await expect.poll(() => dialog.textContent()).toContain('/nodes/0');
    await page.screenshot({ path: join(results, 'editor-e2e-import.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(await page.locator('.react-flow__node').count()).toBe(3);
  });

  it('deletes a node with its edges and brings both back with undo', async () => {
    await page.locator('[data-testid="node-counter-1"]').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(2);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(1);
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(3);
    // Edges are drawn once the restored node's handles are measured, a frame or two later.
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(2);
  });

  it('a save over a newer version on the server is refused and offered to the user', async () => {
    const id = await page.evaluate(() => document.querySelector<HTMLSelectElement>('select')?.value ?? '');
    const record = (await (await fetch(`${baseUrl}/api/flows/${id}`)).json()) as {
      flow: { name: string };
      rev: string;
    };
    const put = await fetch(`${baseUrl}/api/flows/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ flow: { ...record.flow, name: 'Renamed elsewhere' }, rev: record.rev }),
    });
    expect(put.status).toBe(200);
    await page.getByLabel('Flow name').fill('Renamed here');
    await page.locator('[data-testid="save"]').click();
    const notice = page.locator('[data-testid="notice"]');
    await expect.poll(() => notice.textContent()).toContain('changed on the server');
    expect(await page.locator('[data-testid="dirty"]').textContent()).toContain('unsaved');
    await notice.getByRole('button', { name: 'Load theirs' }).click();
    await expect.poll(() => page.getByLabel('Flow name').inputValue()).toBe('Renamed elsewhere');
  });

  it('a deploy that cannot start shows the reason on its node and keeps the running version', async () => {
    await page.locator('[data-testid="node-function-1"]').click();
    const code = page.locator('.inspector .cm-content');
    await code.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('return (');
    await page.locator('[data-testid="deploy"]').click();
    await expect.poll(() => page.locator('[data-testid="notice"]').textContent()).toContain('Deploy failed');
    await expect.poll(() => page.locator('[data-testid="node-function-1"] .badge').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="flow-state"]').textContent()).toBe('running');
    await page.screenshot({ path: join(results, 'editor-e2e-deploy-error.png') });
    const first = await count();
    await expect.poll(count, { timeout: 30_000 }).toBeGreaterThan(first);
  });
});
