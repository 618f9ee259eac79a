import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { AckCallback, FlowMessage, SourceContext, SourceInstance } from '@tributary/shared';
import { createTestContext, parseConfig, startTestHub, waitFor } from '../testing/index.js';
import { webhookManifest } from './manifest.js';
import { webhookNode } from './runtime.js';

const curl = promisify(execFile);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * Runs the webhook with a source context the test drives: it sees every emitted message with its
 * ack callback, and decides when the flow is "full" (emit answers a promise until `room()`).
 */
async function webhook(config: Record<string, unknown>, token?: string) {
  const hub = await startTestHub(token);
  cleanups.push(hub.close);
  const stop = new AbortController();
  const test = createTestContext({ flowId: 'shop', endpoints: hub.hub.forFlow('shop'), signal: stop.signal });
  const emitted: { message: FlowMessage; ack?: AckCallback }[] = [];
  let full: { promise: Promise<void>; resolve: () => void } | null = null;
  const ctx: SourceContext = {
    ...test.ctx,
    emit(messages, onAck) {
      for (const message of messages) emitted.push(onAck ? { message, ack: onAck } : { message });
      return full?.promise;
    },
    emitError() {
      throw new Error('not expected');
    },
  };
  const node = (await webhookNode.create(parseConfig(webhookManifest, config), ctx)) as SourceInstance;
  const running = node.run(ctx);
  cleanups.push(async () => {
    stop.abort();
    await running;
    await node.close?.();
    await test.close();
  });
  const url = `${hub.url}/hooks/shop/${config.path as string}`;
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  for (;;) {
    if ((await fetch(url, { headers: auth })).status === 405) break; // the route is up (GET is refused)
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url,
    emitted,
    stats: test.stats,
    stop,
    fill() {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      full = { promise, resolve };
    },
    room() {
      full?.resolve();
      full = null;
    },
  };
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('webhook', () => {
  it('answers 200 only after the flow confirmed the message (curl as the sender)', async () => {
    const hook = await webhook({ path: 'orders' });
    let answer: string | null = null;
    void curl('curl', [
      '-s',
      '-w',
      ' %{http_code}',
      '-H',
      'content-type: application/json',
      '-d',
      '{"id":7}',
      `${hook.url}/eu?src=test`,
    ]).then(({ stdout }) => (answer = stdout));
    await waitFor(() => hook.emitted.length === 1, 'the message in the flow');
    const { message, ack } = hook.emitted[0]!;
    expect(message.value).toEqual({ id: 7 });
    expect(message.meta).toMatchObject({ method: 'POST', subPath: 'eu', query: { src: 'test' } });
    expect(message.headers['content-type']).toBe('application/json');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answer).toBeNull(); // not confirmed yet
    ack!(true);
    await waitFor(() => answer !== null, 'the answer');
    expect(answer).toBe('{"ok":true} 200');
  });

  it('503 when the flow stops before confirming; 202 at once with respond=accepted', async () => {
    const hook = await webhook({ path: 'pay' });
    const failed = post(hook.url, '{}');
    await waitFor(() => hook.emitted.length === 1, 'the message');
    hook.emitted[0]!.ack!(false);
    const answer = await failed;
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(await answer.json()).toMatchObject({ error: { code: 'E_NOT_CONFIRMED' } });

    const fast = await webhook({ path: 'fast', respond: 'accepted' });
    const accepted = await post(fast.url, '{"a":1}');
    expect(accepted.status).toBe(202);
  });

  it('answers 429 with Retry-After while the flow is full, and accepts again once it has room', async () => {
    const hook = await webhook({ path: 'burst', respond: 'accepted' });
    hook.fill();
    expect((await post(hook.url, '1')).status).toBe(202); // taken: the flow said "full" on this one
    const refused = await post(hook.url, '2');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'E_SATURATED' } });
    hook.room();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await post(hook.url, '3')).status).toBe(202);
    expect(hook.emitted.map((e) => e.message.value)).toEqual([1, 3]);
    expect(hook.stats.saturated).toBe(1);
  });

  it('refuses bad requests with JSON 4xx: bad body, too large, wrong method, bad signature, no token', async () => {
    const secret = 'k3y';
    const hook = await webhook(
      { path: 'signed', auth: 'hmac-sha256', secret, maxBodyBytes: 100, respond: 'accepted' },
      'tok',
    );
    const auth = { authorization: 'Bearer tok' };
    const sign = (body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const expectError = async (response: Response, status: number, code: string) => {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.json()).toMatchObject({ error: { code } });
    };
    await expectError(await post(hook.url, '{}', { 'x-signature-256': sign('{}') }), 401, 'E_UNAUTHORIZED');
    await expectError(await post(hook.url, '{}', { ...auth, 'x-signature-256': sign('{"x":1}') }), 401, 'E_SIGNATURE');
    await expectError(await post(hook.url, '{oops', { ...auth, 'x-signature-256': sign('{oops') }), 400, 'E_DECODE');
    const big = JSON.stringify({ text: 'x'.repeat(200) });
    await expectError(await post(hook.url, big, { ...auth, 'x-signature-256': sign(big) }), 413, 'E_PAYLOAD_TOO_LARGE');
    await expectError(await fetch(hook.url, { method: 'DELETE', headers: auth }), 405, 'E_METHOD_NOT_ALLOWED');
    const good = '{"paid":true}';
    expect((await post(hook.url, good, { ...auth, 'x-signature-256': sign(good) })).status).toBe(202);
    expect(hook.emitted.map((e) => e.message.value)).toEqual([{ paid: true }]);
    expect(hook.emitted[0]!.message.headers.authorization).toBeUndefined();
  });
});
