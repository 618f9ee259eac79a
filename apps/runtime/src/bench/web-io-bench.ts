/**
 * Web I/O benchmarks (`pnpm bench`, section `web-io`). Each side runs in its own child process,
 * and the peers (WebSocket sender, SSE clients) in yet another, so figures are not skewed by the
 * client sharing the server's thread.
 *
 * - websocket-source → function → counter, fed by one `ws` client as fast as it can, next to a
 *   bare `ws` server counting the same frames (target ≥ 70 %).
 * - sse-endpoint fanning out 10,000 events/s to 100 clients: p50/p99 delivery latency, events
 *   delivered, clients dropped, peak RSS of the runtime side.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { createNodeRegistry, EndpointHub } from '@tributary/nodes/runtime';
import { startFlow } from '../engine/index.js';
import { benchPipeline } from './engine-bench.js';
import { medianOf } from './median.js';

const FRAMES = Number(process.env.BENCH_WS_FRAMES ?? 300_000);
const SSE_RATE = 10_000;
const SSE_CLIENTS = 100;
const SSE_SECONDS = Number(process.env.BENCH_SSE_SECONDS ?? 6);
const self = fileURLToPath(import.meta.url);

type Figures = Record<string, number>;

function inChild(args: string[]): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const proc = fork(self, args, { stdio: 'inherit' });
    let result: Figures | undefined;
    proc.on('message', (m) => (result = m as Figures));
    proc.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

export async function runWebIoBench(): Promise<Figures> {
  const runs = Number(process.env.RUNS ?? 3);
  const bare: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push((await inChild(['--ws-bare'])).framesPerSec!);
    ours.push((await inChild(['--ws-tributary'])).framesPerSec!);
  }
  const sse = await inChild(['--sse']);
  return {
    ws_frames: FRAMES,
    ws_bare_frames_per_s: medianOf(bare),
    ws_tributary_frames_per_s: medianOf(ours),
    ws_tributary_vs_bare_pct: Math.round((medianOf(ours) / medianOf(bare)) * 100),
    ...Object.fromEntries(Object.entries(sse).map(([k, v]) => [`sse_${k}`, v])),
  };
}

/** The sender: one client, as fast as the socket takes it (paced by bufferedAmount, not by time). */
async function wsSender(url: string, frames: number): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise((resolve) => ws.once('open', resolve));
  const payload = JSON.stringify({ sensor: 'bench', value: 42.5, ok: true });
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < frames && ws.bufferedAmount < 1024 * 1024) {
        ws.send(payload);
        sent++;
      }
      if (sent >= frames) resolve();
      else setImmediate(pump);
    };
    pump();
  });
  // Stay open until the server side is done (it kills us).
  await new Promise(() => undefined);
}

function startSender(url: string): { kill(): void } {
  const proc = fork(self, ['--ws-sender', url, String(FRAMES)], { stdio: 'inherit' });
  return { kill: () => proc.kill() };
}

async function wsBare(): Promise<Figures> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  let count = 0;
  let started = 0;
  const done = new Promise<number>((resolve) => {
    server.on('connection', (ws) => {
      started = performance.now();
      ws.on('message', () => {
        if (++count === FRAMES) resolve(performance.now() - started);
      });
    });
  });
  const sender = startSender(`ws://127.0.0.1:${port}/`);
  const ms = await done;
  sender.kill();
  server.close();
  return { framesPerSec: Math.round(FRAMES / (ms / 1000)) };
}

async function wsTributary(): Promise<Figures> {
  const hub = new EndpointHub();
  const listening = await hub.listen(0);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ws-'));
  const flow = benchPipeline(
    'bench-ws',
    'Bench: websocket',
    [
      ['in', 'websocket-source', { role: 'server', path: 'in' }],
      ['fn', 'function', { code: 'return msg;' }],
      ['count', 'counter', {}],
    ],
    [
      ['in', 'fn'],
      ['fn', 'count'],
    ],
  );
  const run = await startFlow(flow, { registry: createNodeRegistry(), dataDir, endpoints: hub.forFlow('bench-ws') });
  const sender = startSender(`${listening.url.replace('http', 'ws')}/ws/bench-ws/in`);
  let started = 0;
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      const frames = run.stats().nodes.in?.out ?? 0;
      if (frames > 0 && started === 0) started = performance.now();
      if ((run.stats().nodes.count?.in ?? 0) >= FRAMES) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
  const ms = performance.now() - started;
  sender.kill();
  await run.stop();
  await listening.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { framesPerSec: Math.round(FRAMES / (ms / 1000)) };
}

/**
 * 100 SSE clients in one process. Parsing a million events a second in one JS process would
 * measure the clients, not the endpoint: 10 clients parse every event (its data is the time it was
 * made, so latency is now − data), the other 90 count event ends in the raw bytes.
 */
function sseClients(url: string, clients: number): void {
  const latencies: number[] = [];
  let events = 0;
  let parsedEvents = 0;
  const end = Buffer.from('\n\n');
  for (let c = 0; c < clients; c++) {
    const parse = c < 10;
    request(url, (res) => {
      let buffer = '';
      if (!parse) {
        res.on('data', (chunk: Buffer) => {
          for (let at = chunk.indexOf(end); at >= 0; at = chunk.indexOf(end, at + 2)) events++;
        });
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = /^data: (\d+)$/m.exec(frame);
          if (data) {
            events++;
            parsedEvents++;
            latencies.push(Date.now() - Number(data[1]));
          }
        }
      });
    }).end();
  }
  process.on('message', () => {
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    process.send?.({ events, parsedEvents, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) }, () => process.exit(0));
  });
}

async function sseFanout(): Promise<Figures> {
  const hub = new EndpointHub();
  const listening = await hub.listen(0);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-sse-'));
  const flow = benchPipeline(
    'bench-sse',
    'Bench: SSE fan-out',
    [
      ['ticks', 'sequence', { rate: SSE_RATE }],
      ['stamp', 'function', { code: 'return { value: Date.now() };' }],
      ['out', 'sse-endpoint', { path: 'out', replay: 10_000, clientBufferBytes: 4 * 1024 * 1024 }],
    ],
    [
      ['ticks', 'stamp'],
      ['stamp', 'out'],
    ],
  );
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  // The endpoint exists once the flow started; the clients connect then, and the window is measured
  // from the moment all of them are connected (the node reports its clients once a second).
  const run = await startFlow(flow, { registry: createNodeRegistry(), dataDir, endpoints: hub.forFlow('bench-sse') });
  const clients = fork(self, ['--sse-clients', `${listening.url}/streams/bench-sse/out`, String(SSE_CLIENTS)], {
    stdio: 'inherit',
  });
  const connectedBy = Date.now() + 60_000;
  while (Number(run.stats().nodes.out?.custom.clients ?? 0) < SSE_CLIENTS && Date.now() < connectedBy) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const before = run.stats().nodes.out?.in ?? 0;
  await new Promise((resolve) => setTimeout(resolve, SSE_SECONDS * 1000));
  const stats = run.stats();
  const published = (stats.nodes.out?.in ?? 0) - before;
  const dropped = Number(stats.nodes.out?.custom.droppedClients ?? 0);
  const figures = await new Promise<Figures>((resolve) => {
    clients.once('message', (m) => resolve(m as Figures));
    clients.send('report');
  });
  clearInterval(sampler);
  await run.stop();
  await listening.close();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    clients: SSE_CLIENTS,
    events_per_s: Math.round(published / SSE_SECONDS),
    connected_clients: Number(stats.nodes.out?.custom.clients ?? 0),
    delivered_per_client: Math.round(figures.events! / SSE_CLIENTS),
    delivered_per_parsing_client: Math.round(figures.parsedEvents! / 10),
    published,
    dropped_clients: dropped,
    p50_ms: figures.p50Ms!,
    p99_ms: figures.p99Ms!,
    max_ms: figures.maxMs!,
    peak_rss_mb: Math.round(peakRss / 1024 / 1024),
  };
}

const [mode, a, b] = process.argv.slice(2);
if (mode === '--ws-sender') await wsSender(a!, Number(b));
else if (mode === '--sse-clients') sseClients(a!, Number(b));
else if (mode === '--ws-bare') process.send?.(await wsBare(), () => process.exit(0));
else if (mode === '--ws-tributary') process.send?.(await wsTributary(), () => process.exit(0));
else if (mode === '--sse') process.send?.(await sseFanout(), () => process.exit(0));
