import { describe, expect, it } from 'vitest';
import { toConnectionTypeInfo } from '@tributary/shared';
import { connectionTypes } from '@tributary/nodes/manifests';
import { initialValue, isForm, switchOrForm, withoutOptionalForms, type FieldSchema } from './form-schema.js';

const kafka = toConnectionTypeInfo(connectionTypes.find((c) => c.type === 'kafka')!);
const schema = kafka.configSchema as FieldSchema;

describe('config schemas as forms', () => {
  it('draws an object with known fields as a nested form, and "off / on / settings" as a switch', () => {
    expect(isForm(schema.properties!.sasl!)).toBe(true);
    const tls = switchOrForm(schema.properties!.ssl!);
    expect(Object.keys(tls?.properties ?? {})).toEqual(['ca', 'cert', 'key', 'rejectUnauthorized']);
    expect(switchOrForm(schema.properties!.brokers!)).toBeUndefined();
  });

  it('starts a nested form from its declared defaults', () => {
    expect(initialValue(schema.properties!.sasl!)).toEqual({ mechanism: 'scram-sha-512' });
  });

  it('leaves optional nested forms out of a new connection (SASL is set up, not assumed)', () => {
    expect(kafka.defaults.sasl).toBeDefined();
    const config = withoutOptionalForms(kafka.defaults, schema);
    expect(config.sasl).toBeUndefined();
    expect(config.clientId).toBe('tributary');
  });
});
