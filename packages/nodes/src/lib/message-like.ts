/**
 * Turning what user code returns (`{ value, key?, headers?, timestamp? }`) into a FlowMessage that
 * inherits the missing fields from the input. On the hot path: no copies when nothing changes.
 */
import type { FlowMessage, MessageMeta } from '@tributary/shared';

/** What handlers may return or yield. */
export interface MessageLike {
  value: unknown;
  key?: unknown;
  headers?: unknown;
  timestamp?: unknown;
  meta?: unknown;
}

/** A result of user code that is not a message; routed to the error port with this code. */
export class MessageResultError extends Error {
  readonly code = 'E_BAD_RESULT';

  constructor(message: string) {
    super(message);
    this.name = 'MessageResultError';
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object without a "value" field';
  if (typeof value === 'function') return 'a function';
  const shown =
    typeof value === 'bigint' || typeof value === 'symbol' ? value.toString() : (JSON.stringify(value) ?? 'undefined');
  return `a ${typeof value} (${shown.slice(0, 40)})`;
}

/**
 * Builds the output message for `result`; fields it leaves out come from `input`.
 * Throws MessageResultError when `result` is not message-like.
 *
 * @example
 * toMessage({ value: 2 }, input) // { ...input fields, value: 2 }
 */
export function toMessage(result: unknown, input: FlowMessage, what = 'the function'): FlowMessage {
  if (result === input) return input;
  if (typeof result !== 'object' || result === null || !('value' in result)) {
    throw new MessageResultError(
      `${what} returned ${kindOf(result)}; return a message like { value, key?, headers? }, an array of them, or nothing to drop the input`,
    );
  }
  const r = result as MessageLike;
  const key = r.key === undefined ? input.key : normalizeKey(r.key);
  const headers = r.headers === undefined || r.headers === input.headers ? input.headers : normalizeHeaders(r.headers);
  const timestamp = r.timestamp === undefined ? input.timestamp : normalizeTimestamp(r.timestamp);
  const meta =
    r.meta === undefined || r.meta === input.meta || typeof r.meta !== 'object' || r.meta === null
      ? input.meta
      : (r.meta as MessageMeta);
  return { key, value: r.value, headers, timestamp, meta };
}

/** Keys are strings or null; numbers, bigints and booleans are turned into strings. */
export function normalizeKey(key: unknown): string | null {
  if (typeof key === 'string' || key === null) return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  throw new MessageResultError(`key must be a string or null, got ${typeof key}`);
}

/** Header values are strings; numbers and booleans are turned into strings, undefined ones left out. */
export function normalizeHeaders(headers: unknown): Readonly<Record<string, string>> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new MessageResultError('headers must be an object of string values');
  }
  const source = headers as Record<string, unknown>;
  let copy: Record<string, string> | null = null;
  for (const name of Object.keys(source)) {
    const value = source[name];
    if (typeof value === 'string') {
      if (copy !== null) copy[name] = value;
      continue;
    }
    if (copy === null) {
      // Copy lazily: headers that are already all strings are used as they are.
      copy = {};
      for (const earlier of Object.keys(source)) {
        if (earlier === name) break;
        copy[earlier] = source[earlier] as string;
      }
    }
    if (value === undefined) continue;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
      copy[name] = String(value);
    else
      throw new MessageResultError(`header "${name}" must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  return copy ?? (source as Record<string, string>);
}

function normalizeTimestamp(timestamp: unknown): number {
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) return timestamp;
  if (timestamp instanceof Date && !Number.isNaN(timestamp.getTime())) return timestamp.getTime();
  throw new MessageResultError('timestamp must be a number (milliseconds since the epoch) or a Date');
}
