import { Agent, fetch, type Dispatcher } from 'undici';
import { backoffDelay, defineNode, sleep, type FlowMessage, type Output } from '@tributary/shared';
import { tlsOptions } from '../connections/connection-of.js';
import { codecFor } from '../lib/codecs.js';
import { httpRequestManifest } from './manifest.js';

/** A refusal the server means (4xx): retrying would not help. */
class HttpRefusal extends Error {
  readonly code = 'E_HTTP_REFUSED';
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`the server answered ${status}: ${body.slice(0, 500)}`);
    this.name = 'HttpRefusal';
  }
}

const RETRYABLE = (status: number) => status >= 500 || status === 408 || status === 429;

export const httpRequestNode = defineNode(httpRequestManifest, (config, ctx) => {
  const codec = codecFor(config.codec);
  const tls = tlsOptions(config.tls);
  const dispatcher: Dispatcher | undefined = tls === undefined ? undefined : new Agent({ connect: tls });
  const headers: Record<string, string> = { ...config.headers };
  if (config.authorization !== undefined) headers.authorization = config.authorization;

  /** Sends one body until a 2xx (resolves), a 4xx (throws HttpRefusal) or the deadline (throws the last error). */
  async function send(body: string | Buffer, contentType: string): Promise<void> {
    const deadline = Date.now() + config.deadlineMs;
    for (let attempt = 0; ; attempt++) {
      let wait: number | undefined;
      let failure: Error;
      try {
        ctx.stats.add('requests');
        const response = await fetch(config.url, {
          method: config.method,
          headers: { 'content-type': contentType, ...headers },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(config.timeoutMs), ctx.signal]),
          ...(dispatcher === undefined ? {} : { dispatcher }),
        });
        const text = await response.text();
        if (response.ok) return;
        if (!RETRYABLE(response.status)) throw new HttpRefusal(response.status, text);
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) wait = retryAfter * 1000;
        failure = new Error(`the server answered ${response.status}: ${text.slice(0, 200)}`);
      } catch (error) {
        if (error instanceof HttpRefusal) throw error;
        failure = error as Error;
      }
      if (ctx.signal.aborted) throw new Error('the flow stopped before the request succeeded');
      const delay = wait ?? backoffDelay(attempt, { initialMs: 200, maxMs: 10_000 });
      if (Date.now() + delay > deadline) {
        throw new Error(`gave up after ${attempt + 1} attempts within ${config.deadlineMs} ms: ${failure.message}`);
      }
      ctx.stats.add('retries');
      if (!(await sleep(delay, ctx.signal))) throw new Error('the flow stopped before the request succeeded');
    }
  }

  async function sendEach(message: FlowMessage, out: Output): Promise<void> {
    let body: string | Buffer | null;
    try {
      body = codec.encode(message.value);
    } catch (error) {
      out.error(error, message);
      return;
    }
    const type =
      config.codec === 'json'
        ? 'application/json'
        : config.codec === 'string'
          ? 'text/plain; charset=utf-8'
          : 'application/octet-stream';
    try {
      await send(body ?? '', type);
    } catch (error) {
      ctx.stats.add('failed');
      out.error(error, message);
    }
  }

  return {
    kind: 'processor',
    async process(batch, out) {
      if (config.batching === 'array') {
        for (let i = 0; i < batch.length; i += config.maxBatch) {
          const part = batch.slice(i, i + config.maxBatch);
          let body: string;
          try {
            body = JSON.stringify(part.map((m) => m.value));
          } catch (error) {
            for (const message of part) out.error(error, message);
            continue;
          }
          try {
            await send(body, 'application/json');
          } catch (error) {
            ctx.stats.add('failed');
            for (const message of part) out.error(error, message);
          }
        }
        return;
      }
      // each: a small pool of requests in flight; the batch resolves when all are answered.
      let next = 0;
      const worker = async () => {
        while (next < batch.length) await sendEach(batch[next++]!, out);
      };
      await Promise.all(Array.from({ length: Math.min(config.concurrency, batch.length) }, worker));
    },
    async close() {
      await dispatcher?.close();
    },
  };
});
