/**
 * Avro codecs (node-only): plain Avro binary of a schema written in the node, or the Confluent wire
 * format (magic byte 0, 4-byte big-endian schema id, Avro binary) with a schema registry.
 *
 * Decoding with a registry is asynchronous (the writer's schema is fetched by id, then cached), so
 * these codecs are `AsyncCodec`s; json, string, bytes and registry-less Avro stay synchronous.
 * Errors: a record that cannot be read (bad framing, unknown schema id, truncated or malformed
 * binary, a writer schema the reader schema cannot resolve) is a `CodecError` (error port); a
 * registry that cannot be reached or refuses the credentials is a plain Error (not the record's
 * fault: fail the batch, so the record is read again).
 */
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { NodeContext } from '@tributary/shared';
import { connectionOf } from '../connections/connection-of.js';
import { schemaRegistryConnection } from '../connections/schema-registry.js';
import type { AnyCodecName, AvroSettings } from './codec-field.js';
import { CodecError, codecFor, type Codec } from './codecs.js';
import { NodeConfigError } from './compile.js';

/** A codec whose decode and encode answer promises (a schema registry behind them). */
export interface AsyncCodec {
  readonly name: string;
  readonly async: true;
  decode(raw: Uint8Array | string | null): Promise<unknown>;
  encode(value: unknown): Promise<Buffer | null>;
}

export type AnyCodec = Codec | AsyncCodec;

export const isAsyncCodec = (codec: AnyCodec): codec is AsyncCodec => 'async' in codec && codec.async === true;

/** Where values go or come from: the topic names registry subjects; `key` for record keys. */
export interface CodecTarget {
  topic?: string;
  key?: boolean;
}

const MAGIC = 0;

const toBuffer = (raw: Uint8Array | string): Buffer =>
  typeof raw === 'string'
    ? Buffer.from(raw, 'binary')
    : Buffer.isBuffer(raw)
      ? raw
      : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);

function parseSchema(text: string, field: string): avro.Type {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NodeConfigError(`${field}: the Avro schema is not JSON: ${(error as Error).message}`, field);
  }
  try {
    return avro.Type.forSchema(json as avro.Schema);
  } catch (error) {
    throw new NodeConfigError(`${field}: not a valid Avro schema: ${(error as Error).message}`, field);
  }
}

/** Checks a value against a type, naming the first field at fault. */
function assertValid(type: avro.Type, value: unknown): void {
  const found: string[] = [];
  type.isValid(value, {
    errorHook: (path, got) => {
      found.push(
        `${path.length > 0 ? path.join('.') : 'value'}: ${JSON.stringify(got) ?? typeof got} does not fit the schema`,
      );
    },
  });
  if (found.length > 0) throw new CodecError(`value cannot be written as Avro: ${found[0]!}`, 'E_ENCODE');
}

function readAvro(type: avro.Type, buffer: Buffer, resolver?: avro.Resolver): unknown {
  try {
    return type.fromBuffer(buffer, resolver);
  } catch (error) {
    throw new CodecError(`value is not valid Avro of the schema: ${(error as Error).message}`, 'E_DECODE');
  }
}

/**
 * Plain Avro binary of one schema (no framing).
 *
 * @example
 * avroSchemaCodec('{"type":"record","name":"T","fields":[{"name":"a","type":"int"}]}').encode({ a: 1 })
 */
export function avroSchemaCodec(schema: string, field = 'avro.schema'): Codec {
  const type = parseSchema(schema, field);
  return {
    name: 'avro',
    decode: (raw) => (raw === null ? null : readAvro(type, toBuffer(raw))),
    encode(value) {
      if (value === null || value === undefined) return null;
      assertValid(type, value);
      return type.toBuffer(value);
    },
  };
}

/** What a schema registry client must do for the codec (the Confluent REST API). */
export interface RegistryClient {
  getSchema(id: number): Promise<avro.Type>;
  idFor(subject: string, schema: string | null, register: boolean): Promise<number>;
}

/** A registry client on `@kafkajs/confluent-schema-registry` (it caches schemas by id). */
export function registryClient(config: {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number;
}): RegistryClient {
  const registry = new SchemaRegistry({
    host: config.url.replace(/\/+$/, ''),
    clientId: 'tributary',
    ...(config.username === undefined ? {} : { auth: { username: config.username, password: config.password ?? '' } }),
    ...(config.timeoutMs === undefined ? {} : { timeout: config.timeoutMs }),
  });
  // The client's own `register` insists on the subject's compatibility level being BACKWARD (and
  // sets it on a new subject): registering is one documented REST call, made here as it is.
  const registerSchema = async (subject: string, schema: string): Promise<number> => {
    const headers: Record<string, string> = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    if (config.username !== undefined)
      headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
    const response = await fetch(`${config.url.replace(/\/+$/, '')}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schema }),
      signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: unknown; message?: unknown };
    if (!response.ok || typeof body.id !== 'number')
      throw new Error(`HTTP ${response.status}${typeof body.message === 'string' ? `: ${body.message}` : ''}`);
    return body.id;
  };
  return {
    async getSchema(id) {
      try {
        return (await registry.getSchema(id)) as unknown as avro.Type;
      } catch (error) {
        if ((error as { status?: number }).status === 404)
          throw new CodecError(`schema id ${id} is not in the schema registry`, 'E_DECODE');
        throw new Error(`schema registry: ${(error as Error).message}`, { cause: error });
      }
    },
    async idFor(subject, schema, register) {
      try {
        if (schema === null) return await registry.getLatestSchemaId(subject);
        const confluent = { type: SchemaType.AVRO as const, schema };
        if (register) return await registerSchema(subject, schema);
        return await registry.getRegistryIdBySchema(subject, confluent);
      } catch (error) {
        throw new Error(
          `schema registry: no schema id for subject "${subject}": ${(error as Error).message}${register ? '' : ' (turn on "Register schemas" to register it)'}`,
          { cause: error },
        );
      }
    },
  };
}

/** The subject a schema is written under (Confluent's naming strategies). */
export function subjectFor(
  strategy: AvroSettings extends infer S ? (S extends { subject: infer T } ? T : never) : never,
  target: CodecTarget,
  schema: avro.Type | null,
): string {
  const suffix = target.key ? 'key' : 'value';
  const record = schema?.name;
  if (strategy !== 'topic' && record === undefined)
    throw new NodeConfigError('avro.subject: record naming needs a named record schema in Avro schema', 'avro.subject');
  if (strategy === 'record') return record!;
  if (target.topic === undefined)
    throw new NodeConfigError('avro.subject: topic naming needs the topic this node writes to', 'avro.subject');
  return strategy === 'topic' ? `${target.topic}-${suffix}` : `${target.topic}-${record!}`;
}

/**
 * The Confluent wire format through a registry. Decoding resolves the writer's schema (by id) to
 * the reader schema when one is given; encoding writes with the node's schema (looked up, or
 * registered, under the subject) or, without one, the subject's latest schema.
 */
export function registryCodec(
  client: RegistryClient,
  settings: { schema?: string | undefined; subject: 'topic' | 'record' | 'topic-record'; autoRegister: boolean },
  target: CodecTarget,
): AsyncCodec {
  const reader = settings.schema === undefined ? null : parseSchema(settings.schema, 'avro.schema');
  const resolvers = new Map<number, { type: avro.Type; resolver?: avro.Resolver }>();
  let writer: Promise<{ id: number; type: avro.Type }> | null = null;

  const readerFor = async (id: number) => {
    let entry = resolvers.get(id);
    if (entry === undefined) {
      const written = await client.getSchema(id);
      if (reader === null || reader.equals(written)) entry = { type: reader ?? written };
      else {
        try {
          entry = { type: reader, resolver: reader.createResolver(written) };
        } catch (error) {
          throw new CodecError(
            `schema id ${id} cannot be read with the reader schema: ${(error as Error).message}`,
            'E_DECODE',
          );
        }
      }
      resolvers.set(id, entry);
    }
    return entry;
  };

  const writerSchema = () => {
    writer ??= (async () => {
      const subject = subjectFor(settings.subject, target, reader);
      const id = await client.idFor(subject, settings.schema ?? null, settings.autoRegister);
      return { id, type: reader ?? (await client.getSchema(id)) };
    })().catch((error: unknown) => {
      writer = null; // a registry that was away is asked again next time
      throw error;
    });
    return writer;
  };

  return {
    name: 'avro',
    async: true,
    async decode(raw) {
      if (raw === null) return null;
      const buffer = toBuffer(raw);
      if (buffer.length < 5 || buffer[0] !== MAGIC)
        throw new CodecError(
          `value is not in the schema registry format (magic byte 0 and a 4-byte schema id): it starts with ${buffer.subarray(0, 5).toString('hex') || 'nothing'}`,
          'E_DECODE',
        );
      const { type, resolver } = await readerFor(buffer.readInt32BE(1));
      return readAvro(type, buffer.subarray(5), resolver);
    },
    async encode(value) {
      if (value === null || value === undefined) return null;
      const { id, type } = await writerSchema();
      assertValid(type, value);
      const header = Buffer.alloc(5);
      header.writeUInt8(MAGIC, 0);
      header.writeInt32BE(id, 1);
      return Buffer.concat([header, type.toBuffer(value)]);
    },
  };
}

/**
 * The codec a node's `codec` and `avro` settings describe.
 *
 * @example
 * const codec = codecFromSettings(ctx, config.codec, config.avro, { topic: config.topic });
 * const value = isAsyncCodec(codec) ? await codec.decode(raw) : codec.decode(raw);
 */
export function codecFromSettings(
  ctx: NodeContext,
  name: AnyCodecName,
  settings: AvroSettings,
  target: CodecTarget = {},
): AnyCodec {
  if (name !== 'avro') return codecFor(name);
  if (settings?.registry !== undefined) {
    const connection = connectionOf(ctx, settings.registry, schemaRegistryConnection, 'avro.registry');
    return registryCodec(registryClient(connection), settings, target);
  }
  if (settings?.schema === undefined)
    throw new NodeConfigError('avro: set an Avro schema, a schema registry, or both', 'avro');
  return avroSchemaCodec(settings.schema);
}
