/**
 * What the end-to-end delivery tests (apps/runtime/src/cli/*-delivery.test.ts) share: the local
 * servers they talk to, unique names, `tributary run` processes disposed after each test, and a
 * Kafka admin connected for the file. Call the `use…` functions at the top level of a test file:
 * they register the vitest hooks.
 */
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { FlowDocument } from '@tributary/shared';
import { kafkaFor, RuntimeProcess } from './kafka-harness.js';

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
export const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
export const DB = { host: '127.0.0.1', port: 5432, database: 'test', user: process.env.PGUSER ?? 'postgres' };

/** `<prefix><sep><time><sep><random>`: names no other run (or parallel helper) uses. */
export function unique(prefix: string, separator = '-'): string {
  return `${prefix}${separator}${Date.now().toString(36)}${separator}${Math.random().toString(36).slice(2, 7)}`;
}

export interface Runtimes {
  /** Starts `tributary run` on `flow`; the process is disposed after the test. */
  runtime(flow: FlowDocument, dataDir?: string): RuntimeProcess;
  /** Runs `fn` after the test (last registered first), errors ignored. */
  defer(fn: () => Promise<void>): void;
}

/** Runtime processes (and other resources) of a test, disposed after each test. */
export function useRuntimes(): Runtimes {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  });
  return {
    runtime(flow, dataDir) {
      const r = new RuntimeProcess(flow, dataDir);
      cleanup.push(() => r.dispose());
      return r;
    },
    defer(fn) {
      cleanup.push(fn);
    },
  };
}

export interface KafkaFixture {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Creates a topic named after `prefix` with `partitions` partitions; answers its name. */
  topic(prefix: string, partitions: number): Promise<string>;
}

/** A Kafka client and connected admin for the file; a missing broker fails with what to do. */
export function useKafka(clientId: string): KafkaFixture {
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  beforeAll(async () => {
    kafka = kafkaFor(BROKERS, clientId);
    admin = kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(
        `No Kafka broker answers on ${BROKERS.join(', ')}: start one with \`pnpm kafka start\` (repository root) or set KAFKA_BROKERS (${(error as Error).message})`,
        { cause: error },
      );
    }
  });
  afterAll(async () => {
    await admin?.disconnect();
  });
  const fixture: KafkaFixture = {
    get kafka() {
      if (kafka === undefined) throw new Error('useKafka: the Kafka client is made in beforeAll');
      return kafka;
    },
    get admin() {
      if (admin === undefined) throw new Error('useKafka: the admin is connected in beforeAll');
      return admin;
    },
    async topic(prefix, partitions) {
      const name = unique(prefix);
      await fixture.admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
      return name;
    },
  };
  return fixture;
}
