import { z } from 'zod';
import { defineManifest } from '@tributary/shared';
import { required, ui } from '../lib/schema.js';

const DOCS = `
Runs your JavaScript once per message. In scope: \`msg\` (the message: \`key\`, \`value\`, \`headers\`,
\`timestamp\`, \`meta\`), and for convenience \`key\`, \`value\`, \`headers\`; plus \`ctx\`:

- \`ctx.log.info(text)\` (also \`debug\`, \`warn\`, \`error\`): writes to the flow's log.
- \`ctx.cache\`: a durable key-value store of this flow: \`await ctx.cache.get(k)\`,
  \`await ctx.cache.put(k, v, ttlMs?)\`, \`await ctx.cache.delete(k)\`. Named \`function:<node id>\`
  unless *Cache name* says otherwise; nodes that use the same name share it.
- \`ctx.state\`: a plain object kept in memory between messages (lost on redeploy).
- \`ctx.signal\`: an \`AbortSignal\` for this message, aborted when its *Timeout* passes (the message
  then goes to the error port) or the flow stops. Hand it on — \`await fetch(url, { signal: ctx.signal })\`
  — or check \`ctx.signal.aborted\` in a loop: code that ignores it keeps running after its timeout.
  Making the signal costs 5–10 µs per message (Node's \`AbortController\`), so only code that names
  \`signal\` gets one per message; other code runs without that cost.
- \`ctx.nodeId\`, \`ctx.flowId\`.

What the code gives back decides what goes out:

| code | output |
|---|---|
| \`return { value: value * 2 }\` | one message; \`key\`, \`headers\`, \`timestamp\` not given are taken from the input |
| \`return msg\` | the input, unchanged |
| \`return [{ value: 1 }, { value: 2 }]\` | several messages |
| \`return\` (or \`return null\`) | nothing: the input counts as dropped |
| \`yield { value: part }\` | zero or more messages (a generator) |
| \`await fetch(...)\` | the same, asynchronously |
| \`throw new Error('bad')\` | the input goes to the **error** port, with the error |

Messages are shared between branches: build new values (\`{ ...value, x: 1 }\`) instead of changing \`value\`.
`.trim();

export const functionManifest = defineManifest({
  type: 'function',
  typeVersion: 1,
  kind: 'handler',
  label: 'Function',
  description: 'Runs JavaScript on each message: return, yield or drop messages, sync or async',
  category: 'transform',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out', label: 'messages' }],
  docs: DOCS,
  config: z.strictObject({
    code: z
      .string({ error: required('the JavaScript body to run for each message') })
      .default('return msg;')
      .describe('JavaScript function body; `msg`, `key`, `value`, `headers` and `ctx` are in scope')
      .meta(ui({ label: 'Code', widget: 'code', language: 'javascript', order: 1 })),
    concurrency: z
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe(
        'Asynchronous code only: how many messages may be awaited at the same time. Outputs keep the input order.',
      )
      .meta(ui({ label: 'Concurrency', advanced: true, order: 2 })),
    timeoutMs: z
      .int()
      .min(1)
      .max(3_600_000)
      .default(30_000)
      .describe(
        'Asynchronous code only: a message whose promise takes longer goes to the error port, and `ctx.signal` is aborted',
      )
      .meta(ui({ widget: 'duration', unit: 'ms', label: 'Timeout', advanced: true, order: 3 })),
    cacheName: z
      .string()
      .min(1)
      .optional()
      .describe('Name of the store `ctx.cache` opens (default: function:<node id>); nodes with the same name share it')
      .meta(ui({ label: 'Cache name', placeholder: 'function:<node id>', advanced: true, order: 4 })),
  }),
});
