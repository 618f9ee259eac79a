import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RuntimeError } from './errors.js';
import { parseArgs } from 'node:util';
import { DEFAULT_FLOW_MEMORY_MB, DEFAULT_START_TIMEOUT_MS } from './host/flow-host.js';
import { normalizeOrigin } from './http/access.js';
import { onStopSignal } from './cli/stop-signals.js';
import { CRASHES_BEFORE_SAFE_START } from './store/boot-record.js';
import { DataDirLockedError } from './store/data-lock.js';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_WATCHDOG_MS,
  TokenRequiredError,
  startServer,
  type RuntimeServer,
} from './server.js';

const USAGE = `Usage: tributary serve [options]

Serves the HTTP API (/api), live stats over socket.io, Prometheus metrics (/metrics) and the built
editor on one port. Deployed flows run in processes of their own and come back after a restart.

Options:
  --port <n>            port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host <address>      address to listen on (default ${DEFAULT_HOST}); any other address needs a token
  --data-dir <dir>      flows, credentials and flow data (default ./.tributary)
  --token <secret>      require "Authorization: Bearer <secret>" on /api and socket.io
                        (or set TRIBUTARY_TOKEN)
  --deploy <flow.json>  import (if not saved yet) and deploy this flow at start; repeatable
  --editor-dir <dir>    built editor to serve (default: apps/editor/dist when built)
  --watchdog <seconds>  terminate a flow whose handler blocks its thread this long (default ${DEFAULT_WATCHDOG_MS / 1000})
  --flow-memory <MB>    memory each flow's process may use before it is stopped and marked failed
                        (default ${DEFAULT_FLOW_MEMORY_MB})
  --start-timeout <s>   a flow whose nodes have not started by then (once its code is loaded) is killed
                        and marked failed (default ${DEFAULT_START_TIMEOUT_MS / 1000})
  --allow-origin <url>  also let browser pages from this origin use the API (scheme://host:port); repeatable
  --safe                start without running the deployed flows (they stay deployed); the server
                        also starts this way by itself after ${CRASHES_BEFORE_SAFE_START} crashed starts in a row
  --channel-brokers <host:port,…>
                        offer the consumer-channel API (/api/channel/v1: consumers in Kafka
                        consumer groups over HTTP, and produce) over these Kafka brokers
  -h, --help`;

function defaultEditorDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../editor/dist', import.meta.url));
  return existsSync(`${dir}/index.html`) ? dir : undefined;
}

export async function serveCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        deploy: { type: 'string', multiple: true },
        'editor-dir': { type: 'string' },
        watchdog: { type: 'string' },
        'flow-memory': { type: 'string' },
        'start-timeout': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        safe: { type: 'boolean' },
        'channel-brokers': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`✖ ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return usageError('--port must be a whole number from 0 to 65535');
  const watchdogS = values.watchdog === undefined ? DEFAULT_WATCHDOG_MS / 1000 : Number(values.watchdog);
  if (!(watchdogS > 0)) return usageError('--watchdog must be a positive number of seconds');
  const memoryMb = values['flow-memory'] === undefined ? DEFAULT_FLOW_MEMORY_MB : Number(values['flow-memory']);
  if (!Number.isInteger(memoryMb) || memoryMb < 64)
    return usageError('--flow-memory must be a whole number of MB, at least 64');
  const startS =
    values['start-timeout'] === undefined ? DEFAULT_START_TIMEOUT_MS / 1000 : Number(values['start-timeout']);
  if (!(startS > 0)) return usageError('--start-timeout must be a positive number of seconds');
  const allowedOrigins: string[] = [];
  for (const origin of values['allow-origin'] ?? []) {
    try {
      allowedOrigins.push(normalizeOrigin(origin));
    } catch {
      return usageError(`--allow-origin ${origin} is not an origin (scheme://host:port)`);
    }
  }
  const editorDir = values['editor-dir'] ?? defaultEditorDir();
  if (values['editor-dir'] !== undefined && !existsSync(`${values['editor-dir']}/index.html`)) {
    return usageError(`--editor-dir ${values['editor-dir']} has no index.html`);
  }

  const log = (message: string) => console.error(message);
  let server: RuntimeServer;
  try {
    server = await startServer({
      port,
      host: values.host ?? DEFAULT_HOST,
      dataDir: values['data-dir'] ?? '.tributary',
      ...tokenOption(values.token ?? process.env.TRIBUTARY_TOKEN),
      ...(editorDir !== undefined ? { editorDir } : {}),
      watchdogMs: Math.round(watchdogS * 1000),
      flowMemoryLimitMb: memoryMb,
      startTimeoutMs: Math.round(startS * 1000),
      allowedOrigins,
      safe: values.safe === true,
      log,
      ...(values['channel-brokers']
        ? {
            channelBrokers: values['channel-brokers']
              .split(',')
              .map((b) => b.trim())
              .filter(Boolean),
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof TokenRequiredError || error instanceof DataDirLockedError) {
      console.error(`✖ ${error.message}`);
      return 2;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') console.error(`✖ port ${port} is in use: pick another with --port`);
    else console.error(`✖ could not start: ${(error as Error).message}`);
    return 1;
  }

  for (const file of values.deploy ?? []) {
    try {
      await deployFile(server, file, log);
    } catch (error) {
      log(`✖ --deploy ${file}: ${(error as Error).message}`);
    }
  }
  console.log(`Tributary runtime on ${server.url}${editorDir ? '' : ' (API only: the editor is not built)'}`);

  return new Promise<number>((resolveExit) => {
    const onSignal = (signal: NodeJS.Signals, count: number) => {
      if (count > 1) process.exit(1);
      log(`${signal}: stopping every flow with drain (again to quit at once)…`);
      void server.close().then(
        () => resolveExit(0),
        (error: unknown) => {
          log(`shutdown failed: ${(error as Error).message}`);
          resolveExit(1);
        },
      );
    };
    // Also the signals that came while the server started (see cli/stop-signals.ts).
    onStopSignal(onSignal);
  });
}

function tokenOption(token: string | undefined): { token?: string } {
  return token === undefined || token === '' ? {} : { token };
}

/** `--deploy`: imports the file unless a flow with its id is saved already (edits are never overwritten). */
async function deployFile(server: RuntimeServer, file: string, log: (message: string) => void): Promise<void> {
  const raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const { store, manager } = server;
  const id = (raw as { id?: unknown } | null)?.id;
  let stored = typeof id === 'string' ? store.get(id) : undefined;
  if (stored === undefined) {
    try {
      stored = await server.importFlow(raw);
    } catch (error) {
      const problems =
        (error as RuntimeError).extra?.problems?.map((p) => `\n  ${p.path || '/'}: ${p.message}`).join('') ?? '';
      throw new Error(`${(error as Error).message}${problems}`, { cause: error });
    }
  } else {
    log(`--deploy ${file}: flow "${stored.flow.id}" is saved already; deploying the saved version`);
  }
  const status = manager.status(stored.flow.id);
  if (status.state === 'running' && stored.meta.deployedRev === stored.rev) return; // came back with the restart
  await manager.deploy(stored.flow.id);
}

function usageError(message: string): number {
  console.error(`✖ ${message}`);
  return 2;
}
