import { defineConfig } from 'vitest/config';

/** The delivery proofs against the real broker: they run once per Kafka client library (KAFKA_CLIENT). */
const KAFKA_TESTS = [
  'src/cli/kafka-delivery.test.ts',
  'src/cli/kafka-checkpoint.test.ts',
  'src/cli/kafka-window.test.ts',
  'src/cli/kafka-broker-restart.test.ts',
  'src/kafka-secure.test.ts',
  'src/bench/kafka-pipeline.test.ts',
];

export default defineConfig({
  test: {
    // The JSON report feeds the one-line total that `npm test` prints.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'runtime', include: ['src/**/*.test.ts'], exclude: KAFKA_TESTS } },
      { extends: true, test: { name: 'kafka-kafkajs', include: KAFKA_TESTS, env: { KAFKA_CLIENT: 'kafkajs' } } },
      {
        extends: true,
        test: { name: 'kafka-platformatic', include: KAFKA_TESTS, env: { KAFKA_CLIENT: 'platformatic' } },
      },
    ],
  },
});
