/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * The editor's monitoring in a real browser (Debian chromium) against the real runtime: dashboard
 * charts from history and live ticks, the message tap of an edge, the log and error drawer.
 * Build the runtime and the editor first (the runtime serves apps/editor/dist).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFlow, openEditor, results, type Editor, type Runtime } from './harness.js';

let editor: Editor;
let runtime: Runtime;
let baseUrl: string;
let page: Page;
/** socket.io frames the page sent (to see `tap:start` / `tap:stop` go out). */
const sent: string[] = [];

/** A flow whose function node throws for every third message, its error port left unwired. */
const failingFlow = {
  schemaVersion: 1,
  id: 'failing',
  name: 'Failing function',
  nodes: [
    {
      id: 'numbers',
      type: 'sequence',
      typeVersion: 1,
      label: 'Numbers',
      position: { x: 0, y: 0 },
      config: { rate: 20 },
    },
    {
      id: 'validate',
      type: 'function',
      typeVersion: 1,
      label: 'Validate',
      position: { x: 300, y: 0 },
      config: {
        code: "if (value % 3 === 0) throw new Error('multiple of three');\nif (value % 10 === 1) ctx.log.warn(`odd one: ${value}`);\nreturn msg;",
      },
    },
    {
      id: 'done',
      type: 'counter',
      typeVersion: 1,
      label: 'Done',
      position: { x: 600, y: 0 },
      config: {},
    },
  ],
  edges: [
    { id: 'numbers->validate', source: 'numbers', sourcePort: 'out', target: 'validate', targetPort: 'in' },
    { id: 'validate->done', source: 'validate', sourcePort: 'out', target: 'done', targetPort: 'in' },
  ],
};

async function openFlow(id: string): Promise<void> {
  // The picker lists the server's flows (polled); reload it if the flow is not listed yet.
  await expect
    .poll(() => page.locator(`select[aria-label="Open flow"] option[value="${id}"]`).count())
    .toBeGreaterThan(0);
  await page.locator('select[aria-label="Open flow"]').selectOption(id);
}

/** Clicks an edge in its middle (between its two handles: a bezier's midpoint). */
async function clickEdge(source: string, sourcePort: string, target: string, targetPort: string): Promise<void> {
  const from = page.locator(`[data-id="${source}"] .react-flow__handle[data-handleid="${sourcePort}"]`);
  const to = page.locator(`[data-id="${target}"] .react-flow__handle[data-handleid="${targetPort}"]`);
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.click((a.x + a.width / 2 + b.x + b.width / 2) / 2, (a.y + a.height / 2 + b.y + b.height / 2) / 2);
}

async function points(testId: string): Promise<number> {
  return Number(await page.locator(`[data-testid="${testId}"]`).getAttribute('data-points'));
}

beforeAll(async () => {
  // Leaving a flow with unsaved changes asks first: yes.
  const flows = [await demoFlow(), failingFlow];
  editor = await openEditor({ flows, viewport: { width: 1400, height: 900 }, acceptDialogs: true });
  ({ runtime, page } = editor);
  baseUrl = runtime.url;
  page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(String(frame.payload))));
  await page.goto(baseUrl);
  // Flows exist, none runs and none was opened here before: the page starts on the list of flows.
  await page.locator('[data-testid="flow-list"]').waitFor();
});

afterAll(() => editor?.close());

describe('monitoring end to end', () => {
  it('the dashboard says the flow is not deployed, then charts it from history and live ticks', async () => {
    await openFlow('demo');
    await page.locator('[data-testid="node-sensors"]').waitFor();
    await page.locator('[data-testid="view-dashboard"]').click();
    await page.locator('[data-testid="dashboard-empty"]').waitFor();
    expect(new URL(page.url()).hash).toBe('#/flows/demo/dashboard');

    // Deploy from the empty state; the charts appear and fill from the live ticks.
    await page.locator('[data-testid="dashboard-empty"]').getByRole('button', { name: 'Deploy' }).click();
    await expect.poll(() => page.locator('[data-testid="flow-state"]').textContent()).toBe('running');
    await expect.poll(() => points('chart-flow-throughput')).toBeGreaterThanOrEqual(3);
    const before = await points('chart-flow-throughput');
    await expect.poll(() => points('chart-flow-throughput')).toBeGreaterThan(before);
    for (const chart of ['chart-flow-latency', 'chart-flow-errors', 'chart-node-throughput', 'chart-node-latency'])
      expect(await points(chart)).toBeGreaterThan(0);
    // The throughput chart has values, not only points (the sensors emit 20 messages/s).
    expect(await page.locator('[data-testid="chart-flow-throughput"]').getAttribute('data-empty')).toBe('false');
    expect(await page.locator('[data-testid="chart-flow-throughput"] canvas').count()).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid="dashboard-kpis"] .kpi-value').first().textContent())
      .toMatch(/\/s$/);

    // Another node: its charts start again from the runtime's history.
    await page.locator('[data-testid="dashboard-node"]').selectOption('sensors');
    await expect.poll(() => points('chart-node-throughput')).toBeGreaterThanOrEqual(before);
    // A source without lag figures says so in its lag chart.
    expect(await page.locator('[data-testid="chart-node-lag"]').getAttribute('data-empty')).toBe('true');
    expect(await page.locator('[data-testid="chart-node-lag"]').textContent()).toContain('reports no consumer lag');

    // Back to the editor: the same flow, still on the canvas.
    await page.locator('[data-testid="view-editor"]').click();
    expect(new URL(page.url()).hash).toBe('#/flows/demo');
    expect(await page.locator('[data-testid="dashboard"]').count()).toBe(0);
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(9);
  });

  it('a dashboard link opens the dashboard of that flow, its charts starting from the runtime history', async () => {
    const kept = async () =>
      ((await (await fetch(`${baseUrl}/api/flows/demo/stats`)).json()) as { snapshots: unknown[] }).snapshots.length;
    // Enough history that one live tick could not pass for it.
    await expect.poll(kept).toBeGreaterThanOrEqual(8);
    const seen = await kept();
    await page.goto(`${baseUrl}/#/flows/demo/dashboard`);
    await page.reload();
    await page.locator('[data-testid="dashboard"]').waitFor();
    await expect.poll(() => page.getByLabel('Flow name').inputValue()).toBe('Demo: sensor monitoring');
    // The first data the chart gets already holds the history (many seconds), not one live tick.
    await expect.poll(() => points('chart-flow-throughput')).toBeGreaterThan(0);
    expect(await points('chart-flow-throughput')).toBeGreaterThanOrEqual(seen);
    await page.getByRole('button', { name: '1 min' }).click();
    await page.locator('[data-testid="dashboard-node"]').selectOption('reading');
    await expect.poll(() => points('chart-node-errors')).toBeGreaterThanOrEqual(seen);
    await page.mouse.move(5, 300);
    await page.screenshot({ path: join(results, 'monitoring-dashboard.png') });
    await page.locator('[data-testid="chart-node-errors"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(results, 'monitoring-dashboard-node.png') });

    // The charts follow the window's size.
    const chartWidth = async () =>
      (await page.locator('[data-testid="chart-flow-throughput"] canvas').boundingBox())?.width ?? 0;
    const wide = await chartWidth();
    await page.setViewportSize({ width: 1000, height: 900 });
    await expect.poll(chartWidth).toBeLessThan(wide - 100);
    await page.setViewportSize({ width: 1400, height: 900 });
    await expect.poll(chartWidth).toBeGreaterThan(wide - 10);
    await page.locator('[data-testid="view-editor"]').click();
  });

  it('taps an edge: sampled messages arrive newest first, pause, clear, and stop on deselect', async () => {
    await page.locator('[data-testid="node-sensors"]').waitFor();
    await clickEdge('reading', 'out', 'latest', 'in');
    const panel = page.locator('[data-testid="tap-panel"]');
    await panel.waitFor();
    expect(await panel.textContent()).toContain('To reading');
    expect(await panel.textContent()).toContain('Latest per sensor');
    await panel.locator('[data-testid="tap-start"]').click();
    await expect.poll(() => panel.locator('[data-testid="tap-message"]').count()).toBeGreaterThanOrEqual(3);
    expect(sent.some((f) => f.includes('"tap:start"') && f.includes('reading->latest'))).toBe(true);

    // Newest first: the readings' sequence numbers go down the list.
    const values = (await panel.locator('.tap-value code').allTextContents())
      .slice(0, 3)
      .map((text) => (JSON.parse(text) as { seq: number; sensor: string }).seq);
    expect(values[0]).toBeGreaterThan(values[1]!);
    expect(values[1]).toBeGreaterThan(values[2]!);
    expect(await panel.locator('.tap-key code').first().textContent()).toMatch(/^sensor-\d$/);
    // A value opens as indented JSON.
    await panel.locator('.tap-value').nth(1).click();
    const json = (await panel.locator('[data-testid="tap-json"]').first().textContent())!;
    expect(json).toContain('\n  "celsius": ');
    expect(JSON.parse(json)).toMatchObject({ seq: values[1] });
    await page.screenshot({ path: join(results, 'monitoring-tap.png') });

    // Paused: samples are counted but not listed.
    await panel.locator('[data-testid="tap-pause"]').click();
    const listed = await panel.locator('[data-testid="tap-message"]').count();
    await expect.poll(() => panel.locator('.tap-live').textContent()).toMatch(/paused · [1-9]\d* new/);
    expect(await panel.locator('[data-testid="tap-message"]').count()).toBe(listed);
    await panel.locator('[data-testid="tap-clear"]').click();
    expect(await panel.locator('[data-testid="tap-message"]').count()).toBe(0);
    await panel.locator('[data-testid="tap-pause"]').click();
    await expect.poll(() => panel.locator('[data-testid="tap-message"]').count()).toBeGreaterThan(0);

    // Deselecting the edge closes the panel and stops the tap on the server.
    await page.keyboard.press('Escape');
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    await expect.poll(() => panel.count()).toBe(0);
    await expect.poll(() => sent.some((f) => f.includes('"tap:stop"') && f.includes('reading->latest'))).toBe(true);
  });

  it('a tap on an edge the saved flow does not have shows the runtime error', async () => {
    // A new edge that exists only in the editor (not saved): the runtime refuses to tap it.
    const from = page.locator('[data-id="hot"] .react-flow__handle[data-handleid="out"]');
    const to = page.locator('[data-id="readings"] .react-flow__handle[data-handleid="in"]');
    const a = (await from.boundingBox())!;
    const b = (await to.boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
    await page.mouse.up();
    const edge = page.locator('.react-flow__edge[data-id="hot:out>readings:in"]');
    await edge.waitFor({ state: 'attached' });
    await clickEdge('hot', 'out', 'readings', 'in');
    await page.locator('[data-testid="tap-start"]').click();
    await expect.poll(() => page.locator('[data-testid="tap-error"]').textContent()).toContain('E_EDGE_NOT_FOUND');
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => edge.count()).toBe(0);
  });

  it('logs and node errors of a failing function: folded, filtered, and a click shows the node', async () => {
    await openFlow('failing');
    await page.locator('[data-testid="node-validate"]').waitFor();
    await page.locator('[data-testid="deploy"]').click();
    await expect.poll(() => page.locator('[data-testid="flow-state"]').textContent()).toBe('running');

    // Closed, the drawer counts what came in.
    await expect
      .poll(async () => Number(await page.locator('[data-testid="log-badge"]').textContent()))
      .toBeGreaterThan(0);
    await page.locator('[data-testid="log-toggle"]').click();
    const rows = page.locator('[data-testid="log-row"]');
    await expect.poll(() => page.locator('[data-testid="log-row"][data-level="error"]').count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid="log-row"][data-level="warn"]').count()).toBeGreaterThan(0);
    const error = page.locator('[data-testid="log-row"][data-level="error"]').first();
    expect(await error.textContent()).toContain('multiple of three');
    expect(await error.locator('[data-testid="log-node"]').textContent()).toBe('Validate');
    // Repeats of the same error fold into one line with a count.
    await expect.poll(() => error.locator('[data-testid="log-count"]').count()).toBe(1);
    await expect
      .poll(async () => Number((await error.locator('[data-testid="log-count"]').textContent())?.slice(1)))
      .toBeGreaterThan(2);
    // The deploy shows up as state changes of the flow.
    expect(await page.locator('.log-message').getByText('running', { exact: true }).count()).toBe(1);
    // An error reaching no error port is shown once (its mirrored log line is not repeated).
    expect(await page.locator('[data-testid="log-row"][data-level="error"]').count()).toBe(1);
    await page.screenshot({ path: join(results, 'monitoring-logs.png') });

    // Filters: errors only.
    for (const level of ['debug', 'info', 'warn']) await page.locator(`[data-testid="log-level-${level}"]`).click();
    await expect.poll(() => rows.count()).toBe(1);
    for (const level of ['debug', 'info', 'warn']) await page.locator(`[data-testid="log-level-${level}"]`).click();
    await page.locator('[data-testid="log-node-filter"]').selectOption('numbers');
    await expect.poll(() => rows.count()).toBe(0);
    await page.locator('[data-testid="log-node-filter"]').selectOption('validate');
    await expect.poll(() => rows.count()).toBeGreaterThan(1);

    // From the dashboard, a click on the node name goes back to the editor with the node selected.
    await page.locator('[data-testid="view-dashboard"]').click();
    await page.locator('[data-testid="dashboard"]').waitFor();
    await error.locator('[data-testid="log-node"]').click();
    await expect.poll(() => page.locator('[data-testid="dashboard"]').count()).toBe(0);
    await expect
      .poll(() => page.locator('.react-flow__node[data-id="validate"]').getAttribute('class'))
      .toContain('selected');
    await expect.poll(() => page.locator('[data-testid="inspector"] h2').textContent()).toBe('Function');
    // Centred: the node sits in the middle of the canvas.
    const canvas = (await page.locator('[data-testid="canvas"]').boundingBox())!;
    await expect
      .poll(async () => {
        const box = (await page.locator('[data-testid="node-validate"]').boundingBox())!;
        return Math.abs(box.x + box.width / 2 - (canvas.x + canvas.width / 2));
      })
      .toBeLessThan(40);
    await page.screenshot({ path: join(results, 'monitoring-log-focus.png') });
  });
});
