/**
 * Test helper, a FAKE (named as such): a streaming service that behaves like the OpenDXL streaming
 * client's sample server, for the faults no real service here produces on demand — its token
 * expires every `tokenRequests` requests, it refuses requests without the `AWSALB` affinity cookie,
 * and it forgets every consumer every `forgetEvery` record polls (as after a restart). Records live
 * in memory per topic (one partition per topic, `partitions` of them with `-N` suffixes when asked);
 * a group's committed offset is the last committed record's own offset, as in OpenDXL.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

const CONSUMERS = '/databus/consumer-service/v1/consumers';
const PRODUCE = '/databus/cloudproxy/v1/produce';

export interface FakeRecord {
  key: string;
  payload: string;
  headers: Record<string, string>;
}

export interface OpenDxlFakeOptions {
  username?: string;
  password?: string;
  tokenRequests?: number;
  forgetEvery?: number;
  /** Most records per poll. */
  pollSize?: number;
  partitions?: number;
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

interface Consumer {
  group: string;
  reset: string;
  topics: string[];
  /** Next offset to hand out per topic/partition key. */
  position: Map<string, number>;
}

export class OpenDxlFake {
  readonly username: string;
  readonly password: string;
  url = '';
  /** topic → partition → records. */
  readonly topics = new Map<string, FakeRecord[][]>();
  /** group → "topic/partition" → last committed record offset. */
  readonly commits = new Map<string, Map<string, number>>();
  readonly counts = { logins: 0, expired: 0, noCookie: 0, forgotten: 0, polls: 0, deleted: 0, created: 0 };
  private readonly tokens = new Map<string, number>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly server: Server;
  private readonly affinity = `AWSALB=${randomUUID()}`;

  constructor(private readonly options: OpenDxlFakeOptions = {}) {
    this.username = options.username ?? 'me';
    this.password = options.password ?? 'secret';
    const listener: RequestListener = (req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        try {
          this.handle(req, res, text);
        } catch (error) {
          send(res, 400, { error: (error as Error).message });
        }
      });
    };
    this.server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Appends records to a topic (partition chosen by key). */
  append(topic: string, records: FakeRecord[]): void {
    const parts = this.partitionsOf(topic);
    for (const r of records) parts[hash(r.key) % parts.length]!.push(r);
  }

  committed(group: string): Map<string, number> {
    return this.commits.get(group) ?? new Map<string, number>();
  }

  private partitionsOf(topic: string): FakeRecord[][] {
    let parts = this.topics.get(topic);
    if (!parts) this.topics.set(topic, (parts = Array.from({ length: this.options.partitions ?? 2 }, () => [])));
    return parts;
  }

  private handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/identity/v1/login') {
      const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return send(res, 401, { error: 'bad credentials' });
      const token = randomUUID();
      this.tokens.set(token, this.options.tokenRequests ?? 25);
      this.counts.logins++;
      res.setHeader('Set-Cookie', `${this.affinity}; Path=/`);
      return send(res, 200, { AuthorizationToken: token });
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const left = token === undefined ? undefined : this.tokens.get(token);
    if (left === undefined || left <= 0) {
      this.counts.expired++;
      return send(res, 401, { error: 'token expired' });
    }
    this.tokens.set(token!, left - 1);
    if (!(req.headers.cookie ?? '').includes(this.affinity)) {
      this.counts.noCookie++;
      return send(res, 403, { error: 'no affinity cookie: this instance does not serve you' });
    }
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (req.method === 'POST' && url.pathname === PRODUCE) {
      const records = body.records as { routingData: { topic: string; shardingKey: string }; message: FakeRecord }[];
      for (const r of records)
        this.append(r.routingData.topic, [
          { key: r.routingData.shardingKey, payload: r.message.payload, headers: r.message.headers },
        ]);
      return send(res, 204);
    }
    if (req.method === 'POST' && url.pathname === CONSUMERS) {
      const id = randomUUID();
      const configs = (body.configs ?? {}) as Record<string, string>;
      this.consumers.set(id, {
        group: String(body.consumerGroup),
        reset: configs['auto.offset.reset'] ?? 'latest',
        topics: [],
        position: new Map(),
      });
      this.counts.created++;
      return send(res, 200, { consumerInstanceId: id });
    }
    const match = new RegExp(`^${CONSUMERS}/([^/]+)(/[a-z]+)?$`).exec(url.pathname);
    const consumer = match ? this.consumers.get(decodeURIComponent(match[1]!)) : undefined;
    if (!match || !consumer) return send(res, 404, { error: 'consumer not found' });
    const action = `${req.method} ${match[2] ?? ''}`;
    if (action === 'DELETE ') {
      this.consumers.delete(decodeURIComponent(match[1]!));
      this.counts.deleted++;
      return send(res, 204);
    }
    if (action === 'POST /subscription') {
      consumer.topics = body.topics as string[];
      return send(res, 204);
    }
    if (action === 'POST /offsets') {
      const group = this.commits.get(consumer.group) ?? new Map<string, number>();
      this.commits.set(consumer.group, group);
      for (const o of body.offsets as { topic: string; partition: number; offset: number }[])
        group.set(`${o.topic}/${o.partition}`, o.offset);
      return send(res, 204);
    }
    if (action === 'GET /records') {
      this.counts.polls++;
      if (this.options.forgetEvery && this.counts.polls % this.options.forgetEvery === 0) {
        this.consumers.clear();
        this.counts.forgotten++;
        return send(res, 404, { error: 'consumer not found' });
      }
      return send(res, 200, { records: this.poll(consumer) });
    }
    return send(res, 404, { error: `no route ${action}` });
  }

  private poll(consumer: Consumer) {
    const out = [];
    const limit = this.options.pollSize ?? 50;
    for (const topic of consumer.topics) {
      const parts = this.partitionsOf(topic);
      for (let p = 0; p < parts.length && out.length < limit; p++) {
        const key = `${topic}/${p}`;
        let next = consumer.position.get(key);
        if (next === undefined) {
          const last = this.commits.get(consumer.group)?.get(key);
          next = last !== undefined ? last + 1 : consumer.reset === 'earliest' ? 0 : parts[p]!.length;
        }
        const records = parts[p]!;
        while (next < records.length && out.length < limit) {
          const r = records[next]!;
          out.push({
            routingData: { topic, shardingKey: r.key },
            message: { headers: r.headers, payload: r.payload },
            partition: p,
            offset: next,
          });
          next++;
        }
        consumer.position.set(key, next);
      }
    }
    return out;
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(h);
}
