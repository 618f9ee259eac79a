import { describe, expect, it } from 'vitest';
import { SECRET_NAME_PATTERN } from '@tributary/shared';
import { credentialName } from './SecretInput.js';

describe('suggested credential names', () => {
  it('are names a ${cred:…} reference can hold', () => {
    for (const suggestion of ['orders-in.kafka-1.sasl.password', '2024 flow.pg/password', '---', 'a b:c'])
      expect(credentialName(suggestion)).toMatch(SECRET_NAME_PATTERN);
    expect(credentialName('orders-in.kafka-1.sasl.password')).toBe('orders-in.kafka-1.sasl.password');
    expect(credentialName('2024 flow.pg/password')).toBe('flow.pg-password');
  });
});
