/* eslint-disable no-restricted-imports -- this test runs in Node, not in the editor bundle */
/**
 * The canvas with live stats and with a large flow, in a real browser against the real runtime
 * (build both first). What a user relies on: a stats tick updates the figures without
 * re-rendering the canvas, and a large flow seen from far is drawn as blocks and edges that join
 * the same points React Flow draws close up. Speed itself is measured by bench/canvas-bench.mjs.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diamonds, drawnWires, edge, openEditor, pickFlow, results, type Editor, type Runtime } from './harness.js';

let editor: Editor;
let runtime: Runtime;
let page: Page;

type Renders = Record<string, number>;

beforeAll(async () => {
  editor = await openEditor({ countRenders: true });
  ({ runtime, page } = editor);
});

afterAll(() => editor?.close());

const renders = () => page.evaluate(() => ({ ...(window as { __tributaryRenders?: Renders }).__tributaryRenders }));

/** First and last points of an SVG path (`M x,y C … x,y`). */
function ends(d: string): [number, number, number, number] {
  const n = (d.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number);
  return [n[0]!, n[1]!, n.at(-2)!, n.at(-1)!];
}

describe('canvas', () => {
  it('a stats tick re-renders the live figures, never the canvas or the nodes themselves', async () => {
    expect((await runtime.api('POST', '/api/flows', diamonds('live', 1))).status).toBe(201);
    expect((await runtime.api('POST', '/api/flows/live/deploy')).status).toBe(200);
    await page.goto(runtime.url);
    await pickFlow(page, 'live');
    const count = page.locator('[data-testid="count-count-0"]');
    const value = async () => Number(((await count.textContent()) ?? '').replace(/[^0-9]/g, ''));
    await expect.poll(value, { timeout: 30_000 }).toBeGreaterThan(0);

    const before = await renders();
    // Three more ticks (the count changes each second).
    for (let i = 0; i < 3; i++) {
      const seen = await value();
      await expect.poll(value, { timeout: 10_000 }).toBeGreaterThan(seen);
    }
    const after = await renders();
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    expect(delta('StatsLine')).toBeGreaterThanOrEqual(3);
    expect(delta('Canvas')).toBe(0);
    expect(delta('FlowNodeView')).toBe(0);
  });

  it('seen from far, a large flow is blocks and an edge overview that meets the handles drawn close up', async () => {
    const groups = 75; // 300 nodes, 300 edges
    expect((await runtime.api('POST', '/api/flows', diamonds('large', groups))).status).toBe(201);
    await page.goto(runtime.url);
    await pickFlow(page, 'large');

    // Framed whole: every node is a block, and no edge is a React Flow edge.
    await expect.poll(() => page.locator('.tnode-far').count()).toBe(groups * 4);
    expect(await page.locator('.react-flow__edge').count()).toBe(0);
    const overview = page.locator('[data-testid="edge-overview"] path');
    const drawn = await overview.evaluateAll((paths) =>
      paths.map((p) => ({ d: p.getAttribute('d') ?? '', count: Number(p.getAttribute('data-edges')) })),
    );
    expect(drawn.reduce((sum, p) => sum + p.count, 0)).toBe(groups * 4);
    await page.screenshot({ path: join(results, 'canvas-far.png') });
    const segments = drawn.flatMap((p) => p.d.split(/ (?=M)/)).map(ends);

    // Close up: full nodes with their ids, React Flow's own edges, and no overview.
    const zoomIn = page.locator('.react-flow__controls-zoomin');
    for (let i = 0; i < 12 && (await page.locator('.tnode-near').count()) === 0; i++) await zoomIn.click();
    await expect.poll(() => page.locator('.tnode-near').count()).toBeGreaterThan(0);
    expect(await page.locator('.tnode-far').count()).toBe(0);
    expect(await page.locator('[data-testid="edge-overview"]').count()).toBe(0);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(results, 'canvas-near.png') });
    const close = await page
      .locator('.react-flow__edge-path')
      .evaluateAll((paths) => paths.map((p) => p.getAttribute('d') ?? ''));
    for (const d of close) {
      const [x0, y0, x1, y1] = ends(d);
      const match = segments.some(
        ([a, b, c, e]) =>
          Math.abs(a - x0) < 0.5 && Math.abs(b - y0) < 0.5 && Math.abs(c - x1) < 0.5 && Math.abs(e - y1) < 0.5,
      );
      expect(match, `edge ${d} has no twin in the overview`).toBe(true);
    }
  });

  it('shows a long node title whole at zoom 1, on two lines, and in full on hover', async () => {
    const long = 'Kafka source: orders from the EU region';
    const flow = {
      schemaVersion: 1,
      id: 'titles',
      name: 'Long titles',
      nodes: [
        { id: 'orders', type: 'sequence', typeVersion: 1, label: long, position: { x: 0, y: 0 }, config: { rate: 1 } },
        { id: 'tally', type: 'counter', typeVersion: 1, position: { x: 300, y: 0 }, config: {} },
      ],
      edges: [edge('orders', 'tally')],
    };
    expect((await runtime.api('POST', '/api/flows', flow)).status).toBe(201);
    await page.goto(`${runtime.url}/#/flows/titles`);
    const title = page.locator('[data-testid="title-orders"]');
    await title.waitFor();
    // Two nodes fit at the largest zoom (1): the full detail, as a user reads a small flow.
    await expect.poll(() => page.locator('.tnode-near').count()).toBe(2);
    expect(await title.textContent()).toBe(long);
    expect(await title.getAttribute('title')).toBe(long);
    const box = await title.evaluate((el) => ({
      lines: Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)),
      clippedX: el.scrollWidth > el.clientWidth,
      clippedY: el.scrollHeight > el.clientHeight,
    }));
    expect(box).toEqual({ lines: 2, clippedX: false, clippedY: false });
    // The node keeps its width (the flow's layout), and its wire still ends on its port.
    expect((await page.locator('[data-testid="node-orders"]').boundingBox())!.width).toBe(190);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(1);
    await page.locator('[data-testid="node-orders"]').screenshot({ path: join(results, 'canvas-long-title.png') });
  });

  it('draws every wire when the node types arrive after the flow', async () => {
    const flow = {
      schemaVersion: 1,
      id: 'late-types',
      name: 'Node types late',
      nodes: [
        { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { rate: 1 } },
        { id: 'twice', type: 'function', typeVersion: 1, position: { x: 320, y: 0 }, config: { code: 'return msg;' } },
        { id: 'total', type: 'counter', typeVersion: 1, position: { x: 640, y: 0 }, config: {} },
      ],
      edges: [edge('numbers', 'twice'), edge('twice', 'total')],
    };
    expect((await runtime.api('POST', '/api/flows', flow)).status).toBe(201);
    // As on a busy machine now and then: the node types come once the flow's nodes are drawn and
    // measured, with no ports known. The counter (a sink) is as tall with its `in` port as without.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/node-types', async (route) => {
      await released;
      await route.continue();
    });
    try {
      // A new page load (not a change of address in this one), which fetches the node types again.
      await page.goto('about:blank');
      await page.goto(`${runtime.url}/#/flows/late-types`);
      await page.locator('[data-testid="node-total"]').waitFor();
      expect(await page.locator('[data-id="total"] .react-flow__handle[data-handleid="in"]').count()).toBe(0);
      // The minimap (on at this width) paints nodes of no known type grey until then.
      const fills = () =>
        page.locator('.react-flow__minimap-node').evaluateAll((els) => els.map((el) => getComputedStyle(el).fill));
      const grey = 'rgb(153, 153, 153)';
      await expect.poll(fills).toEqual([grey, grey, grey]);
      release();
      await page.locator('[data-id="total"] .react-flow__handle[data-handleid="in"]').waitFor();
      await expect.poll(() => drawnWires(page)).toEqual(flow.edges.map((e) => e.id));
      // …and in its kind's colour once the types are known (a source, a handler, a sink).
      await expect.poll(async () => new Set(await fills()).size).toBe(3);
      expect(await fills()).not.toContain(grey);
      await page.screenshot({ path: join(results, 'canvas-late-types.png') });
    } finally {
      release();
      await page.unroute('**/api/node-types');
    }
  });
});
