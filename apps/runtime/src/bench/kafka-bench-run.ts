/**
 * One timed run of the Kafka bench, in a process of its own (kafka-bench.ts spawns it): an untimed
 * warm-up run on a small topic (the first run in a process also compiles its code paths), a full
 * collection, then the timed run. Its last line of output is the result as JSON.
 *
 * A process per run, so that no run's figures can depend on what ran before it in the process: sharing
 * one, the Tributary runs of the second client section ran engine and node code the first section
 * had already compiled (its hand-written loop shares none of it), each kafkajs side ran the client's
 * encoder right after the other side had, and each paid for the garbage of the run before.
 *
 * Usage: node kafka-bench-run.js '{"client":"kafkajs","kind":"tributary","input":"…","count":200000,
 * "warmInput":"…","warmCount":20000}'
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  connectAdmin,
  createOutput,
  kafkaClient,
  runHandWrittenLoop,
  runPlatformaticHandLoop,
  runTributaryPipeline,
} from './kafka-pipeline.js';

export interface BenchRunJob {
  readonly client: 'kafkajs' | 'platformatic';
  readonly kind: 'hand' | 'tributary';
  readonly input: string;
  readonly count: number;
  /** A topic of `warmCount` messages for the untimed first run; null for none. */
  readonly warmInput: string | null;
  readonly warmCount: number;
}

export interface BenchRunResult {
  readonly seconds: number;
  /** CPU time of the process per message over the timed run (all threads; connect and leave included). */
  readonly cpuUsPerMsg: number;
}

async function runJob(job: BenchRunJob): Promise<BenchRunResult> {
  const kafka = kafkaClient();
  const admin = await connectAdmin(kafka);
  try {
    const once = async (input: string, count: number) => {
      const output = await createOutput(admin, `bench-${job.kind}-out`);
      if (job.kind === 'tributary') return runTributaryPipeline(input, output, count, 120_000, job.client);
      if (job.client === 'kafkajs') return runHandWrittenLoop(kafka, input, output, count);
      return runPlatformaticHandLoop(input, output, count);
    };
    if (job.warmInput !== null) await once(job.warmInput, job.warmCount);
    // The timed run does not pay for the warm-up's garbage.
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    const cpu = process.cpuUsage();
    const { seconds } = await once(job.input, job.count);
    const used = process.cpuUsage(cpu);
    return { seconds, cpuUsPerMsg: Math.round(((used.user + used.system) / job.count) * 10) / 10 };
  } finally {
    await admin.disconnect();
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as BenchRunJob;
const result = await runJob(job);
process.stdout.write(`\n${JSON.stringify(result)}\n`);
// kafkajs and the engine leave timers that would keep a finished run alive for seconds.
process.exit(0);
