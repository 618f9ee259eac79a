import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Server as IoServer } from 'socket.io';
import { FlowManager } from './host/flow-manager.js';
import { EndpointHub } from '@tributary/nodes/runtime';
import { endpointRefusal, isLoopbackHost, normalizeOrigin } from './http/access.js';
import { createApp } from './http/app.js';
import { FlowMetrics } from './metrics/prometheus.js';
import { StatsHistory } from './metrics/stats-history.js';
import { attachRealtime } from './realtime/socket-server.js';
import { CredentialStore } from './store/credential-store.js';
import { BootRecord } from './store/boot-record.js';
import { lockDataDir } from './store/data-lock.js';
import { FlowStore, type StoredFlow } from './store/flow-store.js';
import { RuntimeError } from './errors.js';
import { MAX_PROBLEMS_LISTED } from './http/errors.js';
import { createValidator, nodeTypesPayload } from './node-types.js';
import { ValidationPool } from './validation-pool.js';
import { ChannelService } from './channel/channel-service.js';

export const DEFAULT_PORT = 4300;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_WATCHDOG_MS = 5_000;
export const DEFAULT_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
/** Open connections (HTTP and socket.io) the server accepts at once; more are refused. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** A request whose headers and body have not arrived by then is answered 408 and closed. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
/** A start that survives this long after booting no longer counts as a crash at start. */
const DEFAULT_BOOT_SETTLE_MS = 10_000;

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
  /** Browser origins besides the server's own that may use the API (`scheme://host:port`). */
  allowedOrigins?: readonly string[];
  /** Start without running the deployed flows (they stay deployed). */
  safe?: boolean;
  /** Resident memory (and heap) each flow's process may use, in MB. */
  flowMemoryLimitMb?: number;
  /** A flow whose nodes have not all started by then is killed and marked failed. */
  startTimeoutMs?: number;
  /** A stopping flow gets its drain timeout plus this much before it is killed and marked failed. */
  stopGraceMs?: number;
  maxConnections?: number;
  requestTimeoutMs?: number;
  /** How long after booting a crash still counts as a crash at start (see store/boot-record.ts). */
  bootSettleMs?: number;
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
  const allowedOrigins = (options.allowedOrigins ?? []).map(normalizeOrigin);
  await mkdir(dataDir, { recursive: true });
  // Before anything reads or writes the folder: a second server on it would run every flow twice.
  const lock = lockDataDir(dataDir);
  try {
    return await openServer(options, { dataDir, host, token, allowedOrigins, log, release: () => lock.release() });
  } catch (error) {
    lock.release();
    throw error;
  }
}

interface Opened {
  dataDir: string;
  host: string;
  token: string | undefined;
  allowedOrigins: string[];
  log: (message: string) => void;
  release: () => void;
}

async function openServer(options: ServerOptions, opened: Opened): Promise<RuntimeServer> {
  const { dataDir, host, token, allowedOrigins, log } = opened;
  // Temp files of atomic writes a crash left behind (this process holds the lock: none are in use).
  await removeTempFiles([dataDir, join(dataDir, 'flows'), join(dataDir, 'deployed')]);
  const bootRecord = new BootRecord(dataDir);
  const boot =
    options.safe === true ? { safe: true, reason: 'the server was started with --safe' } : await bootRecord.begin();

  const validator = createValidator({ flowDataDir: join(dataDir, 'data') });
  const store = await FlowStore.open(dataDir, log, (raw) => {
    const parsed = validator.parse(raw);
    if (parsed.ok) return parsed.flow;
    return parsed.problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ');
  });
  const credentials = await CredentialStore.open(dataDir);
  const pool = new ValidationPool({ flowDataDir: join(dataDir, 'data'), maxProblems: MAX_PROBLEMS_LISTED });
  pool.warm();
  const statsIntervalMs = options.statsIntervalMs ?? 1000;
  const history = new StatsHistory(Math.max(15, options.historyMinutes ?? 16) + 1, statsIntervalMs);
  const metrics = new FlowMetrics();
  const endpoints = new EndpointHub({ authorize: endpointRefusal(token) });
  const manager = new FlowManager({
    endpoints,
    store,
    credentials,
    flowDataDir: join(dataDir, 'data'),
    check: async (doc) => {
      const answer = await pool.run({ kind: 'doc', mode: 'check', doc });
      if (answer.kind === 'ok') return { ok: true, flow: answer.flow };
      if (answer.kind === 'problems')
        return {
          ok: false,
          problems: answer.problems,
          ...(answer.problemsOmitted ? { problemsOmitted: answer.problemsOmitted } : {}),
        };
      // Only bytes can be malformed JSON or too deep; a document the server holds was checked when saved.
      throw new RuntimeError(
        'E_FLOW_INVALID',
        'message' in answer ? answer.message : 'the document could not be checked',
        400,
      );
    },
    watchdogMs: options.watchdogMs ?? DEFAULT_WATCHDOG_MS,
    ...(options.flowMemoryLimitMb !== undefined ? { memoryLimitMb: options.flowMemoryLimitMb } : {}),
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
    redactPaths: [dataDir],
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
    pool,
    nodeTypes: nodeTypesPayload(),
    version: runtimeVersion(),
    startedAt: Date.now(),
    token,
    allowedOrigins,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    editorDir: options.editorDir,
    endpoints,
    log,
    channel,
  });
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // A slow client (headers or body trickling in) is answered 408 and closed instead of holding a
  // connection for minutes; the check runs often enough for the timeout to mean what it says.
  const http = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
    },
    app,
  );
  http.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // WebSocket endpoints of flows (`/ws/<flow>/<path>`); socket.io takes its own path.
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    endpoints.handleUpgrade(req, socket, head);
  });
  const io = attachRealtime(http, { manager, store, token, allowedOrigins });
  await new Promise<void>((resolveListen, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_PORT, host, () => {
      http.off('error', reject);
      resolveListen();
    });
  });
  const address = http.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let settle: NodeJS.Timeout | null = null;
  if (boot.safe) {
    const skipped = manager.skipBoot(boot.reason ?? 'safe start');
    log(`safe start: ${boot.reason ?? ''}; not started: ${skipped.length > 0 ? skipped.join(', ') : 'none'}`);
  } else {
    await manager.boot(async (flowId) => {
      // Recorded before anything of the flow runs: if the process dies now, this flow is named.
      await bootRecord.starting(flowId);
      log(`starting deployed flow ${flowId}`);
    });
    settle = setTimeout(
      () => void bootRecord.clear().catch(() => undefined),
      options.bootSettleMs ?? DEFAULT_BOOT_SETTLE_MS,
    );
    settle.unref();
  }

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
        if (settle !== null) clearTimeout(settle);
        await manager.shutdown();
        await pool.close();
        await channel?.close();
        await new Promise<void>((done) => {
          void io.close(() => done());
          http.closeAllConnections();
        });
        // A clean stop is no crash at start, however soon it came.
        if (!boot.safe) await bootRecord.clear().catch(() => undefined);
        opened.release();
      })();
      return closing;
    },
  };
}

const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

async function removeTempFiles(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) if (TEMP_FILE.test(name)) await rm(join(dir, name), { force: true });
  }
}
