/**
 * Kafka over TLS with SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) against the real broker's secured
 * listener (`pnpm kafka start` opens one on port + 2, with a self-signed certificate and test-only
 * credentials). Another cluster: KAFKA_SECURE_BROKERS, KAFKA_SECURE_CA (PEM file),
 * KAFKA_SECURE_USER, KAFKA_SECURE_PASSWORD. The secrets reach the flow as references only.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowDocument } from '@tributary/shared';
import { createNodeRegistry } from '@tributary/nodes/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlow, type FlowRun } from './engine/index.js';
import { kafkaClientSetting } from './testing/kafka-harness.js';

const BROKERS = (process.env.KAFKA_SECURE_BROKERS ?? '127.0.0.1:9094').split(',').map((b) => b.trim());
const CA_FILE = process.env.KAFKA_SECURE_CA ?? join(tmpdir(), 'tributary-kafka-9092', 'tls', 'ca.pem');
const USER = process.env.KAFKA_SECURE_USER ?? 'tributary';
const PASSWORD = process.env.KAFKA_SECURE_PASSWORD ?? 'tributary-test-secret';
const CA_ENV = 'TRIBUTARY_TEST_KAFKA_CA';

let dataDir: string;
const credentials = new Map<string, string>();

beforeAll(async () => {
  let ca: string;
  try {
    ca = readFileSync(CA_FILE, 'utf8');
  } catch (error) {
    throw new Error(
      `No CA certificate at ${CA_FILE}: start the local broker (\`pnpm kafka start\`, which opens a TLS + SASL listener on ${BROKERS.join(',')}), or set KAFKA_SECURE_BROKERS and KAFKA_SECURE_CA`,
      { cause: error },
    );
  }
  process.env[CA_ENV] = ca;
  credentials.set('kafka-password', PASSWORD);
  dataDir = await mkdtemp(join(tmpdir(), 'tributary-kafka-secure-'));
});

afterAll(async () => {
  delete process.env[CA_ENV];
  await rm(dataDir, { recursive: true, force: true });
});

function secureConnection(mechanism: string, extra: Record<string, unknown>) {
  return {
    id: 'secure',
    type: 'kafka',
    config: {
      brokers: BROKERS,
      ssl: { ca: `\${env:${CA_ENV}}` },
      sasl: { mechanism, username: USER, password: '${cred:kafka-password}' },
      connectionTimeoutMs: 5000,
      ...kafkaClientSetting(),
      ...extra,
    },
  };
}

/** sequence (20 numbers) → kafka-sink, over the secured listener. */
function writer(mechanism: string, topic: string, connection: Record<string, unknown> = {}): FlowDocument {
  return {
    schemaVersion: 1,
    id: `secure-write-${mechanism}`,
    name: `Write over TLS + SASL ${mechanism}`,
    connections: [secureConnection(mechanism, connection)],
    nodes: [
      { id: 'numbers', type: 'sequence', typeVersion: 1, position: { x: 0, y: 0 }, config: { count: 20 } },
      {
        id: 'write',
        type: 'kafka-sink',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: { connection: 'secure', topic },
      },
    ],
    edges: [{ id: 'numbers->write', source: 'numbers', sourcePort: 'out', target: 'write', targetPort: 'in' }],
  };
}

/** kafka-source → counter, over the secured listener. */
function reader(mechanism: string, topic: string): FlowDocument {
  return {
    schemaVersion: 1,
    id: `secure-read-${mechanism}`,
    name: `Read over TLS + SASL ${mechanism}`,
    connections: [secureConnection(mechanism, {})],
    nodes: [
      {
        id: 'read',
        type: 'kafka-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: { connection: 'secure', topics: [topic], groupId: `${topic}-group`, startFrom: 'earliest' },
      },
      { id: 'count', type: 'counter', typeVersion: 1, position: { x: 200, y: 0 }, config: {} },
    ],
    edges: [{ id: 'read->count', source: 'read', sourcePort: 'out', target: 'count', targetPort: 'in' }],
  };
}

function start(flow: FlowDocument): Promise<FlowRun> {
  return startFlow(flow, {
    registry: createNodeRegistry(),
    dataDir,
    resolveSecret: (ref) => (ref.kind === 'env' ? process.env[ref.name] : credentials.get(ref.name)),
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('kafka connection over TLS with SASL (real broker)', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
    it(`writes and reads back with SASL ${mechanism}, the password and CA given as references`, async () => {
      const topic = `secure-${mechanism}-${Date.now().toString(36)}`;
      const write = await start(writer(mechanism, topic));
      const written = await write.done;
      expect(written.state).toBe('finished');
      expect(write.stats().nodes.write?.custom.acknowledged).toBe(20);
      const read = await start(reader(mechanism, topic));
      try {
        await until('20 records read back', () => read.stats().nodes.count?.in === 20);
      } finally {
        await read.stop();
      }
    }, 60_000);
  }

  it('refuses to start with a wrong password, saying that authentication failed', async () => {
    credentials.set('kafka-password', 'not-the-password');
    try {
      const failure = await start(writer('scram-sha-512', `secure-badpw-${Date.now().toString(36)}`)).then(
        async (run) => {
          await run.stop();
          return null;
        },
        (error: unknown) => error as Error,
      );
      expect(failure).not.toBeNull();
      expect(failure!.message).toMatch(/authentication|SASL/i);
      expect(failure!.message).not.toContain('not-the-password');
    } finally {
      credentials.set('kafka-password', PASSWORD);
    }
  }, 60_000);

  it('refuses a broker whose certificate it cannot verify', async () => {
    const failure = await start(writer('plain', `secure-untrusted-${Date.now().toString(36)}`, { ssl: true })).then(
      async (run) => {
        await run.stop();
        return null;
      },
      (error: unknown) => error as Error,
    );
    expect(failure).not.toBeNull();
    expect(failure!.message).toMatch(/certificate/i);
  }, 60_000);
});
