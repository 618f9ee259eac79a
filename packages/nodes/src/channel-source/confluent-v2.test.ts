/**
 * The confluent-v2 dialect against a FAKE REST Proxy v2 (Confluent's proxy does not run here: it is
 * not on Maven Central). The fake checks the paths, content types and bodies the v2 API documents.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { channelSinkNode } from '../channel-sink/runtime.js';
import { runNode } from '../testing/index.js';
import { channelSourceNode } from './runtime.js';

const V2 = 'application/vnd.kafka.v2+json';
const V2_BINARY = 'application/vnd.kafka.binary.v2+json';
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

interface Proxy {
  url: string;
  records: { topic: string; key: string | null; value: string; partition: number; offset: number }[];
  commits: { topic: string; partition: number; offset: number }[];
  produced: { topic: string; key?: string; value: string }[];
  deleted: string[];
  problems: string[];
}

async function proxy(): Promise<Proxy> {
  const state: Proxy = { url: '', records: [], commits: [], produced: [], deleted: [], problems: [] };
  const handed = new Set<string>();
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const path = req.url ?? '';
      const want = (type: string) => {
        if (text && req.headers['content-type'] !== type)
          state.problems.push(`${req.method} ${path}: content-type ${req.headers['content-type']}`);
      };
      const reply = (status: number, out?: unknown) => {
        if (out === undefined) res.writeHead(status).end();
        else res.writeHead(status, { 'content-type': V2 }).end(JSON.stringify(out));
      };
      let m: RegExpExecArray | null;
      if (req.method === 'POST' && (m = /^\/consumers\/([^/]+)$/.exec(path))) {
        want(V2);
        if (body.format !== 'binary' || body['auto.commit.enable'] !== 'false') state.problems.push('create body');
        return reply(200, {
          instance_id: body.name,
          base_uri: `${state.url}/consumers/${m[1]}/instances/${String(body.name)}`,
        });
      }
      if ((m = /^\/consumers\/([^/]+)\/instances\/([^/]+)(\/[a-z]+)?$/.exec(path))) {
        const action = `${req.method} ${m[3] ?? ''}`;
        if (action === 'POST /subscription') return (want(V2), reply(204));
        if (action === 'GET /records') {
          if (req.headers.accept !== V2_BINARY) state.problems.push(`records accept ${req.headers.accept}`);
          const fresh = state.records.filter((r) => !handed.has(`${r.partition}/${r.offset}`)).slice(0, 7);
          for (const r of fresh) handed.add(`${r.partition}/${r.offset}`);
          return reply(200, fresh);
        }
        if (action === 'POST /offsets') {
          want(V2);
          state.commits.push(...(body.offsets as Proxy['commits']));
          return reply(204);
        }
        if (action === 'DELETE ') return (state.deleted.push(m[2]!), reply(204));
      }
      if (req.method === 'POST' && (m = /^\/topics\/([^/]+)$/.exec(path))) {
        want(V2_BINARY);
        for (const r of body.records as { key?: string; value: string }[]) state.produced.push({ topic: m[1]!, ...r });
        return reply(200, { offsets: (body.records as unknown[]).map((_, i) => ({ partition: 0, offset: i })) });
      }
      reply(404, { error_code: 40403, message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('confluent-v2 dialect', () => {
  it('consumes in binary format and commits each partition at its last confirmed record', async () => {
    const p = await proxy();
    for (let i = 0; i < 20; i++)
      p.records.push({
        topic: 't',
        key: b64(`k${i}`),
        value: b64(JSON.stringify({ i })),
        partition: i % 2,
        offset: Math.floor(i / 2),
      });
    const result = await runNode(
      channelSourceNode,
      { connection: 'rest', topics: ['t'], group: 'g', startFrom: 'earliest', waitBetweenPollsMs: 100 },
      { connections: { rest: { url: p.url, dialect: 'confluent-v2' } }, until: { messages: 20 } },
    );
    expect(result.outputs.out!.map((m) => (m.value as { i: number }).i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(result.outputs.out![0]!.key).toBe('k0');
    const last = new Map(p.commits.map((c) => [c.partition, c.offset]));
    expect([...last].sort()).toEqual([
      [0, 9],
      [1, 9],
    ]);
    expect(p.deleted).toHaveLength(1);
    expect(p.problems).toEqual([]);
  });

  it('produces base64 keys and values to /topics/{topic}', async () => {
    const p = await proxy();
    const result = await runNode(
      channelSinkNode,
      { connection: 'rest', topic: 'out', codec: 'string' },
      {
        connections: { rest: { url: p.url, dialect: 'confluent-v2' } },
        inputs: [{ key: 'a', value: 'one' }, { value: 'two' }],
      },
    );
    expect(result.errors).toEqual([]);
    expect(p.produced).toEqual([
      { topic: 'out', key: b64('a'), value: b64('one') },
      { topic: 'out', value: b64('two') },
    ]);
    expect(p.problems).toEqual([]);
  });
});
