/**
 * The one codec registry of the node-only side: every node that turns bytes into message values and
 * back (Kafka, SSE, WebSocket, SQS, HTTP, files) goes through `codecFor`, so a codec added here is
 * offered everywhere at once.
 */
import type { CodecName } from './codec-field.js';

/** A value the codec cannot read or write; it goes to the error port with the raw value. */
export class CodecError extends Error {
  constructor(
    message: string,
    readonly code: 'E_DECODE' | 'E_ENCODE',
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

/** Turns bytes into a message value and back. Either side may be async (a schema registry lookup). */
export interface Codec {
  readonly name: string;
  /** null stays null (a tombstone). Throws CodecError. */
  decode(raw: Uint8Array | string | null): unknown;
  /** null and undefined become null. Throws CodecError. */
  encode(value: unknown): string | Buffer | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(raw: Uint8Array | string): string {
  if (typeof raw === 'string') return raw;
  try {
    return utf8.decode(raw);
  } catch {
    throw new CodecError('value is not valid UTF-8 text', 'E_DECODE');
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const asBuffer = (raw: Uint8Array | string): Buffer =>
  typeof raw === 'string'
    ? Buffer.from(raw, 'utf8')
    : Buffer.isBuffer(raw)
      ? raw
      : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);

const json: Codec = {
  name: 'json',
  decode(raw) {
    if (raw === null) return null;
    const source = text(raw);
    try {
      return JSON.parse(source) as unknown;
    } catch (error) {
      throw new CodecError(`value is not valid JSON: ${(error as Error).message}`, 'E_DECODE');
    }
  },
  encode(value) {
    if (value === null || value === undefined) return null;
    let out: string | undefined;
    try {
      out = JSON.stringify(value);
    } catch (error) {
      throw new CodecError(`value cannot be written as JSON: ${(error as Error).message}`, 'E_ENCODE');
    }
    if (out === undefined) throw new CodecError(`value cannot be written as JSON (a ${typeof value})`, 'E_ENCODE');
    return out;
  },
};

const string: Codec = {
  name: 'string',
  decode: (raw) => (raw === null ? null : text(raw)),
  encode(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
    throw new CodecError(`codec "string" needs a text value, got ${describe(value)}: use codec "json"`, 'E_ENCODE');
  },
};

const bytes: Codec = {
  name: 'bytes',
  decode: (raw) => (raw === null ? null : asBuffer(raw)),
  encode(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string' || value instanceof Uint8Array) return asBuffer(value);
    throw new CodecError(`codec "bytes" needs a Buffer or a string, got ${describe(value)}`, 'E_ENCODE');
  },
};

const registry: Readonly<Record<CodecName, Codec>> = { json, string, bytes };

/**
 * The codec of a name from a manifest's `codec` field.
 *
 * @example
 * codecFor('json').decode(Buffer.from('{"a":1}')) // { a: 1 }
 */
export function codecFor(name: CodecName): Codec {
  return registry[name];
}
