import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { createMessage, type ProcessorInstance } from '@tributary/shared';
import { createTestContext, parseConfig, startTestHub, waitFor, type TestContext } from '../testing/index.js';
import { sseEndpointManifest } from './manifest.js';
import { sseEndpointNode } from './runtime.js';

const run = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function endpoint(config: Record<string, unknown>, token?: string) {
  const hub = await startTestHub(token);
  cleanups.push(hub.close);
  const test: TestContext = createTestContext({ flowId: 'feed', endpoints: hub.hub.forFlow('feed') });
  cleanups.push(() => test.close());
  const node = (await sseEndpointNode.create(parseConfig(sseEndpointManifest, config), test.ctx)) as ProcessorInstance;
  cleanups.push(() => node.close?.());
  const send = async (...values: unknown[]) => {
    const out = { push() {}, error() {}, drop() {}, hold: () => ({}) as never };
    await node.process(
      values.map((value) => createMessage({ value })),
      out,
      'in',
    );
  };
  return { url: `${hub.url}/streams/feed/${config.path as string}`, send, node, test, hub };
}

/** An `eventsource` (npm) client collecting events. */
function listen(url: string, init?: ConstructorParameters<typeof EventSource>[1]) {
  const events: { id: string; type: string; data: string }[] = [];
  const errors: unknown[] = [];
  const source = new EventSource(url, init);
  let open = false;
  source.onopen = () => (open = true);
  source.onmessage = (e) => events.push({ id: e.lastEventId, type: e.type, data: e.data as string });
  source.addEventListener('reading', (e) => events.push({ id: e.lastEventId, type: e.type, data: e.data as string }));
  source.onerror = (e) => errors.push(e);
  cleanups.push(() => source.close());
  return { source, events, errors, isOpen: () => open };
}

describe('sse-endpoint with npm eventsource and curl as clients', () => {
  it('sends every message to every client with increasing ids; a client coming back with Last-Event-ID gets what it missed', async () => {
    const { url, send } = await endpoint({ path: 'updates', retryMs: 500 });
    const a = listen(url);
    const b = listen(url);
    await waitFor(() => a.isOpen() && b.isOpen(), 'both clients to connect');
    await send({ n: 1 }, { n: 2 }, { n: 3 });
    await waitFor(() => a.events.length === 3 && b.events.length === 3, 'three events at each client');
    expect(a.events.map((e) => JSON.parse(e.data) as unknown)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const ids = a.events.map((e) => Number(e.id));
    expect(ids[1]).toBe(ids[0]! + 1);
    expect(b.events).toEqual(a.events);

    // curl, as a client that was away since the first event.
    await send({ n: 4 });
    const { stdout } = await run('curl', ['-sN', '--max-time', '2', '-H', `Last-Event-ID: ${ids[0]}`, url]).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }), // --max-time ends it with exit 28
    );
    expect(stdout).toContain('retry: 500');
    expect(stdout.match(/^data: .*$/gm)).toEqual(['data: {"n":2}', 'data: {"n":3}', 'data: {"n":4}']);
  });

  it('drops a client that stops reading (memory stays bounded); the others get everything', async () => {
    const clientBufferBytes = 256 * 1024;
    const { url, send, test } = await endpoint({ path: 'firehose', codec: 'string', clientBufferBytes });
    const fast = listen(url);
    // A client that sends its request and then never reads a byte.
    const { port } = new URL(url);
    const stuck = connect(Number(port), '127.0.0.1');
    cleanups.push(() => stuck.destroy());
    stuck.write(`GET /streams/feed/firehose HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    stuck.pause();
    await waitFor(() => fast.isOpen(), 'the reading client');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const line = 'x'.repeat(4000);
    const total = 5000; // ~20 MB: far more than the kernel's socket buffers and the client limit
    for (let i = 0; i < total; i += 50) {
      await send(...Array.from({ length: 50 }, (_, j) => `${i + j} ${line}`));
      // Let the reading client's socket drain, as a real flow's batches are spread in time.
      await new Promise((resolve) => setImmediate(resolve));
      while (fast.events.length < i - 500) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => fast.events.length === total, 'every event at the reading client', 60_000);
    expect(fast.events.map((e) => Number(e.data.split(' ')[0]))).toEqual(Array.from({ length: total }, (_, i) => i));
    // The node reports its figures once a second.
    await waitFor(() => test.stats.droppedClients === 1 && test.stats.clients === 1, 'the stuck client dropped');
  });

  it('obeys the runtime token and answers bad requests with JSON 4xx', async () => {
    const { url, send, hub } = await endpoint({ path: 'secure' }, 's3cret');
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });

    const withHeader = listen(url, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers ?? {}), Authorization: 'Bearer s3cret' } }),
    });
    await waitFor(() => withHeader.isOpen(), 'the client with the token');
    await send('hi');
    await waitFor(() => withHeader.events.length === 1, 'the event');

    const post = await fetch(`${url}?access_token=s3cret`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(await post.json()).toMatchObject({ error: { code: 'E_METHOD_NOT_ALLOWED' } });
    const missing = await fetch(`${hub.url}/streams/feed/nothing-here?access_token=s3cret`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'E_NOT_FOUND' } });
  });
});
