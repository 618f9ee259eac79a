/**
 * Static membership (KIP-345) end to end, on the real broker and the platformatic client (kafkajs
 * has no group instance id; the kafka-source refuses one there): `tributary run` processes in one
 * group, each with its own Group instance id. A runtime restarted with the same id — after a
 * graceful stop, and after a kill -9 — gets its own partitions back while the session timeout (45 s)
 * is still running, and the other member's assignment never changes (no rebalance reaches it).
 */
import type { Admin, Kafka } from 'kafkajs';
import type { FlowDocument } from '@tributary/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryFlow, kafkaFor, RuntimeProcess, waitUntil } from '../testing/kafka-harness.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const PARTITIONS = 4;
/** Long, so that getting the partitions back cannot be the group giving up on the old member. */
const SESSION_TIMEOUT_MS = 45_000;

let kafka: Kafka;
let admin: Admin;
const running: RuntimeProcess[] = [];

const unique = (prefix: string) =>
  `kafka-${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

beforeAll(async () => {
  kafka = kafkaFor(BROKERS, 'static-membership-test');
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const r of running) await r.dispose();
  await admin?.disconnect();
});

/** The delivery flow on the platformatic client, its source a static member named `instance`. */
function staticFlow(options: { input: string; output: string; groupId: string; worker: string }): FlowDocument {
  const flow = deliveryFlow({ brokers: BROKERS, ...options });
  const connection = flow.connections!.find((c) => c.type === 'kafka')!;
  connection.config = { ...connection.config, client: 'platformatic' };
  const source = flow.nodes.find((n) => n.type === 'kafka-source')!;
  source.config = {
    ...source.config,
    groupInstanceId: `runtime-${options.worker}`,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
  };
  return flow;
}

function start(flow: FlowDocument): RuntimeProcess {
  const r = new RuntimeProcess(flow);
  running.push(r);
  return r;
}

const sorted = (set: ReadonlySet<number> | null) => [...(set ?? [])].sort((x, y) => x - y);
const rebalancesOf = (r: RuntimeProcess) => Number(r.latest?.nodes.in?.custom.rebalances ?? 0);

/** Waits for `count` stats lines newer than now from `r` (its figures then include what happened before). */
async function freshStats(r: RuntimeProcess, count = 2): Promise<void> {
  for (let i = 0; i < count; i++) {
    const seen = r.latest;
    await waitUntil(
      'a new stats line',
      () => r.latest !== seen,
      30_000,
      () => r.log,
    );
  }
}

describe('static membership (platformatic client)', () => {
  it('a runtime restarted with its group instance id gets its partitions back; the other member keeps its own', async () => {
    const [input, output, groupId] = [unique('static-in'), unique('static-out'), unique('static-group')];
    await admin.createTopics({
      topics: [input, output].map((topic) => ({ topic, numPartitions: PARTITIONS })),
      waitForLeaders: true,
    });
    const options = { input, output, groupId };

    const a = start(staticFlow({ ...options, worker: 'A' }));
    await waitUntil(
      'A to own every partition',
      () => a.assigned?.size === PARTITIONS,
      90_000,
      () => a.log,
    );
    const b = start(staticFlow({ ...options, worker: 'B' }));
    await waitUntil(
      'A and B to split the partitions',
      () => {
        const [ofA, ofB] = [a.assigned, b.assigned];
        return (
          ofA !== null &&
          ofB !== null &&
          ofB.size > 0 &&
          [...ofA].every((p) => !ofB.has(p)) &&
          ofA.size + ofB.size === PARTITIONS
        );
      },
      90_000,
      () => `A: ${a.log}\nB: ${b.log}`,
    );
    const ofA = sorted(a.assigned);
    const ofB = sorted(b.assigned);
    await freshStats(b);
    const bRebalances = rebalancesOf(b);

    // A graceful stop (SIGTERM), then the same instance id again: back at once, the same partitions.
    expect(await a.stop()).toBe(0);
    const a2 = start(staticFlow({ ...options, worker: 'A' }));
    await waitUntil(
      'A to be assigned again after its restart',
      () => a2.assigned !== null,
      60_000,
      () => a2.log,
    );
    expect(sorted(a2.assigned)).toEqual(ofA);

    // A crash (kill -9): no goodbye to the group at all; the restarted runtime takes its place.
    a2.kill();
    await a2.exited;
    const a3 = start(staticFlow({ ...options, worker: 'A' }));
    await waitUntil(
      'A to be assigned again after the crash',
      () => a3.assigned !== null,
      60_000,
      () => a3.log,
    );
    expect(sorted(a3.assigned)).toEqual(ofA);

    // B never took part in a rebalance: same partitions, and no new assignment reached it.
    await freshStats(b);
    expect(sorted(b.assigned)).toEqual(ofB);
    expect(rebalancesOf(b)).toBe(bRebalances);
    expect(b.child.exitCode).toBe(null);

    expect(await a3.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 300_000);
});
