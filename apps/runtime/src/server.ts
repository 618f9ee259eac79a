import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Server as IoServer } from 'socket.io';
import { FlowManager } from './host/flow-manager.js';
import { isLoopbackHost } from './http/access.js';
import { createApp } from './http/app.js';
import { FlowMetrics } from './metrics/prometheus.js';
import { StatsHistory } from './metrics/stats-history.js';
import { attachRealtime } from './realtime/socket-server.js';
import { CredentialStore } from './store/credential-store.js';
import { FlowStore, type StoredFlow } from './store/flow-store.js';
import { RuntimeError } from './errors.js';
import { createValidator, nodeTypesPayload } from './node-types.js';
import { ChannelService } from './channel/channel-service.js';

export const DEFAULT_PORT = 4300;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_WATCHDOG_MS = 5_000;
export const DEFAULT_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

export interface ServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  dataDir: string;
  /** Required when `host` is not a loopback address. */
  token?: string;
  /** The built editor to serve on `/`; none when undefined. */
  editorDir?: string;
  /** A flow whose thread stays blocked this long is terminated (and restarted if its policy says so). */
  watchdogMs?: number;
  bodyLimitBytes?: number;
  statsIntervalMs?: number;
  /** Stats history kept per flow, in minutes (at least 15). */
  historyMinutes?: number;
  /** Samples per second per tapped edge. */
  tapRate?: number;
  /** Log lines per second per flow forwarded from its worker. */
  logRate?: number;
  /** Server-side messages (startup, flow logs at warn and above, internal errors). */
  log?: (message: string) => void;
  /** Kafka brokers for the consumer-channel API at /api/channel/v1; off when empty. */
  channelBrokers?: string[];
}

export interface RuntimeServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly manager: FlowManager;
  readonly store: FlowStore;
  readonly credentials: CredentialStore;
  readonly http: HttpServer;
  readonly io: IoServer;
  /** Saves a flow document as an import does (400 problems, 409 if the id is taken). */
  importFlow(raw: unknown): Promise<StoredFlow>;
  /** Stops every flow with drain (they stay deployed for the next start), then closes the server. */
  close(): Promise<void>;
}

/** Thrown when the server would be reachable from the network without a token. */
export class TokenRequiredError extends Error {
  constructor(host: string) {
    super(
      `refusing to listen on ${host} without a token: anyone who can reach this address could deploy code. ` +
        'Set one with --token <secret> or the TRIBUTARY_TOKEN environment variable (clients then send ' +
        '"Authorization: Bearer <secret>"), or listen on 127.0.0.1.',
    );
    this.name = 'TokenRequiredError';
  }
}

export function runtimeVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Opens the data folder, starts the HTTP API, socket.io and the flows that were deployed. */
export async function startServer(options: ServerOptions): Promise<RuntimeServer> {
  const host = options.host ?? DEFAULT_HOST;
  const token = options.token === undefined || options.token === '' ? undefined : options.token;
  if (token === undefined && !isLoopbackHost(host)) throw new TokenRequiredError(host);
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });

  const validator = createValidator();
  const store = await FlowStore.open(dataDir, log, (raw) => {
    const parsed = validator.parse(raw);
    if (parsed.ok) return parsed.flow;
    return parsed.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ');
  });
  const credentials = await CredentialStore.open(dataDir);
  const statsIntervalMs = options.statsIntervalMs ?? 1000;
  const history = new StatsHistory(Math.max(15, options.historyMinutes ?? 16) + 1, statsIntervalMs);
  const metrics = new FlowMetrics();
  const manager = new FlowManager({
    store,
    credentials,
    flowDataDir: join(dataDir, 'data'),
    check: (doc) => validator.check(doc),
    watchdogMs: options.watchdogMs ?? DEFAULT_WATCHDOG_MS,
    statsIntervalMs,
    tapRate: options.tapRate ?? 5,
    logRate: options.logRate ?? 50,
  });
  manager.on('stats', (snapshot) => {
    history.push(snapshot);
    metrics.recordStats(snapshot);
  });
  manager.on('status', (event) => {
    metrics.recordStatus(event);
    if (event.state === 'failed') log(`flow ${event.flowId} failed: ${event.reason ?? ''}`);
  });
  manager.on('log', (entry) => {
    if (entry.level === 'warn' || entry.level === 'error') {
      log(`${entry.level} ${entry.flowId}${entry.nodeId ? `/${entry.nodeId}` : ''}: ${entry.message}`);
    }
  });

  const channel = options.channelBrokers?.length
    ? new ChannelService({ brokers: options.channelBrokers, log })
    : undefined;
  const app = createApp({
    store,
    credentials,
    manager,
    history,
    metrics,
    validator,
    nodeTypes: nodeTypesPayload(),
    version: runtimeVersion(),
    startedAt: Date.now(),
    token,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    editorDir: options.editorDir,
    log,
    channel,
  });
  const http = createServer(app);
  const io = attachRealtime(http, { manager, store, token });
  await new Promise<void>((resolveListen, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_PORT, host, () => {
      http.off('error', reject);
      resolveListen();
    });
  });
  const address = http.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  await manager.boot();

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    host,
    manager,
    store,
    credentials,
    http,
    io,
    async importFlow(raw) {
      const parsed = validator.parse(raw);
      if (!parsed.ok) {
        throw new RuntimeError('E_FLOW_INVALID', `the flow document has ${parsed.problems.length} problem(s)`, 400, {
          problems: parsed.problems,
        });
      }
      return store.create(parsed.flow);
    },
    close() {
      closing ??= (async () => {
        await manager.shutdown();
        await channel?.close();
        await new Promise<void>((done) => {
          void io.close(() => done());
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
