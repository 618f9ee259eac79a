/**
 * Harness for delivery tests against a real Kafka broker: flows run as real `tributary run`
 * processes (so they can be killed with SIGKILL), a producer writing at a steady rate, and a
 * collector that reads an output topic as it fills.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import type { FlowDocument, FlowStatsSnapshot } from '@tributary/shared';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export function kafkaFor(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    brokers,
    clientId,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    // Long enough to ride out a broker restart in the test that makes one.
    retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

export async function delay(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns something truthy; throws with `what` (and `detail()`) on timeout. */
export async function waitUntil<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 60_000,
  detail?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await delay(100);
  }
}

/**
 * The `client` setting of the Kafka connections the tests write: `KAFKA_CLIENT` (the vitest config
 * runs the Kafka tests once per client library), else none (the connection's default).
 *
 * @example
 * { brokers, ...kafkaClientSetting() }
 */
export function kafkaClientSetting(): { client?: string } {
  const client = process.env.KAFKA_CLIENT;
  return client === undefined ? {} : { client };
}

export interface PipelineOptions {
  brokers: string[];
  input: string;
  output: string;
  groupId: string;
  /** Written into every output record, to tell two runtimes apart. */
  worker: string;
  delivery?: 'at-least-once' | 'at-most-once';
  /** Dead-letter topic for the source's error port (undecodable records). */
  deadLetter?: string;
}

/**
 * kafka-source → function → kafka-sink; the function writes `{ id, by, p, o }`: the input id, the
 * worker, and the partition and offset the record was read from.
 */
export function deliveryFlow(o: PipelineOptions): FlowDocument {
  const flow: FlowDocument = {
    schemaVersion: 1,
    id: `delivery-${o.worker.toLowerCase()}`,
    name: `Delivery test (${o.worker})`,
    connections: [
      {
        id: 'broker',
        type: 'kafka',
        config: { brokers: o.brokers, clientId: `delivery-${o.worker}`, ...kafkaClientSetting() },
      },
    ],
    nodes: [
      {
        id: 'in',
        type: 'kafka-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: {
          connection: 'broker',
          topics: [o.input],
          groupId: o.groupId,
          startFrom: 'earliest',
          delivery: o.delivery ?? 'at-least-once',
          // The broker's minimum: a killed member's partitions move on after 6 s, not 30.
          sessionTimeoutMs: 6000,
        },
      },
      {
        id: 'tag',
        type: 'function',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: {
          code: `return { value: { id: msg.value.id, by: ${JSON.stringify(o.worker)}, p: msg.meta.partition, o: Number(msg.meta.offset) } };`,
        },
      },
      {
        id: 'out',
        type: 'kafka-sink',
        typeVersion: 1,
        position: { x: 400, y: 0 },
        config: { connection: 'broker', topic: o.output },
      },
    ],
    edges: [
      { id: 'in->tag', source: 'in', sourcePort: 'out', target: 'tag', targetPort: 'in' },
      { id: 'tag->out', source: 'tag', sourcePort: 'out', target: 'out', targetPort: 'in' },
    ],
  };
  if (o.deadLetter) {
    flow.nodes.push({
      id: 'dead-letters',
      type: 'kafka-sink',
      typeVersion: 1,
      position: { x: 200, y: 150 },
      config: { connection: 'broker', topic: o.deadLetter, codec: 'string' },
    });
    flow.edges.push({ id: 'in->dead', source: 'in', sourcePort: 'error', target: 'dead-letters', targetPort: 'in' });
  }
  return flow;
}

/** A flow running in its own `tributary run` process, with its latest stats. */
export class RuntimeProcess {
  readonly child: ChildProcess;
  latest: FlowStatsSnapshot | undefined;
  readonly exited: Promise<number | null>;
  /** The signal that ended the process, when one did (its exit code is then null). */
  exitSignal: NodeJS.Signals | null = null;
  private output = '';
  private readonly dir: string;

  /** `dataDir`: a data folder to share with an earlier run (the state a node keeps across a crash). */
  private readonly flowId: string;

  constructor(flow: FlowDocument, dataDir?: string) {
    this.flowId = flow.id;
    this.dir = mkdtempSync(join(tmpdir(), 'tributary-delivery-'));
    const file = join(this.dir, 'flow.json');
    writeFileSync(file, JSON.stringify(flow));
    this.child = spawn(
      process.execPath,
      [cli, 'run', file, '--json', '--interval', '200', '--data-dir', dataDir ?? join(this.dir, 'data')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line) as { type: string } & FlowStatsSnapshot;
        if (event.type === 'stats') this.latest = event;
        else this.remember(line);
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.remember(chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitSignal = signal;
        resolve(code);
      }),
    );
  }

  /**
   * The partitions the source's last assignment gave this runtime, from its log line
   * ("assigned 3 partition(s): in-0, in-3, in-4"); null before the first. Unlike the 1 Hz
   * `partitions` figure, it changes the moment the client reports a new assignment.
   */
  assigned: ReadonlySet<number> | null = null;

  private remember(text: string): void {
    const assignment = /assigned \d+ partition\(s\)(?: \(generation \d+\))?: ([^"\\\n]*)/.exec(text);
    if (assignment)
      this.assigned = new Set(
        assignment[1]!
          .split(', ')
          .map((key) => /-(\d+)$/.exec(key.trim())?.[1])
          .filter((p): p is string => p !== undefined)
          .map(Number),
      );
    // The last few kilobytes are enough to say why a run went wrong.
    this.output = (this.output + text + '\n').slice(-8000);
    // Debugging a run: TRIBUTARY_TEST_LOGS=<folder> keeps every line, per flow.
    const folder = process.env.TRIBUTARY_TEST_LOGS;
    if (folder) appendFileSync(join(folder, `${this.flowId}.log`), text + '\n');
  }

  /** What the process said besides stats (logs, errors, the result line). */
  get log(): string {
    return this.output;
  }

  /** Partitions the source owns now, from the last stats line. */
  get partitions(): number {
    const figure = this.latest?.nodes.in?.custom.partitions;
    return typeof figure === 'number' ? figure : 0;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** SIGSTOP: the process freezes as in a long GC pause (no heartbeats), with its messages in flight. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Graceful stop (SIGTERM): drains, commits, leaves the group. Fails, with the log, if it hangs. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the runtime did not stop within ${timeoutMs} ms: ${this.log}`)),
        timeoutMs,
      );
    });
    try {
      const code = await Promise.race([this.exited, hung]);
      // A bare `null` would hide which signal ended it, and what the process said before.
      if (code === null) throw new Error(`the runtime was ended by ${this.exitSignal} after SIGTERM: ${this.log}`);
      return code;
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Writes `{ id }` records 0…count-1 at a steady rate, keys spread over the partitions. */
export class SteadyProducer {
  sent = 0;
  readonly done: Promise<void>;

  constructor(kafka: Kafka, topic: string, count: number, perSecond: number) {
    const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    const tick = 50;
    const perTick = Math.max(1, Math.round((perSecond * tick) / 1000));
    this.done = (async () => {
      await producer.connect();
      const start = Date.now();
      for (let t = 0; this.sent < count; t++) {
        const messages = [];
        for (let i = 0; i < perTick && this.sent + i < count; i++) {
          const id = this.sent + i;
          messages.push({ key: `k${id % 61}`, value: JSON.stringify({ id }) });
        }
        // kafkajs retries inside send; a send that still fails (broker away too long) is tried again.
        for (;;) {
          try {
            await producer.send({ topic, messages, acks: -1 });
            break;
          } catch {
            await delay(500);
          }
        }
        this.sent += messages.length;
        const wait = start + (t + 1) * tick - Date.now();
        if (wait > 0) await delay(wait);
      }
      await producer.disconnect();
    })();
  }
}

export interface OutputRecord {
  id: number;
  by: string;
  /** Input partition and offset. */
  p: number;
  o: number;
}

/** Reads a topic from the start into memory as records arrive. */
export class Collector {
  readonly records: OutputRecord[] = [];
  readonly raw: { partition: number; offset: number; value: string | null }[] = [];
  private consumer: Consumer;

  private constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly topic: string,
  ) {
    this.consumer = kafka.consumer({
      groupId: `collector-${topic}-${Math.random().toString(36).slice(2, 8)}`,
      maxWaitTimeInMs: 200,
    });
  }

  static async start(kafka: Kafka, admin: Admin, topic: string, json = true): Promise<Collector> {
    const c = new Collector(kafka, admin, topic);
    await c.consumer.connect();
    await c.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await c.consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const value = m.value?.toString('utf8') ?? null;
          c.raw.push({ partition: batch.partition, offset: Number(m.offset), value });
          if (json && value !== null) c.records.push(JSON.parse(value) as OutputRecord);
        }
        await Promise.resolve();
      },
    });
    return c;
  }

  /** Waits until everything the topic holds now has been read (nothing more is being written). */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const size = await topicSize(this.admin, this.topic);
    await waitUntil(`the collector to read ${size} records of ${this.topic}`, () => this.raw.length >= size, timeoutMs);
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}

export async function topicSize(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/** The group's committed offset per partition (-1 when none). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((result?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/** How many times each id appears; ids never seen are absent. */
export function idCounts(records: readonly OutputRecord[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}
