/**
 * Types of the runtime's HTTP API (JSON, under `/api`), shared by the server and the editor, and
 * the conversion of manifests into what `GET /api/node-types` serves.
 */
import type { z } from 'zod';
import type { FlowDocument } from './flow-document.js';
import type { FlowRunState } from './events.js';
import { configJsonSchema } from './field-hints.js';
import type { ConnectionTypeManifest, NodeManifest } from './node-contract.js';
import type { FlowProblem } from './problems.js';
import type { FlowStatsSnapshot } from './stats.js';

/** One line of `GET /api/flows`. */
export interface FlowSummary {
  id: string;
  name: string;
  description?: string;
  rev: string;
  state: FlowRunState;
  /** ISO 8601. */
  updatedAt: string;
  nodeCount: number;
}

/** `GET /api/flows/:id`: the document and its server-side metadata (never part of the document). */
export interface FlowRecord {
  flow: FlowDocument;
  /** Optimistic-concurrency token: send it back with a replace; a stale one gets 409 `E_REV_CONFLICT`. */
  rev: string;
  state: FlowRunState;
  /** ISO 8601. */
  updatedAt: string;
  /** The rev that is running, when the flow was deployed. */
  deployedRev?: string;
  /** The last failure in words (names the node). */
  lastError?: string;
}

/** Body of every 4xx/5xx answer. Never carries a stack trace. */
export interface ApiError {
  error: {
    /** E.g. `E_FLOW_INVALID`, `E_REV_CONFLICT`, `E_FLOW_EXISTS`, `E_NOT_FOUND`, `E_UNAUTHORIZED`. */
    code: string;
    message: string;
    /** `E_FLOW_INVALID`, import/save: every problem with its JSON pointer. */
    problems?: FlowProblem[];
    /** `E_REV_CONFLICT`, `E_FLOW_EXISTS`: the flow as it is on the server now. */
    current?: FlowRecord;
    /** `E_FLOW_START_FAILED`: the node that could not start. */
    nodeId?: string;
  };
}

/** A node type as served by `GET /api/node-types`: the manifest without code, config as JSON Schema. */
export interface NodeTypeInfo extends Omit<NodeManifest, 'config' | 'migrations'> {
  /** JSON Schema of the config as a user writes it (`io: 'input'`); UI hints are `ui` keys. */
  configSchema: Record<string, unknown>;
  /** The config a new node starts with. */
  defaults: Record<string, unknown>;
}

/** A connection type as served by `GET /api/node-types`. */
export interface ConnectionTypeInfo extends Omit<ConnectionTypeManifest, 'config'> {
  configSchema: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

/** `GET /api/health`. */
export interface HealthResponse {
  ok: true;
  version: string;
  uptimeMs: number;
  flows: { running: number; failed: number };
}

/** `GET /api/node-types`. */
export interface NodeTypesResponse {
  nodeTypes: NodeTypeInfo[];
  connectionTypes: ConnectionTypeInfo[];
}

/** `GET /api/flows`. */
export interface FlowListResponse {
  flows: FlowSummary[];
}

/** `GET /api/flows/:id/stats?since=<epoch ms>`: the kept 1 s snapshots (at least 15 min), oldest first. */
export interface FlowStatsHistoryResponse {
  snapshots: FlowStatsSnapshot[];
}

/** `PUT /api/flows/:id` body. */
export interface ReplaceFlowRequest {
  flow: FlowDocument;
  /** The `rev` the edit started from. */
  rev: string;
}

/** `POST /api/flows/:id/validate`. */
export interface ValidateFlowResponse {
  ok: boolean;
  /** At most 1,000 problems are listed; the rest are counted in `problemsOmitted`. */
  problems: FlowProblem[];
  problemsOmitted?: number;
}

/** `GET /api/credentials` (names only: values are never returned). */
export interface CredentialNamesResponse {
  names: string[];
}

type JsonSchemaNode = { default?: unknown; properties?: Record<string, JsonSchemaNode>; type?: unknown };

/**
 * Defaults found in a JSON Schema: an object's properties that have a `default`, and nested
 * objects that have some. Used when `{}` does not parse (a required field has no default).
 */
function defaultsIn(node: JsonSchemaNode, depth = 0): Record<string, unknown> | undefined {
  if (depth > 8 || !node.properties) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(node.properties)) {
    if (property.default !== undefined) out[key] = property.default;
    else {
      const nested = defaultsIn(property, depth + 1);
      if (nested && Object.keys(nested).length > 0) out[key] = nested;
    }
  }
  return out;
}

function defaultsOf(schema: z.ZodType, jsonSchema: Record<string, unknown>): Record<string, unknown> {
  const parsed = schema.safeParse({});
  if (parsed.success && parsed.data !== null && typeof parsed.data === 'object' && !Array.isArray(parsed.data))
    // A JSON round trip keeps what the editor would get over HTTP (no Dates, Maps or undefined).
    return JSON.parse(JSON.stringify(parsed.data)) as Record<string, unknown>;
  return defaultsIn(jsonSchema) ?? {};
}

/**
 * A node manifest as the editor receives it: everything but the zod schema and the migrations,
 * plus `configSchema` (JSON Schema, input side, UI hints as `ui` keys) and `defaults` (the config
 * a new node starts with: the schema's parse of `{}`, or the defaults it has when `{}` does not
 * parse).
 *
 * @example
 * app.get('/api/node-types', (_req, res) =>
 *   res.json({ nodeTypes: nodeManifests.map(toNodeTypeInfo), connectionTypes: connectionTypes.map(toConnectionTypeInfo) }),
 * );
 */
export function toNodeTypeInfo(manifest: NodeManifest): NodeTypeInfo {
  const { config, migrations: _migrations, ...rest } = manifest;
  const configSchema = configJsonSchema(config);
  return { ...rest, configSchema, defaults: defaultsOf(config, configSchema) };
}

/**
 * A connection type as the editor receives it (see `toNodeTypeInfo`).
 *
 * @example
 * toConnectionTypeInfo(kafkaConnection).configSchema.properties // { brokers: …, sasl: … }
 */
export function toConnectionTypeInfo(manifest: ConnectionTypeManifest): ConnectionTypeInfo {
  const { config, ...rest } = manifest;
  const configSchema = configJsonSchema(config);
  return { ...rest, configSchema, defaults: defaultsOf(config, configSchema) };
}
