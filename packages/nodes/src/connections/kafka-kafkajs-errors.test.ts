import {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isTransient } from './kafka-kafkajs-errors.js';

// kafkajs's own error classes, built as kafkajs builds them (its constructors take arguments its
// type declarations leave out).
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
const ProtocolError = KafkaJSProtocolError as unknown as new (e: {
  message: string;
  type: string;
  code: number;
  retriable: boolean;
}) => Error;
const CoordinatorNotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;

describe('isTransient (kafkajs)', () => {
  it('counts what a broker outage causes as transient, however kafkajs wrapped it', () => {
    const refused = new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092');
    expect(isTransient(refused)).toBe(true);
    expect(isTransient(new NonRetriable(refused, { cause: refused }))).toBe(true);
    expect(isTransient(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 1000 }))).toBe(true);
    // Thrown (and marked final) while the broker shuts down, during its leader election.
    expect(isTransient(new CoordinatorNotFound('Failed to find group coordinator'))).toBe(true);
  });

  it('leaves errors retrying cannot fix to fail the source', () => {
    expect(
      isTransient(
        new ProtocolError({
          message: 'Not authorized to access topics: [Topic authorization failed]',
          type: 'TOPIC_AUTHORIZATION_FAILED',
          code: 29,
          retriable: false,
        }),
      ),
    ).toBe(false);
    expect(isTransient(new Error('plain'))).toBe(false);
    expect(isTransient(null)).toBe(false);
  });
});
