/**
 * Avro codecs against bytes written by Apache's Java implementation (avro-tools `jsontofrag`, see
 * __fixtures__/avro/make-golden.sh), and a Confluent-compatible registry served over real HTTP by
 * the test (no registry server is on Maven Central): the REST paths and answers Confluent documents.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { avroSchemaCodec, registryClient, registryCodec, subjectFor } from './avro-codec.js';
import { CodecError } from './codecs.js';
import avro from 'avsc';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/avro/${name}`, import.meta.url));
const V1 = fixture('order-v1.avsc').toString('utf8');
const V2 = fixture('order-v2.avsc').toString('utf8');
const JAVA_1 = fixture('order-1.v1.bin');
const JAVA_2 = fixture('order-2.v1.bin');
const ORDER_1 = {
  id: 4503599627370496, // 2^52: Avro longs are read as JS numbers (beyond 2^53 they are a decode error)
  customer: 'Zoë',
  qty: 3,
  status: 'PAID',
  tags: ['gift', 'express'],
  note: 'leave at the door',
};
const ORDER_2 = { id: 42, customer: '', qty: -7, status: 'NEW', tags: [], note: null };

const framed = (id: number, payload: Buffer) => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, payload]);
};

async function decodeError(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('Avro with a schema in the node (plain binary)', () => {
  const codec = avroSchemaCodec(V1);

  it("reads bytes written by Apache Avro's Java encoder", () => {
    expect(codec.decode(JAVA_1)).toEqual(ORDER_1);
    expect(codec.decode(JAVA_2)).toEqual(ORDER_2);
  });

  it('writes the very bytes the Java encoder writes', () => {
    expect(Buffer.compare(codec.encode(ORDER_1) as Buffer, JAVA_1)).toBe(0);
    expect(Buffer.compare(codec.encode(ORDER_2) as Buffer, JAVA_2)).toBe(0);
  });

  it('refuses truncated or trailing bytes, and values that do not fit, naming the field', async () => {
    for (const bad of [JAVA_1.subarray(0, 20), Buffer.concat([JAVA_2, Buffer.from([1, 2])])]) {
      const error = await decodeError(() => codec.decode(bad));
      expect(error).toBeInstanceOf(CodecError);
      expect((error as CodecError).code).toBe('E_DECODE');
    }
    const error = await decodeError(() => codec.encode({ ...ORDER_1, qty: 'three' }));
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toContain('qty');
    expect(codec.decode(null)).toBeNull();
  });

  it('a long beyond what a JS number holds exactly is a decode error, never a silently rounded id', async () => {
    const error = await decodeError(() => codec.decode(fixture('order-3.v1.bin')));
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toContain('precision');
  });

  it('refuses a schema that is not Avro at create time', () => {
    expect(() => avroSchemaCodec('{"type":"record","name":"X"}')).toThrow(/not a valid Avro schema/);
    expect(() => avroSchemaCodec('{nope')).toThrow(/not JSON/);
  });
});

// ---------------------------------------------------------------------------------------------
// A registry speaking the Confluent REST API (the subset clients use), with basic auth.
// ---------------------------------------------------------------------------------------------
let server: Server;
let url: string;
const schemas = new Map<number, string>();
const subjects = new Map<string, number[]>();
const requests: string[] = [];
let down = false;

function register(subject: string, schema: string): number {
  const canonical = JSON.stringify(JSON.parse(schema));
  for (const [id, known] of schemas) if (known === canonical) return addVersion(subject, id);
  const id = 100 + schemas.size;
  schemas.set(id, canonical);
  return addVersion(subject, id);
}
function addVersion(subject: string, id: number): number {
  const versions = subjects.get(subject) ?? [];
  if (!versions.includes(id)) versions.push(id);
  subjects.set(subject, versions);
  return id;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(payload));
      };
      if (down) return send(503, { error_code: 50301, message: 'unavailable' });
      if (req.headers.authorization !== `Basic ${Buffer.from('svc:s3cret').toString('base64')}`)
        return send(401, { error_code: 40101, message: 'Unauthorized' });
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      let m: RegExpExecArray | null;
      if ((m = /^\/schemas\/ids\/(\d+)$/.exec(path))) {
        const schema = schemas.get(Number(m[1]));
        return schema ? send(200, { schema }) : send(404, { error_code: 40403, message: 'Schema not found' });
      }
      if ((m = /^\/subjects\/([^/]+)\/versions$/.exec(path)) && req.method === 'POST') {
        return send(200, { id: register(m[1]!, (JSON.parse(body) as { schema: string }).schema) });
      }
      if ((m = /^\/subjects\/([^/]+)\/versions\/latest$/.exec(path))) {
        const versions = subjects.get(m[1]!);
        if (!versions) return send(404, { error_code: 40401, message: 'Subject not found' });
        const id = versions[versions.length - 1]!;
        return send(200, { subject: m[1], version: versions.length, id, schema: schemas.get(id) });
      }
      if ((m = /^\/subjects\/([^/]+)$/.exec(path)) && req.method === 'POST') {
        const canonical = JSON.stringify(JSON.parse((JSON.parse(body) as { schema: string }).schema));
        const versions = subjects.get(m[1]!) ?? [];
        const id = versions.find((v) => schemas.get(v) === canonical);
        return id === undefined
          ? send(404, { error_code: 40403, message: 'Schema not found' })
          : send(200, { subject: m[1], version: versions.indexOf(id) + 1, id, schema: canonical });
      }
      send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests.length = 0;
  down = false;
});

const client = () => registryClient({ url, username: 'svc', password: 's3cret' });

describe('Avro with a schema registry (Confluent wire format)', () => {
  it('reads Java-written records framed with their schema id, fetching each schema once', async () => {
    const id = register('orders-value', V1);
    const codec = registryCodec(client(), { subject: 'topic', autoRegister: false }, { topic: 'orders' });
    for (let i = 0; i < 5; i++) expect(await codec.decode(framed(id, JAVA_1))).toEqual(ORDER_1);
    expect(await codec.decode(framed(id, JAVA_2))).toEqual(ORDER_2);
    expect(requests.filter((r) => r.startsWith('GET /schemas/ids/'))).toEqual([`GET /schemas/ids/${id}`]);
  });

  it("resolves the writer's schema to the node's reader schema (added default, dropped field, int → long)", async () => {
    const id = register('orders-value', V1);
    const codec = registryCodec(client(), { schema: V2, subject: 'topic', autoRegister: false }, { topic: 'orders' });
    const { tags: _dropped, ...rest } = ORDER_1;
    expect(await codec.decode(framed(id, JAVA_1))).toEqual({ ...rest, currency: 'EUR' });
  });

  it('sends what it cannot read to the error port (CodecError): unknown id, no framing, bad payload, unresolvable schemas', async () => {
    const id = register('orders-value', V1);
    const codec = registryCodec(client(), { subject: 'topic', autoRegister: false }, { topic: 'orders' });
    const incompatible = JSON.stringify({
      type: 'record',
      name: 'Order',
      namespace: 'com.example',
      fields: [{ name: 'sku', type: 'string' }],
    });
    const strict = registryCodec(client(), { schema: incompatible, subject: 'topic', autoRegister: false }, {});
    const cases: [string, () => Promise<unknown>][] = [
      ['schema id 999 is not in the schema registry', () => codec.decode(framed(999, JAVA_1))],
      ['magic byte 0', () => codec.decode(JAVA_1)],
      ['magic byte 0', () => codec.decode(Buffer.from([0, 0]))],
      ['not valid Avro', () => codec.decode(framed(id, JAVA_1.subarray(0, 12)))],
      ['cannot be read with the reader schema', () => strict.decode(framed(id, JAVA_1))],
    ];
    for (const [message, attempt] of cases) {
      const error = await decodeError(attempt());
      expect(error, message).toBeInstanceOf(CodecError);
      expect((error as Error).message).toContain(message);
    }
  });

  it("a registry that is down or refuses the credentials is not the record's fault (a plain error: read again later)", async () => {
    const id = register('orders-value', V1);
    down = true;
    const error = await decodeError(
      registryCodec(client(), { subject: 'topic', autoRegister: false }, {}).decode(framed(id, JAVA_1)),
    );
    expect(error).not.toBeInstanceOf(CodecError);
    down = false;
    const wrong = registryClient({ url, username: 'svc', password: 'wrong' });
    const refused = await decodeError(
      registryCodec(wrong, { subject: 'topic', autoRegister: false }, {}).decode(framed(id, JAVA_1)),
    );
    expect(refused).not.toBeInstanceOf(CodecError);
    expect((refused as Error).message).toMatch(/Unauthorized/);
  });

  it('writes with the node schema registered under each subject naming strategy; Java reads the payload', async () => {
    for (const [strategy, subject] of [
      ['topic', 'payments-value'],
      ['record', 'com.example.Order'],
      ['topic-record', 'payments-com.example.Order'],
    ] as const) {
      const codec = registryCodec(
        client(),
        { schema: V1, subject: strategy, autoRegister: true },
        { topic: 'payments' },
      );
      const bytes = (await codec.encode(ORDER_1))!;
      expect(bytes[0]).toBe(0);
      const id = bytes.readInt32BE(1);
      expect(subjects.get(subject)).toContain(id);
      expect(Buffer.compare(bytes.subarray(5), JAVA_1)).toBe(0);
    }
  });

  it('without registering, writes with the id the subject already has, and says so when it has none', async () => {
    const id = register('audit-value', V1);
    const codec = registryCodec(client(), { schema: V1, subject: 'topic', autoRegister: false }, { topic: 'audit' });
    expect((await codec.encode(ORDER_2))!.readInt32BE(1)).toBe(id);
    const latest = registryCodec(client(), { subject: 'topic', autoRegister: false }, { topic: 'audit' });
    expect((await latest.encode(ORDER_2))!.readInt32BE(1)).toBe(id);
    const missing = registryCodec(
      client(),
      { schema: V2, subject: 'topic', autoRegister: false },
      { topic: 'nowhere' },
    );
    expect(((await decodeError(missing.encode(ORDER_2))) as Error).message).toMatch(
      /no schema id for subject "nowhere-value"/,
    );
  });

  it('names subjects as Confluent does, keys included', () => {
    const type = avro.Type.forSchema(JSON.parse(V1) as avro.Schema);
    expect(subjectFor('topic', { topic: 't', key: true }, null)).toBe('t-key');
    expect(subjectFor('record', { topic: 't' }, type)).toBe('com.example.Order');
    expect(() => subjectFor('record', { topic: 't' }, null)).toThrow(/named record schema/);
  });
});
