/* eslint-disable no-restricted-imports -- this test runs in Node, not in the editor bundle */
/**
 * Flow settings, connections, secrets kept out of the flow, unsaved-changes protection and the
 * token prompt, in a real browser against real runtimes (build both first).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  openEditor,
  pickFlow,
  results,
  startRuntime,
  topBarAction,
  type Browser,
  type Editor,
  type Runtime,
} from './harness.js';

let editor: Editor;
let runtime: Runtime;
let page: Page;

const SECRET = 's3cr3t-kafka-pa55';

beforeAll(async () => {
  editor = await openEditor({ open: '', waitFor: '[data-testid="palette-kafka-source"]' });
  ({ runtime, page } = editor);
});

afterAll(() => editor?.close());

const settings = () => page.locator('[data-testid="flow-settings"]');
const dirty = () => page.locator('[data-testid="dirty"]').textContent();

/** Expands a connection's card (a click on its head toggles it). */
async function expand(card: ReturnType<Page['locator']>): Promise<void> {
  const head = card.locator('.connection-head');
  if ((await head.getAttribute('aria-expanded')) !== 'true') await head.click();
}

describe('flow settings', () => {
  it('adds a connection, stores its password as a credential and exports only the reference', async () => {
    // Nothing selected: the inspector is the flow's settings; a new flow's id can still change.
    await settings().waitFor();
    const id = page.locator('#flow-id');
    await id.fill('orders-in');
    await id.press('Enter');
    await expect
      .poll(() => page.getByLabel('Open flow').locator('option:checked').textContent())
      .toBe('orders-in (new)');
    await page.locator('#flow-description').fill('Orders from Kafka');

    // A Kafka connection, edited with the form its type's schema describes.
    await settings().getByLabel('Connection type').selectOption('kafka');
    await settings().getByRole('button', { name: 'Add connection' }).click();
    const card = page.locator('[data-testid="connection-kafka-1"]');
    await card.locator('#field-brokers').fill('127.0.0.1:9092');
    await card.locator('[data-testid="add-field-sasl"]').click();
    await card.locator('#field-sasl-username').fill('app');

    // The password never enters the flow: it is stored in the runtime, the field holds a reference.
    await card.locator('#field-sasl-password').fill(SECRET);
    const name = card.getByLabel('Credential name');
    expect(await name.inputValue()).toBe('orders-in.kafka-1.sasl.password');
    await name.fill('kafka-password');
    await card.screenshot({ path: join(results, 'settings-secret.png') });
    await card.getByRole('button', { name: 'Store as credential' }).click();
    await expect.poll(() => card.locator('.secret-ref code').textContent()).toBe('${cred:kafka-password}');
    const names = await runtime.api<{ names: string[] }>('GET', '/api/credentials');
    expect(names.body.names).toContain('kafka-password');
    await page.screenshot({ path: join(results, 'settings-connection.png') });

    // A Kafka source picks the flow's Kafka connections in its Connection field.
    await page.dragAndDrop('[data-testid="palette-kafka-source"]', '.react-flow__pane', {
      targetPosition: { x: 300, y: 200 },
    });
    await page.locator('[data-testid="node-kafka-source-1"]').click();
    const connection = page.locator('.inspector #field-connection');
    await expect.poll(() => connection.locator('option').allTextContents()).toEqual(['— choose —', 'kafka-1']);
    await connection.selectOption('kafka-1');
    await page.locator('.inspector #field-topics').fill('orders');
    await page.locator('.inspector #field-groupId').fill('orders-in');
    await page.screenshot({ path: join(results, 'settings-node-connection.png') });

    // Deleting a connection in use warns and names the nodes that use it.
    await page.getByRole('button', { name: 'Flow settings' }).click();
    await expand(card);
    await card.getByRole('button', { name: 'Delete connection' }).click();
    await expect.poll(() => card.locator('.confirm').textContent()).toContain('kafka-source-1 uses this connection');
    await card.getByRole('button', { name: 'Keep' }).click();

    await page.locator('[data-testid="save"]').click();
    // Wait for the save itself ("● not saved" does not contain "unsaved" either).
    await expect.poll(dirty).toBe('✓ saved');
    const [download] = await Promise.all([page.waitForEvent('download'), topBarAction(page, 'Export')]);
    const exported = await readFile(await download.path(), 'utf8');
    expect(exported).toContain('${cred:kafka-password}');
    expect(exported).not.toContain(SECRET);
    const flow = JSON.parse(exported) as {
      id: string;
      description: string;
      connections: { id: string; config: { brokers: string[]; sasl: { password: string } } }[];
      nodes: { config: { connection?: string } }[];
    };
    expect(flow.id).toBe('orders-in');
    expect(flow.description).toBe('Orders from Kafka');
    expect(flow.connections[0]?.config.brokers).toEqual(['127.0.0.1:9092']);
    expect(flow.nodes[0]?.config.connection).toBe('kafka-1');
    // Nor does the runtime's copy hold the secret.
    expect(JSON.stringify((await runtime.api('GET', '/api/flows/orders-in')).body)).not.toContain(SECRET);
  });

  it('a saved flow keeps its id; renaming a connection renames it in the nodes that use it', async () => {
    await page.getByRole('button', { name: 'Flow settings' }).click();
    expect(await page.locator('#flow-id').getAttribute('readonly')).not.toBeNull();
    const card = page.locator('[data-testid="connection-kafka-1"]');
    await expand(card);
    const id = card.getByLabel('Connection id');
    await id.fill('local-kafka');
    await id.press('Enter');
    await page.locator('[data-testid="connection-local-kafka"]').waitFor();
    await page.locator('[data-testid="node-kafka-source-1"]').click();
    expect(await page.locator('.inspector #field-connection').inputValue()).toBe('local-kafka');
    // One undo step brings back both names (undo clears the selection).
    await page.keyboard.press('ControlOrMeta+z');
    await page.locator('[data-testid="connection-kafka-1"]').waitFor();
    await page.locator('[data-testid="node-kafka-source-1"]').click();
    expect(await page.locator('.inspector #field-connection').inputValue()).toBe('kafka-1');
  });

  it('a reload with unsaved changes asks first; a saved flow reloads at once', async () => {
    const dialogs: string[] = [];
    const onDialog = (dialog: Dialog) => {
      dialogs.push(dialog.type());
      void dialog.dismiss(); // stay on the page
    };
    page.on('dialog', onDialog);
    await page.getByLabel('Flow name').fill('Orders, edited');
    await expect.poll(dirty).toContain('unsaved');
    // Reload from the page, as a user would; the prompt answers "stay".
    await page.evaluate(() => setTimeout(() => location.reload(), 0));
    await expect.poll(() => dialogs).toEqual(['beforeunload']);
    expect(await page.getByLabel('Flow name').inputValue()).toBe('Orders, edited');

    await page.locator('[data-testid="save"]').click();
    await expect.poll(dirty).not.toContain('unsaved');
    await page.reload();
    await page.locator('[data-testid="palette-kafka-source"]').waitFor();
    expect(dialogs).toEqual(['beforeunload']);
    page.off('dialog', onDialog);
  });

  it('deletes a saved flow after asking, and the runtime no longer has it', async () => {
    const doomed = { schemaVersion: 1, id: 'doomed', name: 'Doomed', nodes: [], edges: [] };
    expect((await runtime.api('POST', '/api/flows', doomed)).status).toBe(201);
    await expect
      .poll(() => page.locator('select[aria-label="Open flow"] option[value="doomed"]').count(), {
        timeout: 15_000,
      })
      .toBe(1);
    await pickFlow(page, 'doomed');
    await page.getByRole('button', { name: 'Flow settings' }).click();
    await page.getByRole('button', { name: 'Delete this flow…' }).click();
    await page.getByRole('button', { name: 'Delete flow' }).click();
    await expect.poll(() => page.locator('select[aria-label="Open flow"] option[value="doomed"]').count()).toBe(0);
    expect((await runtime.api('GET', '/api/flows/doomed')).status).toBe(404);
  });
});

describe('a runtime started with a token', () => {
  let secured: Runtime;
  let other: Browser;

  beforeAll(async () => {
    secured = await startRuntime({ token: 'e2e-token-7f3a' });
    other = await launchBrowser();
  });

  afterAll(async () => {
    await other?.close();
    await secured?.stop();
  });

  it('asks for the token instead of showing broken panels, then works with it', async () => {
    const p = other.page;
    await p.goto(secured.url);
    const prompt = p.locator('[data-testid="token-prompt"]');
    await prompt.waitFor();
    expect(await p.locator('.live.on').count()).toBe(0);
    await prompt.getByLabel('Token').fill('not-the-token');
    await prompt.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => prompt.getByRole('alert').textContent()).toContain('refused this token');
    await p.screenshot({ path: join(results, 'settings-token-prompt.png') });

    await prompt.getByLabel('Token').fill('e2e-token-7f3a');
    await prompt.getByRole('button', { name: 'Sign in' }).click();
    await prompt.waitFor({ state: 'detached' });
    // What failed loads now: node types, and the live connection (socket.io with the token).
    await p.locator('[data-testid="palette-sequence"]').waitFor();
    await p.locator('.live.on').waitFor();
    expect(await p.evaluate(() => localStorage.getItem('tributary.token'))).toBe('e2e-token-7f3a');
    // And it is remembered: a reload goes straight in.
    await p.reload();
    await p.locator('[data-testid="palette-sequence"]').waitFor();
    expect(await prompt.count()).toBe(0);
  });
});
