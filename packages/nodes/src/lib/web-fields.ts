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
