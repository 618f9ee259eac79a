import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { FlowDocument, FlowLogEntry, FlowStatsSnapshot } from '@tributary/shared';
import { createNodeRegistry, EndpointHub } from '@tributary/nodes/runtime';
import { endpointRefusal, isLoopbackHost } from '../http/access.js';
import { FlowStartError, startFlow, type FlowRun } from '../engine/index.js';
import { compact, statsTable } from './format.js';
import { loadFlowFile } from './load-flow.js';
import { onStopSignal } from './stop-signals.js';

const USAGE = `Usage: tributary run <flow.json> [options]

Runs a flow headless. On a terminal it shows a live per-node table; when stdout is piped it writes
JSON lines ({"type":"stats"|"log"|"error"|"result", …}). Finite flows exit when every source ended
and the queues drained; Ctrl-C stops cleanly (drains in-flight messages) and prints totals.

Options:
  --data-dir <dir>      folder for the flow's files and stores (default ./.tributary/data/<flow id>)
  --duration <seconds>  stop after this long (endless sources)
  --interval <ms>       stats every this many ms (default 1000)
  --port <n>            serve the flow's endpoints (webhook, event streams, WebSockets) on this port
                        (0: any free port); a flow with such nodes needs it
  --host <addr>         address for --port (default 127.0.0.1; others need a token)
  --token <secret>      endpoints need "Authorization: Bearer <secret>" (default: TRIBUTARY_TOKEN)
  --json                JSON lines even on a terminal
  --quiet               no live table, only the final totals
  -h, --help`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      duration: { type: 'string' },
      interval: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const file = positionals[0]!;
  const registry = createNodeRegistry();
  const loaded = await loadFlowFile(file, registry);
  if (!loaded.ok) {
    console.error(`✖ ${file}: ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}`);
    for (const p of loaded.problems) console.error(`  ${p.path || '/'}  ${p.message}  [${p.code}]`);
    return 1;
  }
  const flow = loaded.flow;
  const json = values.json === true || !process.stdout.isTTY;
  const sourceIds = new Set(
    flow.nodes.filter((n) => registry.get(n.type)?.manifest.kind === 'source').map((n) => n.id),
  );
  const view = json ? new JsonView() : new TableView(flow, sourceIds, values.quiet === true);
  const intervalMs = Number(values.interval ?? 1000);
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (!Number.isFinite(intervalMs) || intervalMs < 50) return usageError('--interval must be a number ≥ 50');
  if (durationS !== undefined && !(durationS > 0)) return usageError('--duration must be a positive number');

  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    return usageError('--port must be a port number (0-65535)');
  }
  const host = values.host ?? '127.0.0.1';
  const tokenValue = values.token ?? process.env.TRIBUTARY_TOKEN;
  const token = tokenValue === undefined || tokenValue === '' ? undefined : tokenValue;
  if (port !== undefined && token === undefined && !isLoopbackHost(host)) {
    return usageError(`refusing to serve endpoints on ${host} without a token (--token or TRIBUTARY_TOKEN)`);
  }
  let endpoints: { hub: EndpointHub; url: string; close(): Promise<void> } | undefined;
  if (port !== undefined) {
    const hub = new EndpointHub({ authorize: endpointRefusal(token) });
    try {
      const listening = await hub.listen(port, host);
      endpoints = { hub, url: listening.url, close: () => listening.close() };
    } catch (error) {
      console.error(`✖ cannot serve endpoints on ${host}:${port}: ${(error as Error).message}`);
      return 1;
    }
    view.notice(`endpoints on ${endpoints.url} (/hooks/${flow.id}/…, /streams/${flow.id}/…, /ws/${flow.id}/…)`);
  }

  // Listening from before the start: a signal while nodes start stops the flow once they have
  // (sources stop, nodes close cleanly), instead of killing the process half way.
  let run: FlowRun | undefined = undefined; // set once the nodes started
  let stopRequested = false;
  onStopSignal((_signal, count) => {
    if (count > 1) process.exit(130);
    if (run === undefined) {
      stopRequested = true;
      view.notice('stopping once the flow has started (Ctrl-C again to quit at once)…');
      return;
    }
    view.notice('stopping: draining in-flight messages (Ctrl-C again to quit at once)…');
    void run.stop();
  });
  let started: FlowRun;
  try {
    started = await startFlow(flow, {
      registry,
      ...(endpoints === undefined ? {} : { endpoints: endpoints.hub.forFlow(flow.id) }),
      dataDir: resolve(values['data-dir'] ?? `.tributary/data/${flow.id}`),
      onLog: (entry) => view.log(entry),
      onNodeError: (event) => json && view.event({ type: 'error', ...event }),
    });
  } catch (error) {
    const node = error instanceof FlowStartError && error.nodeId ? ` (node ${error.nodeId})` : '';
    console.error(`✖ could not start ${file}${node}: ${(error as Error).message}`);
    await endpoints?.close();
    return 1;
  }
  run = started;
  if (stopRequested) {
    view.notice('stopping: draining in-flight messages (Ctrl-C again to quit at once)…');
    void started.stop();
  }

  const startedAt = performance.now();
  const ticker = setInterval(() => view.stats(started.stats()), intervalMs);
  const timers: NodeJS.Timeout[] = [ticker];
  if (durationS !== undefined) timers.push(setTimeout(() => void started.stop(), durationS * 1000));

  // Signals stay caught until the process exits: one that comes while the totals are printed
  // changes nothing (the run is over), where the default action would kill the process.
  const result = await started.done;
  await endpoints?.close();
  for (const t of timers) clearInterval(t);
  const final = started.stats();
  const seconds = (performance.now() - startedAt) / 1000;
  view.finish(final, result, seconds);
  return result.state === 'failed' ? 1 : 0;
}

function usageError(message: string): number {
  console.error(`✖ ${message}`);
  return 2;
}

interface View {
  log(entry: FlowLogEntry): void;
  event(event: Record<string, unknown>): void;
  stats(snapshot: FlowStatsSnapshot): void;
  notice(text: string): void;
  finish(
    snapshot: FlowStatsSnapshot,
    result: { state: string; reason?: string; abandoned: number },
    seconds: number,
  ): void;
}

class JsonView implements View {
  log(entry: FlowLogEntry): void {
    this.event({ type: 'log', ...entry });
  }
  event(event: Record<string, unknown>): void {
    process.stdout.write(JSON.stringify(event) + '\n');
  }
  stats(snapshot: FlowStatsSnapshot): void {
    this.event({ type: 'stats', ...snapshot });
  }
  notice(text: string): void {
    process.stderr.write(text + '\n');
  }
  finish(snapshot: FlowStatsSnapshot, result: { state: string; reason?: string; abandoned: number }, seconds: number) {
    this.event({ type: 'result', ...result, seconds: Math.round(seconds * 1000) / 1000, stats: snapshot });
  }
}

/** Redraws a table in place; log lines are printed above it. */
class TableView implements View {
  private drawn = 0;

  constructor(
    private readonly flow: FlowDocument,
    private readonly sourceIds: ReadonlySet<string>,
    private readonly quiet: boolean,
  ) {}

  private clear(): void {
    if (this.drawn > 0) process.stdout.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(lines: string[]): void {
    this.clear();
    process.stdout.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }

  private last: string[] = [];

  log(entry: FlowLogEntry): void {
    const colour = entry.level === 'error' ? '\x1b[31m' : entry.level === 'warn' ? '\x1b[33m' : '\x1b[2m';
    const node = entry.nodeId ? `[${entry.nodeId}] ` : '';
    const data = entry.data === undefined ? '' : ' ' + safeJson(entry.data);
    this.clear();
    process.stdout.write(`${colour}${entry.level.padEnd(5)}\x1b[0m ${node}${entry.message}${data}\n`);
    if (!this.quiet && this.last.length > 0) this.draw(this.last);
  }

  event(): void {}

  stats(snapshot: FlowStatsSnapshot): void {
    if (this.quiet) return;
    this.last = [
      `\x1b[1m${this.flow.name || this.flow.id}\x1b[0m  up ${(snapshot.uptimeMs / 1000).toFixed(0)} s`,
      ...statsTable(this.flow, snapshot),
    ];
    this.draw(this.last);
  }

  notice(text: string): void {
    this.clear();
    process.stdout.write(`${text}\n`);
    if (this.last.length > 0) this.draw(this.last);
  }

  finish(snapshot: FlowStatsSnapshot, result: { state: string; reason?: string; abandoned: number }, seconds: number) {
    this.draw(statsTable(this.flow, snapshot));
    this.drawn = 0;
    const emitted = this.flow.nodes.reduce(
      (sum, node) => (this.sourceIds.has(node.id) ? sum + (snapshot.nodes[node.id]?.out ?? 0) : sum),
      0,
    );
    const rate = seconds > 0 ? emitted / seconds : 0;
    const state = result.state === 'failed' ? `\x1b[31mfailed\x1b[0m: ${result.reason ?? ''}` : result.state;
    const abandoned =
      result.abandoned > 0 ? `, ${compact(result.abandoned)} messages abandoned at the drain timeout` : '';
    process.stdout.write(
      `${state} after ${seconds.toFixed(2)} s: ${compact(emitted)} messages from sources (${compact(Math.round(rate))} msg/s)${abandoned}\n`,
    );
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
