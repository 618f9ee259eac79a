/**
 * `POST /api/node-test` for nodes that need a connection or a secret, against real peers: the
 * shared Redis on 6379 and a local HTTP server. The editor sends the flow's connections with
 * references; the server resolves them and the test reaches the real service.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@tributary/nodes/testing';
import { bootServer, call } from '../testing/server-harness.js';
import type { NodeTestOutcome } from './node-test-protocol.js';

let server: Awaited<ReturnType<typeof bootServer>>;
let peer: Server;
let peerUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

/** This branch's own store name on the shared Redis, so parallel runs do not collide. */
const STORE = `editor-node-test-${process.pid}`;

beforeAll(async () => {
  server = await bootServer();
  peer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(req.headers.authorization === 'Bearer s3cret-token' ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}/ingest`;
  process.env.EDITOR_NODE_TEST_REDIS_HOST = '127.0.0.1';
});

afterAll(async () => {
  delete process.env.EDITOR_NODE_TEST_REDIS_HOST;
  await new Promise((resolve) => peer?.close(resolve));
  await server?.close();
});

type Answer = NodeTestOutcome & { error?: { code: string; message: string } };
const test = (body: unknown) => call<Answer>(server, 'POST', '/api/node-test', { body });

const redis = (port: number | string = 6379) => ({
  id: 'shared-redis',
  type: 'redis',
  // A non-secret field of a connection takes ${env:} too (resolved on the server).
  config: { host: '${env:EDITOR_NODE_TEST_REDIS_HOST}', port, connectTimeoutMs: 1000 },
});
const cache = (operation: string) => ({
  operation,
  backend: 'redis',
  connection: 'shared-redis',
  store: STORE,
});

describe('node tests with connections and secrets', () => {
  it('runs a Redis cache against the real Redis: put in one test, get in the next', async () => {
    const connections = [redis(), { id: 'unused', type: 'postgres', config: { password: '${cred:nope}' } }];
    const put = await test({
      type: 'cache',
      config: cache('put'),
      connections,
      message: { key: 'order-7', value: { total: 42 } },
      timeoutMs: 10_000,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.kind, JSON.stringify(put.body)).toBe('ran');
    const get = await test({
      type: 'cache',
      config: cache('get'),
      connections,
      message: { key: 'order-7', value: null },
      timeoutMs: 10_000,
    });
    expect(get.body.kind, JSON.stringify(get.body)).toBe('ran');
    if (get.body.kind !== 'ran') return;
    expect(get.body.outputs.out?.map((m) => m.value)).toEqual([{ total: 42 }]);
    await test({
      type: 'cache',
      config: cache('delete'),
      connections,
      message: { key: 'order-7', value: null },
      timeoutMs: 10_000,
    });
  });

  it('says clearly when the connection cannot be reached, within the time limit', async () => {
    const port = await freePort();
    const res = await test({
      type: 'cache',
      config: cache('get'),
      connections: [redis(port)],
      message: { key: 'k', value: null },
      timeoutMs: 10_000,
    });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('failed');
    if (res.body.kind !== 'failed') return;
    expect(res.body.message).toContain(`Redis at 127.0.0.1:${port}`);
    expect(res.body.message).toMatch(/ECONNREFUSED|refused/i);
  });

  it('a service that accepts but never answers is stopped at the time limit, naming the connection', async () => {
    // A TCP peer that takes the connection and says nothing (a hung server, a wrong port behind a proxy).
    const silent = createNetServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const res = await test({
        type: 'cache',
        config: cache('get'),
        connections: [redis((silent.address() as AddressInfo).port)],
        message: { key: 'k', value: null },
        timeoutMs: 1500,
      });
      expect(res.body.kind).toBe('timeout');
      if (res.body.kind !== 'timeout') return;
      expect(res.body.message).toContain('no result after 1500 ms');
      expect(res.body.message).toContain('"shared-redis"');
      expect((await call(server, 'GET', '/api/health')).status).toBe(200);
    } finally {
      silent.close();
    }
  });

  it('a connection the flow does not define is named as a config problem', async () => {
    const res = await test({ type: 'cache', config: cache('get'), connections: [], message: { value: 1 } });
    expect(res.body.kind).toBe('config');
    if (res.body.kind !== 'config') return;
    expect(res.body.problems[0]?.message).toContain('shared-redis');
  });

  it('sends an HTTP request for real only when asked, with the secret resolved on the server', async () => {
    const config = { url: peerUrl, authorization: '${cred:editor_feed_auth}' };
    const refused = await test({ type: 'http-request', config, message: { value: { n: 1 } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toContain('writeToTarget');
    expect(received).toHaveLength(0);

    const missing = await test({ type: 'http-request', config, message: { value: { n: 1 } }, writeToTarget: true });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).toBe('E_CREDENTIAL_NOT_FOUND');
    expect(missing.body.error?.message).toContain('editor_feed_auth');

    await call(server, 'PUT', '/api/credentials/editor_feed_auth', { body: { value: 'Bearer s3cret-token' } });
    const sent = await test({
      type: 'http-request',
      config,
      message: { value: { n: 1 } },
      writeToTarget: true,
      timeoutMs: 10_000,
    });
    expect(sent.body.kind, JSON.stringify(sent.body)).toBe('ran');
    if (sent.body.kind !== 'ran') return;
    expect(sent.body.errors).toEqual([]);
    expect(received.at(-1)?.body).toBe('{"n":1}');
    expect(received.at(-1)?.headers.authorization).toBe('Bearer s3cret-token');
    // The answer carries what came out, never the resolved secret.
    expect(JSON.stringify(sent.body)).not.toContain('s3cret-token');
  });

  it('a 4xx from the real service comes back as the node’s error', async () => {
    await call(server, 'PUT', '/api/credentials/editor_wrong_auth', { body: { value: 'Bearer wrong' } });
    const res = await test({
      type: 'http-request',
      config: { url: peerUrl, authorization: '${cred:editor_wrong_auth}' },
      message: { value: 1 },
      writeToTarget: true,
      timeoutMs: 10_000,
    });
    expect(res.body.kind, JSON.stringify(res.body)).toBe('ran');
    if (res.body.kind !== 'ran') return;
    expect(res.body.errors[0]?.message).toContain('401');
  });
});
