/**
 * The TLS setting shared by the `redis` and `postgres` connection types (browser-safe: zod only).
 * Off, on with the system CAs, or on with a private CA and/or a client certificate.
 */
import { z } from 'zod';
import { ui } from '../lib/schema.js';

const pem = (what: string) =>
  z.string().trim().min(1).optional().describe(`${what} in PEM form (usually a \${env:NAME} reference)`);

/** A TLS setting for a server named `server` ("Redis", "PostgreSQL"), with UI order `order`. */
export function tlsField(server: string, order: number) {
  const settings = z.strictObject({
    ca: pem('CA certificate(s) to trust instead of the system ones').meta(
      ui({ label: 'CA certificate', widget: 'textarea', order: 1 }),
    ),
    cert: pem('Client certificate, for mutual TLS').meta(
      ui({ label: 'Client certificate', widget: 'textarea', order: 2 }),
    ),
    key: pem('Private key of the client certificate').meta(
      ui({ label: 'Client key', widget: 'secret', secret: true, order: 3 }),
    ),
    servername: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(`Host name to check the ${server} certificate against, when it differs from Host`)
      .meta(ui({ label: 'Server name', advanced: true, order: 4 })),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe(`Refuse a ${server} server whose certificate does not verify (turn off only for local tests)`)
      .meta(ui({ label: 'Verify server certificate', order: 5 })),
  });
  return z
    .union([z.boolean(), settings])
    .default(false)
    .describe('TLS: off, on with the system CAs, or on with a CA and/or client certificate')
    .meta(ui({ label: 'TLS', order }));
}

export type TlsSetting = z.output<ReturnType<typeof tlsField>>;

/** A host name, IPv4 or bare IPv6 address (no scheme, no port, no brackets: the port is its own field). */
export const HOST = /^(?:(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F.]*|[^\s:/[\]@]+)$/;

export function hostField(server: string, order: number) {
  return z
    .string()
    .trim()
    .min(1, `required: the ${server} host name or address`)
    .regex(HOST, 'a host name or IP address only, e.g. 127.0.0.1 (the port is its own field; no scheme)')
    .default('127.0.0.1')
    .describe(`Host name or IP address of the ${server} server`)
    .meta(ui({ label: 'Host', order }));
}

export function portField(server: string, defaultPort: number, order: number) {
  return z
    .int()
    .min(1)
    .max(65_535)
    .default(defaultPort)
    .describe(`TCP port of the ${server} server`)
    .meta(ui({ label: 'Port', order }));
}
