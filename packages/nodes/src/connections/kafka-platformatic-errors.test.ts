import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  Reader,
  UserError,
} from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { isTransient } from './kafka-platformatic-errors.js';

/** What the client's reader throws for an answer shorter than it says (a cut-short response). */
function cutShortAnswer(): unknown {
  try {
    Reader.from(Buffer.alloc(2)).readInt32();
  } catch (error) {
    return error;
  }
  throw new Error('the reader read past the end');
}

/** The client's wrapper once its own retries are used up. */
const failedTimes = (errors: unknown[]) =>
  new MultipleErrors(`fetch failed ${errors.length} times.`, errors as Error[]);

describe('platformatic failures a restart outlasts', () => {
  it('a broker away: connection failures, alone or after the client gave up', () => {
    const refused = new NetworkError('Connection to 127.0.0.1:19392 failed.');
    expect(isTransient(refused)).toBe(true);
    expect(isTransient(failedTimes([refused, refused]))).toBe(true);
  });

  it('an answer cut short by a dropped connection ("Out of bounds."), even every attempt of it', () => {
    const cut = cutShortAnswer();
    expect((cut as Error).message).toBe('Out of bounds.');
    expect(isTransient(cut)).toBe(true);
    expect(isTransient(failedTimes([cut, cut, cut, cut, cut, cut]))).toBe(true);
  });

  it('not: authorisation, an unknown topic, a mistake of ours', () => {
    expect(isTransient(new AuthenticationError('SASL authentication failed.'))).toBe(false);
    expect(isTransient(new ProtocolError('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
    expect(isTransient(new UserError('Invalid topic name.'))).toBe(false);
    expect(isTransient(new RangeError('Out of bounds.'))).toBe(false); // no client code: not a read of an answer
    expect(isTransient(null)).toBe(false);
  });
});
