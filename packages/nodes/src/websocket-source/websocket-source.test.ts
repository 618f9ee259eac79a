import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { SourceInstance } from '@tributary/shared';
import { freePort, parseConfig, PeerProcess, sourceHarness, startTestHub, waitFor } from '../testing/index.js';
import { websocketSourceManifest } from './manifest.js';
import { websocketSourceNode } from './runtime.js';

// Peers: Debian's python3-websockets (test-peers/ws_server.py, ws_clients.py) and npm ws.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(config: Record<string, unknown>, harness: ReturnType<typeof sourceHarness>) {
  const node = (await websocketSourceNode.create(
    parseConfig(websocketSourceManifest, config),
    harness.ctx,
  )) as SourceInstance;
  const running = node.run(harness.ctx);
  cleanups.push(async () => {
    harness.stop();
    await running;
    await node.close?.();
    await harness.test.close();
  });
  return node;
}

const values = (harness: ReturnType<typeof sourceHarness>) => harness.emitted.map((e) => e.message.value);

describe('websocket-source, client role, against a python websockets server', () => {
  it('sends open messages, acknowledges each confirmed frame, and reconnects when the peer drops', async () => {
    const port = await freePort();
    const peer = await PeerProcess.python('ws_server.py', [String(port)], {
      FRAMES: '30',
      DROP_AFTER: '10',
      WAIT_OPEN: '1',
    });
    cleanups.push(() => peer.kill());
    const harness = sourceHarness({ autoAck: true });
    await start(
      {
        url: `ws://127.0.0.1:${port}/clock`,
        subprotocols: ['feed.v1'],
        openMessages: ['{"subscribe":"clock"}'],
        reply: 'text',
        authorization: 'Bearer t0k',
        initialDelayMs: 50,
      },
      harness,
    );
    // The first connection dropped after 10 frames; the second one sends all 30.
    await waitFor(() => values(harness).filter((v) => (v as { n: number }).n === 30).length === 1, 'frame 30');
    const connects = peer.where('connect');
    expect(connects).toHaveLength(2);
    expect(connects[0]).toMatchObject({ connect: '/clock', subprotocol: 'feed.v1', authorization: 'Bearer t0k' });
    expect(harness.test.stats.reconnects).toBe(1);
    const opens = () => peer.where('got').filter((l) => l.got === '{"subscribe":"clock"}').length;
    await waitFor(() => opens() === 2, 'the open message on each connection');
    await waitFor(
      () => peer.where('got').filter((l) => l.got === 'acknowledged').length >= 30,
      'acks for the second connection',
    );
    const first = harness.emitted[0]!.message;
    expect(first.value).toEqual({ n: 1 });
    expect(typeof first.meta.session).toBe('string');
  });
});

describe('websocket-source, server role', () => {
  it('takes 100 python clients sending at once, and acknowledges every frame', async () => {
    const hub = await startTestHub();
    cleanups.push(hub.close);
    const harness = sourceHarness({ flowId: 'iot', endpoints: hub.hub.forFlow('iot'), autoAck: true });
    await start({ role: 'server', path: 'pins', reply: 'text' }, harness);
    const clients = await PeerProcess.python('ws_clients.py', [
      `${hub.url.replace('http', 'ws')}/ws/iot/pins`,
      '100',
      '10',
    ]);
    cleanups.push(() => clients.kill());
    await waitFor(() => clients.lines.some((l) => l.done === true), 'every client to get its replies', 120_000);
    expect(harness.emitted).toHaveLength(1000);
    const perClient = clients.where('replies');
    expect(perClient).toHaveLength(100);
    for (const line of perClient) expect(line.replies).toEqual(Array(10).fill('acknowledged'));
    expect(new Set(harness.emitted.map((e) => e.message.meta.session)).size).toBe(100);
  });

  it('replies only once the flow confirmed the frame; stops reading while the flow is full', async () => {
    const hub = await startTestHub();
    cleanups.push(hub.close);
    const harness = sourceHarness({ flowId: 'iot', endpoints: hub.hub.forFlow('iot') });
    await start({ role: 'server', path: 'slow', reply: 'text', replyText: 'done' }, harness);
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/iot/slow`);
    cleanups.push(() => ws.close());
    const replies: string[] = [];
    ws.on('message', (data: Buffer) => replies.push(data.toString()));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('{"pin":4}');
    await waitFor(() => harness.emitted.length === 1, 'the frame in the flow');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(replies).toEqual([]); // a slow sink has not confirmed yet
    harness.emitted[0]!.ack!(true);
    await waitFor(() => replies.length === 1, 'the reply');
    expect(replies).toEqual(['done']);

    // Full: the next frame is taken, then the socket is paused; frames after it wait in TCP.
    harness.fill();
    ws.send('{"pin":5}');
    await waitFor(() => harness.emitted.length === 2, 'the frame that filled the flow');
    ws.send('{"pin":6}');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(harness.emitted).toHaveLength(2);
    harness.room();
    await waitFor(() => harness.emitted.length === 3, 'reading again once there is room');
    expect(values(harness)).toEqual([{ pin: 4 }, { pin: 5 }, { pin: 6 }]);
  });

  it('a frame the codec cannot read goes to the error port, and gets no reply', async () => {
    const hub = await startTestHub();
    cleanups.push(hub.close);
    const harness = sourceHarness({ flowId: 'iot', endpoints: hub.hub.forFlow('iot'), autoAck: true });
    await start({ role: 'server', path: 'bad', reply: 'text' }, harness);
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/iot/bad`);
    cleanups.push(() => ws.close());
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('not json');
    await waitFor(() => harness.emitted.length === 1, 'the frame');
    expect(harness.emitted[0]!.error).toBeDefined();
    expect(harness.emitted[0]!.message.value).toBe('not json');
  });
});
