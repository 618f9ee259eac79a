import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  createMessage,
  defineNode,
  type EndpointRequest,
  type EndpointResponse,
  type SourceContext,
} from '@tributary/shared';
import { codecFor } from '../lib/codecs.js';
import { webhookManifest } from './manifest.js';

const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

const json = (status: number, body: unknown, headers: Record<string, string> = {}): EndpointResponse => ({
  status,
  headers,
  body,
});
const refusal = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message } }, headers);

export const webhookNode = defineNode(webhookManifest, async (config, nodeCtx) => {
  const codec = codecFor(config.codec);
  const signatureHeader =
    config.signatureHeader ?? (config.auth === 'hmac-sha256' ? 'x-signature-256' : 'x-webhook-secret');

  function authentic(request: EndpointRequest): boolean {
    if (config.auth === 'none') return true;
    const presented = request.headers[signatureHeader];
    if (presented === undefined) return false;
    const expected =
      config.auth === 'secret'
        ? config.secret!
        : createHmac('sha256', config.secret!).update(request.body).digest('hex');
    const given = config.auth === 'secret' ? presented : presented.replace(/^sha256=/i, '').toLowerCase();
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  // The endpoint opens with the node, so a run that serves no endpoints fails to start, saying why.
  let source: SourceContext | null = null;
  // Set while the flow answered "full": requests get 429 until it has room again.
  let full: Promise<void> | null = null;
  const endpoint = await nodeCtx.endpoints.http(
    config.path,
    async (request) => {
      const ctx = source;
      if (ctx === null || ctx.signal.aborted) {
        return refusal(503, 'E_NOT_RUNNING', 'the flow is starting or stopping; retry later', { 'Retry-After': '5' });
      }
      ctx.stats.add('requests');
      if (!authentic(request)) {
        ctx.stats.add('rejected');
        return refusal(401, 'E_SIGNATURE', `the ${signatureHeader} header is missing or does not match`);
      }
      if (full !== null) {
        ctx.stats.add('saturated');
        return refusal(429, 'E_SATURATED', 'the flow is full; retry later', { 'Retry-After': '1' });
      }
      let value: unknown;
      try {
        value = codec.decode(request.body);
      } catch (error) {
        ctx.stats.add('rejected');
        return refusal(400, 'E_DECODE', `the body cannot be read as ${config.codec}: ${(error as Error).message}`);
      }
      const headers: Record<string, string> = {};
      for (const [name, v] of Object.entries(request.headers)) {
        if (!HIDDEN_HEADERS.has(name) && name !== signatureHeader) headers[name] = v;
      }
      const message = createMessage({
        value,
        headers,
        meta: { method: request.method, subPath: request.subPath, query: request.query },
      });
      let confirmed: ((ok: boolean) => void) | undefined;
      const outcome =
        config.respond === 'confirmed'
          ? new Promise<boolean>((resolve) => (confirmed = resolve))
          : Promise.resolve(true);
      const wait = ctx.emit([message], confirmed);
      if (wait !== undefined) {
        const current = wait.then(() => {
          if (full === current) full = null;
        });
        full = current;
      }
      if (config.respond === 'accepted') return json(202, { ok: true });
      return (await outcome)
        ? json(200, { ok: true })
        : refusal(503, 'E_NOT_CONFIRMED', 'the flow stopped before confirming; send it again', { 'Retry-After': '5' });
    },
    { methods: ['POST', 'PUT'], maxBodyBytes: config.maxBodyBytes, timeoutMs: config.timeoutMs },
  );
  nodeCtx.log.info(`serving ${endpoint.path}`);

  return {
    kind: 'source',
    async run(ctx: SourceContext) {
      source = ctx;
      // Runs until the flow stops; requests waiting for confirmation are answered while it drains.
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    },
    close() {
      endpoint.close();
    },
  };
});
