import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { connectAdmin, kafkaClient, runTributaryPipeline, seedTopic, topicSize, uniqueName } from './kafka-pipeline.js';

// Against the real broker (`pnpm kafka start`, or KAFKA_BROKERS): fails, never skips, without one.
describe('kafka-source → function → kafka-sink through the engine', () => {
  let kafka: Kafka;
  let admin: Admin;
  beforeAll(async () => {
    kafka = kafkaClient('tributary-e2e');
    admin = await connectAdmin(kafka);
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  it('moves 100,000 messages, every output present and correct, offsets committed', async () => {
    const count = 100_000;
    const input = uniqueName('e2e-in');
    const output = uniqueName('e2e-out');
    await seedTopic(kafka, admin, input, count);
    const { stats } = await runTributaryPipeline(input, output, count);
    expect(stats.nodes.in!.out).toBe(count);
    expect(stats.nodes.out!.errors).toBe(0);
    expect(await topicSize(admin, output)).toBe(count);

    // Read the output back: each input n appears doubled, once.
    const seen = new Uint8Array(count);
    const consumer = kafka.consumer({ groupId: uniqueName('verify') });
    await consumer.connect();
    await consumer.subscribe({ topics: [output], fromBeginning: true });
    let read = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const { n } = JSON.parse(m.value!.toString()) as { n: number };
              expect(n % 2).toBe(0);
              seen[n / 2] = (seen[n / 2] ?? 0) + 1;
              read++;
            }
            if (read >= count) resolve();
            await Promise.resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(read).toBe(count);
    expect(seen.every((c) => c === 1)).toBe(true);
  }, 180_000);
});
