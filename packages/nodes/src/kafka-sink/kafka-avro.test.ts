/**
 * Avro through Kafka on the real broker: kafka-sink writes with a schema registry (Confluent wire
 * format), kafka-source reads back through the same registry. The registry is a small
 * Confluent-REST-compatible server in this file (no registry server is on Maven Central; the codec's
 * own tests check the REST answers in more detail).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  closeBrokerHelpers,
  createTopic,
  produce,
  readAll,
  requireBroker,
  TEST_CONNECTION,
  testConnections,
  uniqueName,
} from '../connections/kafka-test-broker.js';
import { kafkaSinkNode } from './runtime.js';
import { runNode } from '../testing/index.js';
import { kafkaSourceNode } from '../kafka-source/runtime.js';

const ORDER = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'item', type: 'string' },
  ],
});

let server: Server;
const schemas = new Map<number, string>();
const subjects = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(payload));
      };
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      let m: RegExpExecArray | null;
      if ((m = /^\/schemas\/ids\/(\d+)$/.exec(path))) {
        const schema = schemas.get(Number(m[1]));
        return schema ? send(200, { schema }) : send(404, { error_code: 40403, message: 'Schema not found' });
      }
      if ((m = /^\/subjects\/([^/]+)\/versions$/.exec(path)) && req.method === 'POST') {
        // The same schema keeps its id, as in a real registry.
        const canonical = JSON.stringify(JSON.parse((JSON.parse(body) as { schema: string }).schema));
        const id = [...schemas].find(([, known]) => known === canonical)?.[0] ?? 7 + schemas.size;
        schemas.set(id, canonical);
        subjects.set(m[1]!, id);
        return send(200, { id });
      }
      if ((m = /^\/subjects\/([^/]+)$/.exec(path)) && req.method === 'POST') {
        const id = subjects.get(m[1]!);
        return id === undefined
          ? send(404, { error_code: 40401, message: 'Subject not found' })
          : send(200, { subject: m[1], version: 1, id, schema: schemas.get(id) });
      }
      send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await closeBrokerHelpers();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  await requireBroker();
});

describe('kafka-source and kafka-sink with Avro and a schema registry', () => {
  it('writes the Confluent wire format, reads it back, and sends an undecodable record to the error port', async () => {
    const connections = {
      ...testConnections,
      registry: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
    };
    const topic = uniqueName('avro');
    await createTopic(topic);
    const write = (inputs: { key: string; value: unknown }[]) =>
      runNode(
        kafkaSinkNode,
        {
          connection: TEST_CONNECTION,
          topic,
          codec: 'avro',
          avro: { schema: ORDER, registry: 'registry', autoRegister: true },
        },
        { connections, inputs },
      );

    expect((await write([{ key: 'a', value: { id: 1, item: 'apple' } }])).errors).toEqual([]);
    // Not Avro at all (no magic byte, no schema id): the source cannot read it.
    await produce(topic, [{ key: 'bad', value: Buffer.from('{"id":2}') }]);
    const last = await write([
      { key: 'c', value: { id: 3, item: 'cherry' } },
      { key: 'wrong', value: { id: 'not a long' } },
    ]);
    // A value that does not fit the schema is the message's fault: error port, nothing written.
    expect(last.errors.map((e) => e.message?.key)).toEqual(['wrong']);

    // On the wire: magic byte 0, then the id the registry gave to the subject <topic>-value.
    const id = subjects.get(`${topic}-value`);
    expect(id).toBeDefined();
    const raw = await readAll(topic, 3);
    for (const record of [raw[0]!, raw[2]!]) {
      expect(record.value![0]).toBe(0);
      expect(record.value!.readInt32BE(1)).toBe(id);
    }

    // The reader needs only the registry: the writer schema comes by id.
    const read = await runNode(
      kafkaSourceNode,
      {
        connection: TEST_CONNECTION,
        topics: [topic],
        groupId: uniqueName('g'),
        startFrom: 'earliest',
        codec: 'avro',
        avro: { registry: 'registry' },
      },
      { connections, until: { messages: 2 }, timeoutMs: 25_000 },
    );
    expect(read.outputs.out?.map((m) => [m.key, m.value])).toEqual([
      ['a', { id: 1, item: 'apple' }],
      ['c', { id: 3, item: 'cherry' }],
    ]);
    expect(read.errors.map((e) => e.message?.key)).toEqual(['bad']);
  }, 60_000);
});
