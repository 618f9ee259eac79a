/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * Live state you can trust and flows with addresses, in a real browser against the real runtime:
 * a failed or stopped flow looks stopped, the node blamed is marked, notices follow the run; the
 * list of flows is the home, flows open by URL, a mid-sized flow shows its figures at fit zoom.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diamonds, edge, openEditor, results, type Editor, type Runtime } from './harness.js';

let editor: Editor;
let runtime: Runtime;
let page: Page;

/** Numbers → a function that loops forever from the 100th message (the watchdog's case) → a counter. */
const hanging = {
  schemaVersion: 1,
  id: 'hanging',
  name: 'Hangs after a while',
  nodes: [
    { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { rate: 20 } },
    {
      id: 'spin',
      type: 'function',
      typeVersion: 1,
      label: 'Spinner',
      position: { x: 300, y: 0 },
      config: { code: 'if (value >= 100) while (true) {}\nreturn msg;' },
    },
    { id: 'total', type: 'counter', typeVersion: 1, position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [edge('numbers', 'spin'), edge('spin', 'total')],
};

const steady = {
  schemaVersion: 1,
  id: 'steady',
  name: 'Steady numbers',
  nodes: [
    { id: 'ticks', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { rate: 10 } },
    { id: 'tally', type: 'counter', typeVersion: 1, position: { x: 300, y: 0 }, config: {} },
  ],
  edges: [edge('ticks', 'tally')],
};

const text = (selector: string) => page.locator(selector).first().textContent();
const liveFigures = () => page.locator('.node-stats, .node-glance, .edge-label').count();

beforeAll(async () => {
  // 15 groups of diamonds, 5 a row: 60 nodes.
  const flows = [hanging, steady, diamonds('sixty', 15, 5)];
  editor = await openEditor({ flows, viewport: { width: 1400, height: 900 }, acceptDialogs: true });
  ({ runtime, page } = editor);
});

afterAll(() => editor?.close());

describe('live state and flow addresses', () => {
  it('opens on the list of flows, with state and live rate, and a row opens its flow by address', async () => {
    expect((await runtime.api('POST', '/api/flows/steady/deploy')).status).toBe(200);
    await page.goto(`${runtime.url}/#/flows`);
    const row = page.locator('[data-testid="flow-row-steady"]');
    await row.waitFor();
    await expect.poll(() => row.locator('.state').textContent()).toBe('running');
    await expect.poll(() => text('[data-testid="flow-rate-steady"]')).toMatch(/^[1-9][\d.]*\/s$/);
    expect(await page.locator('[data-testid="flow-row-hanging"] .state').textContent()).toBe('stopped');
    await page.screenshot({ path: join(results, 'live-flow-list.png') });

    await row.getByRole('link', { name: 'Steady numbers' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/flows/steady');
    await page.locator('[data-testid="node-tally"]').waitFor();
    await expect.poll(() => page.locator('[data-testid="flow-state"]').textContent()).toBe('running');
    await expect.poll(() => text('[data-testid="stats-tally"]'), { timeout: 30_000 }).toMatch(/\/s/);
  });

  it('after Stop the flow looks stopped: no rates, each node says so, the notice goes by itself', async () => {
    await page.locator('[data-testid="stop"]').click();
    await expect.poll(() => page.locator('[data-testid="flow-state"]').textContent()).toBe('stopped');
    await expect.poll(liveFigures).toBe(0);
    expect(await text('[data-testid="state-tally"]')).toBe('stopped');
    expect(await text('[data-testid="state-ticks"]')).toBe('stopped');
    // Late snapshots of the drain do not bring the rates back.
    await page.waitForTimeout(2500);
    expect(await liveFigures()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="notice"]').count(), { timeout: 20_000 }).toBe(0);
  });

  it('reloading opens the flow opened last; an unknown address says so and shows the list', async () => {
    await page.goto(`${runtime.url}/`);
    await page.reload();
    await expect.poll(() => page.getByLabel('Flow name').inputValue()).toBe('Steady numbers');
    expect(new URL(page.url()).hash).toBe('#/flows/steady');

    await page.goto(`${runtime.url}/#/flows/no-such-flow`);
    await page.reload();
    await expect.poll(() => text('[data-testid="notice"]')).toContain('There is no flow "no-such-flow"');
    await page.locator('[data-testid="flow-list"]').waitFor();

    // A new flow has no address and never claims to be saved.
    await page.locator('[data-testid="flow-list"]').getByRole('button', { name: 'New flow' }).click();
    expect(await text('[data-testid="dirty"]')).toContain('not saved');
    await expect.poll(() => page.locator('[data-testid="flow-list"]').count()).toBe(0);
  });

  it('a flow killed by the watchdog looks failed: no rates, the hanging node marked with the reason', async () => {
    await page.goto(`${runtime.url}/#/flows/hanging`);
    await page.reload();
    await page.locator('[data-testid="node-spin"]').waitFor();
    await page.locator('[data-testid="deploy"]').click();
    await expect.poll(() => text('[data-testid="stats-total"]'), { timeout: 30_000 }).toMatch(/\/s/);
    await expect
      .poll(() => page.locator('[data-testid="flow-state"]').textContent(), { timeout: 60_000 })
      .toBe('failed');
    await expect.poll(liveFigures).toBe(0);
    await page.locator('[data-testid="failed-spin"]').waitFor();
    expect(await text('[data-testid="failure-spin"]')).toContain('"spin"');
    expect(await page.locator('[data-testid="failed-total"]').count()).toBe(0);
    expect(await text('[data-testid="state-total"]')).toBe('failed');
    await expect.poll(() => text('[data-testid="notice"]')).toContain('Flow failed');
    await page.screenshot({ path: join(results, 'live-failed.png') });

    // The list says so too, with the reason.
    await page.locator('[data-testid="home"]').click();
    await expect.poll(() => text('[data-testid="flow-row-hanging"] .state')).toBe('failed');
    expect(await text('[data-testid="flow-row-hanging"]')).toContain('"spin"');
  });

  it('a running 60-node flow fitted to the window shows every node’s rate in legible text', async () => {
    expect((await runtime.api('POST', '/api/flows/sixty/deploy')).status).toBe(200);
    await page.goto(`${runtime.url}/#/flows/sixty`);
    await page.reload();
    await page.locator('[data-testid="node-count-14"]').waitFor();
    const zoom = async () =>
      Number(
        ((await page.locator('.react-flow__viewport').getAttribute('style')) ?? '').match(/scale\(([\d.]+)\)/)?.[1],
      );
    await expect.poll(zoom).toBeLessThan(0.45);
    await expect.poll(() => page.locator('.node-glance').count(), { timeout: 30_000 }).toBe(60);
    await expect.poll(() => text('[data-testid="stats-count-14"]'), { timeout: 30_000 }).toMatch(/[1-9][\d.]*\/s/);
    const box = (await page.locator('[data-testid="stats-count-14"] span').first().boundingBox())!;
    // About 11 px text on screen, whatever the zoom.
    expect(box.height).toBeGreaterThanOrEqual(9);
    await page.screenshot({ path: join(results, 'live-sixty-fit.png') });
  });
});
