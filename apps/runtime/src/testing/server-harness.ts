import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  FlowDocument,
  FlowProblem,
  FlowRecord,
  FlowRunState,
  FlowStatsSnapshot,
  FlowSummary,
  ServerToClientEvents,
} from '@tributary/shared';
import { startServer, type RuntimeServer, type ServerOptions } from '../server.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export const tempDir = (prefix = 'tributary-server-') => mkdtempSync(join(tmpdir(), prefix));

/** A real server on a free port, with a fresh data folder unless one is given. */
export async function bootServer(options: Partial<ServerOptions> = {}): Promise<RuntimeServer & { dataDir: string }> {
  const dataDir = options.dataDir ?? tempDir();
  const server = await startServer({ port: 0, ...options, dataDir });
  return Object.assign(server, { dataDir });
}

/**
 * The fields of the API's answers that tests read: a loose view of every answer at once (a field an
 * answer lacks reads as undefined, and the test fails on it).
 */
export interface ApiView {
  error: { code: string; message: string; problems: FlowProblem[]; current: FlowRecord };
  flow: FlowDocument;
  rev: string;
  state: FlowRunState;
  deployedRev: string;
  lastError: FlowRecord['lastError'];
  flows: FlowSummary[];
  snapshots: FlowStatsSnapshot[];
  ok: boolean;
  problems: FlowProblem[];
  nodeTypes: { type: string }[];
  connectionTypes: unknown[];
  names: string[];
}

export interface HealthView {
  ok: boolean;
  version: string;
  uptimeMs: number;
  flows: { running: number; failed: number };
}

export interface Reply<T = ApiView> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function call<T = ApiView>(
  server: { url: string },
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed as T, text, headers: response.headers };
}

/** A connected socket.io client (websocket only, as the editor connects). */
export function connect(server: { url: string }, token?: string): Promise<ClientSocket> {
  const socket: ClientSocket = io(server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(token !== undefined ? { auth: { token } } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

type Payload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/** The next `event` that satisfies `match`; rejects after `timeoutMs` (a safety net, not an assertion on speed). */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  match: (payload: Payload<E>) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<Payload<E>> {
  return new Promise((resolve, reject) => {
    const listener = (payload: Payload<E>) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      // socket.io's typed `off` needs the listener as it was registered.
      socket.off(event, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no matching ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(event, listener as never);
  });
}

/** Polls `probe` until it returns something defined (for state reached through HTTP). */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A GET through node:http, which (unlike fetch) lets a test set the Host header. */
export function getWithHost(server: { url: string }, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(server.url + path, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}
