/**
 * channel-source delivery end to end: a real `tributary run` process consumes from a service that
 * behaves like the OpenDXL sample (a FAKE in this test process: token expiry every 25 requests, the
 * affinity cookie, consumers forgotten now and then) and produces to it with channel-sink; the run is
 * killed with SIGKILL mid-stream and a second run finishes the job.
 */
import { OpenDxlFake } from '@tributary/nodes/testing';
import type { FlowDocument } from '@tributary/shared';
import { describe, expect, it } from 'vitest';
import { useRuntimes } from '../testing/delivery-fixtures.js';
import { waitUntil } from '../testing/kafka-harness.js';

const { runtime, defer } = useRuntimes();
const MAX_IN_FLIGHT = 200;
const POLL_SIZE = 25;

function flow(f: OpenDxlFake, worker: string): FlowDocument {
  return {
    schemaVersion: 1,
    id: `channel-delivery-${worker.toLowerCase()}`,
    name: `Channel delivery (${worker})`,
    connections: [
      {
        id: 'dxl',
        type: 'channel',
        config: {
          url: f.url,
          dialect: 'opendxl',
          auth: 'login',
          username: f.username,
          password: '${env:TRIBUTARY_TEST_CHANNEL_PASSWORD}',
        },
      },
    ],
    nodes: [
      {
        id: 'in',
        type: 'channel-source',
        typeVersion: 1,
        position: { x: 0, y: 0 },
        config: {
          connection: 'dxl',
          topics: ['input'],
          group: 'delivery',
          startFrom: 'earliest',
          waitBetweenPollsMs: 100,
          // Commit after every confirmation: what a crash re-reads is then what was in flight.
          commitIntervalMs: 0,
          maxInFlight: MAX_IN_FLIGHT,
        },
      },
      {
        id: 'tag',
        type: 'function',
        typeVersion: 1,
        position: { x: 200, y: 0 },
        config: { code: `return { value: { id: msg.value.id, by: ${JSON.stringify(worker)} } };` },
      },
      {
        id: 'out',
        type: 'channel-sink',
        typeVersion: 1,
        position: { x: 400, y: 0 },
        config: { connection: 'dxl', topic: 'output', batchSize: 100 },
      },
    ],
    edges: [
      { id: 'in->tag', source: 'in', sourcePort: 'out', target: 'tag', targetPort: 'in' },
      { id: 'tag->out', source: 'tag', sourcePort: 'out', target: 'out', targetPort: 'in' },
    ],
  };
}

function outputIds(f: OpenDxlFake): number[] {
  return (f.topics.get('output') ?? [])
    .flat()
    .map((r) => (JSON.parse(Buffer.from(r.payload, 'base64').toString()) as { id: number }).id);
}

describe('channel-source delivery (real tributary run processes, OpenDXL-like fake service)', () => {
  it('kill -9 mid-stream loses nothing; duplicates are bounded by what was in flight and uncommitted', async () => {
    const f = await new OpenDxlFake({ tokenRequests: 25, forgetEvery: 50, pollSize: POLL_SIZE, partitions: 3 }).start();
    defer(() => f.stop());
    process.env.TRIBUTARY_TEST_CHANNEL_PASSWORD = f.password;
    const COUNT = 4000;
    f.append(
      'input',
      Array.from({ length: COUNT }, (_, id) => ({
        key: `k${id % 17}`,
        payload: Buffer.from(JSON.stringify({ id })).toString('base64'),
        headers: {},
      })),
    );
    const first = runtime(flow(f, 'A'));
    await waitUntil(
      'the first run to be mid-stream',
      () => outputIds(f).length >= 500,
      60_000,
      () => first.log,
    );
    first.kill();
    await first.exited;
    const atKill = outputIds(f).length;
    expect(atKill).toBeLessThan(COUNT);

    const second = runtime(flow(f, 'B'));
    await waitUntil(
      'every id in the output',
      () => new Set(outputIds(f)).size === COUNT,
      120_000,
      () => `${new Set(outputIds(f)).size} of ${COUNT}; ${second.log}`,
    );
    expect(await second.stop()).toBe(0);
    const ids = outputIds(f);
    const duplicates = ids.length - new Set(ids).size;
    // What can come twice, per incident (the kill, each forgotten consumer): the records taken and
    // not yet committed — the cap in flight, the poll that crossed it, a commit on the wire.
    const incidents = 1 + f.counts.forgotten;
    expect(duplicates).toBeLessThanOrEqual(incidents * (MAX_IN_FLIGHT + 2 * POLL_SIZE));
    expect(f.counts.noCookie).toBe(0);
    console.log(
      `channel kill -9: ${COUNT} ids, ${duplicates} duplicates over ${incidents} incidents (${f.counts.forgotten} forgotten consumers), ${f.counts.logins} logins`,
    );
  }, 240_000);
});
