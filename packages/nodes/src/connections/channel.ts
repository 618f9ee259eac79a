/**
 * The `channel` connection type: a streaming service reached over HTTP with consumer groups — the
 * OpenDXL consumer service (its `Channel` client), the Confluent REST Proxy v2, or Tributary's own
 * `/api/channel` (an OpenDXL layout behind the runtime's token). Browser-safe; the node-only client
 * is in `channel-client.ts`.
 */
import { z } from 'zod';
import { defineConnectionType } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

export const CHANNEL_DIALECTS = ['opendxl', 'confluent-v2'] as const;
export type ChannelDialectName = (typeof CHANNEL_DIALECTS)[number];

const secret = (what: string, label: string, order: number) =>
  z
    .string()
    .min(1)
    .optional()
    .describe(`${what}: a \${env:NAME} or \${cred:NAME} reference, never the value itself`)
    .meta(ui({ label, widget: 'secret', secret: true, order }));

const pathPrefix = (what: string, order: number) =>
  z
    .string()
    .trim()
    .regex(/^(\/[A-Za-z0-9._~%-]+)*$/, 'a path such as /databus/consumer-service/v1 (or empty)')
    .optional()
    .describe(`Path in front of the ${what} requests (default: the dialect's own)`)
    .meta(ui({ label: `${what[0]!.toUpperCase()}${what.slice(1)} path`, advanced: true, order }));

export const channelConnectionConfig = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'the service URL, e.g. https://streaming.example.com' })
    .describe('Base URL of the streaming service')
    .meta(ui({ label: 'URL', placeholder: 'https://streaming.example.com', order: 1 })),
  dialect: z
    .enum(CHANNEL_DIALECTS)
    .default('opendxl')
    .describe(
      'Path layout and record format: opendxl (OpenDXL consumer service, also Tributary /api/channel) or confluent-v2 (Confluent REST Proxy v2)',
    )
    .meta(ui({ label: 'Dialect', widget: 'select', order: 2 })),
  auth: z
    .enum(['none', 'login', 'token'])
    .default('none')
    .describe('none; login (user and password exchanged for a token, again on 401/403); token (a fixed bearer token)')
    .meta(ui({ label: 'Authentication', widget: 'select', order: 3 })),
  username: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('User name for login')
    .meta(ui({ label: 'User name', order: 4 })),
  password: secret('Password for login', 'Password', 5),
  token: secret('Bearer token (for Tributary: the runtime token)', 'Token', 6),
  loginPath: z
    .string()
    .trim()
    .regex(/^(\/[A-Za-z0-9._~%-]+)+$/, 'a path such as /identity/v1/login')
    .default('/identity/v1/login')
    .describe('Where login sends the user and password (HTTP Basic) and gets an AuthorizationToken')
    .meta(ui({ label: 'Login path', advanced: true, order: 7 })),
  consumerPath: pathPrefix('consumer', 8),
  producerPath: pathPrefix('producer', 9),
  ca: z
    .string()
    .min(1)
    .optional()
    .describe('CA bundle (PEM) to trust for https, besides the system CAs')
    .meta(ui({ label: 'CA bundle (PEM)', widget: 'textarea', advanced: true, order: 10 })),
  rejectUnauthorized: z
    .boolean()
    .default(true)
    .describe('Check the server certificate (turn off only for a test server)')
    .meta(ui({ label: 'Verify certificate', advanced: true, order: 11 })),
  requestTimeoutMs: z
    .int()
    .min(1000)
    .max(600_000)
    .default(60_000)
    .describe('How long a request waits for an answer before it fails (and is retried)')
    .meta(ui({ widget: 'duration', unit: 'ms', label: 'Request timeout', advanced: true, order: 12 })),
});

export type ChannelConnectionConfig = z.output<typeof channelConnectionConfig>;

/**
 * The `channel` connection type.
 *
 * @example
 * // OpenDXL-style service with login:
 * // { "url": "https://dxl.example.com", "auth": "login", "username": "me", "password": "${cred:DXL}" }
 * // Tributary's own consumer API (`tributary serve --channel-brokers …`):
 * // { "url": "http://127.0.0.1:8080", "auth": "token", "token": "${env:TRIBUTARY_TOKEN}",
 * //   "consumerPath": "/api/channel/v1", "producerPath": "/api/channel/v1" }
 */
export const channelConnection = defineConnectionType({
  type: 'channel',
  label: 'HTTP channel',
  description: 'A streaming service over HTTP with consumer groups (OpenDXL, Confluent REST v2, Tributary)',
  config: channelConnectionConfig,
});

export function channelConnectionField(order = 0) {
  return z
    .string({ error: required('the channel connection to use') })
    .trim()
    .min(1, 'required: the channel connection to use')
    .describe('The streaming service (a connection of the flow)')
    .meta(ui({ label: 'Connection', widget: 'connection', connectionType: 'channel', order }));
}
