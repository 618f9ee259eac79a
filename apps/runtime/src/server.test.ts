import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowDocument, FlowStatusEvent, NodeErrorEvent } from '@tributary/shared';
import { serveCommand } from './serve.js';
import { startServer, TokenRequiredError, type RuntimeServer } from './server.js';
import { endlessFlow, flow, spinningFlow } from './testing/flows.js';
import {
  bootServer,
  call,
  connect,
  eventually,
  getWithHost,
  nextEvent,
  tempDir,
  type ClientSocket,
  type HealthView,
} from './testing/server-harness.js';

const servers: RuntimeServer[] = [];
const sockets: ClientSocket[] = [];

async function boot(options: Parameters<typeof bootServer>[0] = {}) {
  const server = await bootServer(options);
  servers.push(server);
  return server;
}

async function client(server: RuntimeServer, token?: string) {
  const socket = await connect(server, token);
  sockets.push(socket);
  return socket;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const create = (server: RuntimeServer, doc: FlowDocument) => call(server, 'POST', '/api/flows', { body: doc });

describe('flows API', () => {
  it('creates, reads, lists, updates and deletes a flow, persisting the pretty JSON file', async () => {
    const server = await boot();
    const doc = endlessFlow('crud');
    const created = await create(server, doc);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ flow: doc, state: 'stopped' });
    expect(typeof created.body.rev).toBe('string');

    const file = readFileSync(join(server.dataDir, 'flows', 'crud.flow.json'), 'utf8');
    expect(JSON.parse(file)).toEqual(doc);
    expect(file).toContain('\n  "'); // pretty-printed, diffable

    const read = await call(server, 'GET', '/api/flows/crud');
    expect(read.body.rev).toBe(created.body.rev);
    const list = await call(server, 'GET', '/api/flows');
    expect(list.body.flows).toEqual([
      expect.objectContaining({ id: 'crud', name: doc.name, rev: created.body.rev, state: 'stopped', nodeCount: 3 }),
    ]);

    const changed = { ...doc, name: 'Renamed' };
    const updated = await call(server, 'PUT', '/api/flows/crud', { body: { flow: changed, rev: created.body.rev } });
    expect(updated.status).toBe(200);
    expect(updated.body.flow.name).toBe('Renamed');
    expect(updated.body.rev).not.toBe(created.body.rev);

    expect((await call(server, 'DELETE', '/api/flows/crud')).status).toBe(204);
    const gone = await call(server, 'GET', '/api/flows/crud');
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('E_FLOW_NOT_FOUND');
  });

  it('answers a stale rev with 409 and the current record, and keeps the newer version', async () => {
    const server = await boot();
    const doc = endlessFlow('race');
    const first = (await create(server, doc)).body;
    const second = await call(server, 'PUT', '/api/flows/race', {
      body: { flow: { ...doc, name: 'A' }, rev: first.rev },
    });
    expect(second.status).toBe(200);

    const stale = await call(server, 'PUT', '/api/flows/race', {
      body: { flow: { ...doc, name: 'B' }, rev: first.rev },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('E_REV_CONFLICT');
    expect(stale.body.error.current).toMatchObject({ rev: second.body.rev, flow: { name: 'A' } });
    expect((await call(server, 'GET', '/api/flows/race')).body.flow.name).toBe('A');
  });

  it('refuses to create a flow whose id is taken (409)', async () => {
    const server = await boot();
    await create(server, endlessFlow('taken'));
    const again = await create(server, { ...endlessFlow('taken'), name: 'Other' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('E_FLOW_EXISTS');
    expect((await call(server, 'GET', '/api/flows/taken')).body.flow.name).toBe('Test taken');
  });

  it('answers a malformed document with 400 and every problem with its JSON pointer', async () => {
    const server = await boot();
    const bad = endlessFlow('bad') as unknown as Record<string, unknown>;
    delete bad.name;
    (bad.nodes as { position: unknown }[])[1]!.position = { x: 'left', y: 0 };
    const reply = await call(server, 'POST', '/api/flows', { body: bad });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('E_FLOW_INVALID');
    const paths = (reply.body.error.problems as { path: string }[]).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['/name', '/nodes/1/position/x']));
    expect(reply.text).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
  });

  it('answers a body over the 5 MB limit with 413 and a clear error', async () => {
    const server = await boot();
    const huge = { ...endlessFlow('huge'), description: 'x'.repeat(6 * 1024 * 1024) };
    const reply = await call(server, 'POST', '/api/flows', { body: huge });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE' });
    expect(reply.body.error.message).toContain('5 MB');
    expect((await call(server, 'GET', '/api/flows/huge')).status).toBe(404);
  });

  it('answers broken JSON with 400 and no stack trace', async () => {
    const server = await boot();
    const reply = await call(server, 'POST', '/api/flows', { raw: '{"schemaVersion": 1,' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('E_JSON_INVALID');
    expect(reply.text).not.toMatch(/node_modules|at .*:\d+:\d+/);
  });

  it('rejects ids that could escape the data folder', async () => {
    const server = await boot();
    // (`/api/flows/..` itself never reaches a route: URLs are normalised first.)
    for (const id of ['..%2F..%2Fetc%2Fpasswd', '..%5Csecrets', '.hidden']) {
      const reply = await call(server, 'GET', `/api/flows/${id}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('E_ID_INVALID');
    }
  });

  it('imports a flow file and exports it byte for byte as a download', async () => {
    const server = await boot();
    const doc = endlessFlow('roundtrip');
    const imported = await call(server, 'POST', '/api/flows/import', { body: doc });
    expect(imported.status).toBe(201);
    const again = await call(server, 'POST', '/api/flows/import', { body: doc });
    expect(again.status).toBe(409);
    const replaced = await call(server, 'POST', '/api/flows/import?replace=true', { body: { ...doc, name: 'New' } });
    expect(replaced.status).toBe(201);
    expect(replaced.body.flow.name).toBe('New');

    const exported = await call(server, 'GET', '/api/flows/roundtrip/export');
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="roundtrip.flow.json"');
    expect(exported.text).toBe(readFileSync(join(server.dataDir, 'flows', 'roundtrip.flow.json'), 'utf8'));
  });

  it('validates a saved flow or a draft and reports problems with paths', async () => {
    const server = await boot();
    await create(server, endlessFlow('check'));
    expect((await call(server, 'POST', '/api/flows/check/validate')).body).toEqual({ ok: true, problems: [] });
    const draft = endlessFlow('check');
    draft.nodes[1]!.type = 'no-such-type';
    const reply = await call(server, 'POST', '/api/flows/check/validate', { body: { flow: draft } });
    expect(reply.body.ok).toBe(false);
    expect(reply.body.problems.some((p) => p.path.startsWith('/nodes/1'))).toBe(true);
  });

  it('lists node types for the palette', async () => {
    const server = await boot();
    const reply = await call(server, 'GET', '/api/node-types');
    expect(reply.status).toBe(200);
    const types = (reply.body.nodeTypes as { type: string }[]).map((t) => t.type);
    expect(types).toEqual(expect.arrayContaining(['sequence', 'function', 'counter']));
    expect(Array.isArray(reply.body.connectionTypes)).toBe(true);
  });
});

describe('editor', () => {
  it('serves the built editor with a fallback to index.html for client routes', async () => {
    const editorDir = tempDir('tributary-editor-');
    mkdirSync(join(editorDir, 'assets'));
    writeFileSync(join(editorDir, 'index.html'), '<!doctype html><title>Tributary</title>');
    writeFileSync(join(editorDir, 'assets', 'app.js'), 'console.log(1);');
    const server = await boot({ editorDir });
    const page = await call(server, 'GET', '/', { headers: { accept: 'text/html' } });
    expect(page.text).toContain('<title>Tributary</title>');
    expect((await call(server, 'GET', '/flows/demo', { headers: { accept: 'text/html' } })).text).toContain('<title>');
    const script = await call(server, 'GET', '/assets/app.js');
    expect(script.headers.get('content-type')).toContain('javascript');
    const missingApi = await call(server, 'GET', '/api/nope', { headers: { accept: 'text/html' } });
    expect(missingApi.status).toBe(404);
    expect(missingApi.body.error.code).toBe('E_NOT_FOUND');
  });
});

describe('deploy, live stats and stop', () => {
  it('deploys a flow: stats arrive over socket.io once a second and grow; stop drains it', async () => {
    const server = await boot();
    await create(server, endlessFlow('live'));
    const socket = await client(server);
    expect(await socket.emitWithAck('flow:subscribe', { flowId: 'live' })).toEqual({ ok: true });

    const running = nextEvent(socket, 'flow:status', (e) => e.state === 'running');
    const deployed = await call(server, 'POST', '/api/flows/live/deploy');
    expect(deployed.status).toBe(200);
    expect(deployed.body).toMatchObject({ state: 'running', deployedRev: deployed.body.rev });
    await running;

    const first = await nextEvent(socket, 'flow:stats', (s) => (s.nodes.sink?.in ?? 0) > 0);
    const later = await nextEvent(socket, 'flow:stats', (s) => s.at > first.at);
    expect(later.nodes.sink!.in).toBeGreaterThan(first.nodes.sink!.in);
    expect(later.nodes.numbers!.out).toBeGreaterThanOrEqual(later.nodes.sink!.in);
    expect(later.edges['work->sink']!.total).toBeGreaterThan(0);

    const history = await call(server, 'GET', `/api/flows/live/stats?since=${first.at - 1}`);
    expect(history.body.snapshots.length).toBeGreaterThanOrEqual(2);
    expect(history.body.snapshots[0]!.at).toBe(first.at);

    const metrics = await call(server, 'GET', '/metrics');
    expect(metrics.text).toMatch(/tributary_node_messages_in_total\{flow="live",node="sink"\} [1-9]/);
    expect(metrics.text).toContain('tributary_node_latency_ms{flow="live",node="sink",quantile="0.99"}');
    expect(metrics.text).toContain('process_cpu_seconds_total');

    const stopped = nextEvent(socket, 'flow:status', (e) => e.state === 'stopped');
    const stop = await call(server, 'POST', '/api/flows/live/stop');
    expect(stop.body.state).toBe('stopped');
    await stopped;
    expect((await call<HealthView>(server, 'GET', '/api/health')).body.flows).toEqual({ running: 0, failed: 0 });
  });

  it('refuses to deploy an invalid flow with 400 and the problems', async () => {
    const server = await boot();
    const doc = endlessFlow('invalid');
    doc.nodes[1]!.type = 'no-such-type';
    await create(server, doc);
    const reply = await call(server, 'POST', '/api/flows/invalid/deploy');
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('E_FLOW_INVALID');
    expect(reply.body.error.problems[0]!.path).toMatch(/^\/nodes\/1/);
    expect((await call(server, 'GET', '/api/flows/invalid')).body.state).toBe('stopped');
  });

  it('redeploys a running flow: the new version runs and the old worker is gone', async () => {
    const server = await boot();
    const created = (await create(server, endlessFlow('redeploy'))).body;
    await call(server, 'POST', '/api/flows/redeploy/deploy');
    const updated = await call(server, 'PUT', '/api/flows/redeploy', {
      body: { flow: { ...endlessFlow('redeploy'), name: 'v2' }, rev: created.rev },
    });
    const redeployed = await call(server, 'POST', '/api/flows/redeploy/deploy');
    expect(redeployed.body).toMatchObject({ state: 'running', deployedRev: updated.body.rev });
    expect((await call<HealthView>(server, 'GET', '/api/health')).body.flows.running).toBe(1);
  });

  it('keeps the running version when a redeploy cannot start, and says which node failed', async () => {
    const server = await boot();
    const v1 = (await create(server, endlessFlow('keeper'))).body;
    await call(server, 'POST', '/api/flows/keeper/deploy');
    const broken = endlessFlow('keeper', undefined, 'return msg; ) // does not compile');
    await call(server, 'PUT', '/api/flows/keeper', { body: { flow: broken, rev: v1.rev } });

    const reply = await call(server, 'POST', '/api/flows/keeper/deploy');
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('E_FLOW_START_FAILED');
    expect(reply.body.error.message).toContain('"work"');
    const record = (await call(server, 'GET', '/api/flows/keeper')).body;
    expect(record).toMatchObject({ state: 'running', deployedRev: v1.rev });
    const socket = await client(server);
    await socket.emitWithAck('flow:subscribe', { flowId: 'keeper' });
    const first = await nextEvent(socket, 'flow:stats');
    const later = await nextEvent(socket, 'flow:stats', (s) => s.at > first.at);
    expect(later.nodes.sink!.in).toBeGreaterThan(first.nodes.sink!.in);
  });

  it('brings deployed flows back after a server restart, and not the stopped ones', async () => {
    const dataDir = tempDir();
    const first = await startServer({ port: 0, dataDir });
    await create(first, endlessFlow('comeback'));
    await create(first, endlessFlow('stays-off'));
    await call(first, 'POST', '/api/flows/comeback/deploy');
    await call(first, 'POST', '/api/flows/stays-off/deploy');
    await call(first, 'POST', '/api/flows/stays-off/stop');
    await first.close();

    const second = await boot({ dataDir });
    expect((await call(second, 'GET', '/api/flows/comeback')).body.state).toBe('running');
    expect((await call(second, 'GET', '/api/flows/stays-off')).body.state).toBe('stopped');
    const socket = await client(second);
    await socket.emitWithAck('flow:subscribe', { flowId: 'comeback' });
    const stats = await nextEvent(socket, 'flow:stats', (s) => (s.nodes.sink?.in ?? 0) > 0);
    expect(stats.flowId).toBe('comeback');
  });

  it('samples an edge for a tap at no more than 5 messages a second', async () => {
    const server = await boot();
    await create(server, endlessFlow('tapped'));
    await call(server, 'POST', '/api/flows/tapped/deploy');
    const socket = await client(server);
    const unknown = await socket.emitWithAck('tap:start', { flowId: 'tapped', edgeId: 'nope' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'E_EDGE_NOT_FOUND' } });

    const samples: { at: number; skipped: number }[] = [];
    socket.on('edge:tap', (event) => samples.push({ at: Date.now(), skipped: event.skipped }));
    expect(await socket.emitWithAck('tap:start', { flowId: 'tapped', edgeId: 'work->sink' })).toEqual({ ok: true });
    const first = await nextEvent(socket, 'edge:tap');
    expect(first).toMatchObject({ flowId: 'tapped', edgeId: 'work->sink' });
    expect(typeof first.message.value).toBe('number');
    const from = Date.now();
    await eventually(() => (samples.length >= 12 ? true : undefined));
    const seconds = (Date.now() - from) / 1000;
    // The flow moves far more than 5 messages a second; the tap shows a sample and counts the rest.
    expect(samples.length).toBeLessThanOrEqual(Math.ceil((seconds + 1) * 5) + 1);
    expect(samples.some((s) => s.skipped > 0)).toBe(true);
    socket.emit('tap:stop', { flowId: 'tapped', edgeId: 'work->sink' });
  });

  it('folds repeated node errors: far fewer events than errors, and every error counted', async () => {
    const server = await boot();
    await create(server, endlessFlow('failing', undefined, 'throw new Error("bad message");'));
    const socket = await client(server);
    await socket.emitWithAck('flow:subscribe', { flowId: 'failing' });
    const events: NodeErrorEvent[] = [];
    socket.on('node:error', (event) => events.push(event));
    await call(server, 'POST', '/api/flows/failing/deploy');
    const stats = await nextEvent(socket, 'flow:stats', (s) => (s.nodes.work?.errors ?? 0) > 1000);
    expect(events.length).toBeGreaterThan(0);
    expect(events.length * 100).toBeLessThan(stats.nodes.work!.errors);
    expect(events[0]).toMatchObject({ flowId: 'failing', nodeId: 'work' });
    expect(events[0]!.message).toContain('bad message');
  });
});

describe('isolation: watchdog and restart policy', () => {
  it('terminates a flow whose handler loops forever, names the node, and keeps the API answering', async () => {
    const server = await boot({ watchdogMs: 1500 });
    await create(server, spinningFlow('spinner'));
    const socket = await client(server);
    await socket.emitWithAck('flow:subscribe', { flowId: 'spinner' });
    const failed = nextEvent(socket, 'flow:status', (e) => e.state === 'failed');
    expect((await call(server, 'POST', '/api/flows/spinner/deploy')).status).toBe(200);

    // The worker is stuck in `while (true) {}` now; the main thread still answers.
    const health = await call<HealthView>(server, 'GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, flows: { running: 1 } });

    const status: FlowStatusEvent = await failed;
    expect(status.nodeId).toBe('spin');
    expect(status.reason).toContain('"spin"');
    const record = await call(server, 'GET', '/api/flows/spinner');
    expect(record.body.state).toBe('failed');
    expect(JSON.stringify(record.body.lastError)).toContain('\\"spin\\"');
    expect((await call<HealthView>(server, 'GET', '/api/health')).body.flows).toEqual({ running: 0, failed: 1 });
  });

  it('restarts a failed flow with backoff when its policy is on-failure', async () => {
    const server = await boot({ watchdogMs: 1000 });
    await create(
      server,
      spinningFlow('phoenix', { restart: { mode: 'on-failure', initialBackoffMs: 50, maxRestarts: 2 } }),
    );
    const socket = await client(server);
    await socket.emitWithAck('flow:subscribe', { flowId: 'phoenix' });
    const seen: FlowStatusEvent[] = [];
    socket.on('flow:status', (event) => seen.push(event));
    await call(server, 'POST', '/api/flows/phoenix/deploy');

    const gaveUp = await nextEvent(
      socket,
      'flow:status',
      (e) => e.state === 'failed' && (e.reason ?? '').includes('gave up'),
    );
    expect(gaveUp.restarts).toBe(2);
    const states = seen.map((e) => `${e.state}${e.state === 'failed' ? `:${e.restarts}` : ''}`);
    // failed → restarted (running) → failed → restarted → failed for good
    expect(states.filter((s) => s === 'running').length).toBeGreaterThanOrEqual(2);
    expect(states).toEqual(expect.arrayContaining(['failed:1', 'failed:2']));
  });
});

describe('finite and slow flows', () => {
  it('lets a slow asynchronous handler take its time (not a hang), finishes, and does not rerun after a restart', async () => {
    const dataDir = tempDir();
    const server = await boot({ dataDir, watchdogMs: 700 });
    const doc = flow(
      'slow-once',
      [
        ['numbers', 'sequence', { count: 2 }],
        ['wait', 'function', { code: 'await new Promise((r) => setTimeout(r, 2000)); return msg;' }],
        ['sink', 'counter'],
      ],
      [
        ['numbers', 'wait'],
        ['wait', 'sink'],
      ],
    );
    await create(server, doc);
    const socket = await client(server);
    await socket.emitWithAck('flow:subscribe', { flowId: 'slow-once' });
    const ended = nextEvent(socket, 'flow:status', (e) => e.state === 'finished' || e.state === 'failed');
    await call(server, 'POST', '/api/flows/slow-once/deploy');
    expect((await ended).state).toBe('finished');
    const snapshots = (await call(server, 'GET', '/api/flows/slow-once/stats')).body.snapshots;
    expect(snapshots.at(-1)!.nodes.sink!.in).toBe(2);

    await server.close();
    const again = await boot({ dataDir });
    expect((await call(again, 'GET', '/api/flows/slow-once')).body.state).toBe('stopped');
  });
});

describe('security', () => {
  it('enforces the token on HTTP and socket.io', async () => {
    const server = await boot({ token: 'correct-horse' });
    expect((await call<HealthView>(server, 'GET', '/api/health')).status).toBe(401);
    expect((await call(server, 'GET', '/api/health', { token: 'wrong' })).status).toBe(401);
    expect((await call(server, 'GET', '/api/flows', { token: 'correct-horse' })).status).toBe(200);
    expect((await call(server, 'GET', '/metrics')).status).toBe(401);

    await expect(connect(server)).rejects.toThrow(/E_UNAUTHORIZED/);
    await expect(connect(server, 'wrong')).rejects.toThrow(/E_UNAUTHORIZED/);
    const socket = await client(server, 'correct-horse');
    expect(socket.connected).toBe(true);
  });

  it('refuses to listen on a public address without a token, saying how to set one', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, dataDir: tempDir() })).rejects.toThrow(TokenRequiredError);
    await expect(startServer({ host: '0.0.0.0', port: 0, dataDir: tempDir() })).rejects.toThrow(
      /--token.*TRIBUTARY_TOKEN/,
    );
    const errors: string[] = [];
    const original = console.error;
    const envToken = process.env.TRIBUTARY_TOKEN;
    delete process.env.TRIBUTARY_TOKEN;
    console.error = (message: string) => errors.push(message);
    try {
      expect(await serveCommand(['--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()])).toBe(2);
    } finally {
      console.error = original;
      if (envToken !== undefined) process.env.TRIBUTARY_TOKEN = envToken;
    }
    expect(errors.join('\n')).toContain('TRIBUTARY_TOKEN');
  });

  it('keeps credentials out of every answer and out of exports', async () => {
    const server = await boot();
    expect((await call(server, 'PUT', '/api/credentials/API_KEY', { body: { value: 's3cr3t-value' } })).status).toBe(
      204,
    );
    const doc = flow(
      'secretive',
      [
        ['numbers', 'sequence', {}],
        ['work', 'function', { code: 'return msg;' }],
        ['sink', 'counter'],
      ],
      [
        ['numbers', 'work'],
        ['work', 'sink'],
      ],
    );
    doc.connections = [
      { id: 'api', type: 'kafka', config: { brokers: ['localhost:9092'], sasl: { password: '${cred:API_KEY}' } } },
    ];
    await create(server, doc);

    expect((await call(server, 'GET', '/api/credentials')).body).toEqual({ names: ['API_KEY'] });
    for (const path of ['/api/flows/secretive', '/api/flows/secretive/export', '/api/flows']) {
      const reply = await call(server, 'GET', path);
      expect(reply.text).not.toContain('s3cr3t-value');
    }
    expect((await call(server, 'GET', '/api/flows/secretive/export')).text).toContain('${cred:API_KEY}');
    const file = join(server.dataDir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses browser requests from other sites and DNS-rebinding host names', async () => {
    const server = await boot();
    const crossSite = await call(server, 'POST', '/api/flows', {
      body: endlessFlow('csrf'),
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect((await call(server, 'GET', '/api/flows/csrf')).status).toBe(404);
    expect(await getWithHost(server, '/api/flows', 'evil.example:4300')).toBe(403);
    expect(await getWithHost(server, '/api/flows', 'localhost:4300')).toBe(200);
    // Another local app's page (any loopback port) is another site too…
    const localPage = await call(server, 'POST', '/api/flows/csrf/deploy', {
      headers: { origin: 'http://localhost:5173' },
    });
    expect(localPage.status).toBe(403);
    expect(localPage.body.error.message).toMatch(/--allow-origin http:\/\/localhost:5173/);
  });

  it('lets a configured origin in, and no other', async () => {
    const server = await boot({ allowedOrigins: ['http://localhost:5173/'] });
    const allowed = await call(server, 'GET', '/api/flows', { headers: { origin: 'http://localhost:5173' } });
    expect(allowed.status).toBe(200);
    const other = await call(server, 'GET', '/api/flows', { headers: { origin: 'http://localhost:5174' } });
    expect(other.status).toBe(403);
    const own = await call(server, 'GET', '/api/flows', { headers: { origin: server.url } });
    expect(own.status).toBe(200);
  });
});

describe('tributary serve', () => {
  it('stops every flow with drain on SIGTERM and exits 0', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const dataDir = tempDir();
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRIBUTARY_TOKEN: '' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await eventually(() => /on (http:\/\/\S+)/.exec(output)?.[1]);
    const server = { url };
    await call(server, 'POST', '/api/flows', { body: endlessFlow('graceful') });
    expect((await call(server, 'POST', '/api/flows/graceful/deploy')).body.state).toBe('running');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Stopped by the shutdown, not by the user: it is still deployed for the next start.
    const meta = JSON.parse(readFileSync(join(dataDir, 'flows', 'graceful.meta.json'), 'utf8')) as {
      deployed: boolean;
    };
    expect(meta.deployed).toBe(true);
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) still drains every flow: none fails', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const dataDir = tempDir();
    // A group of its own, as a terminal's foreground job: the flows' processes are in it too.
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRIBUTARY_TOKEN: '' },
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await eventually(() => /on (http:\/\/\S+)/.exec(output)?.[1]);
      const server = { url };
      await call(server, 'POST', '/api/flows', { body: endlessFlow('group') });
      expect((await call(server, 'POST', '/api/flows/group/deploy')).body.state).toBe('running');
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      // Before, the flow's process died of the signal at once: "flow group failed: … was killed (SIGINT)".
      expect(output).toContain('SIGINT: stopping every flow with drain');
      expect(output).not.toMatch(/failed|killed/);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
});
