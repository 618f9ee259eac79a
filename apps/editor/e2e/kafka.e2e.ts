/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime and a browser), not in the editor bundle */
/**
 * Kafka in the editor, against the real runtime and the real broker (`pnpm kafka start`, or
 * KAFKA_BROKERS): the Kafka nodes and connection are in the palette with their forms, and a
 * source that falls behind shows its consumer lag on the canvas.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEditor, pickFlow, results, type Browser, type Editor, type Runtime } from './harness.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const topic = `editor-lag-${Date.now().toString(36)}`;
const connections = [{ id: 'local-kafka', type: 'kafka', config: { brokers: BROKERS } }];

/** Writes 20,000 numbers to the topic, then ends. */
const fill = {
  schemaVersion: 1,
  id: 'fill',
  name: 'Fill the topic',
  connections,
  nodes: [
    { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { count: 20_000 } },
    {
      id: 'write',
      type: 'kafka-sink',
      typeVersion: 1,
      position: { x: 300, y: 0 },
      config: { connection: 'local-kafka', topic },
    },
  ],
  edges: [{ id: 'numbers->write', source: 'numbers', sourcePort: 'out', target: 'write', targetPort: 'in' }],
};

/** Reads the topic through a deliberately slow function: the source falls behind. */
const slow = {
  schemaVersion: 1,
  id: 'slow-reader',
  name: 'Slow reader',
  connections,
  nodes: [
    {
      id: 'read',
      type: 'kafka-source',
      typeVersion: 1,
      label: 'Orders',
      position: { x: 0, y: 0 },
      config: {
        connection: 'local-kafka',
        topics: [topic],
        groupId: `${topic}-g`,
        startFrom: 'earliest',
        batchSize: 10,
      },
    },
    {
      id: 'slowly',
      type: 'function',
      typeVersion: 1,
      position: { x: 300, y: 0 },
      config: { code: 'await new Promise((r) => setTimeout(r, 20));\nreturn msg;' },
    },
    { id: 'done', type: 'counter', typeVersion: 1, position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'read->slowly', source: 'read', sourcePort: 'out', target: 'slowly', targetPort: 'in' },
    { id: 'slowly->done', source: 'slowly', sourcePort: 'out', target: 'done', targetPort: 'in' },
  ],
};

let editor: Editor;
let runtime: Runtime;
let browser: Browser;

beforeAll(async () => {
  editor = await openEditor({ flows: [fill, slow], deploy: ['fill'] });
  ({ runtime, browser } = editor);
  // The topic is full once the fill flow finished (its sink confirmed every record).
  for (let deadline = Date.now() + 60_000; ;) {
    const { body } = await runtime.api<{ state: string; lastError?: string }>('GET', '/api/flows/fill');
    if (body.state === 'finished') break;
    if (body.state === 'failed' || Date.now() > deadline) throw new Error(`fill flow: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Opened once the fill flow is done: a running flow would open by itself.
  await browser.page.goto(runtime.url);
  await browser.page.locator('[data-testid="palette-sequence"]').waitFor({ state: 'attached' });
});

afterAll(() => editor?.close());

describe('Kafka in the editor', () => {
  it('has the Kafka nodes in the palette, with their forms', async () => {
    const { page } = browser;
    await expect.poll(() => page.locator('[data-testid="palette-kafka-source"]').count()).toBe(1);
    expect(await page.locator('[data-testid="palette-kafka-sink"]').count()).toBe(1);
    await pickFlow(page, 'slow-reader');
    await page.locator('[data-testid="node-read"]').click();
    await expect.poll(() => page.locator('.inspector').textContent()).toContain('Group id');
    expect(await page.locator('.inspector').textContent()).toContain('Start from');
    // Settings left unset show the default that applies, not a blank.
    expect(await page.locator('#field-codec option:checked').textContent()).toBe('json (default)');
    expect(await page.locator('#field-delivery option:checked').textContent()).toBe('at-least-once (default)');
  });

  it('shows the consumer lag on a source that falls behind', async () => {
    const { page } = browser;
    expect((await runtime.api('POST', '/api/flows/slow-reader/deploy')).status).toBeLessThan(300);
    const lag = page.locator('[data-testid="lag-read"]');
    await expect.poll(() => lag.textContent(), { timeout: 30_000 }).toMatch(/lag [\d.]+k? msgs/);
    // Thousands behind: the function handles ~50 records/s of the 20,000.
    expect(Number(/lag ([\d.]+)/.exec((await lag.textContent()) ?? '')?.[1])).toBeGreaterThan(0);
    // The flow picker follows the live state of the open flow (not only its 10 s poll).
    await expect.poll(() => page.getByLabel('Open flow').locator('option:checked').textContent()).toContain('running');
    await page.screenshot({ path: join(results, 'kafka-lag.png') });
    await runtime.api('POST', '/api/flows/slow-reader/stop');
  });
});
