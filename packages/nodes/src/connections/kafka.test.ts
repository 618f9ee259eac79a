import { describe, expect, it } from 'vitest';
import { compileHints } from '@tributary/shared';
import { createTestContext } from '../testing/index.js';
import { kafkaConnection } from './kafka.js';
import { kafkaConnectionOf } from './kafka-client.js';

const parse = (config: unknown) => kafkaConnection.config.safeParse(config);

describe('kafka connection type', () => {
  it('accepts brokers alone and fills in the defaults', () => {
    const result = parse({ brokers: ['127.0.0.1:9092', 'kafka-2.internal:9093', '[::1]:9094'] });
    expect(result.success).toBe(true);
    expect(result.data).toEqual({
      brokers: ['127.0.0.1:9092', 'kafka-2.internal:9093', '[::1]:9094'],
      clientId: 'tributary',
      ssl: false,
      connectionTimeoutMs: 10_000,
      client: 'platformatic',
    });
  });

  it.each([
    [{}, 'brokers', /required: at least one broker/],
    [{ brokers: [] }, 'brokers', /at least one broker/],
    [{ brokers: ['localhost'] }, 'brokers.0', /host:port/],
    [{ brokers: ['a:1'], sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }, 'sasl.mechanism', /plain/],
    [{ brokers: ['a:1'], sasl: { username: 'u' } }, 'sasl.password', /required: the SASL password/],
    [{ brokers: ['a:1'], connectionTimeoutMs: 5 }, 'connectionTimeoutMs', /100/],
  ])('rejects %j at %s', (config, path, message) => {
    const result = parse(config);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toMatch(message);
  });

  it('takes TLS as a switch or as CA / client certificate settings', () => {
    expect(parse({ brokers: ['a:1'], ssl: true }).data?.ssl).toBe(true);
    expect(parse({ brokers: ['a:1'], ssl: { ca: '-----BEGIN CERTIFICATE-----' } }).data?.ssl).toEqual({
      ca: '-----BEGIN CERTIFICATE-----',
      rejectUnauthorized: true,
    });
  });

  it('marks the SASL password and the TLS key as secrets, so a flow may only reference them', () => {
    const secrets = compileHints(kafkaConnection.config).secrets.map((f) => f.path.join('.'));
    expect(secrets).toEqual(expect.arrayContaining(['sasl.password', 'ssl.key']));
  });

  it('names the connection and the field when a node is given a bad connection', async () => {
    const test = createTestContext({ connections: { prod: { brokers: ['a:1'], sasl: { username: 'u' } } } });
    try {
      expect(() => kafkaConnectionOf(test.ctx, 'prod')).toThrow(
        /connection "prod" is not a valid Kafka connection: sasl.password: required/,
      );
      expect(() => kafkaConnectionOf(test.ctx, 'nope')).toThrow(/connection "nope" is not defined/);
    } finally {
      await test.close();
    }
  });
});
