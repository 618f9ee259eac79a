import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The tests drive the built CLI exactly as a user does (turbo builds before it tests).
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'tributary-cli-'));

function tributary(args: string[], cwd = tmp()) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, cwd };
}

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('tributary validate', () => {
  it('accepts every shipped example', () => {
    const { code, stdout } = tributary([
      'validate',
      ...[
        'demo',
        'hello',
        'dead-letter',
        'cache-lookup',
        'bench-linear',
        'redis-counters',
        'postgres-orders',
        'sqs-orders',
        'channel-consumer',
        'windowed-counts',
        'orders-wait-for-prices',
        'cache-endpoint',
        'web-feed',
        'pin-acks',
        'sse-loop',
      ].map((f) => join(examples, `${f}.flow.json`)),
    ]);
    expect(stdout).not.toContain('✖');
    expect(code).toBe(0);
  });

  it('lists every problem with its JSON path and exits 1', () => {
    const dir = tmp();
    const bad = join(dir, 'bad.flow.json');
    const flow = JSON.parse(readFileSync(join(examples, 'hello.flow.json'), 'utf8')) as {
      nodes: { config: Record<string, unknown>; type: string }[];
      edges: { target: string }[];
    };
    flow.nodes[0]!.config.count = -5;
    flow.nodes[2]!.type = 'lgo';
    flow.edges[1]!.target = 'nowhere';
    writeFileSync(bad, JSON.stringify(flow));
    const { code, stdout } = tributary(['validate', bad]);
    expect(code).toBe(1);
    expect(stdout).toContain('3 problems');
    expect(stdout).toContain('/nodes/0/config/count');
    expect(stdout).toMatch(/\/nodes\/2\/type .*did you mean "log"/);
    expect(stdout).toContain('/edges/1/target');
  });

  it('refuses a window that may hold more than the sqs-source or channel-source before it lets be in flight', () => {
    const dir = tmp();
    const node = (id: string, type: string, config: Record<string, unknown>) => ({
      id,
      type,
      typeVersion: 1,
      position: { x: 0, y: 0 },
      config,
    });
    const flow = (maxHeld: number) => ({
      schemaVersion: 1,
      id: 'held-behind-queues',
      name: 'windows behind queues',
      connections: [
        { id: 'queues', type: 'sqs', config: { endpoint: 'http://127.0.0.1:9324', region: 'us-east-1' } },
        { id: 'channel', type: 'channel', config: { url: 'http://127.0.0.1:4300', dialect: 'opendxl' } },
      ],
      nodes: [
        node('orders', 'sqs-source', { connection: 'queues', queue: 'orders', maxInFlight: 100 }),
        node('per-minute', 'window', { size: '1m', maxHeld }),
        node('events', 'channel-source', { connection: 'channel', topics: ['events'], group: 'g', maxInFlight: 500 }),
        node('parse', 'function', { code: 'return msg;' }),
        node('sessions', 'window', { kind: 'session', gap: '30s', maxHeld }),
      ],
      edges: [
        { id: 'a', source: 'orders', sourcePort: 'out', target: 'per-minute', targetPort: 'in' },
        { id: 'b', source: 'events', sourcePort: 'out', target: 'parse', targetPort: 'in' },
        { id: 'c', source: 'parse', sourcePort: 'out', target: 'sessions', targetPort: 'in' },
      ],
    });
    writeFileSync(join(dir, 'stuck.flow.json'), JSON.stringify(flow(100_000)));
    const stuck = tributary(['validate', 'stuck.flow.json'], dir);
    expect(stuck.code).toBe(1);
    expect(stuck.stdout).toContain('2 problems');
    expect(stuck.stdout).toContain(
      'node "per-minute" may hold up to 100000 unconfirmed messages, but source "orders" stops reading at 100 unconfirmed',
    );
    expect(stuck.stdout).toContain('Max held below 100');
    // Through a function too: what matters is the source upstream.
    expect(stuck.stdout).toContain('source "events" stops reading at 500 unconfirmed');

    // Held below the smaller limit: accepted.
    writeFileSync(join(dir, 'fine.flow.json'), JSON.stringify(flow(99)));
    const fine = tributary(['validate', 'fine.flow.json'], dir);
    expect(fine.stdout).not.toContain('✖');
    expect(fine.code).toBe(0);
  });

  it('points at the line and column of malformed JSON', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'broken.json'), '{\n  "schemaVersion": 1,\n  "id": oops\n}\n');
    const { code, stdout } = tributary(['validate', 'broken.json'], dir);
    expect(code).toBe(1);
    expect(stdout).toContain('line 3, column 9');
  });
});

describe('tributary run', () => {
  it('runs a finite flow headless, writes JSON lines when piped, and exits 0 when it ends', () => {
    const { code, stdout } = tributary(['run', join(examples, 'hello.flow.json')]);
    expect(code).toBe(0);
    const events = lines(stdout);
    expect(events.filter((e) => e.type === 'log').map((e) => e.message)).toEqual([
      '0',
      '2',
      '4',
      '6',
      '8',
      '10',
      '12',
      '14',
      '16',
      '18',
    ]);
    const result = events.at(-1)!;
    expect(result).toMatchObject({ type: 'result', state: 'finished', abandoned: 0 });
  });

  it('windowed-counts: one count per user and 10 s window, the late click apart, open windows closed at the end', () => {
    const { code, stdout } = tributary(['run', join(examples, 'windowed-counts.flow.json'), '--data-dir', 'out']);
    expect(code).toBe(0);
    const logs = lines(stdout).filter((e) => e.type === 'log');
    const counts = logs
      .filter((e) => e.nodeId === 'results')
      .map((e) => JSON.parse(e.message as string) as { key: string; start: number; count: number })
      .map((r) => `${r.key}@${(r.start - Date.UTC(2026, 0, 1, 10)) / 1000}:${r.count}`);
    expect(counts.sort()).toEqual(['ana@0:2', 'ana@10:1', 'ana@20:1', 'ana@40:1', 'ben@0:2', 'cy@10:1', 'cy@20:1']);
    expect(logs.filter((e) => e.nodeId === 'late').map((e) => JSON.parse(e.message as string) as unknown)).toEqual([
      { user: 'ben', page: '/p', at: Date.UTC(2026, 0, 1, 10, 0, 3) },
    ]);
  });

  it('dead-letters poison messages to a file and loses nothing', () => {
    const { code, stdout, cwd } = tributary(['run', join(examples, 'dead-letter.flow.json'), '--data-dir', 'out']);
    expect(code).toBe(0);
    const parsed = readFileSync(join(cwd, 'out/parsed.jsonl'), 'utf8').trim().split('\n');
    const rejected = readFileSync(join(cwd, 'out/rejected.jsonl'), 'utf8').trim().split('\n');
    expect(parsed.map((l) => JSON.parse(l) as unknown)).toEqual([
      { order: 1, amount: 30 },
      { order: 2, amount: 12.5 },
    ]);
    expect(rejected).toHaveLength(2);
    const stats = (
      lines(stdout).at(-1)!.stats as { nodes: Record<string, { errors: number; dropped: number; in: number }> }
    ).nodes;
    expect(stats.parse!.errors).toBe(2);
    expect(stats.big!.dropped).toBe(1); // { order: 4, amount: 7 }
    expect(stats.parse!.in).toBe(5);
  });

  it('refuses to start an invalid flow, naming the problem', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'x.json'), '{"schemaVersion":1,"id":"x","name":"x","nodes":[],"edges":[],"extra":1}');
    const { code, stderr } = tributary(['run', 'x.json'], dir);
    expect(code).toBe(1);
    expect(stderr).toContain('unknown field: extra');
  });

  it('stops an endless flow on SIGINT: drains, prints totals, exits 0', async () => {
    const dir = tmp();
    const child = spawn(process.execPath, [cli, 'run', join(examples, 'demo.flow.json'), '--interval', '100'], {
      cwd: dir,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('"type":"stats"') ? resolve() : setTimeout(check, 50));
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const result = lines(out).at(-1)!;
    expect(result).toMatchObject({ type: 'result', state: 'stopped', abandoned: 0 });
    const nodes = (result.stats as { nodes: Record<string, { in: number; out: number }> }).nodes;
    // Everything the sensors emitted reached the counter or the dead-letter file: nothing lost in flight.
    expect(nodes.sensors!.out).toBeGreaterThan(0);
    expect(nodes.reading!.in).toBe(nodes.sensors!.out);
    expect(nodes.readings!.in + nodes.rejected!.in).toBe(nodes.sensors!.out);
  });

  it('a SIGTERM while nodes are still starting stops the flow once they have, and exits 0', async () => {
    const dir = tmp();
    // A file sink on a FIFO nobody reads yet: its start waits until the test opens the other end.
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const flow = {
      schemaVersion: 1,
      id: 'slow-start',
      name: 'Slow start',
      nodes: [
        { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { rate: 100 } },
        { id: 'out', type: 'file', typeVersion: 1, position: { x: 200, y: 0 }, config: { path: 'pipe' } },
      ],
      edges: [{ id: 'numbers->out', source: 'numbers', sourcePort: 'out', target: 'out', targetPort: 'in' }],
    };
    writeFileSync(join(dir, 'flow.json'), JSON.stringify(flow));
    // --port makes it say when it is about to start the nodes (the endpoints notice comes first).
    const child = spawn(process.execPath, [cli, 'run', 'flow.json', '--data-dir', dir, '--port', '0'], { cwd: dir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let gone = false;
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (code, signal) => {
        gone = true;
        resolve([code, signal]);
      }),
    );
    const said = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (err.includes(text)) resolve();
          else if (gone) reject(new Error(`the run ended before saying "${text}": ${err}`));
          else setTimeout(check, 50);
        };
        check();
      });
    await said('endpoints on');
    child.kill('SIGTERM');
    await said('stopping once the flow has started');
    // Now let the start finish, and read what the flow writes until it closes the pipe.
    const written = await new Promise<string>((resolve, reject) => {
      let text = '';
      createReadStream(join(dir, 'pipe'), 'utf8')
        .on('data', (chunk) => (text += String(chunk)))
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    expect(await exited).toEqual([0, null]);
    expect(lines(out).at(-1)).toMatchObject({ type: 'result', state: 'stopped', abandoned: 0 });
    // Whatever the source sent before it stopped reached the file.
    const sent = (lines(out).at(-1)!.stats as { nodes: Record<string, { out: number }> }).nodes.numbers!.out;
    expect(written.split('\n').filter(Boolean)).toHaveLength(sent);
  });
});
