/* eslint-disable no-restricted-imports -- this test runs in Node (it starts the runtime, a browser and an HTTP peer), not in the editor bundle */
/**
 * The test panel for nodes that need a connection or write to a service, in a real browser against
 * the real runtime: a Redis cache reads what was stored on the shared Redis (6379) through the flow's
 * connection, and an HTTP request sink sends, once the user allows it, to a real local HTTP server
 * with the secret resolved by the runtime.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, results, startRuntime, type Browser, type Runtime } from './harness.js';

let runtime: Runtime;
let browser: Browser;
let page: Page;
let peer: Server;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

/** This branch's own store on the shared Redis. */
const STORE = `editor-e2e-${process.pid}`;
const connections = [{ id: 'editor-redis', type: 'redis', config: { host: '127.0.0.1', port: 6379 } }];
const cacheConfig = (operation: string) => ({ operation, backend: 'redis', connection: 'editor-redis', store: STORE });

const flow = (url: string) => ({
  schemaVersion: 1,
  id: 'conn-test',
  name: 'Connected tests',
  connections,
  nodes: [
    {
      id: 'readings',
      type: 'inline',
      typeVersion: 1,
      position: { x: 0, y: 0 },
      config: { messages: [{ sensor: 'a' }] },
    },
    {
      id: 'lookup',
      type: 'cache',
      typeVersion: 1,
      label: 'Last reading',
      position: { x: 300, y: 0 },
      config: cacheConfig('get'),
    },
    {
      id: 'forward',
      type: 'http-request',
      typeVersion: 1,
      label: 'Forward',
      position: { x: 600, y: 0 },
      config: { url, authorization: '${cred:editor_e2e_auth}' },
    },
  ],
  edges: [
    { id: 'readings:out>lookup:in', source: 'readings', sourcePort: 'out', target: 'lookup', targetPort: 'in' },
    { id: 'lookup:out>forward:in', source: 'lookup', sourcePort: 'out', target: 'forward', targetPort: 'in' },
  ],
});

beforeAll(async () => {
  peer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}/ingest`;
  runtime = await startRuntime();
  expect((await runtime.api('PUT', '/api/credentials/editor_e2e_auth', { value: 'Bearer e2e-token' })).status).toBe(
    204,
  );
  expect((await runtime.api('POST', '/api/flows', flow(url))).status).toBe(201);
  // Something to find: stored on the real Redis by a test of a `put` cache through the same API.
  const put = await runtime.api<{ kind: string }>('POST', '/api/node-test', {
    type: 'cache',
    config: cacheConfig('put'),
    connections,
    message: { key: 'sensor-a', value: { celsius: 21.5 } },
    timeoutMs: 10_000,
  });
  expect(put.body.kind).toBe('ran');
  browser = await launchBrowser({ viewport: { width: 1024, height: 700 } });
  page = browser.page;
  await page.goto(`${runtime.url}/#/flows/conn-test`);
  await page.locator('[data-testid="node-lookup"]').waitFor();
});

afterAll(async () => {
  await runtime
    ?.api('POST', '/api/node-test', {
      type: 'cache',
      config: cacheConfig('delete'),
      connections,
      message: { key: 'sensor-a', value: null },
      timeoutMs: 10_000,
    })
    .catch(() => undefined);
  await browser?.close();
  await runtime?.stop();
  await new Promise((resolve) => peer?.close(resolve));
});

describe('test panel with connections', () => {
  it('runs a Redis cache through the flow’s connection against the real Redis', async () => {
    await page.locator('[data-testid="node-lookup"]').click();
    await page.locator('[data-testid="test-panel"] summary').click();
    await page.locator('#test-value').fill('{ "sensor": "a" }');
    await page.locator('#test-key').fill('sensor-a');
    await page.locator('[data-testid="test-run"]').click();
    const result = page.locator('[data-testid="test-result"]');
    await expect
      .poll(() => result.locator('.test-out pre').first().textContent(), { timeout: 60_000 })
      .toContain('"celsius": 21.5');
    expect(await result.locator('.test-port').first().textContent()).toBe('out');
    // The port a result came out of; until there is one, what the panel says (a failure shows there).
    const firstPort = () =>
      result
        .locator('.test-port')
        .first()
        .textContent({ timeout: 1000 })
        .catch(async () => `no port yet: ${await page.locator('[data-testid="test-panel"]').textContent()}`);
    // A key nobody stored: a miss, on its own port.
    await page.locator('#test-key').fill('sensor-none');
    await page.locator('[data-testid="test-run"]').click();
    await expect.poll(firstPort, { timeout: 60_000 }).toBe('miss');
    await page.locator('#test-key').fill('sensor-a');
    await page.locator('[data-testid="test-run"]').click();
    await expect.poll(firstPort, { timeout: 60_000 }).toBe('out');
    await page.locator('[data-testid="test-panel"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(results, 'test-panel-redis-1024x700.png') });
  });

  it('sends from a sink only once allowed, to the real service, the secret resolved by the runtime', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('[data-testid="node-forward"]').click();
    await page.locator('[data-testid="test-panel"] summary').click();
    const run = page.locator('[data-testid="test-run"]');
    expect(await run.isDisabled()).toBe(true);
    await page.locator('#test-value').fill('{ "celsius": 21.5 }');
    await page.locator('[data-testid="test-write"]').check();
    await run.click();
    const result = page.locator('[data-testid="test-result"]');
    await expect.poll(() => result.textContent(), { timeout: 60_000 }).toContain('Sent: the target took the message.');
    expect(received.at(-1)?.body).toBe('{"celsius":21.5}');
    expect(received.at(-1)?.headers.authorization).toBe('Bearer e2e-token');
    await page.locator('[data-testid="test-panel"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(results, 'test-panel-sink-1440x900.png') });
  });
});
