import type { FlowDocument } from './flow-document.js';
import type { FlowRunState } from './events.js';
import { configJsonSchema } from './field-hints.js';
import type { ConnectionTypeManifest, NodeManifest } from './node-contract.js';
import type { FlowProblem } from './problems.js';

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
  /** Optimistic-concurrency token: send it back with a replace; a stale one gets 409. */
  rev: string;
  state: FlowRunState;
  updatedAt: string;
  deployedRev?: string;
  lastError?: string;
}

export interface ApiError {
  error: { code: string; message: string; problems?: FlowProblem[]; current?: FlowRecord };
}

/** A node type as served by `GET /api/node-types`: the manifest without code, config as JSON Schema. */
export interface NodeTypeInfo extends Omit<NodeManifest, 'config' | 'migrations'> {
  configSchema: Record<string, unknown>;
  /** The config a new node starts with. */
  defaults: Record<string, unknown>;
}

export interface ConnectionTypeInfo extends Omit<ConnectionTypeManifest, 'config'> {
  configSchema: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

function defaultsOf(
  schema: ConnectionTypeManifest['config'],
  jsonSchema: Record<string, unknown>,
): Record<string, unknown> {
  const parsed = schema.safeParse({});
  if (parsed.success && parsed.data !== null && typeof parsed.data === 'object')
    return parsed.data as Record<string, unknown>;
  // Required fields without defaults: start from the defaults that exist, the rest shows as problems.
  const out: Record<string, unknown> = {};
  const properties = (jsonSchema.properties ?? {}) as Record<string, { default?: unknown }>;
  for (const [key, property] of Object.entries(properties))
    if (property.default !== undefined) out[key] = property.default;
  return out;
}

/**
 * @example
 * app.get('/api/node-types', (_req, res) => res.json({ nodeTypes: nodeManifests.map(toNodeTypeInfo) }));
 */
export function toNodeTypeInfo(manifest: NodeManifest): NodeTypeInfo {
  const { config, migrations: _migrations, ...rest } = manifest;
  const configSchema = configJsonSchema(config);
  return { ...rest, configSchema, defaults: defaultsOf(config, configSchema) };
}

export function toConnectionTypeInfo(manifest: ConnectionTypeManifest): ConnectionTypeInfo {
  const { config, ...rest } = manifest;
  const configSchema = configJsonSchema(config);
  return { ...rest, configSchema, defaults: defaultsOf(config, configSchema) };
}
