/* eslint-disable no-restricted-imports -- e2e helpers run in Node (they start the runtime and a browser), not in the editor bundle */
/**
 * A real `tributary serve` (apps/runtime/dist, serving the built editor) and a real Chromium for
 * end-to-end tests. Build both first: `pnpm exec turbo run build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../bench/chromium.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '../../runtime/dist/cli.js');
const demoFile = join(here, '../../../examples/demo.flow.json');
export const results = join(here, '../test-results');

/** The window most tests use; the layout test goes through others. */
export const WIDE = { width: 1440, height: 900 };

export interface Runtime {
  url: string;
  /** Calls the API (JSON), with the runtime's token when it has one. */
  api: <T>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;
  stop: () => Promise<void>;
}

export async function startRuntime(options: { token?: string } = {}): Promise<Runtime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-e2e-data-'));
  const args = [cli, 'serve', '--port', '0', '--data-dir', dataDir];
  if (options.token) args.push('--token', options.token);
  const proc: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /runtime on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`runtime exited (${code}): ${output}`)));
  });
  const api = async <T>(method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await fetch(url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return {
    url,
    api,
    stop: async () => {
      proc.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profileDir = await mkdtemp(join(tmpdir(), 'tributary-e2e-profile-'));
  await mkdir(results, { recursive: true });
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: options.viewport ?? { width: 1400, height: 860 },
    acceptDownloads: true,
    args: chromiumArgs,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** Opens a saved flow with the editor's flow picker. */
export async function pickFlow(page: Page, id: string): Promise<void> {
  const picker = page.getByLabel('Open flow');
  await picker.locator(`option[value="${id}"]`).waitFor({ state: 'attached' });
  await picker.selectOption(id);
}

/** A flow's edge from `source`'s out port to `target`'s in port (the common wiring of test flows). */
export function edge(source: string, target: string) {
  return { id: `${source}:out>${target}:in`, source, sourcePort: 'out', target, targetPort: 'in' };
}

/**
 * Ids of the wires React Flow drew (an edge with a path), in order: an edge can be in the document
 * and not drawn, when React Flow has no measured handle for one of its ends.
 */
export function drawnWires(page: Page): Promise<(string | null)[]> {
  return page
    .locator('.react-flow__edge')
    .evaluateAll((els) =>
      els
        .filter((el) => el.querySelector('path.react-flow__edge-path')?.getAttribute('d'))
        .map((el) => el.getAttribute('data-id')),
    );
}

/**
 * `groups` diamonds of 4 nodes (sequence → map and filter → counter), `columns` groups a row: a
 * running flow of any size with live figures on every node and edge.
 */
export function diamonds(id: string, groups: number, columns = 8) {
  const nodes = [];
  const edges = [];
  for (let g = 0; g < groups; g++) {
    const x = (g % columns) * 860;
    const y = Math.floor(g / columns) * 230;
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
  return { schemaVersion: 1, id, name: `${groups * 4} nodes`, nodes, edges };
}

/** The demo flow of examples/ (id `demo`), as the README tells users to import it. */
export async function demoFlow(): Promise<unknown> {
  return JSON.parse(await readFile(demoFile, 'utf8')) as unknown;
}

export interface EditorOptions {
  /** Flows saved on the runtime before the page opens (each must be accepted). */
  flows?: readonly unknown[];
  /** Ids of those flows to deploy (each must start). */
  deploy?: readonly string[];
  viewport?: { width: number; height: number };
  /** Opened in the page, after the runtime's address: `/#/flows/x`; none: the page stays blank. */
  open?: string;
  /** A selector the opened page shows once ready. */
  waitFor?: string;
  /** Answer yes to the page's dialogs (leaving a flow with unsaved changes asks first). */
  acceptDialogs?: boolean;
  /** Count the editor's component renders (`window.__tributaryRenders`, src/render-probe.ts). */
  countRenders?: boolean;
  token?: string;
}

/** A runtime and a browser on it, set up as one test file needs them. */
export interface Editor {
  runtime: Runtime;
  browser: Browser;
  page: Page;
  close: () => Promise<void>;
}

/** The set-up most e2e files share: a runtime with their flows, a browser, the page opened. */
export async function openEditor(options: EditorOptions = {}): Promise<Editor> {
  const runtime = await startRuntime({ token: options.token });
  let browser: Browser | undefined;
  try {
    for (const flow of options.flows ?? []) {
      const saved = await runtime.api('POST', '/api/flows', flow);
      if (saved.status !== 201) throw new Error(`saving a test flow: ${saved.status} ${JSON.stringify(saved.body)}`);
    }
    for (const id of options.deploy ?? []) {
      const deployed = await runtime.api('POST', `/api/flows/${id}/deploy`);
      if (deployed.status !== 200)
        throw new Error(`deploying ${id}: ${deployed.status} ${JSON.stringify(deployed.body)}`);
    }
    browser = await launchBrowser({ viewport: options.viewport });
    const { page } = browser;
    if (options.acceptDialogs) page.on('dialog', (dialog) => void dialog.accept());
    if (options.countRenders)
      await browser.context.addInitScript(() => {
        (window as { __tributaryRenders?: Record<string, number> }).__tributaryRenders = {};
      });
    if (options.open !== undefined) await page.goto(runtime.url + options.open);
    if (options.waitFor) await page.locator(options.waitFor).waitFor();
    const opened = browser;
    return {
      runtime,
      browser: opened,
      page,
      close: async () => {
        await opened.close();
        await runtime.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    await runtime.stop();
    throw error;
  }
}

/** Runs a top-bar action (New, Layout, Import, Export): its button, or the "⋯" menu of a narrower window. */
export async function topBarAction(page: Page, name: 'New' | 'Layout' | 'Import' | 'Export'): Promise<void> {
  const button = page.locator('.topbar').getByRole('button', { name, exact: true });
  if (await button.isVisible()) return button.click();
  await page.locator('[data-testid="more-actions"]').click();
  await page.getByRole('menuitem', { name, exact: true }).click();
}
