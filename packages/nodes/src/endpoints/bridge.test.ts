import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestHub, waitFor } from '../testing/index.js';
import { endpointsOverChannel, serveEndpointChannel, type BridgeChannel, type EndpointToHost } from './bridge.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real MessageChannel (structured clone, as between a worker and the main thread). */
function channelOf<Out, In>(port: MessagePort): BridgeChannel<Out, In> {
  return {
    send: (message) => port.postMessage(message),
    onMessage: (handler) => port.on('message', handler),
  };
}

async function bridged(token?: string) {
  const hub = await startTestHub(token);
  const { port1, port2 } = new MessageChannel();
  const host = serveEndpointChannel(hub.hub.forFlow('far'), channelOf(port1));
  port1.on('message', (message: EndpointToHost) => host.handle(message));
  const endpoints = endpointsOverChannel(channelOf(port2));
  cleanups.push(async () => {
    host.close();
    port1.close();
    await hub.close();
  });
  return { hub, endpoints, host };
}

describe('endpoint bridge over a MessageChannel', () => {
  it('forwards HTTP requests and answers, event streams and WebSocket frames', async () => {
    const { hub, endpoints } = await bridged();
    await endpoints.http('echo', (request) =>
      Promise.resolve({ status: 201, body: { got: Buffer.from(request.body).toString(), sub: request.subPath } }),
    );
    const answer = await fetch(`${hub.url}/hooks/far/echo/x`, { method: 'POST', body: 'hello' });
    expect(answer.status).toBe(201);
    expect(await answer.json()).toEqual({ got: 'hello', sub: 'x' });

    const stream = await endpoints.eventStream('s');
    const source = new EventSource(`${hub.url}/streams/far/s`);
    cleanups.push(() => source.close());
    const seen: string[] = [];
    source.onmessage = (e) => seen.push(e.data as string);
    await waitFor(() => stream.clients === 1, 'the client counted on the flow side');
    await stream.publish([{ data: 'a' }, { data: 'b' }]);
    await waitFor(() => seen.length === 2, 'two events');
    expect(seen).toEqual(['a', 'b']);

    await endpoints.webSocket('chat', (socket) => {
      socket.onMessage((data) => socket.send(`echo ${String(data)}`));
    });
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/far/chat`);
    cleanups.push(() => ws.close());
    const replies: string[] = [];
    ws.on('message', (data: Buffer) => replies.push(data.toString()));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('one');
    await waitFor(() => replies.length === 1, 'the echo');
    expect(replies).toEqual(['echo one']);
  });

  it('refuses a path taken by another node, and closes everything when the flow is gone', async () => {
    const { hub, endpoints, host } = await bridged();
    await endpoints.http('taken', () => new Promise(() => undefined)); // never answers
    await expect(endpoints.http('taken', () => Promise.resolve({ status: 200 }))).rejects.toThrow(/already served/);
    const waiting = fetch(`${hub.url}/hooks/far/taken`, { method: 'POST', body: '{}' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    host.close();
    const answer = await waiting;
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: { code: 'E_FLOW_STOPPED' } });
    expect((await fetch(`${hub.url}/hooks/far/taken`, { method: 'POST' })).status).toBe(404);
  });
});
