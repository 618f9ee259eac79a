import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMessage, type FlowMessage, type Output, type ProcessorInstance } from '@tributary/shared';
import { wsSessions } from '../lib/ws-sessions.js';
import { createTestContext, freePort, parseConfig, PeerProcess, startTestHub, waitFor } from '../testing/index.js';
import { websocketSinkManifest } from './manifest.js';
import { websocketSinkNode } from './runtime.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sink(config: Record<string, unknown>, endpoints?: Parameters<typeof createTestContext>[0]) {
  const test = createTestContext({ flowId: 'out', ...endpoints });
  const node = (await websocketSinkNode.create(
    parseConfig(websocketSinkManifest, config),
    test.ctx,
  )) as ProcessorInstance;
  cleanups.push(async () => {
    await node.close?.();
    await test.close();
  });
  const errors: { error: unknown; message: FlowMessage }[] = [];
  const out: Output = {
    push() {},
    error: (error, message) => errors.push({ error, message }),
    drop() {},
    hold: () => ({}) as never,
  };
  const send = async (...messages: FlowMessage[]) => {
    await node.process(messages, out, 'in');
  };
  return { send, errors, stats: test.stats };
}

const values = (...vs: unknown[]) => vs.map((value) => createMessage({ value }));

describe('websocket-sink', () => {
  it('client mode with Await reply: confirms on the reply, and resends what a dropped connection left unanswered', async () => {
    const port = await freePort();
    // The python peer answers each frame, except that it drops the first connection on the 3rd frame.
    const peer = await PeerProcess.python('ws_server.py', [String(port)], { REPLY: '1', DROP_ON: '3' });
    cleanups.push(() => peer.kill());
    const { send, stats } = await sink({
      mode: 'client',
      url: `ws://127.0.0.1:${port}/in`,
      awaitReply: true,
      initialDelayMs: 50,
    });
    await send(...values({ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }));
    // process resolved: every message was answered.
    const got = peer.where('got').map((l) => JSON.parse(l.got as string) as { n: number });
    expect(got.map((g) => g.n)).toEqual([1, 2, 3, 3, 4, 5]);
    expect(peer.where('connect')).toHaveLength(2);
    expect(stats.resent).toBe(1);
    expect(stats.sent).toBe(5);
  });

  it('broadcast mode sends every message to every client of its path', async () => {
    const hub = await startTestHub();
    cleanups.push(hub.close);
    const { send, stats } = await sink(
      { mode: 'broadcast', path: 'updates', codec: 'string' },
      { endpoints: hub.hub.forFlow('out') },
    );
    const clients = await Promise.all(
      [0, 1, 2].map(async () => {
        const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/out/updates`);
        cleanups.push(() => ws.close());
        const seen: string[] = [];
        ws.on('message', (data: Buffer) => seen.push(data.toString()));
        await new Promise((resolve) => ws.once('open', resolve));
        return seen;
      }),
    );
    await waitFor(() => stats.sessions === 3, 'three sessions');
    await send(...values('a', 'b', 'c'));
    await waitFor(() => clients.every((seen) => seen.length === 3), 'three frames at each client');
    expect(clients).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });

  it('reply mode answers on the session a message came from; a closed session goes to the error port', async () => {
    const { send, errors } = await sink({ mode: 'reply', codec: 'string' });
    const replies: string[] = [];
    wsSessions.add('s-1', { send: (data) => replies.push(String(data)) });
    cleanups.push(() => wsSessions.delete('s-1'));
    await send(
      createMessage({ value: 'pong', meta: { session: 's-1' } }),
      createMessage({ value: 'lost', meta: { session: 'gone' } }),
    );
    expect(replies).toEqual(['pong']);
    expect(errors.map((e) => e.message.value)).toEqual(['lost']);
  });
});
