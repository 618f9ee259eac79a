/**
 * The adapters' partitioners against peers: kafkajs's own DefaultPartitioner, and Kafka's Java
 * client (`BuiltInPartitioner.partitionForKey` from the broker's jars, run by the JDK): a key must
 * land on the partition other Kafka clients choose, or keyed order breaks across them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BatchPartitioner, javaCompatiblePartitioner } from './kafka-partitioners.js';

const metadata = (count: number, down: number[] = []): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: down.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

/** Keys of every kind a flow carries: short, recurring, long, non-ASCII, empty. */
const KEYS = [
  '',
  'k',
  ...Array.from({ length: 300 }, (_, n) => `k${n}`),
  ...Array.from({ length: 300 }, (_, n) => `order-${n}-${(n * 7919) % 100_003}`),
  'ключ',
  'キー',
  '🔑 key',
  'x'.repeat(1000),
  'ab',
  'abc',
  'abcd',
  'abcde',
];
const COUNTS = [1, 3, 6, 7, 64];
/** platformatic's partitioner context: ours reads nothing of it. */
const context = { metadata: undefined } as unknown as Parameters<BatchPartitioner['choose']>[2];

describe('partitioners', () => {
  it('kafkajs: chooses the partition kafkajs chooses for every key, twice (the second time from its cache)', () => {
    const ours = javaCompatiblePartitioner()();
    const theirs = Partitioners.DefaultPartitioner();
    for (const count of COUNTS) {
      const partitionMetadata = metadata(count);
      for (const round of [1, 2])
        for (const key of KEYS) {
          const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
          expect(ours(args), `key ${JSON.stringify(key)} of ${count}, round ${round}`).toBe(theirs(args));
        }
    }
  });

  it('kafkajs: keeps a record pinned to a partition, and spreads keyless records over the partitions that have a leader', () => {
    const ours = javaCompatiblePartitioner()();
    const partitionMetadata = metadata(4, [1]);
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k1', value: 'v', partition: 3 } })).toBe(3);
    const chosen = new Set<number>();
    for (let i = 0; i < 30; i++)
      chosen.add(ours({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } }));
    expect([...chosen].sort()).toEqual([0, 2, 3]);
  });

  it('platformatic: keyless records of one batch share a partition, the next batch takes the next one, a retried batch keeps its own', () => {
    const partitions = new BatchPartitioner();
    const message = { topic: 't', value: Buffer.from('v') };
    const chosen: number[] = [];
    for (let i = 0; i < 6; i++) {
      const batch = new Map();
      partitions.nextBatch(batch);
      const first = partitions.choose(message, undefined, context);
      expect(partitions.choose(message, undefined, context)).toBe(first);
      // The sink sends the same batch again after a transient failure.
      partitions.nextBatch(batch);
      expect(partitions.choose(message, undefined, context)).toBe(first);
      chosen.push(first % 6);
    }
    expect(new Set(chosen).size).toBe(6);
  });

  it("both: choose the partition Kafka's Java client chooses for every key", () => {
    const libs = join(
      process.env.TRIBUTARY_CACHE_DIR || join(homedir(), '.cache', 'tributary'),
      'kafka',
      process.env.KAFKA_VERSION ?? '4.4.0',
      'libs',
    );
    if (!existsSync(libs)) throw new Error(`no Kafka jars in ${libs}: run \`pnpm kafka start\` once to fetch them`);
    const dir = mkdtempSync(join(tmpdir(), 'tributary-partitions-'));
    try {
      // One line per key in, one partition per line out (base64: keys may hold any character).
      writeFileSync(
        join(dir, 'Partitions.java'),
        `import java.io.*; import java.nio.charset.StandardCharsets; import java.util.Base64;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
public class Partitions { public static void main(String[] args) throws Exception {
  BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
  StringBuilder out = new StringBuilder();
  for (String line; (line = in.readLine()) != null; )
    for (String count : args)
      out.append(BuiltInPartitioner.partitionForKey(Base64.getDecoder().decode(line), Integer.parseInt(count))).append(' ');
  System.out.print(out); } }
`,
      );
      const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
      const input = KEYS.map((key) => Buffer.from(key).toString('base64')).join('\n') + '\n';
      const javaChoice = execFileSync(java, ['-cp', `${libs}/*`, join(dir, 'Partitions.java'), ...COUNTS.map(String)], {
        input,
        encoding: 'utf8',
        timeout: 60_000,
      })
        .trim()
        .split(' ')
        .map(Number);
      const kafkajs = javaCompatiblePartitioner()();
      expect(
        KEYS.flatMap((key) =>
          COUNTS.map((count) =>
            kafkajs({ topic: 't', partitionMetadata: metadata(count), message: { key, value: 'v' } }),
          ),
        ),
      ).toEqual(javaChoice);
      // platformatic takes the answer modulo the partition count.
      const platformatic = new BatchPartitioner();
      expect(
        KEYS.flatMap((key) =>
          COUNTS.map(
            (count) => platformatic.choose({ topic: 't', key: Buffer.from(key) }, Buffer.from(key), context) % count,
          ),
        ),
      ).toEqual(javaChoice);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000); // the JDK compiles the check first: seconds on a loaded machine
});
