/** Browser-safe manifest fields shared by the web I/O nodes (URLs, headers, endpoint paths). */
import { z } from 'zod';
import { required, ui } from './schema.js';

export function urlField(schemes: readonly string[], order: number, example: string, what: string) {
  return z
    .string({ error: required(`the URL, e.g. ${example}`) })
    .trim()
    .url(`a full URL, e.g. ${example}`)
    .refine(
      (u) => schemes.some((s) => u.startsWith(`${s}://`)),
      `the URL must start with ${schemes.join(':// or ')}://`,
    )
    .describe(what)
    .meta(ui({ label: 'URL', placeholder: example, order }));
}

export function headersField(order: number) {
  return z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra request headers (a secret belongs in Authorization, not here)')
    .meta(ui({ label: 'Headers', widget: 'json', advanced: true, order }));
}

export function authorizationField(order: number) {
  return z
    .string()
    .optional()
    .describe('The whole Authorization header value as a secret reference, e.g. ${cred:FEED_AUTH} holding "Bearer …"')
    .meta(ui({ label: 'Authorization', widget: 'secret', secret: true, order }));
}

/** A path below the flow's mount point: letters, digits, `-`, `_`, `.`, segments split by `/`. */
export const ENDPOINT_PATH = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

export function endpointPathField(mount: string, order: number, example: string) {
  return z
    .string({ error: required(`the path below ${mount}/<flow>/, e.g. ${example}`) })
    .trim()
    .regex(ENDPOINT_PATH, `letters, digits, ".", "_", "-" in segments split by "/", e.g. ${example}`)
    .describe(`Served at ${mount}/<flow id>/<path> on the runtime's server`)
    .meta(ui({ label: 'Path', placeholder: example, order }));
}

/** Client-role settings shared by websocket-source and websocket-sink (orders from `order`). */
export function wsClientFields(order: number) {
  return {
    subprotocols: z
      .array(z.string().trim().min(1))
      .default([])
      .describe('WebSocket subprotocols to offer')
      .meta(ui({ label: 'Subprotocols', advanced: true, order })),
    headers: headersField(order + 1),
    authorization: authorizationField(order + 2),
    pingMs: z
      .int()
      .min(1000)
      .max(3_600_000)
      .default(30_000)
      .describe('Client role: how often to ping the server')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Ping', advanced: true, order: order + 3 })),
    pongTimeoutMs: z
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe('Client role: reconnect when a pong takes longer than this')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Pong timeout', advanced: true, order: order + 4 })),
    initialDelayMs: z
      .int()
      .min(0)
      .max(600_000)
      .default(1000)
      .describe('Client role: first pause before reconnecting (grows ×2 with jitter)')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Initial delay', advanced: true, order: order + 5 })),
    maxDelayMs: z
      .int()
      .min(0)
      .max(3_600_000)
      .default(30_000)
      .describe('Client role: longest pause between reconnect attempts')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Max delay', advanced: true, order: order + 6 })),
    maxPayloadBytes: z
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest frame accepted; a larger one closes the connection (1009)')
      .meta(ui({ label: 'Max frame (bytes)', advanced: true, order: order + 7 })),
  };
}

/** The URL (client role) or path (server role) a WebSocket node needs, by role. */
export function checkRole(
  config: { role: string; url?: string | undefined; path?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (config.role === 'client' && config.url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'required: the ws:// or wss:// URL to connect to' });
  }
  if (config.role !== 'client' && config.path === undefined) {
    ctx.addIssue({ code: 'custom', path: ['path'], message: 'required: the path below /ws/<flow>/ to serve' });
  }
}
