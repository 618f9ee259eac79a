/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * Keyboard, menus, canvas notes and the dark theme, in a real browser against the real runtime.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawnWires, edge, openEditor, results, WIDE, type Editor, type Runtime } from './harness.js';

let editor: Editor;
let runtime: Runtime;
let page: Page;

const flow = {
  schemaVersion: 1,
  id: 'keys',
  name: 'Keys',
  nodes: [
    {
      id: 'numbers',
      type: 'sequence',
      typeVersion: 1,
      label: 'Numbers',
      position: { x: 0, y: 0 },
      config: { rate: 5 },
    },
    { id: 'twice', type: 'function', typeVersion: 1, position: { x: 320, y: 0 }, config: { code: 'return msg;' } },
    { id: 'total', type: 'counter', typeVersion: 1, position: { x: 640, y: 0 }, config: {} },
  ],
  edges: [edge('numbers', 'twice'), edge('twice', 'total')],
};

const dirty = () => page.locator('[data-testid="dirty"]').textContent();
const menu = () => page.locator('[data-testid="context-menu"]');
const wires = () => drawnWires(page);

/**
 * The middle of a wire on screen, read from its path once the canvas stopped moving: after an undo
 * or a panel change the nodes can still be moving, and a point measured then misses the wire.
 */
async function wireMiddle(id: string): Promise<{ x: number; y: number }> {
  const at = () =>
    page.locator(`.react-flow__edge[data-id="${id}"] path.react-flow__edge-path`).evaluate((path: SVGPathElement) => {
      const p = path.getPointAtLength(path.getTotalLength() / 2);
      const m = path.getScreenCTM()!;
      return { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
    });
  let last = await at();
  for (let i = 0; i < 50; i++) {
    await page.waitForTimeout(100);
    const now = await at();
    if (Math.abs(now.x - last.x) < 0.5 && Math.abs(now.y - last.y) < 0.5) return now;
    last = now;
  }
  throw new Error(`wire ${id} kept moving for 5 s`);
}

async function stored(): Promise<{
  nodes: { id: string; label?: string }[];
  editor?: { notes: { kind: string; text: string }[] };
}> {
  const res = await runtime.api<{ flow: Awaited<ReturnType<typeof stored>> }>('GET', '/api/flows/keys');
  return res.body.flow;
}

beforeAll(async () => {
  editor = await openEditor({
    flows: [flow],
    viewport: WIDE,
    open: '/#/flows/keys',
    waitFor: '[data-testid="node-twice"]',
  });
  ({ runtime, page } = editor);
});

afterAll(() => editor?.close());

describe('keyboard and menus', () => {
  it('Ctrl+S saves from inside a field; ? shows the shortcuts', async () => {
    await page.locator('[data-testid="node-twice"]').click();
    await page.locator('#node-label').fill('Twice');
    await expect.poll(dirty).toContain('unsaved');
    await page.keyboard.press('ControlOrMeta+s');
    await expect.poll(dirty).toBe('✓ saved');
    expect((await stored()).nodes[1]?.label).toBe('Twice');

    await page.locator('.react-flow__pane').click({ position: { x: 500, y: 500 } });
    await page.keyboard.press('?');
    await page.locator('[data-testid="shortcut-sheet"]').waitFor();
    expect(await page.locator('[data-testid="shortcut-sheet"]').textContent()).toContain('Ctrl+A');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid="shortcut-sheet"]').count()).toBe(0);
  });

  it('Ctrl+A selects every node; the inspector offers actions on all of them', async () => {
    await page.keyboard.press('ControlOrMeta+a');
    const panel = page.locator('[data-testid="selection-panel"]');
    await expect.poll(() => panel.locator('h2').textContent()).toBe('3 nodes selected');
    await panel.getByRole('button', { name: 'Disable all' }).click();
    await expect.poll(() => page.locator('.tnode.disabled').count()).toBe(3);
    await panel.getByRole('button', { name: 'Enable all' }).click();
    await expect.poll(() => page.locator('.tnode.disabled').count()).toBe(0);
    // One undo step brings the three back to disabled.
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => page.locator('.tnode.disabled').count()).toBe(3);
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => page.locator('.tnode.disabled').count()).toBe(0);
    // Undo brings back node objects of an earlier snapshot: their wires are still drawn.
    await expect.poll(wires).toEqual(flow.edges.map((e) => e.id));
  });

  it('node, wire and canvas menus: help, duplicate, tap', async () => {
    await page.locator('[data-testid="node-twice"]').click({ button: 'right' });
    await menu().waitFor();
    const items = await menu().getByRole('menuitem').allTextContents();
    expect(items.map((t) => t.replace(/Ctrl\+D|Del$/, ''))).toEqual([
      'Duplicate',
      'Disable',
      'Test…',
      'Tap its wire',
      'Help',
      'Delete',
    ]);
    await page.screenshot({ path: join(results, 'keyboard-node-menu.png') });
    await menu().getByRole('menuitem', { name: 'Help' }).click();
    await page.locator('[data-testid="help-panel"]').waitFor();
    await page.locator('[data-testid="inspector-tab-settings"]').click();

    await page.locator('[data-testid="node-total"]').click({ button: 'right' });
    await menu()
      .getByRole('menuitem', { name: /Duplicate/ })
      .click();
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(4);
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(3);

    const middle = await wireMiddle('twice:out>total:in');
    await page.mouse.click(middle.x, middle.y, { button: 'right' });
    await menu().getByRole('menuitem', { name: 'Tap (sample its messages)' }).click();
    await page.locator('[data-testid="tap-panel"]').waitFor();
  });

  it('a wire dropped on a source is refused with the reason', async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 600, y: 600 } });
    await page.locator('[data-testid="tap-panel"]').waitFor({ state: 'detached' });
    const from = (await page.locator('[data-id="total"] .react-flow__handle[data-handleid="error"]').boundingBox())!;
    const onto = (await page.locator('[data-testid="node-numbers"]').boundingBox())!;
    const edges = await page.locator('.react-flow__edge').count();
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(onto.x + onto.width / 2, onto.y + onto.height - 8, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => page.locator('[data-testid="notice"]').textContent()).toContain('"Numbers" is a source');
    expect(await page.locator('.react-flow__edge').count()).toBe(edges);
  });
});

describe('comments, groups and the dark theme', () => {
  it('adds a comment and a titled group from the canvas menu; both are saved in the flow', async () => {
    await page.keyboard.press('Escape');
    await page.locator('.react-flow__pane').click({ position: { x: 300, y: 520 }, button: 'right' });
    await menu().getByRole('menuitem', { name: 'Add a comment here' }).click();
    const comment = page.locator('.note-comment textarea');
    await comment.waitFor();
    await comment.fill('Numbers arrive five per second');
    await comment.press('Escape');
    await page.locator('.react-flow__pane').click({ position: { x: 150, y: 150 }, button: 'right' });
    await menu().getByRole('menuitem', { name: 'Add a group here' }).click();
    // A new group opens with its title ready for typing.
    await page.locator('.note-group textarea').fill('Ingest');
    await page.locator('.note-group textarea').press('Escape');
    await page.keyboard.press('ControlOrMeta+s');
    await expect.poll(dirty).toBe('✓ saved');
    const notes = (await stored()).editor?.notes ?? [];
    expect(notes.map((n) => [n.kind, n.text])).toEqual([
      ['comment', 'Numbers arrive five per second'],
      ['group', 'Ingest'],
    ]);
    await page.reload();
    await page.locator('.note-group .note-title', { hasText: 'Ingest' }).waitFor();
    await page.screenshot({ path: join(results, 'notes.png') });
  });

  it('follows a dark system theme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = () => page.locator('.topbar').evaluate((el) => getComputedStyle(el).backgroundColor);
    await expect.poll(bg).toBe('rgb(29, 33, 39)');
    // The canvas follows in a React render after the media change: later than the CSS on a busy machine.
    await expect.poll(() => page.locator('.react-flow').getAttribute('class')).toContain('dark');
    await page.screenshot({ path: join(results, 'dark-1440x900.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(bg).toBe('rgb(255, 255, 255)');
  });
});
