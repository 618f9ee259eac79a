import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, PeerProcess, waitFor } from '@tributary/nodes/testing';
import { flow } from '../testing/flows.js';

// The built CLI, as a user runs it; the SSE server is FastAPI + uvicorn (Debian), not ours.
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startCli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** The values in the sink's file; a last line still being appended (no newline yet) is left out. */
function written(file: string): number[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.pop(); // '' after the last newline, or a line not complete yet
  return lines.map((line) => (JSON.parse(line) as { n: number }).n);
}

describe('sse-source in `tributary run`', () => {
  it('killed with kill -9 and started again: resumes from its persisted id, no gap', async () => {
    const port = await freePort();
    const total = 20_000;
    const peer = await PeerProcess.python('sse_server.py', [String(port)], { TOTAL: String(total) });
    cleanups.push(() => peer.kill());
    const dir = mkdtempSync(join(tmpdir(), 'sse-resume-'));
    const file = join(dir, 'flow.json');
    writeFileSync(
      file,
      JSON.stringify(
        flow(
          'feed',
          [
            ['feed', 'sse-source', { url: `http://127.0.0.1:${port}/events`, initialDelayMs: 100 }],
            ['store', 'file', { path: 'events.jsonl', content: 'value' }],
          ],
          [['feed', 'store']],
        ),
      ),
    );
    const dataDir = join(dir, 'data');
    const out = join(dataDir, 'events.jsonl');
    const args = ['run', file, '--data-dir', dataDir, '--json'];

    const first = startCli(args);
    await waitFor(() => written(out).length >= 2000, 'the first run to store 2000 events', 60_000);
    first.kill('SIGKILL');
    await exited(first);
    const linesBeforeRestart = written(out).length;
    const storedBeforeRestart = new Set(written(out));
    const position = JSON.parse(readFileSync(join(dataDir, 'sse-source', 'feed.json'), 'utf8')) as {
      lastEventId: string;
    };
    // Only what the file sink made durable may be behind the stored id.
    for (let n = 1; n <= Number(position.lastEventId); n++) expect(storedBeforeRestart.has(n)).toBe(true);

    const second = startCli(args);
    await waitFor(() => new Set(written(out)).size === total, `all ${total} events stored`, 120_000);
    second.kill('SIGINT');
    await exited(second);

    const connects = peer.where('connect').map((l) => l.connect);
    expect(connects[0]).toBeNull();
    expect(connects[1]).toBe(position.lastEventId);
    const all = written(out);
    expect(new Set(all).size).toBe(total);
    // The second run started right after the stored id: nothing skipped, nothing but the tail replayed.
    expect(all[linesBeforeRestart]).toBe(Number(position.lastEventId) + 1);
  });

  it('refuses to run a flow that serves endpoints without --port, saying so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sse-resume-'));
    const file = join(dir, 'flow.json');
    writeFileSync(
      file,
      JSON.stringify(
        flow(
          'hooks',
          [
            ['in', 'webhook', { path: 'orders' }],
            ['out', 'counter', {}],
          ],
          [['in', 'out']],
        ),
      ),
    );
    const result = spawnSync(process.execPath, [cli, 'run', file, '--data-dir', join(dir, 'data')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/node "in".*serves an endpoint.*--port/);
  });
});
