/**
 * Does watching a flow slow it down? Measures one flow's throughput through the real server (worker
 * thread, 1 Hz stats) with no socket.io client, then with 5 clients subscribed to its room, then
 * with those 5 clients also tapping an edge, in alternating rounds to spread the machine's noise.
 *
 *   node dist/bench/bench-watchers.js      (or through `pnpm bench`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, FlowDocument, FlowStatsSnapshot, ServerToClientEvents } from '@tributary/shared';
import { startServer, type RuntimeServer } from '../server.js';
import { benchPipeline } from './engine-bench.js';

const FLOW_ID = 'bench-watchers';
const WARMUP_MS = 3_000;
const ROUND_MS = 5_000;
const ROUNDS = 2;
const CLIENTS = 5;

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

function benchFlow(): FlowDocument {
  return benchPipeline(
    FLOW_ID,
    'Watchers benchmark',
    [
      ['numbers', 'sequence', {}],
      ['work', 'function', { code: 'return msg;' }],
      ['sink', 'counter', {}],
    ],
    [
      ['numbers', 'work'],
      ['work', 'sink'],
    ],
  );
}

/** Messages per second into the sink between the first and the last snapshot of a window. */
async function measure(server: RuntimeServer, ms: number): Promise<number> {
  const snapshots: FlowStatsSnapshot[] = [];
  const listener = (snapshot: FlowStatsSnapshot) => {
    if (snapshot.flowId === FLOW_ID) snapshots.push(snapshot);
  };
  server.manager.on('stats', listener);
  await new Promise((resolve) => setTimeout(resolve, ms));
  server.manager.off('stats', listener);
  const first = snapshots[0];
  const last = snapshots[snapshots.length - 1];
  if (!first || !last || last.at <= first.at) throw new Error('no stats arrived: is the flow running?');
  return ((last.nodes.sink?.in ?? 0) - (first.nodes.sink?.in ?? 0)) / ((last.at - first.at) / 1000);
}

async function connectClients(
  server: RuntimeServer,
  tap: boolean,
): Promise<{ clients: Client[]; received: () => number }> {
  let received = 0;
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const socket: Client = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      socket.on('flow:stats', () => received++);
      socket.on('edge:tap', () => received++);
      await socket.emitWithAck('flow:subscribe', { flowId: FLOW_ID });
      if (tap) await socket.emitWithAck('tap:start', { flowId: FLOW_ID, edgeId: 'work->sink' });
      return socket;
    }),
  );
  return { clients, received: () => received };
}

export async function runWatchersBench(): Promise<Record<string, number>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-watchers-'));
  const server = await startServer({ port: 0, dataDir });
  try {
    await server.importFlow(benchFlow());
    await server.manager.deploy(FLOW_ID);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const rates: Record<'none' | 'subscribed' | 'tapping', number[]> = { none: [], subscribed: [], tapping: [] };
    let events = 0;
    for (let round = 0; round < ROUNDS; round++) {
      rates.none.push(await measure(server, ROUND_MS));
      for (const tap of [false, true]) {
        const { clients, received } = await connectClients(server, tap);
        rates[tap ? 'tapping' : 'subscribed'].push(await measure(server, ROUND_MS));
        events += received();
        for (const client of clients) client.close();
      }
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const none = mean(rates.none);
    const subscribed = mean(rates.subscribed);
    const tapping = mean(rates.tapping);
    return {
      'watchers.msgs_per_s.0_clients': Math.round(none),
      [`watchers.msgs_per_s.${CLIENTS}_clients`]: Math.round(subscribed),
      [`watchers.msgs_per_s.${CLIENTS}_clients_tapping`]: Math.round(tapping),
      [`watchers.overhead_pct.${CLIENTS}_clients`]: Math.round(((none - subscribed) / none) * 1000) / 10,
      [`watchers.overhead_pct.${CLIENTS}_clients_tapping`]: Math.round(((none - tapping) / none) * 1000) / 10,
      'watchers.events_received': events,
    };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await runWatchersBench();
  for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(42)} ${value}`);
  console.log(JSON.stringify(results));
}
