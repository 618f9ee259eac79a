/* eslint-disable no-restricted-imports -- e2e helpers run in Node (they start the runtime and a browser), not in the editor bundle */
/**
 * A real `tributary serve` (apps/runtime/dist, serving the built editor) and a real Chromium for
 * end-to-end tests. Build both first: `pnpm exec turbo run build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../bench/chromium.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '../../runtime/dist/cli.js');
export const results = join(here, '../test-results');

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

/** Runs a top-bar action (New, Layout, Import, Export): its button, or the "⋯" menu of a narrower window. */
export async function topBarAction(page: Page, name: 'New' | 'Layout' | 'Import' | 'Export'): Promise<void> {
  const button = page.locator('.topbar').getByRole('button', { name, exact: true });
  if (await button.isVisible()) return button.click();
  await page.locator('[data-testid="more-actions"]').click();
  await page.getByRole('menuitem', { name, exact: true }).click();
}
