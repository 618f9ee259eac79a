import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowMessage } from '@tributary/shared';
import { freePort, PeerProcess, runNode, waitFor } from '../testing/index.js';
import { sseSourceNode } from './runtime.js';

// The server is FastAPI + uvicorn from Debian (test-peers/sse_server.py), not our code.
const peers: PeerProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.kill();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function server(port: number, env: Record<string, string>): Promise<PeerProcess> {
  const peer = await PeerProcess.python('sse_server.py', [String(port)], env);
  peers.push(peer);
  return peer;
}

const numbers = (messages: readonly FlowMessage[] | undefined) =>
  (messages ?? []).map((m) => (m.value as { n: number }).n);
const connects = (peer: PeerProcess) => peer.where('connect').map((l) => l.connect);

describe('sse-source against a FastAPI/uvicorn server', () => {
  it('emits each event with its id and type, resumes with Last-Event-ID after the server closes, stops on 204', async () => {
    const port = await freePort();
    const peer = await server(port, { TOTAL: '30', STOP_AFTER: '12', END204: '1' });
    const result = await runNode(sseSourceNode, { url: `http://127.0.0.1:${port}/events`, initialDelayMs: 50 });
    expect(result.timedOut).toBe(false); // the 204 ended it
    expect([...new Set(numbers(result.outputs.out))].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    const first = result.outputs.out![0]!;
    expect(first.key).toBe('1');
    expect(first.meta).toMatchObject({ id: '1', event: 'tick' });
    // Each reconnect named the last confirmed id: 12, 24, then 30 got the 204.
    expect(connects(peer)).toEqual([null, '12', '24', '30']);
    expect(result.stats.reconnects).toBe(3);
  });

  it('the server is killed mid-stream and comes back: resumes from Last-Event-ID with no gap', async () => {
    const port = await freePort();
    const total = 3000;
    let first = await server(port, { TOTAL: String(total) });
    const seen = new Set<number>();
    const stop = new AbortController();
    let restarted: Promise<void> | null = null;
    const run = runNode(
      sseSourceNode,
      { url: `http://127.0.0.1:${port}/events`, initialDelayMs: 100, maxDelayMs: 500 },
      {
        signal: stop.signal,
        timeoutMs: 60_000,
        onEmit(batch) {
          for (const n of numbers(batch)) seen.add(n);
          if (restarted === null && seen.size >= 300) {
            restarted = (async () => {
              await first.kill('SIGKILL');
              first = await server(port, { TOTAL: String(total) });
            })();
          }
          if (seen.size === total) stop.abort();
        },
      },
    );
    const result = await run;
    await (restarted as Promise<void> | null);
    expect(result.timedOut).toBe(false);
    expect(seen.size).toBe(total);
    const resumedFrom = connects(first)[0];
    expect(resumedFrom).not.toBeNull();
    // Everything after the resume point came from the second server, in order, no gap.
    const after = numbers(result.outputs.out).slice(numbers(result.outputs.out).lastIndexOf(Number(resumedFrom) + 1));
    expect(after).toEqual(Array.from({ length: total - Number(resumedFrom) }, (_, i) => Number(resumedFrom) + 1 + i));
  });

  it('keeps the last confirmed id in the data folder and resumes from it after a restart', async () => {
    const port = await freePort();
    const peer = await server(port, { TOTAL: '1000' });
    const dataDir = mkdtempSync(join(tmpdir(), 'sse-source-'));
    dirs.push(dataDir);
    const config = { url: `http://127.0.0.1:${port}/events`, batchSize: 10 };
    const firstRun = await runNode(sseSourceNode, config, { dataDir, until: { messages: 100 } });
    const stored = JSON.parse(readFileSync(join(dataDir, 'sse-source', 'node.json'), 'utf8')) as {
      lastEventId: string;
    };
    const lastAcked = Math.max(...numbers(firstRun.outputs.out));
    expect(Number(stored.lastEventId)).toBe(lastAcked);

    const secondRun = await runNode(sseSourceNode, config, { dataDir, until: { messages: 10 } });
    expect(connects(peer)).toEqual([null, String(lastAcked)]);
    expect(numbers(secondRun.outputs.out)[0]).toBe(lastAcked + 1);
  });

  it('does not move the stored id past events the flow never confirmed', async () => {
    const port = await freePort();
    const peer = await server(port, { TOTAL: '200' });
    const dataDir = mkdtempSync(join(tmpdir(), 'sse-source-'));
    dirs.push(dataDir);
    const config = { url: `http://127.0.0.1:${port}/events` };
    const unconfirmed = await runNode(sseSourceNode, config, { dataDir, ack: 'none', until: { messages: 50 } });
    expect(unconfirmed.outputs.out!.length).toBeGreaterThanOrEqual(50);
    await runNode(sseSourceNode, config, { dataDir, until: { messages: 1 } });
    expect(connects(peer)).toEqual([null, null]);
  });

  it('reconnects when no byte arrives for the stall timeout', async () => {
    const port = await freePort();
    const peer = await server(port, { STALL: '1' });
    const stop = new AbortController();
    const run = runNode(
      sseSourceNode,
      { url: `http://127.0.0.1:${port}/events`, stallTimeoutMs: 300, initialDelayMs: 50 },
      { timeoutMs: 60_000, signal: stop.signal },
    );
    await waitFor(() => connects(peer).length >= 3, 'three connections');
    stop.abort();
    const result = await run;
    expect(result.stats.reconnects).toBeGreaterThanOrEqual(2);
    expect(result.logs.some((l) => l.message.includes('no byte for 300 ms'))).toBe(true);
  });

  it('opens a stream with POST and a body; data the codec cannot read goes to the error port', async () => {
    const port = await freePort();
    const peer = await server(port, { TOTAL: '5', BAD: '3' });
    const result = await runNode(
      sseSourceNode,
      {
        url: `http://127.0.0.1:${port}/events`,
        method: 'POST',
        body: '{"topics":["a"]}',
        headers: { 'content-type': 'application/json' },
      },
      { until: { messages: 4 } },
    );
    expect(peer.where('connect')[0]).toMatchObject({ method: 'POST', body: '{"topics":["a"]}' });
    expect(numbers(result.outputs.out)).toEqual([1, 2, 4, 5]);
    expect(result.errors.map((e) => [e.code, e.message.meta.id])).toEqual([['E_DECODE', '3']]);
  });
});
