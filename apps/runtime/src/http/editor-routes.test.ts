import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootServer, call } from '../testing/server-harness.js';
import type { FlowOverview } from './editor-routes.js';
import type { NodeTestOutcome } from './node-test-protocol.js';

let server: Awaited<ReturnType<typeof bootServer>>;

beforeAll(async () => {
  server = await bootServer();
});

afterAll(async () => {
  await server?.close();
});

const test = (body: unknown) =>
  call<NodeTestOutcome & { error?: { code: string; message: string } }>(server, 'POST', '/api/node-test', { body });

describe('POST /api/node-test', () => {
  it('runs a function on one message and answers what came out, errors included', async () => {
    const ok = await test({
      type: 'function',
      config: { code: 'return [{ value: value * 2 }, { value: value + 1 }];' },
      message: { value: 20 },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.kind).toBe('ran');
    if (ok.body.kind !== 'ran') return;
    expect(ok.body.outputs.out?.map((m) => m.value)).toEqual([40, 21]);

    const thrown = await test({
      type: 'function',
      config: { code: "ctx.log.info('checking');\nthrow new Error('no way');" },
      message: { value: 1 },
    });
    expect(thrown.body.kind).toBe('ran');
    if (thrown.body.kind !== 'ran') return;
    expect(thrown.body.errors[0]?.message).toContain('no way');
    expect(thrown.body.logs).toEqual([{ level: 'info', message: 'checking' }]);
  });

  it('a syntax error comes back with the runtime message, its line and column', async () => {
    const res = await test({ type: 'function', config: { code: 'const a = 1;\nreturn (' } });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('config');
    if (res.body.kind !== 'config') return;
    expect(res.body.problems[0]?.message).toMatch(/syntax error/);
    expect(res.body.problems[0]?.line).toBe(2);
  });

  it('a function that never returns is stopped at the time limit; the server goes on answering', async () => {
    const res = await test({
      type: 'function',
      config: { code: 'while (true) {}' },
      message: { value: 1 },
      timeoutMs: 500,
    });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('timeout');
    const health = await call(server, 'GET', '/api/health');
    expect(health.status).toBe(200);
  });

  it('a function awaiting a server that never answers: its connection is closed at the time limit', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const silent = createServer((req) => req.socket.once('close', closed));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      const res = await test({
        type: 'function',
        config: { code: 'const reply = await fetch(value, { signal: ctx.signal }); return { value: reply.status };' },
        message: { value: url },
        timeoutMs: 500,
      });
      expect(res.body.kind).toBe('timeout');
      // The test's worker is gone, and with it the request it left open.
      await connectionClosed;
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses sources and sinks (they would touch real systems) and bad bodies, with JSON 4xx', async () => {
    const sink = await test({ type: 'file', config: { path: 'x.txt' }, message: { value: 1 } });
    expect(sink.status).toBe(400);
    expect(sink.body.error?.message).toContain('write to its real target');
    const unknown = await test({ type: 'nope', config: {}, message: { value: 1 } });
    expect(unknown.status).toBe(400);
    const bad = await test({ config: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('E_BODY_INVALID');
  });
});

describe('GET /api/overview', () => {
  it('lists every flow with its state and live figures', async () => {
    const flow = { schemaVersion: 1, id: 'overview-a', name: 'Overview A', nodes: [], edges: [] };
    expect((await call(server, 'POST', '/api/flows', { body: flow })).status).toBe(201);
    const res = await call<{ flows: FlowOverview[] }>(server, 'GET', '/api/overview');
    expect(res.status).toBe(200);
    expect(res.body.flows).toContainEqual(
      expect.objectContaining({ id: 'overview-a', name: 'Overview A', state: 'stopped', rate: 0, errors: 0 }),
    );
  });
});
