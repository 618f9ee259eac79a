import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { waitFor } from '@tributary/nodes/testing';
import { bootServer, call } from '../testing/server-harness.js';
import { flow } from '../testing/flows.js';
import type { RuntimeServer } from '../server.js';

// Flows deployed to `tributary serve` run in their own worker; their endpoints are served by the
// server's one port through the endpoint bridge.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const TOKEN = 'webio-secret';

async function serverWith(doc: ReturnType<typeof flow>): Promise<RuntimeServer> {
  const server = await bootServer({ token: TOKEN });
  cleanups.push(() => server.close());
  expect((await call(server, 'POST', '/api/flows', { body: doc, token: TOKEN })).status).toBe(201);
  const deployed = await call(server, 'POST', `/api/flows/${doc.id}/deploy`, { token: TOKEN });
  expect(deployed.status, deployed.text).toBe(200);
  return server;
}

describe('endpoints of deployed flows on the server', () => {
  it('webhook → sse-endpoint: a POST reaches an EventSource client; 200 once confirmed; the token is required', async () => {
    const server = await serverWith(
      flow(
        'relay',
        [
          ['in', 'webhook', { path: 'events' }],
          ['shape', 'function', { code: 'return { value: { got: msg.value } };' }],
          ['out', 'sse-endpoint', { path: 'feed' }],
        ],
        [
          ['in', 'shape'],
          ['shape', 'out'],
        ],
      ),
    );
    const seen: unknown[] = [];
    const source = new EventSource(`${server.url}/streams/relay/feed?access_token=${TOKEN}`);
    cleanups.push(() => source.close());
    let open = false;
    source.onopen = () => (open = true);
    source.onmessage = (e) => seen.push(JSON.parse(e.data as string));
    await waitFor(() => open, 'the EventSource client');

    const hook = `${server.url}/hooks/relay/events`;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const answer = await fetch(hook, { method: 'POST', headers: auth, body: '{"order":1}' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
    await waitFor(() => seen.length === 1, 'the event');
    expect(seen).toEqual([{ got: { order: 1 } }]);

    const noToken = await fetch(hook, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });
    const badJson = await fetch(hook, { method: 'POST', headers: auth, body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: 'E_DECODE' } });
    const elsewhere = await fetch(`${server.url}/hooks/relay/other`, { method: 'POST', headers: auth, body: '{}' });
    expect(elsewhere.status).toBe(404);

    // A stopped flow's endpoints are gone.
    expect((await call(server, 'POST', '/api/flows/relay/stop', { token: TOKEN })).status).toBe(200);
    const stopped = await fetch(hook, { method: 'POST', headers: auth, body: '{}' });
    expect(stopped.status).toBe(404);
    expect(await stopped.json()).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
  });

  it('websocket-source (server) → function → websocket-sink (reply): the answer comes back on the same socket', async () => {
    const server = await serverWith(
      flow(
        'echo',
        [
          ['in', 'websocket-source', { role: 'server', path: 'pins', codec: 'string' }],
          ['upper', 'function', { code: 'return { ...msg, value: msg.value.toUpperCase() };' }],
          ['out', 'websocket-sink', { mode: 'reply', codec: 'string' }],
        ],
        [
          ['in', 'upper'],
          ['upper', 'out'],
        ],
      ),
    );
    const open = (name: string) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/echo/pins`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      cleanups.push(() => ws.close());
      const got: string[] = [];
      ws.on('message', (data: Buffer) => got.push(data.toString()));
      return new Promise<{ ws: WebSocket; got: string[]; name: string }>((resolve) =>
        ws.once('open', () => resolve({ ws, got, name })),
      );
    };
    const [a, b] = await Promise.all([open('a'), open('b')]);
    a.ws.send('hello from a');
    b.ws.send('hello from b');
    await waitFor(() => a.got.length === 1 && b.got.length === 1, 'each reply');
    expect(a.got).toEqual(['HELLO FROM A']);
    expect(b.got).toEqual(['HELLO FROM B']);
  });

  it('refuses a WebSocket upgrade without the token with a 401', async () => {
    const server = await serverWith(
      flow(
        'sockets',
        [
          ['in', 'webhook', { path: 'x' }],
          ['out', 'counter', {}],
        ],
        [['in', 'out']],
      ),
    );
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/sockets/any`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(401);
  });
});
