/* eslint-disable no-restricted-imports -- this test runs in Node, not in the editor bundle */
/**
 * The canvas with live stats and with a large flow, in a real browser against the real runtime
 * (build both first). What a user relies on: a stats tick updates the figures without
 * re-rendering the canvas, and a large flow seen from far is drawn as blocks and edges that join
 * the same points React Flow draws close up. Speed itself is measured by bench/canvas-bench.mjs.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, pickFlow, results, startRuntime, type Browser, type Runtime } from './harness.js';

let runtime: Runtime;
let browser: Browser;

type Renders = Record<string, number>;

beforeAll(async () => {
  runtime = await startRuntime();
  browser = await launchBrowser();
  // The editor counts its components' renders when this object exists (src/render-probe.ts).
  await browser.context.addInitScript(() => {
    (window as { __tributaryRenders?: Renders }).__tributaryRenders = {};
  });
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

const renders = () =>
  browser.page.evaluate(() => ({ ...(window as { __tributaryRenders?: Renders }).__tributaryRenders }));

function edge(source: string, target: string) {
  return { id: `${source}:out>${target}:in`, source, sourcePort: 'out', target, targetPort: 'in' };
}

/** `groups` diamonds: sequence → map and filter → counter (4 nodes, 4 edges each). */
function diamonds(id: string, groups: number) {
  const nodes = [];
  const edges = [];
  for (let g = 0; g < groups; g++) {
    const x = (g % 8) * 860;
    const y = Math.floor(g / 8) * 230;
    nodes.push(
      { id: `src-${g}`, type: 'sequence', typeVersion: 1, position: { x, y: y + 55 }, config: { rate: 2 } },
      { id: `map-${g}`, type: 'map', typeVersion: 1, position: { x: x + 280, y }, config: { value: 'value' } },
      {
        id: `filter-${g}`,
        type: 'filter',
        typeVersion: 1,
        position: { x: x + 280, y: y + 110 },
        config: { expression: 'true' },
      },
      { id: `count-${g}`, type: 'counter', typeVersion: 1, position: { x: x + 560, y: y + 55 }, config: {} },
    );
    edges.push(
      edge(`src-${g}`, `map-${g}`),
      edge(`src-${g}`, `filter-${g}`),
      edge(`map-${g}`, `count-${g}`),
      edge(`filter-${g}`, `count-${g}`),
    );
  }
  return { schemaVersion: 1, id, name: id, nodes, edges };
}

/** First and last points of an SVG path (`M x,y C … x,y`). */
function ends(d: string): [number, number, number, number] {
  const n = (d.match(/-?\d+(\.\d+)?(e-?\d+)?/g) ?? []).map(Number);
  return [n[0]!, n[1]!, n.at(-2)!, n.at(-1)!];
}

describe('canvas', () => {
  it('a stats tick re-renders the live figures, never the canvas or the nodes themselves', async () => {
    const { page } = browser;
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
    const { page } = browser;
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
});
