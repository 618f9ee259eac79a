import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineManifest, toConnectionTypeInfo, toNodeTypeInfo } from './index.js';
import { kafkaConnection, tHandler, tSink, tSource } from './testing/test-catalog.js';

describe('toNodeTypeInfo', () => {
  it('serves the config as JSON Schema with UI hints, and the defaults a new node starts with', () => {
    const info = toNodeTypeInfo(tSource);
    expect(info.configSchema.properties).toMatchObject({
      connection: { type: 'string', ui: { widget: 'connection', connectionType: 'kafka' } },
      count: { type: 'integer', default: 10 },
      password: { type: 'string', ui: { secret: true } },
    });
    expect(info.defaults).toEqual({ count: 10 });
    expect(info).toMatchObject({ type: 't-source', typeVersion: 1, kind: 'source', outputs: [{ name: 'out' }] });
    expect('config' in info).toBe(false);
  });

  it('leaves out code (migrations) and survives a JSON round trip unchanged', () => {
    const info = toNodeTypeInfo(tHandler);
    expect('migrations' in info).toBe(false);
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });

  it('starts from the defaults it can find when {} does not parse (a required field has none)', () => {
    const manifest = defineManifest({
      ...tSink,
      config: z.object({
        topic: z.string().min(1),
        format: z.enum(['json', 'text']).default('json'),
        retry: z.object({ attempts: z.int().default(3), backoffMs: z.int() }),
      }),
    });
    expect(toNodeTypeInfo(manifest).defaults).toEqual({ format: 'json', retry: { attempts: 3 } });
    expect(toNodeTypeInfo(tHandler).defaults).toEqual({});
  });
});

describe('toConnectionTypeInfo', () => {
  it('serves a connection type the same way', () => {
    const info = toConnectionTypeInfo(kafkaConnection);
    expect(info).toMatchObject({ type: 'kafka', label: 'Kafka', defaults: {} });
    expect(info.configSchema).toMatchObject({
      properties: { password: { ui: { secret: true, widget: 'secret' } } },
      additionalProperties: false,
    });
  });
});
