/**
 * `pnpm bench`'s Kafka section: Tributary against a hand-written loop on each client library, each
 * timed run in a process of its own, and Kafka's own Java performance tools on the same broker as
 * the ceiling.
 */
import { execFile, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import type { BenchRunJob, BenchRunResult } from './kafka-bench-run.js';
import { BROKERS, connectAdmin, createOutput, kafkaClient, seedTopic, uniqueName } from './kafka-pipeline.js';
import { medianOf } from './median.js';

const runScript = fileURLToPath(new URL('./kafka-bench-run.js', import.meta.url));

/** One timed run (kafka-bench-run.ts) in a fresh process with this one's V8 flags. */
async function runInOwnProcess(job: BenchRunJob): Promise<BenchRunResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, runScript, JSON.stringify(job)],
    {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as BenchRunResult;
  } catch {
    throw new Error(`a ${job.kind} run on ${job.client} printed no result: ${stdout.slice(-1500)}`);
  }
}

const kafkaToolsScript = fileURLToPath(new URL('../../../../scripts/kafka/kafka-tools.mjs', import.meta.url));

/** Runs one of Kafka's Java tools (scripts/kafka/kafka-tools.mjs); its standard output. */
function javaTool(tool: string, args: string[]): string {
  const result = spawnSync(process.execPath, [kafkaToolsScript, 'run', tool, ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    timeout: 300_000,
  });
  if (result.status !== 0)
    throw new Error(`${tool} failed (exit ${result.status}): ${`${result.stdout}${result.stderr}`.slice(-1500)}`);
  return result.stdout;
}

/**
 * The ceiling on this broker: Kafka's own ProducerPerformance (idempotent, acks all, records the
 * size of ours) into a fresh 6-partition topic, and ConsumerPerformance reading `input`.
 */
async function runJavaTools(admin: Admin, input: string, count: number) {
  const topic = await createOutput(admin, 'bench-java-out');
  const produced = javaTool('ProducerPerformance', [
    '--bootstrap-server',
    BROKERS.join(','),
    '--topic',
    topic,
    '--num-records',
    String(count),
    '--record-size',
    '14',
    '--throughput',
    '-1',
    '--producer-props',
    'acks=all',
    'enable.idempotence=true',
  ]);
  // "200000 records sent, 98765.4 records/sec (1.32 MB/sec), …" is the summary line.
  // The last such line is the summary (the ones before are progress reports).
  const producedRate = Number([...produced.matchAll(/records sent, ([\d.]+) records\/sec/g)].at(-1)?.[1]);
  const consumed = javaTool('ConsumerPerformance', [
    '--bootstrap-server',
    BROKERS.join(','),
    '--topic',
    input,
    '--num-records',
    String(count),
    '--group',
    uniqueName('bench-java'),
    '--timeout',
    '30000',
  ]);
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, …
  const row = consumed
    .trim()
    .split('\n')
    .at(-1)!
    .split(',')
    .map((c) => c.trim());
  const consumedRate = Number(row[5]);
  if (!Number.isFinite(producedRate) || !Number.isFinite(consumedRate))
    throw new Error(`could not read the Java tools' figures:\n${produced}\n${consumed}`);
  return { producedRate: Math.round(producedRate), consumedRate: Math.round(consumedRate) };
}

/**
 * `pnpm bench` section: every pipeline on the same broker, same input, in the same run, each timed
 * run in a process of its own (kafka-bench-run.ts). Env: KAFKA_BENCH_MESSAGES (200,000),
 * KAFKA_BENCH_RUNS (7, alternated hand/Tributary), KAFKA_BENCH_WARMUP (20,000; 0 = none),
 * KAFKA_BENCH_JAVA=0 to skip the Java tools.
 */
export async function runKafkaBench(): Promise<Record<string, number | number[] | string>> {
  const count = Number(process.env.KAFKA_BENCH_MESSAGES ?? 200_000);
  const runs = Number(process.env.KAFKA_BENCH_RUNS ?? 7);
  const warmCount = Number(process.env.KAFKA_BENCH_WARMUP ?? 20_000);
  const kafka = kafkaClient();
  const admin = await connectAdmin(kafka);
  try {
    // One input for every run (each run reads it with a new group), so all read warm pages.
    const input = uniqueName('bench-in');
    await seedTopic(kafka, admin, input, count);
    const warmInput = warmCount > 0 ? uniqueName('bench-warm-in') : null;
    if (warmInput !== null) await seedTopic(kafka, admin, warmInput, warmCount);
    // The machine's load beside the figures: on a shared machine the ratios mean more than the rates.
    const results: Record<string, number | number[] | string> = {
      messages: count,
      load_1m_before: Math.round(loadavg()[0]! * 10) / 10,
    };
    for (const client of ['kafkajs', 'platformatic'] as const) {
      const handRuns: number[] = [];
      const ours: number[] = [];
      const handCpu: number[] = [];
      const oursCpu: number[] = [];
      // Alternated, so that a noisy neighbour on the machine hits both about equally.
      for (let i = 0; i < runs; i++) {
        const job = { client, input, count, warmInput, warmCount };
        const h = await runInOwnProcess({ ...job, kind: 'hand' });
        handRuns.push(Math.round(count / h.seconds));
        handCpu.push(h.cpuUsPerMsg);
        const t = await runInOwnProcess({ ...job, kind: 'tributary' });
        ours.push(Math.round(count / t.seconds));
        oursCpu.push(t.cpuUsPerMsg);
      }
      const handRate = medianOf(handRuns);
      const oursRate = medianOf(ours);
      results[`${client}_hand_written_msgs_per_s`] = handRate;
      results[`${client}_tributary_msgs_per_s`] = oursRate;
      results[`${client}_tributary_vs_hand_written_pct`] = Math.round((oursRate / handRate) * 1000) / 10;
      // Each run against the hand-written run beside it: how far one set of runs can say.
      const paired = ours.map((rate, i) => Math.round((rate / handRuns[i]!) * 100));
      results[`${client}_paired_pct_range`] = [Math.min(...paired), Math.max(...paired)];
      results[`${client}_hand_written_runs`] = handRuns;
      results[`${client}_tributary_runs`] = ours;
      // CPU time of the run's process per message (all its threads, connect and group join included):
      // steadier than the rates when the broker, on the same machine, competes for the cores.
      results[`${client}_hand_written_cpu_us_per_msg`] = medianOf(handCpu);
      results[`${client}_tributary_cpu_us_per_msg`] = medianOf(oursCpu);
    }
    if (process.env.KAFKA_BENCH_JAVA !== '0') {
      const java = await runJavaTools(admin, input, count);
      // A consume → produce pipeline cannot beat the slower of the two halves.
      const ceiling = Math.min(java.producedRate, java.consumedRate);
      results.java_producer_perf_msgs_per_s = java.producedRate;
      results.java_consumer_perf_msgs_per_s = java.consumedRate;
      results.java_ceiling_msgs_per_s = ceiling;
      for (const client of ['kafkajs', 'platformatic'])
        results[`${client}_tributary_vs_java_pct`] =
          Math.round(((results[`${client}_tributary_msgs_per_s`] as number) / ceiling) * 1000) / 10;
    }
    results.load_1m_after = Math.round(loadavg()[0]! * 10) / 10;
    // Kept for the README table and older readers of the JSON: the default client's figures.
    results.hand_written_msgs_per_s = results.platformatic_hand_written_msgs_per_s!;
    results.tributary_msgs_per_s = results.platformatic_tributary_msgs_per_s!;
    results.tributary_vs_hand_written_pct = results.platformatic_tributary_vs_hand_written_pct!;
    results.hand_written_runs = results.platformatic_hand_written_runs!;
    results.tributary_runs = results.platformatic_tributary_runs!;
    return results;
  } finally {
    await admin.disconnect();
  }
}
