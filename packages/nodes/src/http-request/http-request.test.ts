import { afterEach, describe, expect, it } from 'vitest';
import { freePort, messages, PeerProcess, runNode, waitFor } from '../testing/index.js';
import { httpRequestNode } from './runtime.js';

// The server is FastAPI + uvicorn from Debian (test-peers/http_server.py).
const peers: PeerProcess[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.kill();
});

async function server(env: Record<string, string> = {}) {
  const port = await freePort();
  const peer = await PeerProcess.python('http_server.py', [String(port)], env);
  peers.push(peer);
  return { peer, base: `http://127.0.0.1:${port}` };
}

describe('http-request against FastAPI/uvicorn', () => {
  it('posts each message and confirms on 2xx; 5xx answers are retried until they succeed', async () => {
    const { peer, base } = await server({ FAIL_FIRST: '2' });
    const result = await runNode(
      httpRequestNode,
      { url: `${base}/ingest`, concurrency: 1 },
      { inputs: messages({ a: 1 }, { a: 2 }) },
    );
    expect(result.errors).toEqual([]);
    await waitFor(() => peer.where('body').length === 2, "the server's log of both requests");
    expect(peer.where('refused')).toHaveLength(2);
    expect(peer.where('body').map((l) => JSON.parse(l.body as string) as unknown)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(peer.where('body')[0]!.type).toBe('application/json');
    expect(result.stats.retries).toBe(2);
  });

  it('sends a batch as one JSON array', async () => {
    const { peer, base } = await server();
    const result = await runNode(
      httpRequestNode,
      { url: `${base}/ingest`, method: 'PUT', batching: 'array', maxBatch: 2 },
      { inputs: messages(1, 2, 3) },
    );
    expect(result.errors).toEqual([]);
    await waitFor(() => peer.where('body').length === 2, "the server's log of both requests");
    expect(peer.where('body').map((l) => l.body)).toEqual(['[1,2]', '[3]']);
  });

  it('a 4xx goes to the error port with the status and body, without retrying; a timeout past the deadline too', async () => {
    const { base } = await server();
    const refused = await runNode(httpRequestNode, { url: `${base}/reject` }, { inputs: messages({ sku: null }) });
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]!.code).toBe('E_HTTP_REFUSED');
    expect(refused.errors[0]!.text).toMatch(/422.*field 'sku' is required/);
    expect(refused.stats.requests).toBe(1);

    const hung = await runNode(
      httpRequestNode,
      { url: `${base}/hang`, timeoutMs: 300, deadlineMs: 1000 },
      { inputs: messages(1) },
    );
    expect(hung.errors).toHaveLength(1);
    expect(hung.errors[0]!.text).toMatch(/gave up after \d+ attempts/);
  });
});
