import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { ui } from '../lib/schema.js';
import { tlsField } from '../connections/tls.js';
import { authorizationField, headersField, urlField } from '../lib/web-fields.js';

export const httpRequestManifest = defineManifest({
  type: 'http-request',
  typeVersion: 1,
  kind: 'sink',
  label: 'HTTP request',
  description: 'POSTs or PUTs each message, or each batch as a JSON array, to a URL; confirms on 2xx',
  category: 'web',
  inputs: [{ name: 'in' }],
  outputs: [],
  docs: `
Sends to *URL* with *Method*: one request per message (*Batching* \`each\`, body = the value written
with *Codec*, up to *Concurrency* requests at once) or one request per batch of at most *Max batch*
messages as a JSON array of values (\`array\`).

A message is confirmed once its request got a **2xx**. A **5xx**, a 408/429, a timeout (*Timeout*)
or a network error is retried with growing pauses (\`Retry-After\` honoured) until *Deadline*; after
it, the messages go to the **error** port. A **4xx** is not retried: the messages go to the **error**
port with the status and the start of the response body in the error message.

Stats: \`requests\`, \`retries\`, \`failed\`.
`.trim(),
  config: z.strictObject({
    url: urlField(['http', 'https'], 1, 'http://127.0.0.1:8000/ingest', 'Where to send'),
    method: z
      .enum(['POST', 'PUT'])
      .default('POST')
      .describe('HTTP method')
      .meta(ui({ label: 'Method', widget: 'select', order: 2 })),
    batching: z
      .enum(['each', 'array'])
      .default('each')
      .describe('each: one request per message; array: one request per batch, a JSON array of values')
      .meta(ui({ label: 'Batching', widget: 'select', order: 3 })),
    codec: z
      .enum(['json', 'string', 'bytes'])
      .default('json')
      .describe('How a value becomes the body in "each" mode (arrays are always JSON)')
      .meta(ui({ label: 'Codec', widget: 'select', order: 4 })),
    headers: headersField(5),
    authorization: authorizationField(6),
    maxBatch: z
      .int()
      .min(1)
      .max(100_000)
      .default(500)
      .describe('array mode: most messages per request')
      .meta(ui({ label: 'Max batch', advanced: true, order: 7 })),
    concurrency: z
      .int()
      .min(1)
      .max(256)
      .default(4)
      .describe('each mode: requests in flight at once')
      .meta(ui({ label: 'Concurrency', advanced: true, order: 8 })),
    timeoutMs: z
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe('One attempt fails after this long')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Timeout', advanced: true, order: 9 })),
    deadlineMs: z
      .int()
      .min(0)
      .max(86_400_000)
      .default(60_000)
      .describe('Retries stop after this long; the messages then go to the error port')
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Deadline', advanced: true, order: 10 })),
    tls: tlsField('HTTP server', 11),
  }),
});
