/**
 * `ctx.signal` in the function node: async code that timed out (or whose flow stopped) hears it,
 * so a fetch is cancelled and a loop can end instead of running on for nothing.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { messages, runNode } from '../testing/index.js';
import { functionNode } from './runtime.js';

/** A server that takes requests and never answers; says when a request arrives and when its connection closes. */
async function silentServer(): Promise<{
  url: string;
  requested: Promise<IncomingMessage>;
  closed: Promise<void>;
  server: Server;
}> {
  let onRequest!: (req: IncomingMessage) => void;
  let onClose!: () => void;
  const requested = new Promise<IncomingMessage>((resolve) => (onRequest = resolve));
  const closed = new Promise<void>((resolve) => (onClose = resolve));
  const server = createServer((req) => {
    req.socket.once('close', onClose);
    onRequest(req);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`, requested, closed, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The compiled code runs in this realm: it reports back through a global the test sets. */
const probe = globalThis as { signalProbe?: (report: unknown) => void };
function nextReport(): Promise<unknown> {
  return new Promise((resolve) => (probe.signalProbe = resolve));
}

describe('function node: ctx.signal', () => {
  it('aborts a fetch at the timeout: the server sees the connection closed, the message goes to the error port and is counted', async () => {
    const slow = await silentServer();
    // The second message waits for the server to see the first one's connection close: that
    // happens while the flow still runs (before, only the flow's end closed it).
    const code = `
      if (value === 'next') return { value: await globalThis.serverClosed.then(() => 'closed while running') };
      try {
        const reply = await fetch(value, { signal: ctx.signal });
        return { value: await reply.text() };
      } catch (error) {
        globalThis.signalProbe?.({ name: error.name, aborted: ctx.signal.aborted });
        throw error;
      }`;
    const report = nextReport();
    (globalThis as { serverClosed?: Promise<void> }).serverClosed = slow.closed;
    const result = await runNode(functionNode, { code, timeoutMs: 2000 }, { inputs: messages(slow.url, 'next') });

    expect(result.errors.map((e) => [e.code, e.message.value])).toEqual([['E_FUNCTION_TIMEOUT', slow.url]]);
    expect(result.errors[0]!.text).toMatch(/no result after 2000 ms/);
    expect(result.errorCount).toBe(1);
    expect(result.outputs.out?.map((m) => m.value)).toEqual(['closed while running']);
    // The code saw why: the reason AbortSignal.timeout() would give.
    expect(await report).toEqual({ name: 'TimeoutError', aborted: true });
  });

  it('lets a loop that checks ctx.signal.aborted stop at the timeout, and aborts only that message', async () => {
    const code = `
      if (value === 'fast') return { value: { aborted: ctx.signal.aborted } };
      let rounds = 0;
      while (!ctx.signal.aborted) {
        rounds++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      globalThis.signalProbe?.({ stopped: true, reason: ctx.signal.reason.name, looped: rounds > 0 });`;
    const stopped = nextReport();
    const result = await runNode(
      functionNode,
      { code, timeoutMs: 300, concurrency: 2 },
      { inputs: messages('looping', 'fast') },
    );
    expect(result.errors.map((e) => [e.code, e.message.value])).toEqual([['E_FUNCTION_TIMEOUT', 'looping']]);
    expect(result.errorCount).toBe(1);
    // The other message, awaited beside it, had a signal of its own, never aborted.
    expect(result.outputs.out?.map((m) => m.value)).toEqual([{ aborted: false }]);
    expect(await stopped).toEqual({ stopped: true, reason: 'TimeoutError', looped: true });
  });

  it('aborts the signal of a message in progress when the flow stops', async () => {
    const slow = await silentServer();
    const code = `const reply = await fetch(value, { signal: ctx.signal }); return { value: reply.status };`;
    const stop = new AbortController();
    void slow.requested.then(() => stop.abort());
    // A timeout far away: only the stop can end the fetch.
    const result = await runNode(
      functionNode,
      { code, timeoutMs: 600_000 },
      { inputs: messages(slow.url), signal: stop.signal },
    );
    await slow.closed;
    expect(result.errors.map((e) => e.code)).toEqual(['E_FUNCTION_THREW']);
    expect(result.errors[0]!.text).toMatch(/abort/i);
    expect(result.errorCount).toBe(1);
  });
});
