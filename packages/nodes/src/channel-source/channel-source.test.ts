/**
 * channel-source and channel-sink against a fake OpenDXL-style service (a FAKE: its token expiry,
 * affinity cookie and forgotten consumers are faults no real service here produces on demand). The
 * same nodes run against Tributary's own consumer API on the real broker in apps/runtime.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenDxlFake } from '../connections/opendxl-test-server.js';
import { runNode } from '../testing/index.js';
import { channelSinkNode } from '../channel-sink/runtime.js';
import { channelSourceNode } from './runtime.js';

const fakes: OpenDxlFake[] = [];

async function fake(options: ConstructorParameters<typeof OpenDxlFake>[0] = {}): Promise<OpenDxlFake> {
  const f = await new OpenDxlFake(options).start();
  fakes.push(f);
  return f;
}

afterEach(async () => {
  for (const f of fakes.splice(0)) await f.stop();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

function connectionsFor(f: OpenDxlFake) {
  return {
    dxl: { url: f.url, dialect: 'opendxl', auth: 'login', username: f.username, password: f.password },
  };
}

describe('channel-source (OpenDXL dialect)', () => {
  it('reads every record through token expiry, the affinity cookie and forgotten consumers, and commits what was confirmed', async () => {
    const f = await fake({ tokenRequests: 25, forgetEvery: 7, pollSize: 20 });
    const COUNT = 400;
    f.append(
      'events',
      Array.from({ length: COUNT }, (_, id) => ({ key: `k${id % 13}`, payload: b64({ id }), headers: { h: 'v' } })),
    );
    const result = await runNode(
      channelSourceNode,
      {
        connection: 'dxl',
        topics: ['events'],
        group: 'g1',
        startFrom: 'earliest',
        waitBetweenPollsMs: 100,
        commitIntervalMs: 0,
      },
      { connections: connectionsFor(f), until: { messages: COUNT + 200, ms: 15_000 }, timeoutMs: 30_000 },
    );
    const ids = result.outputs.out!.map((m) => (m.value as { id: number }).id);
    const distinct = new Set(ids);
    expect(distinct.size).toBe(COUNT);
    // Re-reads after a forgotten consumer come from the last commit: duplicates, never losses.
    const duplicates = ids.length - distinct.size;
    expect(duplicates).toBeLessThanOrEqual(f.counts.forgotten * 20 * 2);
    expect(f.counts.expired).toBeGreaterThan(0);
    expect(f.counts.forgotten).toBeGreaterThan(0);
    expect(f.counts.noCookie).toBe(0);
    expect(Number(result.stats.relogins)).toBeGreaterThan(0);
    expect(Number(result.stats.recreated)).toBe(f.counts.forgotten);
    const first = result.outputs.out![0]!;
    expect(first.headers).toEqual({ h: 'v' });
    expect(first.meta).toMatchObject({ topic: 'events' });
    // Every record was confirmed, so each partition's commit is its last record.
    const sizes = f.topics.get('events')!.map((p) => p.length);
    expect([...f.committed('g1')].sort()).toEqual(sizes.map((n, p) => [`events/${p}`, n - 1]));
    // Stop deletes the consumer.
    expect(f.counts.deleted).toBe(1);
  });

  it('commits nothing the flow did not confirm: a new consumer of the group gets those records again', async () => {
    const f = await fake();
    f.append(
      'events',
      Array.from({ length: 10 }, (_, id) => ({ key: 'k', payload: b64({ id }), headers: {} })),
    );
    const config = {
      connection: 'dxl',
      topics: ['events'],
      group: 'g2',
      startFrom: 'earliest',
      waitBetweenPollsMs: 100,
    };
    const failed = await runNode(channelSourceNode, config, {
      connections: connectionsFor(f),
      until: { messages: 10 },
      ack: 'fail',
    });
    expect(failed.outputs.out).toHaveLength(10);
    expect(f.committed('g2').size).toBe(0);
    const again = await runNode(channelSourceNode, config, { connections: connectionsFor(f), until: { messages: 10 } });
    expect(again.outputs.out!.map((m) => (m.value as { id: number }).id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  it('sends an undecodable record to the error port with its bytes in base64', async () => {
    const f = await fake();
    f.append('events', [
      { key: 'k', payload: Buffer.from('not json').toString('base64'), headers: {} },
      { key: 'k', payload: b64({ ok: true }), headers: {} },
    ]);
    const result = await runNode(
      channelSourceNode,
      { connection: 'dxl', topics: ['events'], group: 'g3', startFrom: 'earliest', waitBetweenPollsMs: 100 },
      { connections: connectionsFor(f), until: { ms: 2000 } },
    );
    expect(result.outputs.out!.map((m) => m.value)).toEqual([{ ok: true }]);
    expect(result.errors.map((e) => e.message.value)).toEqual([Buffer.from('not json').toString('base64')]);
  });

  it('fails with a clear error when the login is refused', async () => {
    const f = await fake();
    const error = await runNode(
      channelSourceNode,
      { connection: 'dxl', topics: ['events'], group: 'g4' },
      {
        connections: { dxl: { ...connectionsFor(f).dxl, password: 'wrong' } },
        until: { ms: 3000 },
      },
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/login failed: HTTP 401/);
  });
});

describe('channel-sink (OpenDXL dialect)', () => {
  it('produces batches with key, headers and the encoded value, through token expiry', async () => {
    const f = await fake({ tokenRequests: 3 });
    const inputs = Array.from({ length: 25 }, (_, id) => ({ key: `k${id}`, value: { id }, headers: { src: 't' } }));
    const result = await runNode(
      channelSinkNode,
      { connection: 'dxl', topic: 'out', batchSize: 4 },
      {
        connections: connectionsFor(f),
        inputs,
      },
    );
    expect(result.errors).toEqual([]);
    const stored = f.topics.get('out')!.flat();
    expect(
      stored
        .map((r) => JSON.parse(Buffer.from(r.payload, 'base64').toString()) as { id: number })
        .map((v) => v.id)
        .sort((a, b) => a - b),
    ).toEqual(inputs.map((_, i) => i));
    expect(stored[0]!.headers).toEqual({ src: 't' });
    expect(f.counts.expired).toBeGreaterThan(0);
  });
});

describe('channel connection over https', () => {
  it('trusts the server only with its CA bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'channel-tls-'));
    // A self-signed certificate for 127.0.0.1, made by openssl (its own CA).
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const f = await fake({ tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert } });
    rmSync(dir, { recursive: true, force: true });
    f.append('events', [{ key: 'k', payload: b64({ secure: true }), headers: {} }]);
    const config = {
      connection: 'dxl',
      topics: ['events'],
      group: 'tls',
      startFrom: 'earliest',
      waitBetweenPollsMs: 100,
    };
    const untrusted = await runNode(channelSourceNode, config, {
      connections: connectionsFor(f),
      until: { ms: 3000 },
    }).catch((e: unknown) => e as Error);
    expect((untrusted as Error).message).toMatch(/certificate is not trusted/);
    const trusted = await runNode(channelSourceNode, config, {
      connections: { dxl: { ...connectionsFor(f).dxl, ca: cert } },
      until: { messages: 1 },
    });
    expect(trusted.outputs.out!.map((m) => m.value)).toEqual([{ secure: true }]);
  });
});
